//! `private_key_jwt` client authentication (RFC 7523): a JWT signed with a key from the client's
//! registered JWKS, naming the client as `iss` and `sub` and this hub as audience.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use crate::client::{CLIENTS, Client, ClientAuth};
use crate::oauth_error::OAuthError;
use crate::state::Hub;

#[derive(Debug, Deserialize)]
struct AssertionClaims {
    iss: String,
    sub: String,
    exp: u64,
    jti: String,
}

/// Verifies a client assertion; returns the authenticated client.
pub fn verify(hub: &Hub, assertion: &str, claimed_id: Option<&str>) -> Result<Client, OAuthError> {
    let bad = |m: &str| OAuthError::invalid_client(m.to_owned());
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|_| bad("the client assertion is not a JWT"))?;
    if !matches!(header.alg, Algorithm::EdDSA | Algorithm::ES256) {
        return Err(bad("client assertions must be signed with EdDSA or ES256"));
    }
    let unverified: AssertionClaims = {
        use base64::Engine;
        let payload = assertion
            .split('.')
            .nth(1)
            .ok_or_else(|| bad("malformed client assertion"))?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| bad("malformed client assertion"))?;
        serde_json::from_slice(&bytes)
            .map_err(|_| bad("the client assertion lacks iss, sub, exp or jti"))?
    };
    if claimed_id.is_some_and(|id| id != unverified.iss) {
        return Err(OAuthError::invalid_request(
            "client_id differs from the assertion's issuer",
        ));
    }
    let client = CLIENTS
        .get(&hub.store, &unverified.iss)
        .ok()
        .flatten()
        .ok_or_else(|| bad("unknown client"))?;
    let ClientAuth::PrivateKeyJwt { jwks } = &client.auth else {
        return Err(bad("this client is not registered for private_key_jwt"));
    };
    let set: JwkSet = serde_json::from_value(jwks.clone())
        .map_err(|_| bad("the client's registered JWKS is unusable"))?;
    let key = match &header.kid {
        Some(kid) => set.find(kid),
        None => set.keys.first(),
    }
    .ok_or_else(|| bad("the assertion's key is not in the client's JWKS"))?;
    let decoding = DecodingKey::from_jwk(key).map_err(|_| bad("the client's key is unusable"))?;
    let mut validation = Validation::new(header.alg);
    validation.validate_exp = false;
    validation.set_audience(&[hub.url(op_protocol::routes::HUB_TOKEN), hub.issuer.clone()]);
    validation.set_required_spec_claims(&["iss", "sub", "aud", "exp"]);
    let claims = jsonwebtoken::decode::<AssertionClaims>(assertion, &decoding, &validation)
        .map_err(|_| bad("the client assertion's signature or audience is invalid"))?
        .claims;
    let now = hub.now();
    if claims.iss != claims.sub || claims.iss != client.id.as_str() {
        return Err(bad(
            "the client assertion's iss and sub must both be the client_id",
        ));
    }
    if claims.exp < now || claims.exp > now + 600 {
        return Err(bad(
            "the client assertion is expired or lives longer than 10 minutes",
        ));
    }
    if !hub.replay.first_use_assertion(&claims.jti, now) {
        return Err(bad("the client assertion was already used (jti replay)"));
    }
    Ok(client)
}
