//! DPoP at the token endpoint: the proof check lives in `op_protocol::dpop`; the hub keeps the
//! replay caches (proof `jti`s, and client assertions' `jti`s per client) and returns the key
//! thumbprint (`jkt`) that issued tokens are bound to.

use crate::oauth_error::OAuthError;

/// One-time ids seen at the token endpoint: DPoP proofs' `jti`s, kept 11 minutes (a proof's `iat`
/// is taken within a minute either way), and client assertions' `jti`s per client, kept until
/// every assertion they could belong to has expired (an hour of lifetime plus the skew on both
/// sides, see `assertion`).
#[derive(Debug)]
pub struct ReplayCache {
    proofs: op_protocol::dpop::ReplayCache,
    assertions: op_protocol::dpop::ReplayCache,
}

impl Default for ReplayCache {
    fn default() -> Self {
        use crate::assertion::{MAX_LIFETIME_SECS, SKEW_SECS};
        ReplayCache {
            proofs: op_protocol::dpop::ReplayCache::new(660),
            // Recorded at first use, which is at most MAX_LIFETIME_SECS + SKEW_SECS before `exp`,
            // and refused as expired SKEW_SECS after it.
            assertions: op_protocol::dpop::ReplayCache::new(MAX_LIFETIME_SECS + 2 * SKEW_SECS),
        }
    }
}

impl ReplayCache {
    /// Whether `client`'s assertion `jti` is new (RFC 7523 §3: unique per issuer).
    pub fn first_use_assertion(&self, client: &str, jti: &str, now: u64) -> bool {
        self.assertions.first_use(&format!("{client}\n{jti}"), now)
    }

    /// Whether `jti` is seen for the first time.
    pub fn first_use(&self, jti: &str, now: u64) -> bool {
        self.proofs.first_use(jti, now)
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
