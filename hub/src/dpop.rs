//! DPoP proofs (RFC 9449) at the token endpoint: check the proof and return the key thumbprint
//! (`jkt`) that the issued tokens are bound to.

use std::collections::HashMap;
use std::sync::Mutex;

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use crate::oauth_error::OAuthError;
use crate::secret::sha256_b64;

/// Accepted clock skew for `iat`, seconds.
const WINDOW_SECS: u64 = 60;

#[derive(Debug, Deserialize)]
struct ProofClaims {
    htm: String,
    htu: String,
    iat: u64,
    jti: String,
}

/// Remembers proof `jti`s for the acceptance window, so a proof cannot be replayed.
#[derive(Debug, Default)]
pub struct ReplayCache {
    seen: Mutex<HashMap<String, u64>>,
}

impl ReplayCache {
    /// Whether a client assertion's `jti` is new (kept apart from DPoP `jti`s).
    pub fn first_use_assertion(&self, jti: &str, now: u64) -> bool {
        self.first_use(&format!("assertion:{jti}"), now)
    }

    fn first_use(&self, jti: &str, now: u64) -> bool {
        let mut seen = self.seen.lock().expect("replay cache lock");
        if seen.len() > 50_000 {
            // Assertions live up to 10 minutes; keep every jti at least that long.
            seen.retain(|_, t| *t + 660 > now);
        }
        seen.insert(jti.to_owned(), now).is_none()
    }
}

/// The RFC 7638 thumbprint of a public JWK (OKP or EC).
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
    Some(sha256_b64(canonical.as_bytes()))
}

/// Verifies a DPoP proof for `method` and `url` (query and fragment ignored); returns the `jkt`.
pub fn verify(
    proof: &str,
    method: &str,
    url: &str,
    now: u64,
    replay: &ReplayCache,
) -> Result<String, OAuthError> {
    let bad = |m: &str| OAuthError::invalid_dpop_proof(m.to_owned());
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
    let claims = jsonwebtoken::decode::<ProofClaims>(proof, &key, &validation)
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
    if !replay.first_use(&claims.jti, now) {
        return Err(bad("the DPoP proof was already used (jti replay)"));
    }
    Ok(jkt)
}
