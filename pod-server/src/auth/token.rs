//! Access token verification against the issuers this pod trusts.
//!
//! Each trusted issuer comes with its JWKS (Ed25519 `OKP` keys). A token is accepted only if it is
//! an RFC 9068 access token (`typ: at+jwt`) signed with EdDSA by a key of the issuer its `iss`
//! names, for this pod (`aud`), and within its validity window (checked with the injected clock).
//! Tokens bound to a DPoP key (`cnf`) are refused until proof checking lands: accepting them
//! without their proof would turn a stolen token into access.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use op_protocol::clock::Clock;
use op_protocol::scope::ScopeSet;
use op_protocol::token::{ACCESS_TOKEN_TYP, AccessClaims};
use thiserror::Error;

/// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
pub const LEEWAY_SECS: u64 = 30;

/// Why a token was refused; becomes `401` with `WWW-Authenticate: Bearer error="invalid_token"`.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{0}")]
pub struct TokenError(pub String);

/// A verified caller.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The token's claims.
    pub claims: AccessClaims,
    /// Its scopes, parsed.
    pub scopes: ScopeSet,
}

/// One trusted issuer and its public keys, by key id.
#[derive(Debug, Clone)]
pub struct TrustedIssuer {
    /// The issuer identifier, exactly as it appears in `iss`.
    pub issuer: String,
    keys: HashMap<String, KeyEntry>,
}

#[derive(Clone)]
struct KeyEntry(DecodingKey);

impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DecodingKey")
    }
}

impl TrustedIssuer {
    /// Builds a trusted issuer from a JWKS document (`{"keys": [...]}`); only Ed25519 keys count.
    pub fn from_jwks(issuer: &str, jwks: &serde_json::Value) -> Result<Self, String> {
        let keys = jwks
            .get("keys")
            .and_then(|k| k.as_array())
            .ok_or("the JWKS has no \"keys\" array")?;
        let mut map = HashMap::new();
        for (i, key) in keys.iter().enumerate() {
            let field = |name: &str| key.get(name).and_then(|v| v.as_str());
            if field("kty") != Some("OKP") || field("crv") != Some("Ed25519") {
                continue;
            }
            let x = field("x").ok_or_else(|| format!("key {i} has no \"x\""))?;
            let decoding = DecodingKey::from_ed_components(x)
                .map_err(|e| format!("key {i} is not a valid Ed25519 key: {e}"))?;
            let kid = field("kid").unwrap_or("").to_owned();
            map.insert(kid, KeyEntry(decoding));
        }
        if map.is_empty() {
            return Err(format!("the JWKS for {issuer} has no Ed25519 keys"));
        }
        Ok(TrustedIssuer {
            issuer: issuer.to_owned(),
            keys: map,
        })
    }
}

/// Verifies access tokens for one pod server.
#[derive(Debug, Clone, Default)]
pub struct Verifier {
    issuers: Vec<TrustedIssuer>,
}

impl Verifier {
    /// A verifier trusting `issuers`.
    pub fn new(issuers: Vec<TrustedIssuer>) -> Self {
        Verifier { issuers }
    }

    /// The trusted issuer identifiers.
    pub fn issuers(&self) -> impl Iterator<Item = &str> {
        self.issuers.iter().map(|i| i.issuer.as_str())
    }

    /// Verifies `token` for the pod whose root URL is `audience`.
    pub fn verify(
        &self,
        token: &str,
        audience: &str,
        clock: &Clock,
    ) -> Result<Verified, TokenError> {
        let bad = |m: &str| TokenError(m.to_owned());
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| TokenError(format!("the token is not a well-formed JWT: {e}")))?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError(format!(
                "tokens must be signed with EdDSA, not {:?}",
                header.alg
            )));
        }
        let typ = header.typ.as_deref().unwrap_or("").to_ascii_lowercase();
        if typ != ACCESS_TOKEN_TYP && typ != "application/at+jwt" {
            return Err(bad(
                "not an access token (typ must be at+jwt); ID tokens and other JWTs are refused",
            ));
        }
        let iss = unverified_issuer(token).ok_or_else(|| bad("the token has no iss claim"))?;
        let issuer = self
            .issuers
            .iter()
            .find(|i| i.issuer == iss)
            .ok_or_else(|| TokenError(format!("issuer {iss} is not trusted by this pod")))?;
        let key = match &header.kid {
            Some(kid) => issuer.keys.get(kid),
            None if issuer.keys.len() == 1 => issuer.keys.values().next(),
            None => None,
        }
        .ok_or_else(|| bad("the token's signing key (kid) is not among the issuer's keys"))?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&issuer.issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["iss", "aud", "exp", "sub"]);
        // Expiry is checked below with the injected clock, not the system time.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        let data =
            jsonwebtoken::decode::<AccessClaims>(token, &key.0, &validation).map_err(|e| {
                use jsonwebtoken::errors::ErrorKind as K;
                TokenError(match e.kind() {
                    K::InvalidSignature => "the token's signature is invalid".into(),
                    K::InvalidAudience => {
                        format!("the token is for another resource server, not {audience}")
                    }
                    K::InvalidIssuer => "the token's issuer does not match".into(),
                    _ => format!("the token was refused: {e}"),
                })
            })?;
        let claims = data.claims;
        let now = clock.now_secs();
        if claims.exp + LEEWAY_SECS < now {
            return Err(bad("the token has expired"));
        }
        if claims.nbf.is_some_and(|nbf| nbf > now + LEEWAY_SECS) || claims.iat > now + LEEWAY_SECS {
            return Err(bad("the token is not valid yet"));
        }
        if claims.cnf.is_some() {
            return Err(bad(
                "DPoP-bound tokens (cnf) are not accepted by this pod server yet; request an unbound token",
            ));
        }
        let scopes = ScopeSet::parse(&claims.scope).map_err(|e| TokenError(e.to_string()))?;
        Ok(Verified { claims, scopes })
    }
}

/// Reads `iss` from the payload without verifying, only to pick the issuer's keys.
fn unverified_issuer(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.get("iss")?.as_str().map(str::to_owned)
}
