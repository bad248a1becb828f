//! One-time link codes: how a worker proves to a hub that they control a self-hosted pod.
//!
//! The pod server prints a code; the worker types it, with the pod's URL, into their hub's
//! dashboard; the hub presents it to the pod server (with its own service token); the pod
//! server answers with the pod's root and WebID and records which hub linked it. A code is
//! 128 random bits, lives 24 hours, works once, and is stored only as its SHA-256.

use op_protocol::path::PodName;
use op_store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::model::{PodRecord, pod_key};

/// How long a code stays valid, milliseconds.
pub const CODE_MS: u64 = 24 * 3600 * 1000;

#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    pod: String,
    expires: u64,
}

fn code_key(code: &str) -> Vec<u8> {
    let normalized: String = code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_uppercase();
    [b"k".as_slice(), &Sha256::digest(normalized.as_bytes())].concat()
}

/// A new code for `pod`, shown as four groups of characters (`7Q2M-…`).
pub async fn new_code(store: &Store, pod: &PodName, now: u64) -> Result<String, StoreError> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let raw: String = (0..26)
        .map(|_| ALPHABET[rand::random::<u8>() as usize % ALPHABET.len()] as char)
        .collect();
    let shown = raw
        .as_bytes()
        .chunks(6)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-");
    let pending = serde_json::to_vec(&Pending {
        pod: pod.to_string(),
        expires: now + CODE_MS,
    })
    .expect("serialises");
    let key = code_key(&shown);
    store
        .write(move |tx| {
            tx.put(key, pending);
            Ok::<_, StoreError>(())
        })
        .await?;
    Ok(shown)
}

/// Redeems a code for `issuer`: single use; records the hub and, when given, the `owner` WebID
/// the hub anchors for the worker; returns the linked pod's record, or `None` when the code is
/// unknown, used or expired.
pub async fn redeem(
    store: &Store,
    code: &str,
    issuer: &str,
    owner: Option<String>,
    now: u64,
) -> Result<Option<PodRecord>, StoreError> {
    let key = code_key(code);
    let issuer = issuer.to_owned();
    store
        .write(move |tx| {
            let Some(pending) = tx
                .get(&key)?
                .and_then(|b| serde_json::from_slice::<Pending>(&b).ok())
            else {
                return Ok(None);
            };
            tx.remove(key);
            if pending.expires < now {
                return Ok(None);
            }
            let Ok(pod) = PodName::parse(&pending.pod) else {
                return Ok(None);
            };
            let Some(mut record) = tx
                .get(&pod_key(&pod))?
                .and_then(|b| serde_json::from_slice::<PodRecord>(&b).ok())
            else {
                return Ok(None);
            };
            record.linked_by = Some(issuer);
            if owner.is_some() {
                record.owner = owner;
            }
            tx.put(
                pod_key(&pod),
                serde_json::to_vec(&record).expect("serialises"),
            );
            Ok::<_, StoreError>(Some(record))
        })
        .await
}
