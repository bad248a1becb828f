//! Hub and pod server together on loopback, with registered clients and a scripted browser.

use op_protocol::routes::{HUB_ADMIN_CLIENTS, HUB_CONSENT, HUB_SIGNUP};

use std::collections::HashMap;

use op_hub::RunningHub;
use op_hub::config::{RawConfig as HubConfig, RawPodProvider};
use op_protocol::clock::Clock;

use crate::harness::{ADMIN_TOKEN, client};

/// The hub's admin token in tests.
pub const HUB_ADMIN: &str = "hub-admin-token-0123456789abcdefghijkl";
/// Where clients in tests are redirected (nothing listens there; tests read the Location).
pub const REDIRECT: &str = "http://127.0.0.1:9/callback";

/// A registered client's credentials.
#[derive(Clone, Debug)]
pub struct Registered {
    pub id: String,
    pub secret: Option<String>,
}

/// A hub and a pod server linked as in production: the hub provisions pods on the pod server,
/// and the pod follows the hub over HTTP (discovery, keys, revocation feed) as a resource server.
pub struct Stack {
    pub dir: tempfile::TempDir,
    pub hub: Option<RunningHub>,
    pub pod: Option<op_pod::RunningPod>,
    pub issuer: String,
    pub pod_base: String,
    hub_addr: std::net::SocketAddr,
    pod_addr: std::net::SocketAddr,
    storage: op_store::BackendKind,
    trusted_proxies: Vec<String>,
    pub http: reqwest::Client,
    pub clock: Clock,
    pub platform: Registered,
    pub matcher: Registered,
    pub app: Registered,
    pub resource_server: Registered,
}

impl Stack {
    /// Both servers in memory, on port 0; the hub's clock is manual.
    pub async fn start() -> Stack {
        Self::with_storage(op_store::BackendKind::Memory).await
    }

    /// Both servers on the given storage engine.
    pub async fn with_storage(storage: op_store::BackendKind) -> Stack {
        Self::with_options(storage, Vec::new()).await
    }

    /// Both servers in memory, the hub believing forwarding headers from `trusted_proxies`.
    pub async fn behind_proxies(trusted_proxies: &[&str]) -> Stack {
        let proxies = trusted_proxies.iter().map(|p| p.to_string()).collect();
        Self::with_options(op_store::BackendKind::Memory, proxies).await
    }

    /// Both servers in memory on the system clock, the hub's issuer (and so every WebID it
    /// anchors) at `http://localhost:{port}`: Solid tools accept `http` only for `localhost`.
    pub async fn on_localhost() -> Stack {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let listen = format!("127.0.0.1:{port}");
        let issuer = format!("http://localhost:{port}");
        Self::build(
            op_store::BackendKind::Memory,
            Vec::new(),
            Clock::system(),
            (&listen, Some(issuer)),
        )
        .await
    }

    async fn with_options(storage: op_store::BackendKind, trusted_proxies: Vec<String>) -> Stack {
        let clock = Clock::manual(Clock::system().now_secs());
        Self::build(storage, trusted_proxies, clock, ("127.0.0.1:0", None)).await
    }

    async fn build(
        storage: op_store::BackendKind,
        trusted_proxies: Vec<String>,
        clock: Clock,
        (listen, issuer): (&str, Option<String>),
    ) -> Stack {
        let dir = tempfile::tempdir().unwrap();
        let pod_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let pod_addr = pod_listener.local_addr().unwrap();
        let pod_base = format!("http://{pod_addr}");
        let hub = Self::hub_on(
            dir.path(),
            (listen, issuer),
            storage,
            &pod_base,
            clock.clone(),
            trusted_proxies.clone(),
        )
        .await;
        let mut stack = Stack {
            issuer: hub.issuer.clone(),
            hub_addr: hub.addr,
            hub: Some(hub),
            pod: None,
            pod_base,
            pod_addr,
            storage,
            trusted_proxies,
            dir,
            http: client(),
            clock,
            platform: Registered {
                id: String::new(),
                secret: None,
            },
            matcher: Registered {
                id: String::new(),
                secret: None,
            },
            app: Registered {
                id: String::new(),
                secret: None,
            },
            resource_server: Registered {
                id: String::new(),
                secret: None,
            },
        };
        stack.platform = stack.register("acme", "platform", false).await;
        stack.matcher = stack.register("jobmatch", "matcher", false).await;
        stack.app = stack.register("my-pod-app", "worker_app", true).await;
        stack.resource_server = stack.register("pod-server", "resource_server", false).await;
        stack.pod = Some(stack.pod_on(pod_listener).await);
        stack
    }

