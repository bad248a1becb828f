//! Solid-OIDC logins (docs/HUB.md, "Solid-OIDC logins"): which grants are Solid logins, the
//! audience their tokens carry, and the ID token's claims.

use op_protocol::scope::{Scope, ScopeSet};
use serde::Serialize;

use crate::client::ClientKind;

/// The audience Solid-OIDC tokens carry: any Solid server (Solid-OIDC §8.1).
pub const SOLID_AUDIENCE: &str = "solid";

/// Whether a grant is a Solid-OIDC login: the worker's own app asks for `webid` and names no
/// resource, as Solid apps do. Its tokens are DPoP-bound, `aud` `solid`, signed with ES256, and
/// act as the worker at any Solid server — the worker's pod included. A worker's app that names
/// its pod (`resource`, `pod:owner`) gets the protocol's owner token for that pod instead.
pub fn is_solid(kind: ClientKind, scope: &str, resource: Option<&str>) -> bool {
    kind == ClientKind::WorkerApp
        && resource.is_none()
        && ScopeSet::parse(scope).is_ok_and(|s| s.contains(Scope::WebId))
}

/// ID token claims.
#[derive(Debug, Serialize, serde::Deserialize)]
pub struct IdClaims {
    /// Issuer.
    pub iss: String,
    /// The worker (their WebID).
    pub sub: String,
    /// The client, and `solid` for a Solid-OIDC login.
    pub aud: Audience,
    /// Authorized party.
    pub azp: String,
    /// Issued at.
    pub iat: u64,
    /// Expiry.
    pub exp: u64,
    /// The worker's WebID (Solid-OIDC).
    pub webid: String,
    /// Echoed nonce.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// The DPoP key the login is bound to (Solid-OIDC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<serde_json::Value>,
}

/// A JWT `aud`: one value, or several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// One audience.
    One(String),
    /// Several.
    Many(Vec<String>),
}
