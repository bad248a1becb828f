//! The client registry: platforms (write), matchers (read), the worker's own apps, and resource
//! servers (pods), with their redirect URIs and how they authenticate.

use serde::{Deserialize, Serialize};
use thiserror::Error;
use url::Url;

use crate::secret::{self, SecretKey};
use crate::table::Table;

/// Clients by id.
pub const CLIENTS: Table<Client> = Table::new(b'c');

/// A client registration is invalid.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ClientError {
    /// The id is not a slug.
    #[error(
        "client id {0:?} must be 3 to 63 lower-case letters, digits and '-', starting with a letter"
    )]
    BadId(String),
    /// A redirect URI is not acceptable.
    #[error("redirect URI {0:?} is not allowed: {1}")]
    BadRedirectUri(String, &'static str),
    /// A client that redirects needs at least one redirect URI.
    #[error("a {0} client needs at least one redirect URI")]
    NoRedirectUri(&'static str),
    /// A home page or logo URL is not acceptable.
    #[error("{0} {1:?} is not allowed: {2}")]
    BadLink(&'static str, String, &'static str),
    /// The name is empty or too long.
    #[error("the client name must be 1 to 100 characters")]
    BadName,
    /// The id is taken.
    #[error("a client with id {0:?} already exists")]
    Exists(String),
}

/// A client id: a slug, because a platform's id names its container in every pod (`/gigs/{id}/`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClientId(String);

impl ClientId {
    /// Validates a client id.
    pub fn parse(id: &str) -> Result<Self, ClientError> {
        let ok = (3..=63).contains(&id.len())
            && id.starts_with(|c: char| c.is_ascii_lowercase())
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(ClientId(id.to_owned()))
        } else {
            Err(ClientError::BadId(id.to_owned()))
        }
    }

    /// The id of a client identified by its Client ID Document: the document's URL, checked by
    /// [`crate::client_document`].
    pub(crate) fn document(url: &str) -> Self {
        ClientId(url.to_owned())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ClientId {
    type Error = ClientError;
    fn try_from(s: String) -> Result<Self, ClientError> {
        ClientId::parse(&s)
    }
}

impl From<ClientId> for String {
    fn from(id: ClientId) -> String {
        id.0
    }
}

impl std::fmt::Display for ClientId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A registered redirect URI: absolute, no fragment, https (or http on a loopback host).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RedirectUri(String);

impl RedirectUri {
    /// Validates a redirect URI for registration.
    pub fn parse(uri: &str) -> Result<Self, ClientError> {
        let bad = |why| ClientError::BadRedirectUri(uri.to_owned(), why);
        let url = Url::parse(uri).map_err(|_| bad("not an absolute URL"))?;
        if url.fragment().is_some() {
            return Err(bad("it has a fragment"));
        }
        check_web_url(&url).map_err(bad)?;
        Ok(RedirectUri(uri.to_owned()))
    }

    /// The URI exactly as registered.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RedirectUri {
    type Error = ClientError;
    fn try_from(s: String) -> Result<Self, ClientError> {
        RedirectUri::parse(&s)
    }
}

impl From<RedirectUri> for String {
    fn from(u: RedirectUri) -> String {
        u.0
    }
}

/// The one rule for every URL a client registers (redirect URIs, home page, logo): `https`, or
/// plain `http` on a loopback host for native apps (RFC 8252 §7.3). Everything else — `javascript:`,
/// `data:`, `vbscript:`, `file:`, private-use schemes — is refused, because the hub sends browsers
/// there (a 303 with the code) or shows them as links.
fn check_web_url(url: &Url) -> Result<(), &'static str> {
    match url.scheme() {
        "https" if url.has_host() => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err("plain http is allowed only on loopback hosts"),
        _ => Err("only https URLs are allowed (plain http on loopback hosts for native apps)"),
    }
}

/// Validates a home page or logo URL with the same rule as redirect URIs.
fn check_link(field: &'static str, value: Option<String>) -> Result<Option<String>, ClientError> {
    let Some(value) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let url = Url::parse(&value)
        .map_err(|_| ClientError::BadLink(field, value.clone(), "not an absolute URL"))?;
    check_web_url(&url).map_err(|why| ClientError::BadLink(field, value.clone(), why))?;
    Ok(Some(value))
}

/// Whether a URL's host is a loopback address or `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// What a client is for; decides the scopes it may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    /// Writes signed records into workers' pods (`gig:write`).
    Platform,
    /// Reads what workers grant (`gig:read`, `gig:read:summary`).
    Matcher,
    /// The worker's own app (`pod:owner`): the dashboard, `opctl`, a generic Solid app.
    WorkerApp,
    /// A pod server: reads the revocation feed and introspects tokens.
    ResourceServer,
}

