//! Logging in with an upstream OpenID Connect provider — a national e-ID broker, say — that the
//! operator configured (`[[upstream_login]]`), alongside passwords.
//!
//! A worker links their identity there to their account once, from the dashboard (logged in
//! with their password), and from then on may log in with it. The hub is the provider's relying
//! party: authorization code with PKCE (S256), `state` bound to the browser and used once, a
//! `nonce`, the `iss` response parameter checked (RFC 9207), and the ID token's signature,
//! issuer, audience, expiry and nonce checked against the provider's published keys. An
//! identity that is linked to no account logs no one in: accounts are not made from upstream
//! logins (a worker signs up, then links).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use op_protocol::routes;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::account::ACCOUNTS;
use crate::state::Hub;
use crate::table::Table;

/// Logins on their way to the provider, by the keyed hash of their `state`.
pub const PENDING_LOGINS: Table<PendingLogin> = Table::new(b'x');
/// Linked identities: `{issuer} {subject}` → username.
pub const LINKED: Table<String> = Table::new(b'y');
/// How long a login may stay at the provider, seconds.
pub const PENDING_SECS: u64 = 600;
/// ID token signature algorithms accepted from providers.
const ALGORITHMS: [jsonwebtoken::Algorithm; 5] = [
    jsonwebtoken::Algorithm::RS256,
    jsonwebtoken::Algorithm::PS256,
    jsonwebtoken::Algorithm::ES256,
    jsonwebtoken::Algorithm::ES384,
    jsonwebtoken::Algorithm::EdDSA,
];

/// An upstream provider as configured.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    /// Shown on the login page: "Log in with {name}".
    pub name: String,
    /// The provider's issuer identifier.
    pub issuer: String,
    /// The hub's client id there.
    pub client_id: String,
    /// The hub's client secret there (`client_secret_basic`).
    pub client_secret: String,
}

impl Provider {
    /// Checks a configured provider; the error names the entry.
    pub fn validate(mut self) -> Result<Provider, String> {
        let at = format!("upstream_login {:?}", self.name);
        if self.name.trim().is_empty() || self.name.chars().count() > 60 {
            return Err("upstream_login: name must be 1 to 60 characters".into());
        }
        let url = url::Url::parse(&self.issuer).map_err(|e| format!("{at}: issuer: {e}"))?;
        let loopback = crate::client::is_loopback(&url);
        if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
            return Err(format!(
                "{at}: issuer must use https (plain http only on loopback)"
            ));
        }
        if self.client_id.is_empty() || self.client_secret.is_empty() {
            return Err(format!("{at}: client_id and client_secret are required"));
        }
        self.issuer = self.issuer.trim_end_matches('/').to_owned();
        Ok(self)
    }
}

/// A login on its way to the provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    /// The provider's issuer.
    pub issuer: String,
    /// The ID token must echo it.
    pub nonce: String,
    /// The PKCE verifier.
    pub verifier: String,
    /// The browser that started it.
    pub browser: String,
    /// The parked authorization request to continue afterwards, if any.
    pub next: Option<String>,
    /// The account to link the identity to (the dashboard's "link"), or `None` to log in.
    pub link_to: Option<String>,
    /// When it started.
    pub created: u64,
}

/// What a finished upstream login does.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Log this worker in, then continue to `next`.
    LogIn(String, Option<String>),
    /// The identity is now linked to the account.
    Linked,
}

/// Why an upstream login failed, in words for the login page.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// The request does not fit a login this browser started.
    #[error("{0}")]
    Refused(String),
    /// The identity is linked to no account here.
    #[error(
        "no account here is linked to that {0} login yet: log in with your password, then link it on your dashboard"
    )]
    NotLinked(String),
    /// The provider failed or answered something unusable.
    #[error("the login at {0} could not be completed: {1}")]
    Provider(String, String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] op_store::StoreError),
}

/// The provider's endpoints (OpenID Connect Discovery).
#[derive(Debug, Deserialize)]
struct Metadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

async fn discover(hub: &Hub, provider: &Provider) -> Result<Metadata, UpstreamError> {
    let failed = |e: String| UpstreamError::Provider(provider.name.clone(), e);
    let url = format!("{}{}", provider.issuer, routes::HUB_OIDC_DISCOVERY);
    let metadata: Metadata = serde_json::from_value(
        op_document::get_json(&hub.http, &url, None)
            .await
            .map_err(failed)?,
    )
    .map_err(|e| failed(format!("its discovery document: {e}")))?;
    if metadata.issuer.trim_end_matches('/') != provider.issuer {
        return Err(failed("its discovery document names another issuer".into()));
    }
    Ok(metadata)
}

/// Parks a login and returns the provider's authorization URL to send the browser to.
pub async fn start(
    hub: &Hub,
    provider: &Provider,
    browser: String,
    next: Option<String>,
    link_to: Option<String>,
) -> Result<String, UpstreamError> {
    let metadata = discover(hub, provider).await?;
    let (state, nonce) = (crate::secret::random_token(), crate::secret::random_token());
    let verifier = crate::secret::random_token();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let mut url = url::Url::parse(&metadata.authorization_endpoint)
        .map_err(|e| UpstreamError::Provider(provider.name.clone(), e.to_string()))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &provider.client_id)
        .append_pair(
            "redirect_uri",
            &hub.url(routes::HUB_LOGIN_UPSTREAM_CALLBACK),
        )
        .append_pair("scope", "openid")
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let pending = PendingLogin {
        issuer: provider.issuer.clone(),
        nonce,
        verifier,
        browser,
        next,
        link_to,
        created: hub.now(),
    };
    let key = hub.secret.hash(&state);
    hub.store
        .write(move |tx| {
            PENDING_LOGINS.put(tx, &key, &pending);
            Ok::<_, op_store::StoreError>(())
        })
        .await?;
    Ok(url.into())
}