    async fn hub_on(
        dir: &std::path::Path,
        (listen, issuer): (&str, Option<String>),
        storage: op_store::BackendKind,
        pod_base: &str,
        clock: Clock,
        trusted_proxies: Vec<String>,
    ) -> RunningHub {
        let config = HubConfig {
            listen: Some(listen.into()),
            issuer,
            data_dir: Some(dir.join("hub")),
            storage: Some(storage),
            admin_token: Some(HUB_ADMIN.into()),
            // No shared secret: the hub signs a service token that the pod accepts because it
            // trusts the hub.
            pod_provider: Some(RawPodProvider {
                url: pod_base.to_owned(),
                admin_token: None,
            }),
            trusted_proxies,
            ..HubConfig::default()
        };
        op_hub::start(config.validate().unwrap(), clock)
            .await
            .unwrap()
    }

    async fn pod_on(&self, listener: std::net::TcpListener) -> op_pod::RunningPod {
        let config = op_pod::config::RawConfig {
            data_dir: Some(self.dir.path().join("pod")),
            storage: Some(self.storage),
            admin_token: Some(ADMIN_TOKEN.into()),
            feed_grace_secs: Some(1),
            trusted_issuer: vec![op_pod::config::RawIssuer {
                issuer: self.issuer.clone(),
                jwks_file: None,
                client_id: Some(self.resource_server.id.clone()),
                client_secret: self.resource_server.secret.clone(),
            }],
            ..op_pod::config::RawConfig::default()
        };
        // The hub's manual clock: grace periods and expiries are crossed by advancing it, not
        // by sleeping.
        op_pod::start_on(config.validate().unwrap(), listener, self.clock.clone())
            .await
            .unwrap()
    }

    /// Stops the hub (its address stays reserved for [`Stack::start_hub`]).
    pub async fn stop_hub(&mut self) {
        if let Some(h) = self.hub.take() {
            h.stop().await;
        }
    }

    /// Starts the hub again on the same address and data.
    pub async fn start_hub(&mut self) {
        let hub = Self::hub_on(
            self.dir.path(),
            (&self.hub_addr.to_string(), Some(self.issuer.clone())),
            self.storage,
            &self.pod_base,
            self.clock.clone(),
            self.trusted_proxies.clone(),
        )
        .await;
        self.hub = Some(hub);
    }

    /// Stops the pod server (its address stays free for [`Stack::start_pod`]).
    pub async fn stop_pod(&mut self) {
        if let Some(p) = self.pod.take() {
            p.stop().await;
        }
    }

    /// Starts the pod server again on the same address and data.
    pub async fn start_pod(&mut self) {
        let listener = std::net::TcpListener::bind(self.pod_addr).unwrap();
        self.pod = Some(self.pod_on(listener).await);
    }

    /// Restarts the pod server on the same address and data.
    pub async fn restart_pod(&mut self) {
        self.stop_pod().await;
        self.start_pod().await;
    }

    /// The root URL of a pod.
    pub fn pod_root(&self, name: &str) -> String {
        format!("{}/{name}/", self.pod_base)
    }

