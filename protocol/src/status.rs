//! Revocation by the issuer: W3C Bitstring Status List v1.0.
//!
//! Each record carries a [`StatusEntry`] naming a status list credential and an index in it. The
//! platform publishes that credential (signed, the bitstring GZIP-compressed and multibase
//! base64url encoded, at least 131,072 bits so that one record's index says little about the
//! others). A verifier gets it through a [`StatusListSource`] — fetching and caching are the
//! caller's — verifies it like any record, and reads the bit.

use std::io::Read;

use flate2::Compression;
use flate2::read::{GzDecoder, GzEncoder};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use thiserror::Error;

use crate::contexts::CREDENTIALS_V2;
use crate::proof::multibase::{decode_base64url, encode_base64url};

/// The smallest list the specification allows, in bits (16 KiB).
pub const MIN_BITS: usize = 131_072;

/// The largest list accepted when decoding, in bits (16 MiB of bitstring), against zip bombs.
pub const MAX_BITS: usize = 8 * 16 * 1024 * 1024;

/// Why a status could not be determined.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum StatusError {
    /// The status list credential could not be obtained.
    #[error("status list {url} is not available: {reason}")]
    Unavailable {
        /// Its URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The status list credential is malformed.
    #[error("status list {url} is malformed: {reason}")]
    Malformed {
        /// Its URL.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// An index beyond the end of the list.
    #[error("status index {index} is outside the list of {len} entries")]
    IndexOutOfRange {
        /// The index.
        index: u64,
        /// The list length in bits.
        len: usize,
    },
}

/// What a status list records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StatusPurpose {
    /// Set bits are revoked for good.
    Revocation,
    /// Set bits are suspended, and may be cleared.
    Suspension,
}

impl StatusPurpose {
    /// `revocation` or `suspension`.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusPurpose::Revocation => "revocation",
            StatusPurpose::Suspension => "suspension",
        }
    }
}

/// `BitstringStatusListEntry`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum EntryType {
    /// The one value.
    #[default]
    BitstringStatusListEntry,
}

/// A record's `credentialStatus`: which bit of which list says whether it is revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatusEntry {
    /// `<list URL>#<index>`.
    pub id: String,
    /// `BitstringStatusListEntry`.
    #[serde(rename = "type")]
    pub kind: EntryType,
    /// What the bit means.
    pub status_purpose: StatusPurpose,
    /// The bit's position, as a decimal string (the specification's form).
    pub status_list_index: String,
    /// The URL of the status list credential.
    pub status_list_credential: String,
}

impl StatusEntry {
    /// The entry for bit `index` of the list at `list_url`.
    pub fn new(list_url: &str, index: u64, purpose: StatusPurpose) -> Self {
        StatusEntry {
            id: format!("{list_url}#{index}"),
            kind: EntryType::BitstringStatusListEntry,
            status_purpose: purpose,
            status_list_index: index.to_string(),
            status_list_credential: list_url.to_owned(),
        }
    }

    /// The index as a number.
    pub fn index(&self) -> Result<u64, StatusError> {
        self.status_list_index
            .parse()
            .map_err(|_| StatusError::Malformed {
                url: self.status_list_credential.clone(),
                reason: format!(
                    "statusListIndex `{}` is not a non-negative integer",
                    self.status_list_index
                ),
            })
    }
}

/// The bits of a status list; bit 0 is the most significant bit of the first byte.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusList {
    bytes: Vec<u8>,
}

impl std::fmt::Debug for StatusList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = self.bytes.iter().map(|b| b.count_ones()).sum::<u32>();
        write!(f, "StatusList({} bits, {set} set)", self.len())
    }
}

impl StatusList {
    /// An all-clear list of `bits` bits, rounded up to whole bytes and to at least [`MIN_BITS`].
    pub fn new(bits: usize) -> Self {
        StatusList {
            bytes: vec![0; bits.max(MIN_BITS).div_ceil(8)],
        }
    }

    /// Length in bits.
    pub fn len(&self) -> usize {
        self.bytes.len() * 8
    }

    /// Always false: a list has at least [`MIN_BITS`] bits.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Bit `index`.
    pub fn get(&self, index: u64) -> Result<bool, StatusError> {
        let (byte, mask) = self.position(index)?;
        Ok(self.bytes[byte] & mask != 0)
    }

    /// Sets bit `index` (revokes the record that holds it).
    pub fn set(&mut self, index: u64, value: bool) -> Result<(), StatusError> {
        let (byte, mask) = self.position(index)?;
        if value {
            self.bytes[byte] |= mask;
        } else {
            self.bytes[byte] &= !mask;
        }
        Ok(())
    }

