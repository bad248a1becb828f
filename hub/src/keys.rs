//! The hub's token-signing keys: Ed25519, stored in the hub's store, published as a JWKS.
//!
//! Rotation adds a new active key and retires the old one; a retired key stays published until
//! every token it signed has expired, so rotation never breaks a valid token.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use op_store::{Store, StoreError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::table::Table;

/// Signing keys by key id.
pub const KEYS: Table<StoredKey> = Table::new(b'k');

/// A signing key as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredKey {
    /// Key id (`kid`).
    pub kid: String,
    /// PKCS#8 DER, base64.
    pub pkcs8: String,
    /// Public key, base64url (`x` in the JWK).
    pub x: String,
    /// Creation time, Unix seconds.
    pub created: u64,
    /// When it stopped signing, Unix seconds.
    pub retired: Option<u64>,
}

/// The loaded key set: one active key that signs, and every key still published.
#[derive(Clone)]
pub struct KeySet {
    active_kid: String,
    active: EncodingKey,
    published: Vec<StoredKey>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "KeySet(active {}, {} published)",
            self.active_kid,
            self.published.len()
        )
    }
}

fn new_key(now: u64) -> StoredKey {
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let x = URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes());
    let der = key.to_pkcs8_der().expect("Ed25519 keys encode as PKCS#8");
    StoredKey {
        kid: format!("{}-{}", now, &x[..8]),
        pkcs8: STANDARD.encode(der.as_bytes()),
        x,
        created: now,
        retired: None,
    }
}

impl KeySet {
    /// Loads every key, creating the first one if there is none. `keep_secs` is how long a
    /// retired key stays published (the longest access-token lifetime plus leeway).
    pub fn load_or_create(store: &Store, now: u64, keep_secs: u64) -> Result<KeySet, StoreError> {
        let keys = Self::all(store)?;
        if keys.iter().all(|k| k.retired.is_some()) {
            let key = new_key(now);
            let stored = key.clone();
            store.write_blocking(move |tx| {
                KEYS.put(tx, &stored.kid, &stored);
                Ok::<_, StoreError>(())
            })?;
        }
        Self::from_keys(Self::all(store)?, now, keep_secs)
    }

    fn all(store: &Store) -> Result<Vec<StoredKey>, StoreError> {
        Ok(KEYS
            .scan(store, "", None, 1000)?
            .into_iter()
            .map(|(_, k)| k)
            .collect())
    }

    fn from_keys(keys: Vec<StoredKey>, now: u64, keep_secs: u64) -> Result<KeySet, StoreError> {
        let active = keys
            .iter()
            .filter(|k| k.retired.is_none())
            .max_by_key(|k| k.created)
            .cloned()
            .ok_or_else(|| StoreError::from(op_store::KvError("no active signing key".into())))?;
        let der = STANDARD.decode(&active.pkcs8).map_err(|e| {
            StoreError::from(op_store::KvError(format!("corrupt signing key: {e}")))
        })?;
        let published = keys
            .into_iter()
            .filter(|k| k.retired.is_none_or(|r| r + keep_secs > now))
            .collect();
        Ok(KeySet {
            active_kid: active.kid,
            active: EncodingKey::from_ed_der(&der),
            published,
        })
    }

    /// Retires the active key(s) and makes a new one; returns the new key id.
    pub async fn rotate(store: &Store, now: u64) -> Result<String, StoreError> {
        let key = new_key(now);
        let kid = key.kid.clone();
        let existing = Self::all(store)?;
        store
            .write(move |tx| {
                for mut old in existing.into_iter().filter(|k| k.retired.is_none()) {
                    old.retired = Some(now);
                    KEYS.put(tx, &old.kid.clone(), &old);
                }
                KEYS.put(tx, &key.kid, &key);
                Ok::<_, StoreError>(())
            })
            .await?;
        Ok(kid)
    }

    /// Reloads after a rotation.
    pub fn reload(store: &Store, now: u64, keep_secs: u64) -> Result<KeySet, StoreError> {
        Self::from_keys(Self::all(store)?, now, keep_secs)
    }

    /// The JWKS document of every published key.
    pub fn jwks(&self) -> serde_json::Value {
        let keys: Vec<serde_json::Value> = self
            .published
            .iter()
            .map(|k| {
                serde_json::json!({
                    "kty": "OKP", "crv": "Ed25519", "x": k.x, "kid": k.kid, "alg": "EdDSA", "use": "sig"
                })
            })
            .collect();
        serde_json::json!({ "keys": keys })
    }

    /// Signs `claims` as a JWT with the active key and the given `typ`.
    pub fn sign<T: Serialize>(&self, typ: &str, claims: &T) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(typ.to_owned());
        header.kid = Some(self.active_kid.clone());
        jsonwebtoken::encode(&header, claims, &self.active).expect("EdDSA signing does not fail")
    }

    /// Verifies a JWT this hub signed (any published key); expiry is left to the caller's clock.
    pub fn verify<T: DeserializeOwned>(&self, token: &str, expected_typ: &str) -> Option<T> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        if header.alg != Algorithm::EdDSA
            || !header
                .typ
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case(expected_typ))
        {
            return None;
        }
        let kid = header.kid?;
        let key = self.published.iter().find(|k| k.kid == kid)?;
        let decoding = DecodingKey::from_ed_components(&key.x).ok()?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        jsonwebtoken::decode::<T>(token, &decoding, &validation)
            .ok()
            .map(|d| d.claims)
    }

    /// The active key id.
    pub fn active_kid(&self) -> &str {
        &self.active_kid
    }
}
