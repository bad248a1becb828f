//! Ed25519 keys in Multikey form: `publicKeyMultibase` (`z6Mk…`) and `secretKeyMultibase` (`z3u2…`).
//!
//! A public key is the multicodec header `0xed 0x01` followed by the 32 key bytes, a secret key
//! the header `0x80 0x26` followed by the 32-byte seed, both in multibase base58btc.

use std::fmt;

use ed25519_dalek::Signer;
use serde::{Deserialize, Serialize};

use super::ProofError;
use super::multibase::{decode_base58btc, encode_base58btc};

const ED25519_PUB: [u8; 2] = [0xed, 0x01];
const ED25519_PRIV: [u8; 2] = [0x80, 0x26];

/// An Ed25519 public key, valid by construction (a point on the curve).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Multikey(ed25519_dalek::VerifyingKey);

impl Multikey {
    /// Parses `publicKeyMultibase`.
    pub fn from_multibase(text: &str) -> Result<Self, ProofError> {
        let bad = |reason: String| ProofError::InvalidKey(format!("public key `{text}`: {reason}"));
        let bytes = decode_base58btc(text).map_err(|e| bad(e.to_string()))?;
        let key = bytes
            .strip_prefix(&ED25519_PUB)
            .ok_or_else(|| bad("not an Ed25519 Multikey (header 0xed01)".into()))?;
        let key: [u8; 32] = key
            .try_into()
            .map_err(|_| bad(format!("{} key bytes, expected 32", key.len())))?;
        ed25519_dalek::VerifyingKey::from_bytes(&key)
            .map(Multikey)
            .map_err(|e| bad(e.to_string()))
    }

    /// Reads an Ed25519 public key given as a JWK (`{"kty": "OKP", "crv": "Ed25519", "x": ...}`).
    pub fn from_jwk(jwk: &serde_json::Value) -> Result<Self, ProofError> {
        use base64::Engine;
        let bad = |reason: &str| ProofError::InvalidKey(format!("public key JWK: {reason}"));
        if jwk.get("kty").and_then(|v| v.as_str()) != Some("OKP")
            || jwk.get("crv").and_then(|v| v.as_str()) != Some("Ed25519")
        {
            return Err(bad("only Ed25519 keys (kty OKP, crv Ed25519) sign records"));
        }
        if jwk.get("d").is_some() {
            return Err(bad("this is a private key; send only the public part"));
        }
        let x = jwk
            .get("x")
            .and_then(|v| v.as_str())
            .ok_or_else(|| bad("no \"x\""))?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(x)
            .map_err(|_| bad("\"x\" is not base64url"))?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| bad("\"x\" is not 32 bytes"))?;
        ed25519_dalek::VerifyingKey::from_bytes(&key)
            .map(Multikey)
            .map_err(|e| bad(&e.to_string()))
    }

    /// `publicKeyMultibase`.
    pub fn to_multibase(&self) -> String {
        let mut bytes = ED25519_PUB.to_vec();
        bytes.extend_from_slice(self.0.as_bytes());
        encode_base58btc(&bytes)
    }

    /// Whether `signature` (64 bytes) signs `message` under this key (strict verification).
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
            return false;
        };
        self.0.verify_strict(message, &signature).is_ok()
    }

    /// The raw 32 key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Multikey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Multikey({})", self.to_multibase())
    }
}

/// An Ed25519 signing key. Its `Debug` never shows the secret.
#[derive(Clone)]
pub struct KeyPair(ed25519_dalek::SigningKey);

impl KeyPair {
    /// The key whose secret seed is `seed`: 32 bytes from a cryptographically secure random
    /// source for a new key (randomness is an input here, like time).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        KeyPair(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    /// Parses `secretKeyMultibase` (W3C's test vectors call it `privateKeyMultibase`).
    pub fn from_secret_multibase(text: &str) -> Result<Self, ProofError> {
        let bad = |reason: String| ProofError::InvalidKey(format!("secret key: {reason}"));
        let bytes = decode_base58btc(text).map_err(|e| bad(e.to_string()))?;
        let seed = bytes
            .strip_prefix(&ED25519_PRIV)
            .ok_or_else(|| bad("not an Ed25519 secret Multikey (header 0x8026)".into()))?;
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| bad(format!("{} seed bytes, expected 32", seed.len())))?;
        Ok(KeyPair(ed25519_dalek::SigningKey::from_bytes(&seed)))
    }

    /// `secretKeyMultibase`.
    pub fn secret_multibase(&self) -> String {
        let mut bytes = ED25519_PRIV.to_vec();
        bytes.extend_from_slice(self.0.as_bytes());
        encode_base58btc(&bytes)
    }

    /// The public half.
    pub fn public(&self) -> Multikey {
        Multikey(self.0.verifying_key())
    }

    /// Signs `message` (deterministic Ed25519, RFC 8032).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }

    /// The key in the JSON form of W3C's `keyPair.json`.
    pub fn to_file(&self) -> KeyFile {
        KeyFile {
            public_key_multibase: self.public().to_multibase(),
            secret_key_multibase: self.secret_multibase(),
        }
    }
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "KeyPair {{ public: {}, secret: <redacted> }}",
            self.public().to_multibase()
        )
    }
}

/// A key file: `{"publicKeyMultibase": "z6Mk…", "secretKeyMultibase": "z3u2…"}`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyFile {
    /// The public key.
    pub public_key_multibase: String,
    /// The secret seed.
    #[serde(alias = "privateKeyMultibase")]
    pub secret_key_multibase: String,
}

impl KeyFile {
    /// The key pair, after checking that the public key belongs to the secret one.
    pub fn key_pair(&self) -> Result<KeyPair, ProofError> {
        let pair = KeyPair::from_secret_multibase(&self.secret_key_multibase)?;
        let public = Multikey::from_multibase(&self.public_key_multibase)?;
        if pair.public() != public {
            return Err(ProofError::InvalidKey(
                "publicKeyMultibase does not belong to secretKeyMultibase".into(),
            ));
        }
        Ok(pair)
    }
}

impl fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "KeyFile {{ public: {}, secret: <redacted> }}",
            self.public_key_multibase
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTOR_KEY: &str = r#"{
        "publicKeyMultibase": "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        "privateKeyMultibase": "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
    }"#;

    #[test]
    fn the_w3c_key_pair_parses_and_round_trips() {
        let file: KeyFile = serde_json::from_str(VECTOR_KEY).unwrap();
        let pair = file.key_pair().unwrap();
        assert_eq!(
            pair.public().to_multibase(),
            "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
        );
        assert_eq!(
            pair.secret_multibase(),
            "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
        );
        assert!(!format!("{pair:?}").contains("z3u2"));
    }

    #[test]
    fn mismatched_and_malformed_keys_are_rejected() {
        let mut file: KeyFile = serde_json::from_str(VECTOR_KEY).unwrap();
        file.public_key_multibase = "z6MktgKTsu1QhX6QPbyqG6geXdw6FQCZBPq7uQpieWbiQiG7".into();
        assert!(file.key_pair().is_err());
        assert!(
            Multikey::from_multibase("z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq").is_err()
        );
        assert!(Multikey::from_multibase("z6Mk").is_err());
    }

    #[test]
    fn signatures_verify_only_for_their_message() {
        let pair = KeyPair::from_seed(rand::random());
        let sig = pair.sign(b"message");
        assert!(pair.public().verifies(b"message", &sig));
        assert!(!pair.public().verifies(b"massage", &sig));
        assert!(!pair.public().verifies(b"message", &sig[..63]));
    }
}
