//! Discovery: RFC 8414 / OpenID Connect metadata built from the same route constants the router
//! uses, and the JWKS.

use actix_web::{HttpResponse, web};
use op_protocol::routes;
use op_protocol::scope::Scope;

use crate::state::Hub;

/// The metadata document (served at both well-known paths).
pub fn document(hub: &Hub) -> serde_json::Value {
    serde_json::json!({
        "issuer": hub.issuer,
        "authorization_endpoint": hub.url(routes::HUB_AUTHORIZE),
        "token_endpoint": hub.url(routes::HUB_TOKEN),
        "userinfo_endpoint": hub.url(routes::HUB_USERINFO),
        "jwks_uri": hub.url(routes::HUB_JWKS),
        "revocation_endpoint": hub.url(routes::HUB_REVOKE),
        "introspection_endpoint": hub.url(routes::HUB_INTROSPECT),
        "revocation_feed_endpoint": hub.url(routes::HUB_REVOCATIONS),
        "revocation_feed_stream_endpoint": hub.url(routes::HUB_REVOCATIONS_STREAM),
        "scopes_supported": Scope::ALL.map(|s| s.as_str()),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt", "none"],
        "token_endpoint_auth_signing_alg_values_supported": ["EdDSA", "Ed25519", "ES256"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic"],
        "subject_types_supported": ["public"],
        // EdDSA for the protocol's clients; ES256 for Solid-OIDC logins, which Solid servers
        // verify with ECDSA or RSA only.
        "id_token_signing_alg_values_supported": ["EdDSA", "ES256"],
        "solid_oidc_supported": "https://solidproject.org/TR/solid-oidc",
        "dpop_signing_alg_values_supported": ["EdDSA", "Ed25519", "ES256"],
        "authorization_details_types_supported": [op_protocol::authorization::GIG_DATA],
        "authorization_response_iss_parameter_supported": true,
        "claims_supported": ["sub", "webid", "iss", "aud", "azp", "exp", "iat", "nonce", "cnf"],
        "ui_locales_supported": ["en", "sv"],
    })
}

/// `GET /.well-known/openid-configuration` and `/.well-known/oauth-authorization-server`.
pub async fn metadata(hub: web::Data<Hub>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(document(&hub))
}

/// `GET /jwks`.
pub async fn jwks(hub: web::Data<Hub>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=60"))
        .json(hub.keys().jwks())
}