    /// What the hub's introspection endpoint says of `token`, asked as the pod server.
    pub async fn introspect(&self, token: &str) -> serde_json::Value {
        self.http
            .post(format!(
                "{}{}",
                self.issuer,
                op_protocol::routes::HUB_INTROSPECT
            ))
            .basic_auth(
                &self.resource_server.id,
                self.resource_server.secret.as_deref(),
            )
            .form(&[("token", token)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The WebID the hub anchors for a worker.
    pub fn webid(&self, username: &str) -> String {
        format!(
            "{}{}#{}",
            self.issuer,
            op_protocol::routes::hub_person(username),
            op_protocol::routes::WEBID_FRAGMENT
        )
    }

    /// Registers a client through the admin API (platforms certified, as an operator would).
    pub async fn register(&self, id: &str, kind: &str, public: bool) -> Registered {
        self.register_as(id, kind, public, kind == "platform").await
    }

    /// Registers a client through the admin API, certified or not.
    pub async fn register_as(
        &self,
        id: &str,
        kind: &str,
        public: bool,
        certified: bool,
    ) -> Registered {
        let redirects: Vec<&str> = if kind == "resource_server" {
            vec![]
        } else {
            vec![REDIRECT]
        };
        let res = self
            .http
            .post(format!("{}{HUB_ADMIN_CLIENTS}", self.issuer))
            .bearer_auth(HUB_ADMIN)
            .json(&serde_json::json!({
                "id": id, "kind": kind, "name": format!("{id} (test)"), "redirect_uris": redirects,
                "public": public, "certified": certified, "purpose": "Testing"
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let body: serde_json::Value = res.json().await.unwrap();
        Registered {
            id: id.to_owned(),
            secret: body["client_secret"].as_str().map(str::to_owned),
        }
    }

    /// The running hub's state (its store, for counting what requests left behind).
    pub fn hub(&self) -> &op_hub::state::Hub {
        &self.hub.as_ref().expect("the hub is running").hub
    }

    /// Stops both servers.
    pub async fn stop(mut self) {
        self.stop_hub().await;
        if let Some(p) = self.pod.take() {
            p.stop().await;
        }
    }
}

/// A scripted browser: keeps the hub's cookies, submits forms, never follows redirects itself.
pub struct Browser {
    pub http: reqwest::Client,
    cookies: std::collections::BTreeMap<String, String>,
}

/// A response reduced to what tests look at.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Page {
    /// The value of the hidden CSRF field.
    pub fn csrf(&self) -> String {
        field(&self.body, "csrf").expect("a CSRF field")
    }
}

/// The npm project `tests/{folder}` (clients we did not write), if `npm ci --prefix tests/{folder}`
/// has installed it. Otherwise the test says so and is not run, unless `OP_REQUIRE_CLIENTS=1`
/// (CI), which makes it fail.
pub fn npm_project(folder: &str) -> Option<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    if dir.join("node_modules").is_dir() {
        return Some(dir);
    }
    assert_ne!(
        std::env::var("OP_REQUIRE_CLIENTS").as_deref(),
        Ok("1"),
        "required (OP_REQUIRE_CLIENTS=1): npm ci --prefix tests/{folder}"
    );
    eprintln!("not installed (npm ci --prefix tests/{folder}): not run");
    None
}

/// The `value` of the hidden input named `name`.
pub fn field(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &html[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].replace("&amp;", "&"))
}

impl Browser {
    pub fn new() -> Browser {
        Browser {
            http: client(),
            cookies: std::collections::BTreeMap::new(),
        }
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let req = if self.cookies.is_empty() {
            req
        } else {
            req.header("Cookie", self.cookie_header())
        };
        let res = req.send().await.unwrap();
        for value in res.headers().get_all("set-cookie") {
            let v = value.to_str().unwrap();
            let pair = v.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        Page {
            status: res.status().as_u16(),
            location: res
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_owned()),
            headers: res.headers().clone(),
            body: res.text().await.unwrap(),
        }
    }

    /// The browser's cookies as a `Cookie` header value.
    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Drops one cookie, as if it had expired.
    pub fn forget(&mut self, name: &str) {
        self.cookies.remove(name);
    }

    pub async fn get(&mut self, url: &str) -> Page {
        let req = self.http.get(url);
        self.send(req).await
    }

    pub async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> Page {
        let req = self.http.post(url).form(form);
        self.send(req).await
    }

    /// Submits one of the dashboard's forms (to `path`), with the dashboard's CSRF token.
    pub async fn dashboard_form(
        &mut self,
        issuer: &str,
        path: &str,
        form: &[(&str, &str)],
    ) -> Page {
        let dashboard = self.get(&format!("{issuer}/")).await;
        let csrf = dashboard.csrf();
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend_from_slice(form);
        self.post(&format!("{issuer}{path}"), &fields).await
    }

    /// Signs up `username` and stays logged in.
    pub async fn sign_up(&mut self, issuer: &str, username: &str, password: &str) -> Page {
        let page = self.get(&format!("{issuer}{HUB_SIGNUP}")).await;
        let csrf = page.csrf();
        self.post(
            &format!("{issuer}{HUB_SIGNUP}"),
            &[
                ("csrf", &csrf),
                ("username", username),
                ("password", password),
            ],
        )
        .await
    }

    /// Follows the authorization request through login (if needed) and consent; returns the final
    /// redirect to the client, parsed into its query parameters.
    pub async fn authorize(
        &mut self,
        issuer: &str,
        url: &str,
        decision: &str,
    ) -> HashMap<String, String> {
        let mut page = self.get(url).await;
        let mut hops = 0;
        while let Some(location) = page.location.clone() {
            if location.starts_with(REDIRECT) {
                return query_of(&location);
            }
            let next = if location.starts_with('/') {
                format!("{issuer}{location}")
            } else {
                location
            };
            page = self.get(&next).await;
            hops += 1;
            assert!(hops < 5, "too many redirects");
        }
        assert_eq!(page.status, 200, "consent page: {}", page.body);
        let csrf = page.csrf();
        let request = field(&page.body, "request").expect("consent form");
        let answer = self
            .post(
                &format!("{issuer}{HUB_CONSENT}"),
                &[
                    ("csrf", &csrf),
                    ("request", &request),
                    ("decision", decision),
                ],
            )
            .await;
        let location = answer.location.expect("consent redirects to the client");
        assert!(location.starts_with(REDIRECT), "{location}");
        query_of(&location)
    }
}

/// The query parameters of a URL.
pub fn query_of(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// A worker's own pod server with one pod, `name`, trusting the hub at `issuer` exactly as
/// docs/WORKERS.md starts it: no client credentials at the hub (linking hands them over).
pub async fn own_pod(
    issuer: &str,
    dir: &std::path::Path,
    name: &str,
    clock: Clock,
) -> op_pod::RunningPod {
    let config = op_pod::config::RawConfig {
        listen: Some("127.0.0.1:0".into()),
        data_dir: Some(dir.to_owned()),
        storage: Some(op_store::BackendKind::Memory),
        single_pod: Some(name.into()),
        trusted_issuer: vec![op_pod::config::RawIssuer {
            issuer: issuer.to_owned(),
            ..Default::default()
        }],
        ..Default::default()
    };
    op_pod::start(config.validate().unwrap(), clock)
        .await
        .unwrap()
}
