//! The OAuth client side for platforms and matchers: the authorization URL (code flow, PKCE S256,
//! `resource`, `authorization_details`), the callback (checking `state` and `iss`), the code
//! exchange and rotating refreshes — on the `oauth2` crate, over our reqwest + rustls stack.

use std::future::Future;
use std::pin::Pin;

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope,
    TokenResponse, TokenUrl,
};
use op_protocol::authorization::GigData;
use op_protocol::clock::Clock;
use serde::{Deserialize, Serialize};

use crate::error::ConnectorError;
use crate::tokens::Tokens;

/// Why an HTTP call made for the `oauth2` crate failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TransportError(String);

type Call = Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, TransportError>>>>;

/// Adapts our reqwest client to the `oauth2` crate's async HTTP client interface (its own glue
/// would pull a second, older reqwest).
pub fn oauth_http(client: reqwest::Client) -> impl Fn(oauth2::HttpRequest) -> Call {
    move |request: oauth2::HttpRequest| {
        let client = client.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let mut req = client
                .request(parts.method, parts.uri.to_string())
                .body(body);
            for (name, value) in &parts.headers {
                req = req.header(name, value);
            }
            let res = req
                .send()
                .await
                .map_err(|e| TransportError(e.to_string()))?;
            let mut builder = http::Response::builder().status(res.status());
            for (name, value) in res.headers() {
                builder = builder.header(name, value);
            }
            let bytes = res
                .bytes()
                .await
                .map_err(|e| TransportError(e.to_string()))?;
            builder
                .body(bytes.to_vec())
                .map_err(|e| TransportError(e.to_string()))
        }) as Call
    }
}

/// What the hub's discovery document says, as far as clients need it.
#[derive(Debug, Clone, Deserialize)]
pub struct HubMetadata {
    /// The issuer identifier.
    pub issuer: String,
    /// Authorization endpoint.
    pub authorization_endpoint: String,
    /// Token endpoint.
    pub token_endpoint: String,
    /// Revocation endpoint.
    pub revocation_endpoint: Option<String>,
}

/// A registered client of one hub.
#[derive(Debug, Clone)]
pub struct HubClient {
    /// The hub's metadata.
    pub hub: HubMetadata,
    /// This client's id.
    pub client_id: String,
    secret: Option<String>,
    redirect_uri: String,
    http: reqwest::Client,
    clock: Clock,
    refreshing: std::sync::Arc<RefreshTurns>,
}

/// One refresh at a time per token-store key (striped over a fixed set of locks): refresh tokens
/// rotate, and presenting one twice is reuse, which revokes the whole grant.
#[derive(Debug)]
pub struct RefreshTurns([tokio::sync::Mutex<()>; 64]);

impl Default for RefreshTurns {
    fn default() -> Self {
        RefreshTurns(std::array::from_fn(|_| tokio::sync::Mutex::new(())))
    }
}

impl RefreshTurns {
    /// The lock for `key`.
    pub fn of(&self, key: &str) -> &tokio::sync::Mutex<()> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut h);
        &self.0[(h.finish() % 64) as usize]
    }
}

/// What to ask the worker for.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Scopes (`gig:write offline_access` for platforms, `gig:read` for matchers...).
    pub scopes: Vec<String>,
    /// The worker's pod root URL.
    pub pod: String,
    /// Authorization details (which platforms, summary or full, purpose, until when).
    pub details: Vec<GigData>,
}

/// What to keep between sending the worker to the hub and their return (e.g. in the session).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    /// The `state` sent.
    pub state: String,
    /// The PKCE verifier.
    pub verifier: String,
    /// The pod asked for.
    pub pod: String,
}

type Oauth = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

impl HubClient {
    /// Reads the hub's discovery document. Token expiry is reckoned on `clock`.
    pub async fn discover(
        http: reqwest::Client,
        hub: &str,
        client_id: &str,
        secret: Option<&str>,
        redirect_uri: &str,
        clock: Clock,
    ) -> Result<HubClient, ConnectorError> {
        let url = format!(
            "{}{}",
            hub.trim_end_matches('/'),
            op_protocol::routes::HUB_OIDC_DISCOVERY
        );
        let res = http
            .get(&url)
            .send()
            .await
            .map_err(|e| ConnectorError::Unreachable {
                url: url.clone(),
                reason: e.to_string(),
            })?;
        if !res.status().is_success() {
            return Err(ConnectorError::Http {
                method: "GET".into(),
                status: res.status().as_u16(),
                body: String::new(),
                url,
            });
        }
        let hub: HubMetadata = res
            .json()
            .await
            .map_err(|e| ConnectorError::Invalid(format!("{url}: {e}")))?;
        Ok(HubClient {
            hub,
            client_id: client_id.to_owned(),
            secret: secret.map(str::to_owned),
            redirect_uri: redirect_uri.to_owned(),
            http,
            clock,
            refreshing: Default::default(),
        })
    }

    /// The clock this client reckons token expiry on.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Whose turn it is to refresh the tokens stored under each key.
    pub fn refresh_turns(&self) -> &RefreshTurns {
        &self.refreshing
    }

    fn oauth(&self) -> Result<Oauth, ConnectorError> {
        let invalid = |e: url::ParseError| ConnectorError::Invalid(e.to_string());
        let mut client = BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_auth_uri(AuthUrl::new(self.hub.authorization_endpoint.clone()).map_err(invalid)?)
            .set_token_uri(TokenUrl::new(self.hub.token_endpoint.clone()).map_err(invalid)?)
            .set_redirect_uri(RedirectUrl::new(self.redirect_uri.clone()).map_err(invalid)?);
        if let Some(secret) = &self.secret {
            client = client.set_client_secret(ClientSecret::new(secret.clone()));
        }
        Ok(client)
    }

