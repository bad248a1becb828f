//! Access token claims (DESIGN §4, RFC 9068) as every party reads them.

use serde::{Deserialize, Serialize};

/// The JOSE `typ` of an RFC 9068 access token.
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// Claims of a JWT access token issued by a hub for one pod.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The issuing hub.
    pub iss: String,
    /// The subject: the worker, or the client itself for `client_credentials`.
    pub sub: String,
    /// The audience: the pod root URL the token is for.
    pub aud: String,
    /// The OAuth client the token was issued to.
    pub client_id: String,
    /// Space-separated scopes.
    pub scope: String,
    /// RFC 9396 authorization details, when the grant has them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorization_details: Vec<serde_json::Value>,
    /// Unique token id.
    pub jti: String,
    /// Issued at, Unix seconds.
    pub iat: u64,
    /// Expires at, Unix seconds.
    pub exp: u64,
    /// Not before, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// The grant (consent) this token was issued under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<String>,
    /// The worker's WebID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webid: Option<String>,
    /// Proof-of-possession confirmation (RFC 9449 `jkt`), when DPoP-bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<serde_json::Value>,
}