/// The provider's answer (`GET /login/upstream/callback`).
#[derive(Debug, Deserialize)]
pub struct Answer {
    /// The code, on success.
    pub code: Option<String>,
    /// The parked login.
    pub state: Option<String>,
    /// The provider's issuer (RFC 9207).
    pub iss: Option<String>,
    /// The provider's error, on failure.
    pub error: Option<String>,
}

/// Finishes a login: the parked state (spent now, whatever happens), the code exchanged, the ID
/// token checked, and the identity logged in or linked. `browser_of` tells whether this browser
/// started the login; `logged_in` is who is logged in on it now.
pub async fn finish(
    hub: &Hub,
    providers: &[Provider],
    answer: Answer,
    started_here: impl Fn(&str) -> bool,
    logged_in: Option<&str>,
) -> Result<Outcome, UpstreamError> {
    let refused = |m: &str| UpstreamError::Refused(m.to_owned());
    let state = answer
        .state
        .ok_or_else(|| refused("the provider's answer has no state"))?;
    let key = hub.secret.hash(&state);
    let pending = hub
        .store
        .write(move |tx| {
            let found = PENDING_LOGINS.get_tx(tx, &key)?;
            PENDING_LOGINS.remove(tx, &key);
            Ok::<_, op_store::StoreError>(found)
        })
        .await?
        .filter(|p| p.created + PENDING_SECS > hub.now())
        .ok_or_else(|| refused("this login has expired or was already used: start again"))?;
    if !started_here(&pending.browser) {
        return Err(refused(
            "this login was started in another browser: start again in this one",
        ));
    }
    let provider = providers
        .iter()
        .find(|p| p.issuer == pending.issuer)
        .ok_or_else(|| refused("that provider is no longer configured"))?;
    if answer
        .iss
        .as_deref()
        .is_some_and(|iss| iss.trim_end_matches('/') != provider.issuer)
    {
        return Err(refused("the answer comes from another provider (iss)"));
    }
    if let Some(error) = answer.error {
        return Err(UpstreamError::Provider(provider.name.clone(), error));
    }
    let code = answer
        .code
        .ok_or_else(|| refused("the provider's answer has no code"))?;
    let subject = crate::upstream_token::subject(hub, provider, &code, &pending).await?;
    let id = format!("{} {subject}", provider.issuer);
    match pending.link_to {
        Some(username) => {
            if logged_in != Some(username.as_str()) {
                return Err(refused("log in to the account you are linking first"));
            }
            link(hub, id, provider.issuer.clone(), username).await?;
            Ok(Outcome::Linked)
        }
        None => match LINKED.get(&hub.store, &id)? {
            Some(username) => Ok(Outcome::LogIn(username, pending.next)),
            None => Err(UpstreamError::NotLinked(provider.name.clone())),
        },
    }
}

/// Links `id` to `username`'s account (replacing their earlier link at the same provider).
async fn link(
    hub: &Hub,
    id: String,
    issuer: String,
    username: String,
) -> Result<(), UpstreamError> {
    let outcome = hub
        .store
        .write(move |tx| {
            if let Some(other) = LINKED.get_tx(tx, &id)?
                && other != username
            {
                return Ok(Err("that login is linked to another account here"));
            }
            let Some(mut account) = ACCOUNTS.get_tx(tx, &username)? else {
                return Ok(Err("the account no longer exists"));
            };
            for old in account
                .upstream_logins
                .iter()
                .filter(|l| l.starts_with(&format!("{issuer} ")))
            {
                LINKED.remove(tx, old);
            }
            account
                .upstream_logins
                .retain(|l| !l.starts_with(&format!("{issuer} ")));
            account.upstream_logins.push(id.clone());
            LINKED.put(tx, &id, &username);
            ACCOUNTS.put(tx, &username.clone(), &account);
            Ok::<_, op_store::StoreError>(Ok(()))
        })
        .await?;
    outcome.map_err(|m| UpstreamError::Refused(m.to_owned()))
}

/// Removes `username`'s link at `issuer`.
pub async fn unlink(hub: &Hub, issuer: String, username: String) -> Result<(), UpstreamError> {
    hub.store
        .write(move |tx| {
            if let Some(mut account) = ACCOUNTS.get_tx(tx, &username)? {
                let prefix = format!("{issuer} ");
                for old in account
                    .upstream_logins
                    .iter()
                    .filter(|l| l.starts_with(&prefix))
                {
                    LINKED.remove(tx, old);
                }
                account.upstream_logins.retain(|l| !l.starts_with(&prefix));
                ACCOUNTS.put(tx, &username.clone(), &account);
            }
            Ok::<_, op_store::StoreError>(())
        })
        .await?;
    Ok(())
}

/// Whether `account` is linked at `issuer`.
pub fn is_linked(account: &crate::account::Account, issuer: &str) -> bool {
    account
        .upstream_logins
        .iter()
        .any(|l| l.starts_with(&format!("{issuer} ")))
}

/// The algorithms an upstream ID token may be signed with.
pub fn algorithms() -> &'static [jsonwebtoken::Algorithm] {
    &ALGORITHMS
}

/// The provider's metadata, for the token exchange.
pub(crate) async fn endpoints(
    hub: &Hub,
    provider: &Provider,
) -> Result<(String, String), UpstreamError> {
    let m = discover(hub, provider).await?;
    Ok((m.token_endpoint, m.jwks_uri))
}
