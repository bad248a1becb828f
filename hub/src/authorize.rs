//! The authorization request: validated once into [`AuthRequest`], parked while the worker logs
//! in and decides, then turned into a single-use code.
//!
//! Until the client and redirect URI are known to be registered, errors are shown on a page and
//! never redirected (RFC 9700 §4.1); after that, errors go back to the client with `state` and `iss`.

use std::collections::HashMap;

use op_protocol::authorization::{Action, GIG_DATA, GigData, Level};
use op_protocol::scope::{Scope, ScopeSet};
use serde::{Deserialize, Serialize};

use crate::client::{Client, ClientKind};
use crate::table::Table;

/// Parked requests by id, while the worker logs in and decides.
pub const PENDING: Table<AuthRequest> = Table::new(b'q');
/// Authorization codes by keyed hash.
pub const CODES: Table<AuthCode> = Table::new(b'a');

/// How long a parked request waits for the worker, seconds.
pub const PENDING_SECS: u64 = 15 * 60;
/// How long a code lives, seconds.
pub const CODE_SECS: u64 = 60;
/// How long a code's record is kept after it expires, seconds, so a replay still revokes the
/// grant it issued; `purge` deletes it after that.
pub const CODE_KEEP_SECS: u64 = 3600;

/// The largest value, in bytes, each parameter that is stored with a parked request may have;
/// larger requests are refused before anything is stored.
pub const LIMITS: [(&str, usize); 6] = [
    ("authorization_details", 4096),
    ("state", 512),
    ("nonce", 512),
    ("scope", 512),
    ("resource", 1024),
    ("redirect_uri", 1024),
];

/// Where and when an authorization request was started.
#[derive(Debug, Clone)]
pub struct Started {
    /// Unix seconds.
    pub at: u64,
    /// The keyed hash of the starting browser's binding cookie (see `http::browser`).
    pub browser: String,
}

/// A validated authorization request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthRequest {
    /// The client.
    pub client_id: String,
    /// The exact registered redirect URI to answer to.
    pub redirect_uri: String,
    /// Whether the request named `redirect_uri` (then the token request must repeat it).
    #[serde(default)]
    pub redirect_uri_sent: bool,
    /// Echoed back.
    pub state: Option<String>,
    /// Requested scopes.
    pub scope: String,
    /// The pod the tokens are for (RFC 8707).
    pub resource: Option<String>,
    /// Requested authorization details (scope shorthands expanded).
    pub details: Vec<GigData>,
    /// PKCE S256 challenge.
    pub code_challenge: String,
    /// OpenID Connect nonce.
    pub nonce: Option<String>,
    /// `prompt=consent`: ask even if a grant covers the request.
    pub force_consent: bool,
    /// When it was made, Unix seconds.
    pub created: u64,
    /// The keyed hash of the binding cookie of the browser that started it: only that browser
    /// may continue it (a request parked before this field existed matches no browser).
    #[serde(default)]
    pub browser: String,
}

/// An issued authorization code's record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthCode {
    /// The request it answers.
    pub request: AuthRequest,
    /// The grant it was issued under.
    pub grant_id: String,
    /// Expiry, Unix seconds.
    pub expires: u64,
    /// Set once exchanged; a second exchange is a replay.
    pub used: bool,
}

/// Why an authorization request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    /// Client or redirect URI cannot be trusted: shown on a page, never redirected.
    Page(String),
    /// Sent back to the registered redirect URI.
    Redirect {
        /// Where.
        redirect_uri: String,
        /// Echoed `state`.
        state: Option<String>,
        /// RFC 6749 error code.
        error: &'static str,
        /// What to fix.
        description: String,
    },
}

/// The scopes a kind of client may ask for.
fn allowed(kind: ClientKind, scope: Scope) -> bool {
    match scope {
        Scope::OpenId | Scope::WebId | Scope::OfflineAccess => kind != ClientKind::ResourceServer,
        Scope::GigWrite => kind == ClientKind::Platform,
        Scope::GigRead | Scope::GigReadSummary => kind == ClientKind::Matcher,
        Scope::PodOwner => kind == ClientKind::WorkerApp,
    }
}

