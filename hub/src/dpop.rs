//! DPoP at the token endpoint: the proof check lives in `op_protocol::dpop`; the hub keeps the
//! replay cache (shared with client-assertion `jti`s) and returns the key thumbprint (`jkt`)
//! that issued tokens are bound to.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::oauth_error::OAuthError;

/// Remembers proof and assertion `jti`s long enough that neither can be replayed.
#[derive(Debug, Default)]
pub struct ReplayCache {
    seen: Mutex<HashMap<String, u64>>,
}

impl ReplayCache {
    /// Whether a client assertion's `jti` is new (kept apart from DPoP `jti`s).
    pub fn first_use_assertion(&self, jti: &str, now: u64) -> bool {
        self.first_use(&format!("assertion:{jti}"), now)
    }

    /// Whether `jti` is seen for the first time.
    pub fn first_use(&self, jti: &str, now: u64) -> bool {
        let mut seen = self.seen.lock().expect("replay cache lock");
        if seen.len() > 50_000 {
            // Assertions live up to 10 minutes; keep every jti at least that long.
            seen.retain(|_, t| *t + 660 > now);
        }
        seen.insert(jti.to_owned(), now).is_none()
    }
}

/// Verifies a DPoP proof sent to the token endpoint; returns the `jkt`.
pub fn verify(
    proof: &str,
    method: &str,
    url: &str,
    now: u64,
    replay: &ReplayCache,
) -> Result<String, OAuthError> {
    let proof = op_protocol::dpop::verify(proof, method, url, now, None)
        .map_err(|e| OAuthError::invalid_dpop_proof(e.0))?;
    if !replay.first_use(&format!("dpop:{}", proof.jti), now) {
        return Err(OAuthError::invalid_dpop_proof(
            "the DPoP proof was already used (jti replay)",
        ));
    }
    Ok(proof.jkt)
}
