//! DPoP at the token endpoint: the proof check lives in `op_protocol::dpop`; the hub keeps the
//! replay cache (shared with client-assertion `jti`s) and returns the key thumbprint (`jkt`)
//! that issued tokens are bound to.

use crate::oauth_error::OAuthError;

/// Proof and client-assertion `jti`s, kept 11 minutes (assertions live up to 10).
#[derive(Debug)]
pub struct ReplayCache(op_protocol::dpop::ReplayCache);

impl Default for ReplayCache {
    fn default() -> Self {
        ReplayCache(op_protocol::dpop::ReplayCache::new(660))
    }
}

impl ReplayCache {
    /// Whether a client assertion's `jti` is new (kept apart from DPoP `jti`s).
    pub fn first_use_assertion(&self, jti: &str, now: u64) -> bool {
        self.0.first_use(&format!("assertion:{jti}"), now)
    }

    /// Whether `jti` is seen for the first time.
    pub fn first_use(&self, jti: &str, now: u64) -> bool {
        self.0.first_use(jti, now)
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