impl ClientKind {
    /// The kind's name in the CLI and admin API.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::Platform => "platform",
            ClientKind::Matcher => "matcher",
            ClientKind::WorkerApp => "worker_app",
            ClientKind::ResourceServer => "resource_server",
        }
    }
}

impl std::str::FromStr for ClientKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.replace('-', "_").as_str() {
            "platform" => Ok(ClientKind::Platform),
            "matcher" => Ok(ClientKind::Matcher),
            "worker_app" => Ok(ClientKind::WorkerApp),
            "resource_server" => Ok(ClientKind::ResourceServer),
            _ => Err(format!(
                "unknown client kind {s:?}: use platform, matcher, worker_app or resource_server"
            )),
        }
    }
}

/// How a client authenticates at the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum ClientAuth {
    /// A public client (no secret); PKCE is its only protection, as for every client.
    None,
    /// `client_secret_basic`: the keyed hash of a hub-generated secret.
    ClientSecretBasic {
        /// Keyed hash of the secret.
        secret_hash: String,
    },
    /// `private_key_jwt`: a signed assertion verified with the client's JWKS.
    PrivateKeyJwt {
        /// The client's public keys.
        jwks: serde_json::Value,
    },
}

/// A registered client.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Client {
    /// Its id.
    pub id: ClientId,
    /// What it is.
    pub kind: ClientKind,
    /// Name shown on the consent screen.
    pub name: String,
    /// Home page.
    pub homepage: Option<String>,
    /// Logo URL.
    pub logo: Option<String>,
    /// Why it asks for data, shown on the consent screen.
    pub purpose: Option<String>,
    /// Exact redirect URIs.
    pub redirect_uris: Vec<RedirectUri>,
    /// Authentication method.
    pub auth: ClientAuth,
    /// Approved by an operator ("certified").
    pub certified: bool,
    /// Registration time, Unix seconds.
    pub created: u64,
    /// The hub account that registered it on the developer page, if any.
    #[serde(default)]
    pub owner: Option<String>,
}

/// What a registration asks for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    /// Desired id.
    pub id: String,
    /// Kind.
    pub kind: ClientKind,
    /// Display name.
    pub name: String,
    /// Home page.
    #[serde(default)]
    pub homepage: Option<String>,
    /// Logo URL.
    #[serde(default)]
    pub logo: Option<String>,
    /// Purpose text.
    #[serde(default)]
    pub purpose: Option<String>,
    /// Redirect URIs.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// A public client (no secret).
    #[serde(default)]
    pub public: bool,
    /// Use `private_key_jwt` with these keys instead of a secret.
    #[serde(default)]
    pub jwks: Option<serde_json::Value>,
    /// Mark as certified at once (operators only).
    #[serde(default)]
    pub certified: bool,
}

impl NewClient {
    /// Validates the registration; returns the client and, for secret clients, the secret to show once.
    pub fn validate(
        self,
        key: &SecretKey,
        now: u64,
    ) -> Result<(Client, Option<String>), ClientError> {
        let id = ClientId::parse(&self.id)?;
        if self.name.trim().is_empty() || self.name.chars().count() > 100 {
            return Err(ClientError::BadName);
        }
        let redirect_uris = self
            .redirect_uris
            .iter()
            .map(|u| RedirectUri::parse(u))
            .collect::<Result<Vec<_>, _>>()?;
        if redirect_uris.is_empty() && self.kind != ClientKind::ResourceServer {
            return Err(ClientError::NoRedirectUri(self.kind.as_str()));
        }
        let (auth, secret) = match (self.public, self.jwks) {
            (true, _) => (ClientAuth::None, None),
            (false, Some(jwks)) => (ClientAuth::PrivateKeyJwt { jwks }, None),
            (false, None) => {
                let secret = secret::random_token();
                let hash = key.hash(&secret);
                (
                    ClientAuth::ClientSecretBasic { secret_hash: hash },
                    Some(secret),
                )
            }
        };
        let client = Client {
            id,
            kind: self.kind,
            name: self.name.trim().to_owned(),
            homepage: check_link("homepage", self.homepage)?,
            logo: check_link("logo", self.logo)?,
            purpose: self.purpose,
            redirect_uris,
            auth,
            certified: self.certified,
            owner: None,
            created: now,
        };
        Ok((client, secret))
    }
}

