//! Random secrets and their storage form: generated with the OS RNG, stored only as a keyed hash
//! (HMAC-SHA256 under the hub's own key) and compared in constant time.
//!
//! A keyed hash rather than argon2: client secrets and tokens are 256-bit random values, so
//! brute force is hopeless anyway, and argon2 would cap the token endpoint at tens of requests
//! per second. The key means a stolen database alone does not let anyone test guesses offline.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A 256-bit random value as URL-safe base64 (43 characters).
pub fn random_token() -> String {
    not_like_a_flag(|| URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>()))
}

/// A shorter random identifier (128 bits) for ids that are not secrets.
pub fn random_id() -> String {
    not_like_a_flag(|| URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>()))
}

/// Draws until the value does not start with `-`: client secrets and codes are pasted into
/// command lines (`opctl --client-secret …`, `op-pod --hub-client-secret …`), where a leading
/// `-` reads as a flag. Costs a redraw one time in 64 and log2(64/63) bits of entropy.
fn not_like_a_flag(draw: impl Fn() -> String) -> String {
    loop {
        let value = draw();
        if !value.starts_with('-') {
            return value;
        }
    }
}

/// The hub's hashing key.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl SecretKey {
    /// Wraps 32 key bytes.
    pub fn new(bytes: [u8; 32]) -> Self {
        SecretKey(bytes)
    }

    /// The keyed hash of a secret, as hex; used as the storage key and for comparison.
    pub fn hash(&self, secret: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(secret.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Whether `secret` hashes to `stored`, compared in constant time.
    pub fn verify(&self, secret: &str, stored: &str) -> bool {
        self.hash(secret).as_bytes().ct_eq(stored.as_bytes()).into()
    }
}

/// SHA-256 as URL-safe base64, as PKCE S256 and DPoP `ath` use it.
pub fn sha256_b64(input: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(input))
}

/// Constant-time string equality.
pub fn ct_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_start_like_a_command_line_flag() {
        assert!((0..5_000).all(|_| !random_token().starts_with('-')));
        assert!((0..5_000).all(|_| !random_id().starts_with('-')));
    }

    #[test]
    fn keyed_hashes_verify_only_the_same_secret_under_the_same_key() {
        let key = SecretKey::new([7; 32]);
        let secret = random_token();
        assert_eq!(secret.len(), 43);
        let stored = key.hash(&secret);
        assert!(key.verify(&secret, &stored));
        assert!(!key.verify("guess", &stored));
        assert!(!SecretKey::new([8; 32]).verify(&secret, &stored));
    }

    #[test]
    fn pkce_s256_matches_the_rfc_7636_example() {
        assert_eq!(
            sha256_b64(b"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