    /// The URL to send the worker to, and what to keep until they come back.
    pub fn authorization_url(
        &self,
        request: &Request,
    ) -> Result<(String, Pending), ConnectorError> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let oauth = self.oauth()?;
        let mut builder = oauth
            .authorize_url(CsrfToken::new_random)
            .add_scopes(request.scopes.iter().cloned().map(Scope::new))
            .add_extra_param("resource", request.pod.clone())
            .set_pkce_challenge(challenge);
        if !request.details.is_empty() {
            let details = serde_json::to_string(&request.details)
                .map_err(|e| ConnectorError::Invalid(e.to_string()))?;
            builder = builder.add_extra_param("authorization_details", details);
        }
        let (url, state) = builder.url();
        Ok((
            url.to_string(),
            Pending {
                state: state.secret().clone(),
                verifier: verifier.secret().clone(),
                pod: request.pod.clone(),
            },
        ))
    }

    /// Handles the redirect back: checks `state` and `iss` (RFC 9207), then exchanges the code.
    pub async fn callback(&self, pending: &Pending, query: &str) -> Result<Tokens, ConnectorError> {
        let params: std::collections::HashMap<String, String> =
            url::form_urlencoded::parse(query.trim_start_matches('?').as_bytes())
                .into_owned()
                .collect();
        if params.get("state").map(String::as_bytes) != Some(pending.state.as_bytes()) {
            return Err(ConnectorError::ResponseMismatch(
                "the state does not match".into(),
            ));
        }
        if params.get("iss") != Some(&self.hub.issuer) {
            return Err(ConnectorError::ResponseMismatch(
                "iss is missing or names another hub".into(),
            ));
        }
        if let Some(error) = params.get("error") {
            return Err(match error.as_str() {
                "access_denied" => ConnectorError::AccessDenied,
                _ => ConnectorError::Hub {
                    code: error.clone(),
                    description: params.get("error_description").cloned().unwrap_or_default(),
                },
            });
        }
        let code = params
            .get("code")
            .ok_or_else(|| ConnectorError::ResponseMismatch("no code".into()))?;
        let http = oauth_http(self.http.clone());
        let response = self
            .oauth()?
            .exchange_code(AuthorizationCode::new(code.clone()))
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
            .request_async(&http)
            .await
            .map_err(token_error)?;
        Ok(Tokens::from_response(
            &response,
            &pending.pod,
            self.clock.now_secs(),
        ))
    }

    /// Exchanges the refresh token for new tokens (the hub rotates it every time).
    pub async fn refresh(&self, tokens: &Tokens) -> Result<Tokens, ConnectorError> {
        let refresh = tokens.refresh_token.as_ref().ok_or_else(|| {
            ConnectorError::Reconnect("no refresh token (ask for offline_access)".into())
        })?;
        let http = oauth_http(self.http.clone());
        let response = self
            .oauth()?
            .exchange_refresh_token(&RefreshToken::new(refresh.clone()))
            .request_async(&http)
            .await
            .map_err(token_error)?;
        let mut fresh = Tokens::from_response(&response, &tokens.pod, self.clock.now_secs());
        if fresh.moved_from.is_none() {
            fresh.moved_from = tokens.moved_from.clone();
        }
        Ok(fresh)
    }
}

fn token_error<T: std::error::Error>(
    e: RequestTokenError<T, oauth2::basic::BasicErrorResponse>,
) -> ConnectorError {
    match e {
        RequestTokenError::ServerResponse(r) => {
            let code = r.error().to_string();
            let description = r.error_description().cloned().unwrap_or_default();
            if code == "invalid_grant" {
                ConnectorError::Reconnect(description)
            } else {
                ConnectorError::Hub { code, description }
            }
        }
        other => ConnectorError::Unreachable {
            url: "token endpoint".into(),
            reason: other.to_string(),
        },
    }
}

impl Tokens {
    /// The tokens of a token response. Their pod is the access token's audience when that is a
    /// pod root (the worker may have moved their data since `pod` was asked for), else `pod`.
    fn from_response(response: &oauth2::basic::BasicTokenResponse, pod: &str, now: u64) -> Tokens {
        let expires_in = response.expires_in().map_or(300, |d| d.as_secs());
        let access_token = response.access_token().secret().clone();
        let audience = crate::session::claims_of(&access_token)
            .and_then(|c| c.get("aud")?.as_str().map(str::to_owned))
            .filter(|aud| is_pod_root(aud));
        Tokens {
            access_token,
            refresh_token: response.refresh_token().map(|r| r.secret().clone()),
            expires_at: now + expires_in,
            moved_from: audience
                .as_deref()
                .filter(|aud| *aud != pod)
                .map(|_| pod.to_owned()),
            pod: audience.unwrap_or_else(|| pod.to_owned()),
            scope: response
                .scopes()
                .map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "))
                .unwrap_or_default(),
        }
    }
}

/// Whether `url` can be a pod root: an absolute http(s) URL ending with `/`, without query or
/// fragment.
fn is_pod_root(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| {
        matches!(u.scheme(), "https" | "http")
            && u.path().ends_with('/')
            && u.query().is_none()
            && u.fragment().is_none()
    })
}
