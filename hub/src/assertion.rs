//! `private_key_jwt` client authentication (RFC 7523): a JWT signed with a key from the client's
//! registered JWKS, naming the client as `iss` and `sub` and this hub as audience.
//!
//! Lifetime: an assertion may expire up to [`MAX_LIFETIME_SECS`] (one hour, Authlib's default;
//! oauth4webapi signs one-minute assertions) plus [`SKEW_SECS`] after the hub's now, and is
//! taken until [`SKEW_SECS`] past its `exp`. Each `jti` is accepted once per client and remembered
//! for longer than any assertion it could belong to can live (see `dpop::ReplayCache`), so a
//! captured assertion cannot be replayed while it is valid.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use serde::Deserialize;

use crate::client::{CLIENTS, Client, ClientAuth};
use crate::oauth_error::OAuthError;
use crate::state::Hub;

/// How far past the hub's now an assertion's `exp` may lie: one hour.
pub const MAX_LIFETIME_SECS: u64 = 3600;
/// Clock skew between client and hub allowed on `exp`, both ways.
pub const SKEW_SECS: u64 = 60;
/// The longest `jti` taken, in bytes: each is kept in memory until its assertion expires.
pub const MAX_JTI_BYTES: usize = 256;

#[derive(Debug, Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

#[derive(Debug, Deserialize)]
struct AssertionClaims {
    iss: String,
    sub: String,
    aud: Audience,
    exp: u64,
    jti: String,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn names(&self, wanted: &[String]) -> bool {
        match self {
            Audience::One(a) => wanted.contains(a),
            Audience::Many(list) => list.iter().any(|a| wanted.contains(a)),
        }
    }
}

fn bad(message: &str) -> OAuthError {
    OAuthError::invalid_client(message.to_owned())
}

/// The JSON of one base64url part of a compact JWS.
fn part<T: serde::de::DeserializeOwned>(b64: &str, what: &str) -> Result<T, OAuthError> {
    URL_SAFE_NO_PAD
        .decode(b64)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| bad(what))
}

/// The key in a client's registered JWKS that signed an assertion: by `kid`, else the first.
/// A key's own `alg` member is dropped before parsing: it may use names the JWT library does not
/// know (`Ed25519`), and the assertion's header is what counts.
fn client_key(jwks: &serde_json::Value, kid: Option<&str>) -> Result<Jwk, OAuthError> {
    let mut jwks = jwks.clone();
    if let Some(keys) = jwks.get_mut("keys").and_then(|k| k.as_array_mut()) {
        for key in keys.iter_mut().filter_map(|k| k.as_object_mut()) {
            key.remove("alg");
        }
    }
    let set: JwkSet = serde_json::from_value(jwks)
        .map_err(|_| bad("the client's registered JWKS is unusable"))?;
    match kid {
        Some(kid) => set.find(kid).cloned(),
        None => set.keys.first().cloned(),
    }
    .ok_or_else(|| bad("the assertion's key is not in the client's JWKS"))
}

/// Verifies a client assertion; returns the authenticated client.
pub fn verify(hub: &Hub, assertion: &str, claimed_id: Option<&str>) -> Result<Client, OAuthError> {
    let mut parts = assertion.split('.');
    let (Some(header_b64), Some(claims_b64), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("the client assertion is not a JWT"));
    };
    let header: Header = part(header_b64, "the client assertion is not a JWT")?;
    let alg = op_protocol::dpop::client_algorithm(&header.alg).ok_or_else(|| {
        bad("client assertions must be signed with Ed25519 (alg EdDSA or Ed25519) or ES256")
    })?;
    let claims: AssertionClaims = part(
        claims_b64,
        "the client assertion lacks iss, sub, aud, exp or jti",
    )?;
    if claimed_id.is_some_and(|id| id != claims.iss) {
        return Err(OAuthError::invalid_request(
            "client_id differs from the assertion's issuer",
        ));
    }
    let client = CLIENTS
        .get(&hub.store, &claims.iss)
        .ok()
        .flatten()
        .ok_or_else(|| bad("unknown client"))?;
    let ClientAuth::PrivateKeyJwt { jwks } = &client.auth else {
        return Err(bad("this client is not registered for private_key_jwt"));
    };
    let key = client_key(jwks, header.kid.as_deref())?;
    let key = DecodingKey::from_jwk(&key).map_err(|_| bad("the client's key is unusable"))?;
    let signing_input = &assertion[..header_b64.len() + 1 + claims_b64.len()];
    if !jsonwebtoken::crypto::verify(signature, signing_input.as_bytes(), &key, alg)
        .unwrap_or(false)
    {
        return Err(bad("the client assertion's signature is invalid"));
    }
    let audiences = [hub.url(op_protocol::routes::HUB_TOKEN), hub.issuer.clone()];
    if !claims.aud.names(&audiences) {
        return Err(bad(
            "the client assertion's aud must name this hub's issuer or token endpoint",
        ));
    }
    if claims.sub != claims.iss {
        return Err(bad(
            "the client assertion's iss and sub must both be the client_id",
        ));
    }
    let now = hub.now();
    if claims.exp + SKEW_SECS < now {
        return Err(bad("the client assertion has expired"));
    }
    if claims.exp > now + MAX_LIFETIME_SECS + SKEW_SECS {
        return Err(bad(
            "the client assertion must expire within 1 hour (exp at most 3600 s ahead)",
        ));
    }
    if claims.jti.is_empty() || claims.jti.len() > MAX_JTI_BYTES {
        return Err(bad("the client assertion's jti must be 1 to 256 bytes"));
    }
    if !hub
        .replay
        .first_use_assertion(&claims.iss, &claims.jti, now)
    {
        return Err(bad("the client assertion was already used (jti replay)"));
    }
    Ok(client)
}