impl Client {
    /// Whether `uri` is exactly one of the registered redirect URIs (no prefix or pattern match).
    pub fn redirect_uri(&self, uri: &str) -> Option<&RedirectUri> {
        self.redirect_uris.iter().find(|r| r.as_str() == uri)
    }

    /// Whether the client is confidential.
    pub fn is_confidential(&self) -> bool {
        !matches!(self.auth, ClientAuth::None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_must_be_safe_to_register() {
        assert!(RedirectUri::parse("https://app.example/cb").is_ok());
        assert!(RedirectUri::parse("http://127.0.0.1:9000/cb").is_ok());
        assert!(RedirectUri::parse("http://localhost/cb").is_ok());
        assert!(RedirectUri::parse("http://app.example/cb").is_err());
        for bad in [
            "javascript:alert(document.domain)//",
            "JavaScript://app.example/%0aalert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
            "com.example.app:/cb",
        ] {
            assert!(RedirectUri::parse(bad).is_err(), "{bad}");
        }
        assert!(RedirectUri::parse("https://app.example/cb#frag").is_err());
        assert!(RedirectUri::parse("/relative").is_err());
    }

    #[test]
    fn home_pages_and_logos_follow_the_redirect_uri_rule() {
        let key = SecretKey::new([1; 32]);
        let new = |homepage: &str, logo: &str| NewClient {
            id: "acme".into(),
            kind: ClientKind::Platform,
            name: "Acme".into(),
            homepage: Some(homepage.into()),
            logo: Some(logo.into()),
            purpose: None,
            redirect_uris: vec!["https://acme.example/cb".into()],
            public: true,
            jwks: None,
            certified: false,
        };
        let (client, _) = new("https://acme.example", "https://acme.example/logo.png")
            .validate(&key, 0)
            .unwrap();
        assert_eq!(client.homepage.as_deref(), Some("https://acme.example"));
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "vbscript:x",
            "file:///x",
        ] {
            let e = new(bad, "https://acme.example/logo.png").validate(&key, 0);
            assert!(
                matches!(e, Err(ClientError::BadLink("homepage", ..))),
                "{bad}"
            );
            let e = new("https://acme.example", bad).validate(&key, 0);
            assert!(matches!(e, Err(ClientError::BadLink("logo", ..))), "{bad}");
        }
    }

    #[test]
    fn client_ids_are_slugs() {
        assert!(ClientId::parse("acme-gigs").is_ok());
        for bad in ["ac", "Acme", "1acme", "acme/x", "acme gigs"] {
            assert!(ClientId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn secret_clients_get_a_secret_shown_once_and_stored_hashed() {
        let key = SecretKey::new([1; 32]);
        let new = NewClient {
            id: "acme".into(),
            kind: ClientKind::Platform,
            name: "Acme".into(),
            homepage: None,
            logo: None,
            purpose: None,
            redirect_uris: vec!["https://acme.example/cb".into()],
            public: false,
            jwks: None,
            certified: false,
        };
        let (client, secret) = new.validate(&key, 0).unwrap();
        let secret = secret.unwrap();
        match &client.auth {
            ClientAuth::ClientSecretBasic { secret_hash } => {
                assert!(key.verify(&secret, secret_hash));
                assert!(!secret_hash.contains(&secret));
            }
            other => panic!("{other:?}"),
        }
        assert!(client.redirect_uri("https://acme.example/cb").is_some());
        assert!(
            client
                .redirect_uri("https://acme.example/cb/extra")
                .is_none()
        );
        assert!(client.redirect_uri("https://acme.example/cb?x=1").is_none());
    }
}
