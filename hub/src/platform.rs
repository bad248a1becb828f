//! Platforms' record-signing keys: registered by each platform, published by the hub as the
//! platform's controller document, so records can name `{hub}/platforms/{id}` as their `issuer`
//! and any verifier can resolve the key. Keys are never removed: records signed with an old key
//! stay verifiable after a rotation.

use op_protocol::proof::controller::{ControllerDocument, MethodReference, VerificationMethod};
use op_protocol::proof::multikey::Multikey;
use op_store::StoreError;
use serde::{Deserialize, Serialize};

use crate::client::{Client, ClientKind};
use crate::state::Hub;
use crate::table::Table;

/// Keys by `{client id}\0{number}`.
pub const PLATFORM_KEYS: Table<PlatformKey> = Table::new(b'p');

/// One registered key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlatformKey {
    /// The fragment naming it in the controller document (`key-1`).
    pub fragment: String,
    /// The Ed25519 public key as a Multikey (`z6Mk…`).
    pub public_key_multibase: String,
    /// Registration time, Unix seconds.
    pub created: u64,
}

/// A key could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Only platforms sign records.
    #[error("only platform clients register record-signing keys")]
    NotAPlatform,
    /// The key is not an Ed25519 Multikey.
    #[error("publicKeyMultibase is not an Ed25519 Multikey: {0}")]
    BadKey(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The controller (issuer) URL of a platform.
pub fn controller_url(hub: &Hub, client_id: &str) -> String {
    hub.url(&op_protocol::routes::hub_platform(client_id))
}

/// Every key of a platform, oldest first.
pub fn keys_of(hub: &Hub, client_id: &str) -> Result<Vec<PlatformKey>, StoreError> {
    Ok(PLATFORM_KEYS
        .scan(&hub.store, &format!("{client_id}\0"), None, 10_000)?
        .into_iter()
        .map(|(_, k)| k)
        .collect())
}

/// Registers a key for a platform; adding a key never retires the others.
pub async fn register_key(
    hub: &Hub,
    client: &Client,
    multibase: &str,
) -> Result<PlatformKey, KeyError> {
    if client.kind != ClientKind::Platform {
        return Err(KeyError::NotAPlatform);
    }
    let key = Multikey::from_multibase(multibase).map_err(|e| KeyError::BadKey(e.to_string()))?;
    let (id, multibase, now) = (client.id.to_string(), key.to_multibase(), hub.now());
    Ok(hub
        .store
        .write(move |tx| {
            let existing = tx.keys_with_prefix(&PLATFORM_KEYS.key(&format!("{id}\0")), 100_000)?;
            for k in &existing {
                if let Some(found) = tx
                    .get(k)?
                    .and_then(|b| serde_json::from_slice::<PlatformKey>(&b).ok())
                    && found.public_key_multibase == multibase
                {
                    return Ok(found);
                }
            }
            let n = existing.len() + 1;
            let key = PlatformKey {
                fragment: format!("key-{n}"),
                public_key_multibase: multibase,
                created: now,
            };
            PLATFORM_KEYS.put(tx, &format!("{id}\0{n:06}"), &key);
            Ok::<_, StoreError>(key)
        })
        .await?)
}

/// The platform's controller document: every key, each allowed to issue credentials.
pub fn controller_document(hub: &Hub, client_id: &str, keys: &[PlatformKey]) -> ControllerDocument {
    let controller = controller_url(hub, client_id);
    let methods: Vec<VerificationMethod> = keys
        .iter()
        .map(|k| VerificationMethod {
            id: format!("{controller}#{}", k.fragment),
            kind: "Multikey".into(),
            controller: controller.clone(),
            public_key_multibase: k.public_key_multibase.clone(),
        })
        .collect();
    ControllerDocument {
        context: Some(serde_json::json!([
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/multikey/v1"
        ])),
        id: controller,
        assertion_method: methods
            .iter()
            .map(|m| MethodReference::Id(m.id.clone()))
            .collect(),
        verification_method: methods,
    }
}