/// Validates `/authorize` parameters against the client's registration.
pub fn validate(
    params: &HashMap<String, String>,
    client: Option<&Client>,
    started: Started,
) -> Result<AuthRequest, AuthorizeError> {
    check_sizes(params)?;
    let client = client.ok_or_else(|| {
        AuthorizeError::Page(match params.get("client_id") {
            None => "The request has no client_id.".into(),
            Some(id) => format!("No application with client_id {id:?} is registered here."),
        })
    })?;
    let redirect_uri = match params.get("redirect_uri") {
        Some(uri) => client.redirect_uri(uri).ok_or_else(|| {
            AuthorizeError::Page(format!(
                "The redirect_uri {uri:?} is not registered for {}; it must match a registered URI exactly.",
                client.name
            ))
        })?,
        None if client.redirect_uris.len() == 1 => &client.redirect_uris[0],
        None => return Err(AuthorizeError::Page("The request has no redirect_uri.".into())),
    }
    .as_str()
    .to_owned();
    let state = params.get("state").cloned();
    let fail = |error: &'static str, description: String| AuthorizeError::Redirect {
        redirect_uri: redirect_uri.clone(),
        state: state.clone(),
        error,
        description,
    };
    if params.contains_key("request") || params.contains_key("request_uri") {
        return Err(fail(
            "request_not_supported",
            "request objects are not supported".into(),
        ));
    }
    match params.get("response_type").map(String::as_str) {
        Some("code") => {}
        other => {
            return Err(fail(
                "unsupported_response_type",
                format!(
                    "response_type must be \"code\" (got {other:?}); the implicit flow is not offered"
                ),
            ));
        }
    }
    let challenge = params.get("code_challenge").cloned().unwrap_or_default();
    if params.get("code_challenge_method").map(String::as_str) != Some("S256") {
        return Err(fail(
            "invalid_request",
            "PKCE is required: send code_challenge with code_challenge_method=S256".into(),
        ));
    }
    if challenge.len() != 43
        || !challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(fail(
            "invalid_request",
            "code_challenge must be the base64url SHA-256 of the code verifier (43 characters)"
                .into(),
        ));
    }
    let scopes = ScopeSet::parse(params.get("scope").map(String::as_str).unwrap_or(""))
        .map_err(|e| fail("invalid_scope", e.to_string()))?;
    if let Some(s) = scopes.iter().find(|s| !allowed(client.kind, *s)) {
        return Err(fail(
            "invalid_scope",
            format!("a {} client may not ask for {s}", client.kind.as_str()),
        ));
    }
    let mut details = match params.get("authorization_details") {
        None => Vec::new(),
        Some(json) => GigData::parse_list(json)
            .map_err(|e| fail("invalid_authorization_details", e.to_string()))?,
    };
    expand_shorthand(&scopes, &mut details);
    check_details_fit_kind(client.kind, &details)
        .map_err(|d| fail("invalid_authorization_details", d))?;
    let needs_resource = [
        Scope::GigWrite,
        Scope::GigRead,
        Scope::GigReadSummary,
        Scope::PodOwner,
    ]
    .iter()
    .any(|s| scopes.contains(*s))
        || !details.is_empty();
    let resource = params.get("resource").cloned();
    if let Some(r) = &resource {
        let ok =
            url::Url::parse(r).is_ok_and(|u| u.fragment().is_none() && u.path().ends_with('/'));
        if !ok {
            return Err(fail(
                "invalid_target",
                format!("resource {r:?} must be the absolute URL of a pod root, ending with '/'"),
            ));
        }
    } else if needs_resource {
        return Err(fail(
            "invalid_target",
            "resource (RFC 8707) is required: the root URL of the worker's pod".into(),
        ));
    }
    Ok(AuthRequest {
        client_id: client.id.to_string(),
        redirect_uri,
        redirect_uri_sent: params.contains_key("redirect_uri"),
        state,
        scope: scopes.to_string(),
        resource,
        details,
        code_challenge: challenge,
        nonce: params.get("nonce").cloned(),
        force_consent: params
            .get("prompt")
            .is_some_and(|p| p.split(' ').any(|p| p == "consent")),
        created: started.at,
        browser: started.browser,
    })
}

/// Refuses a request with a parameter over its [`LIMITS`], on a page: such a request is not
/// parked, and its oversized `state` is not echoed back to the client.
fn check_sizes(params: &HashMap<String, String>) -> Result<(), AuthorizeError> {
    for (name, limit) in LIMITS {
        if let Some(value) = params.get(name).filter(|v| v.len() > limit) {
            return Err(AuthorizeError::Page(format!(
                "The request's {name} is {} bytes; the limit is {limit} bytes.",
                value.len()
            )));
        }
    }
    Ok(())
}

/// `gig:read`, `gig:read:summary` and `gig:write` without details stand for "every platform".
fn expand_shorthand(scopes: &ScopeSet, details: &mut Vec<GigData>) {
    if !details.is_empty() {
        return;
    }
    let shorthand = |action, level| GigData {
        kind: GIG_DATA.into(),
        actions: vec![action],
        locations: Vec::new(),
        platforms: Vec::new(),
        level,
        purpose: None,
        expires: None,
    };
    if scopes.contains(Scope::GigRead) {
        details.push(shorthand(Action::Read, Level::Full));
    } else if scopes.contains(Scope::GigReadSummary) {
        details.push(shorthand(Action::Read, Level::Summary));
    }
    if scopes.contains(Scope::GigWrite) {
        details.push(shorthand(Action::Write, Level::Full));
    }
}

fn check_details_fit_kind(kind: ClientKind, details: &[GigData]) -> Result<(), String> {
    for d in details {
        let ok = match kind {
            ClientKind::Matcher => d.actions == [Action::Read],
            ClientKind::Platform => d.actions == [Action::Write],
            _ => false,
        };
        if !ok {
            return Err(format!(
                "a {} client may not ask for {:?} on gig data",
                kind.as_str(),
                d.actions
            ));
        }
    }
    Ok(())
}

impl AuthRequest {
    /// Whether an existing grant already covers this request (same pod, no wider scopes or details).
    pub fn covered_by(&self, grant: &crate::grant::Grant) -> bool {
        let Ok(requested) = ScopeSet::parse(&self.scope) else {
            return false;
        };
        let Ok(granted) = ScopeSet::parse(&grant.scope) else {
            return false;
        };
        grant.client_id == self.client_id
            && grant.resource == self.resource
            && requested.iter().all(|s| granted.contains(s))
            && self
                .details
                .iter()
                .all(|d| grant.details.iter().any(|g| d.within(g)))
    }
}