    fn position(&self, index: u64) -> Result<(usize, u8), StatusError> {
        let out = StatusError::IndexOutOfRange {
            index,
            len: self.len(),
        };
        let i = usize::try_from(index).map_err(|_| out.clone())?;
        if i >= self.len() {
            return Err(out);
        }
        Ok((i / 8, 0x80 >> (i % 8)))
    }

    /// `encodedList`: multibase base64url (no padding) of the GZIP-compressed bits.
    pub fn encode(&self) -> String {
        let mut gz = Vec::new();
        GzEncoder::new(self.bytes.as_slice(), Compression::best())
            .read_to_end(&mut gz)
            .unwrap_or_else(|_| unreachable!("compressing from memory cannot fail"));
        encode_base64url(&gz)
    }

    /// Decodes `encodedList`, refusing lists shorter than [`MIN_BITS`] or longer than [`MAX_BITS`].
    pub fn decode(url: &str, encoded: &str) -> Result<Self, StatusError> {
        let bad = |reason: String| StatusError::Malformed {
            url: url.to_owned(),
            reason,
        };
        let gz = decode_base64url(encoded).map_err(|e| bad(format!("encodedList: {e}")))?;
        let mut bytes = Vec::new();
        GzDecoder::new(gz.as_slice())
            .take((MAX_BITS / 8 + 1) as u64)
            .read_to_end(&mut bytes)
            .map_err(|e| bad(format!("encodedList is not GZIP: {e}")))?;
        match bytes.len() * 8 {
            n if n < MIN_BITS => Err(bad(format!("{n} bits, fewer than the minimum {MIN_BITS}"))),
            n if n > MAX_BITS => Err(bad(format!("more than {MAX_BITS} bits"))),
            _ => Ok(StatusList { bytes }),
        }
    }
}

/// An unsigned status list credential for `list`, published at `url`.
///
/// Sign it with [`crate::record::Signer::sign_status_list`], which sets the issuer and `validFrom`.
pub fn status_list_credential(url: &str, purpose: StatusPurpose, list: &StatusList) -> Value {
    json!({
        "@context": [CREDENTIALS_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "credentialSubject": {
            "id": format!("{url}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": purpose.as_str(),
            "encodedList": list.encode()
        }
    })
}

/// Gives the verifier status list credentials by URL; fetching and caching are the implementer's.
///
/// `Sync`, so that one source serves every thread of [`crate::record::Verifier::verify_all`].
pub trait StatusListSource: Sync {
    /// The status list credential published at `url`, as JSON.
    fn status_list(&self, url: &str) -> Result<Value, StatusError>;
}

/// A fixed set of status list credentials, for tests and for callers that fetched them already.
#[derive(Debug, Clone, Default)]
pub struct StatusLists(Vec<Value>);

impl StatusLists {
    /// No lists.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a status list credential (found by its `id`).
    pub fn with(mut self, credential: Value) -> Self {
        self.0.push(credential);
        self
    }
}

impl StatusListSource for StatusLists {
    fn status_list(&self, url: &str) -> Result<Value, StatusError> {
        self.0
            .iter()
            .find(|c| c.get("id").and_then(Value::as_str) == Some(url))
            .cloned()
            .ok_or_else(|| StatusError::Unavailable {
                url: url.to_owned(),
                reason: "no status list credential with this id was supplied".into(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_have_the_minimum_size_and_round_trip_through_their_encoding() {
        let mut list = StatusList::new(10);
        assert_eq!(list.len(), MIN_BITS);
        list.set(0, true).unwrap();
        list.set(94_567, true).unwrap();
        let encoded = list.encode();
        assert!(encoded.starts_with('u'));
        let back = StatusList::decode("https://p.example/status/1", &encoded).unwrap();
        assert_eq!(back, list);
        assert!(back.get(0).unwrap() && back.get(94_567).unwrap());
        assert!(!back.get(1).unwrap() && !back.get(94_566).unwrap());
        assert_eq!(
            list.bytes[0], 0x80,
            "bit 0 is the most significant bit of byte 0"
        );
        assert!(matches!(
            list.get(MIN_BITS as u64),
            Err(StatusError::IndexOutOfRange { .. })
        ));
    }

    #[test]
    fn short_lists_and_non_gzip_data_are_refused() {
        let short = StatusList { bytes: vec![0; 16] }.encode();
        assert!(StatusList::decode("u", &short).is_err());
        assert!(StatusList::decode("u", &encode_base64url(b"not gzip")).is_err());
        assert!(StatusList::decode("u", "zabc").is_err());
    }

    #[test]
    fn the_w3c_example_encoding_decodes_to_an_empty_list() {
        // The all-zero 16 KiB list from the Bitstring Status List v1.0 examples.
        let example = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA";
        let list = StatusList::decode("https://example.com/credentials/status/3", example).unwrap();
        assert_eq!(list.len(), MIN_BITS);
        assert!(!list.get(94_567).unwrap());
    }
}
