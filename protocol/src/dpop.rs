//! DPoP proofs (RFC 9449): checking a proof JWT against the request it came with.
//!
//! The check is pure; the caller keeps the replay cache (it is state) and compares the returned
//! `jkt` with the token's `cnf.jkt` at resource servers.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use thiserror::Error;

/// Accepted clock skew for a proof's `iat`, seconds.
pub const WINDOW_SECS: u64 = 60;

/// A proof that passed every check but replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// RFC 7638 thumbprint of the proof's key.
    pub jkt: String,
    /// The proof's unique id, for the caller's replay cache.
    pub jti: String,
}

/// Why a proof was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{0}")]
pub struct DpopError(pub String);

#[derive(Debug, Deserialize)]
struct Claims {
    htm: String,
    htu: String,
    iat: u64,
    jti: String,
    #[serde(default)]
    ath: Option<String>,
}

/// The RFC 7638 thumbprint of a public JWK (OKP Ed25519 or EC).
pub fn thumbprint(jwk: &Jwk) -> Option<String> {
    let canonical = match &jwk.algorithm {
        AlgorithmParameters::OctetKeyPair(p) => {
            format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, p.x)
        }
        AlgorithmParameters::EllipticCurve(p) => {
            let crv = serde_json::to_value(&p.curve).ok()?;
            format!(r#"{{"crv":{crv},"kty":"EC","x":"{}","y":"{}"}}"#, p.x, p.y)
        }
        _ => return None,
    };
    Some(URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes())))
}

/// The `ath` of an access token: base64url SHA-256 of its ASCII form.
pub fn token_hash(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(access_token.as_bytes()))
}

/// Checks a proof for a request with `method` to `url` at time `now` (Unix seconds). With
/// `access_token`, the proof must carry its `ath` (resource servers); without, it must not need one.
pub fn verify(
    proof: &str,
    method: &str,
    url: &str,
    now: u64,
    access_token: Option<&str>,
) -> Result<Proof, DpopError> {
    let bad = |m: &str| DpopError(m.to_owned());
    let header =
        jsonwebtoken::decode_header(proof).map_err(|_| bad("the DPoP proof is not a JWT"))?;
    if header.typ.as_deref() != Some("dpop+jwt") {
        return Err(bad("the DPoP proof must have typ dpop+jwt"));
    }
    if !matches!(header.alg, Algorithm::EdDSA | Algorithm::ES256) {
        return Err(bad("the DPoP proof must be signed with EdDSA or ES256"));
    }
    let jwk = header
        .jwk
        .ok_or_else(|| bad("the DPoP proof has no jwk header"))?;
    let jkt = thumbprint(&jwk)
        .ok_or_else(|| bad("the DPoP key must be an Ed25519 or P-256 public key"))?;
    let key =
        DecodingKey::from_jwk(&jwk).map_err(|_| bad("the DPoP jwk is not a usable public key"))?;
    let mut validation = Validation::new(header.alg);
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Claims>(proof, &key, &validation)
        .map_err(|_| bad("the DPoP proof's signature or claims are invalid"))?
        .claims;
    if !claims.htm.eq_ignore_ascii_case(method) {
        return Err(bad(
            "the DPoP proof's htm does not match the request method",
        ));
    }
    let strip = |u: &str| u.split(['?', '#']).next().unwrap_or("").to_owned();
    if strip(&claims.htu) != strip(url) {
        return Err(bad("the DPoP proof's htu does not match the request URL"));
    }
    if claims.iat + WINDOW_SECS < now || claims.iat > now + WINDOW_SECS {
        return Err(bad("the DPoP proof's iat is outside the accepted window"));
    }
    if let Some(token) = access_token
        && claims.ath.as_deref() != Some(token_hash(token).as_str())
    {
        return Err(bad("the DPoP proof's ath does not match the access token"));
    }
    Ok(Proof {
        jkt,
        jti: claims.jti,
    })
}

/// Remembers one-time ids (`jti`) for a fixed time, so a proof or assertion cannot be used twice.
/// Entries are pruned oldest first on every insert, so each insert costs O(1) amortised and
/// memory follows the rate times the retention, whatever the load.
#[derive(Debug)]
pub struct ReplayCache {
    retain_secs: u64,
    inner: std::sync::Mutex<ReplayState>,
}

#[derive(Debug, Default)]
struct ReplayState {
    seen: std::collections::HashSet<String>,
    order: std::collections::VecDeque<(u64, String)>,
}

impl ReplayCache {
    /// A cache that keeps each id `retain_secs` seconds (longer than the id's own validity).
    pub fn new(retain_secs: u64) -> Self {
        ReplayCache {
            retain_secs,
            inner: std::sync::Mutex::default(),
        }
    }

    /// Whether `jti` is new at time `now` (Unix seconds); records it if so.
    pub fn first_use(&self, jti: &str, now: u64) -> bool {
        let mut state = self.inner.lock().expect("replay cache lock");
        while let Some((at, _)) = state.order.front() {
            if at + self.retain_secs > now {
                break;
            }
            if let Some((_, old)) = state.order.pop_front() {
                state.seen.remove(&old);
            }
        }
        if !state.seen.insert(jti.to_owned()) {
            return false;
        }
        state.order.push_back((now, jti.to_owned()));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_refused_while_retained_and_forgotten_after() {
        let cache = ReplayCache::new(120);
        assert!(cache.first_use("a", 1000));
        assert!(!cache.first_use("a", 1100));
        assert!(cache.first_use("b", 1100));
        assert!(cache.first_use("a", 1121), "a is forgotten after 120 s");
        assert!(!cache.first_use("b", 1200));
    }
}
