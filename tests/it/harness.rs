//! The test harness: a trusted token issuer with a generated key, and pod servers started
//! in-process on 127.0.0.1:0 in temporary directories, reached over real HTTP.

use op_protocol::routes::POD_ADMIN_PODS;

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use op_pod::RunningPod;
use op_pod::config::{Limits, RawConfig, RawIssuer};
use op_pod::store::BackendKind;
use op_protocol::clock::Clock;
use op_protocol::token::AccessClaims;

/// The issuer every test pod trusts.
pub const ISSUER: &str = "https://hub.test";
/// The admin token of every test pod.
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789abcdefghij";

/// A token issuer with an Ed25519 key, standing in for the hub.
pub struct Issuer {
    pub iss: String,
    key: EncodingKey,
    pub kid: String,
    pub jwks_path: PathBuf,
}

impl Issuer {
    /// Generates a key and writes its JWKS into `dir`.
    pub fn new(dir: &Path, iss: &str) -> Issuer {
        let signing = SigningKey::generate(&mut rand::rngs::OsRng);
        let der = signing.to_pkcs8_der().expect("pkcs8");
        let x = URL_SAFE_NO_PAD.encode(signing.verifying_key().to_bytes());
        let kid = format!("k{}", &x[..8]);
        let jwks = serde_json::json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig"}]});
        let jwks_path = dir.join(format!("jwks-{kid}.json"));
        std::fs::write(&jwks_path, jwks.to_string()).unwrap();
        Issuer {
            iss: iss.to_owned(),
            key: EncodingKey::from_ed_der(der.as_bytes()),
            kid,
            jwks_path,
        }
    }

    /// Claims for `aud` with `scope`, valid for five minutes from now.
    pub fn claims(&self, aud: &str, sub: &str, client_id: &str, scope: &str) -> AccessClaims {
        let now = Clock::system().now_secs();
        AccessClaims {
            iss: self.iss.clone(),
            sub: sub.to_owned(),
            aud: aud.to_owned(),
            client_id: client_id.to_owned(),
            scope: scope.to_owned(),
            authorization_details: Vec::new(),
            jti: format!("{:x}", rand::random::<u64>()),
            iat: now,
            exp: now + 300,
            nbf: None,
            grant_id: Some("g1".into()),
            webid: Some(sub.to_owned()),
            cnf: None,
        }
    }

    /// Signs claims as an RFC 9068 access token.
    pub fn sign(&self, claims: &AccessClaims) -> String {
        self.sign_with_typ(claims, "at+jwt")
    }

    /// Signs claims with another JOSE `typ` (to test that only access tokens pass).
    pub fn sign_with_typ(&self, claims: &AccessClaims, typ: &str) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(typ.to_owned());
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key).unwrap()
    }
}

/// Options for a test pod server.
pub struct PodOptions {
    pub storage: BackendKind,
    pub single_pod: Option<String>,
    pub limits: Limits,
    /// Create the pod `alice` at start (hosted mode only).
    pub create_alice: bool,
    /// Where the store lives (default: a fresh temporary folder).
    pub data_dir: Option<std::path::PathBuf>,
}

impl Default for PodOptions {
    fn default() -> Self {
        PodOptions {
            storage: BackendKind::Memory,
            single_pod: None,
            limits: Limits::default(),
            create_alice: true,
            data_dir: None,
        }
    }
}

/// A running pod server with one pod, `alice`, and an HTTP client.
pub struct PodServer {
    running: Option<RunningPod>,
    pub base: String,
    pub client: reqwest::Client,
    pub issuer: Issuer,
    pub dir: tempfile::TempDir,
}

/// An HTTP client for tests; installs the rustls crypto provider once.
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // Below the servers' 5 s keep-alive: a connection idle that long is not reused just as
        // the server closes it (which fails the request with "IncompleteMessage").
        .pool_idle_timeout(std::time::Duration::from_secs(3))
        .build()
        .unwrap()
}

impl PodServer {
    /// Starts a hosted-mode pod server and creates the pod `alice` (unless single-pod).
    pub async fn start(options: PodOptions) -> PodServer {
        let dir = tempfile::tempdir().unwrap();
        let issuer = Issuer::new(dir.path(), ISSUER);
        let raw = RawConfig {
            listen: Some("127.0.0.1:0".into()),
            data_dir: Some(
                options
                    .data_dir
                    .clone()
                    .unwrap_or_else(|| dir.path().join("data")),
            ),
            storage: Some(options.storage),
            single_pod: options.single_pod.clone(),
            admin_token: Some(ADMIN_TOKEN.into()),
            limits: options.limits,
            trusted_issuer: vec![RawIssuer {
                issuer: issuer.iss.clone(),
                jwks_file: Some(issuer.jwks_path.clone()),
                ..RawIssuer::default()
            }],
            ..RawConfig::default()
        };
        let running = op_pod::start(raw.validate().unwrap(), Clock::system())
            .await
            .unwrap();
        let server = PodServer {
            base: running.base_url.clone(),
            running: Some(running),
            client: client(),
            issuer,
            dir,
        };
        if options.single_pod.is_none() && options.create_alice {
            server.create_pod("alice").await;
        }
        server
    }

    /// Starts with default options.
    pub async fn memory() -> PodServer {
        Self::start(PodOptions::default()).await
    }

    /// Creates a pod through the admin API.
    pub async fn create_pod(&self, name: &str) -> reqwest::Response {
        let res = self
            .client
            .post(format!("{}{POD_ADMIN_PODS}", self.base))
            .bearer_auth(ADMIN_TOKEN)
            .json(&serde_json::json!({"name": name}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "creating pod {name}");
        res
    }

    /// The root URL of a pod.
    pub fn root(&self, pod: &str) -> String {
        format!("{}/{pod}/", self.base)
    }

    /// The URL of `path` (starting with `/`) in `alice`'s pod.
    pub fn url(&self, path: &str) -> String {
        format!("{}/alice{path}", self.base)
    }

    /// The WebID of a pod's owner.
    pub fn webid(&self, pod: &str) -> String {
        format!("{}profile/card#me", self.root(pod))
    }

    /// An owner token (scope `pod:owner`) for a pod.
    pub fn owner_token(&self, pod: &str) -> String {
        let claims = self.issuer.claims(
            &self.root(pod),
            &self.webid(pod),
            "worker-app",
            "openid webid pod:owner",
        );
        self.issuer.sign(&claims)
    }

    /// A request with `alice`'s owner token.
    pub fn owner(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(self.owner_token("alice"))
    }

    /// PUTs Turtle as the owner, expecting success.
    pub async fn put_turtle(&self, path: &str, body: &str) -> reqwest::Response {
        let res = self
            .owner(reqwest::Method::PUT, path)
            .header("Content-Type", "text/turtle")
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "PUT {path}: {}", res.status());
        res
    }

    /// Stops the server, letting in-flight requests finish.
    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }
}

/// Sends raw bytes over TCP and returns the status code, so path tricks reach the server
/// exactly as written (HTTP clients normalise dot segments before sending).
pub async fn raw_status(base: &str, request_line_path: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req =
        format!("GET {request_line_path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf);
    text.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}
