//! The worker's pages in a real headless Chromium (driven over WebDriver by chromedriver):
//! sign-up, consent allow and deny, the dashboard, and revoking with confirmation. Screenshots of
//! a failing step are kept under `target/tmp/browser/`.
//!
//! Every page is also checked with axe-core against WCAG 2.1 A and AA when `OP_AXE_JS` names
//! `axe.min.js`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them, and axe-core). Without
//! them the test says so and passes, unless `OP_REQUIRE_BROWSER=1` (set by `.ci/run`) makes it fail.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fantoccini::{Client, ClientBuilder, Locator};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};

use crate::stack::{HUB_ADMIN, Stack, query_of};

const CHROMIUM_ARGS: [&str; 7] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// chromedriver and one Chromium session with a fresh profile; both end when this is dropped.
struct Chromium {
    client: Client,
    _driver: Child,
    _profile: tempfile::TempDir,
    artifacts: PathBuf,
    /// axe-core's source, to audit each page with.
    axe: Option<String>,
}

impl Chromium {
    async fn start() -> Option<Chromium> {
        let found = |name: &str| {
            std::env::var_os("PATH")
                .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
        };
        let required = std::env::var("OP_REQUIRE_BROWSER").as_deref() == Ok("1");
        let axe = std::env::var_os("OP_AXE_JS").map(|p| std::fs::read_to_string(p).unwrap());
        assert!(
            axe.is_some() || !required,
            "OP_AXE_JS must name axe-core's axe.min.js"
        );
        if !found("chromedriver") || !found("chromium") {
            assert!(
                !required,
                "chromium and chromedriver are required: apt-get install chromium chromium-driver"
            );
            eprintln!("browser test skipped: install chromium and chromium-driver to run it");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().unwrap();
        let mut args: Vec<String> = CHROMIUM_ARGS.map(str::to_owned).to_vec();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.push("--window-size=412,915".into()); // a phone's screen
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": "/usr/bin/chromium", "args": args }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut tries = 0;
        let client = loop {
            let builder =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(caps.clone())
                    .connect(&url)
                    .await;
            match builder {
                Ok(client) => break client,
                Err(e) if tries < 100 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("no WebDriver session from chromedriver: {e}"),
            }
        };
        let artifacts = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
        Some(Chromium {
            client,
            _driver: driver,
            _profile: profile,
            artifacts,
            axe,
        })
    }

    async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    /// Types into the field with this `name`.
    async fn fill(&self, name: &str, value: &str) {
        let css = format!("input[name=\"{name}\"]");
        let field = self.client.find(Locator::Css(&css)).await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Clicks the element this CSS selector finds, as a user would.
    async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// The page's visible text; empty while a navigation is under way.
    async fn text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    async fn url(&self) -> String {
        self.client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default()
    }

    /// Audits the current page with axe-core (WCAG 2.1 A and AA rules) and fails on any violation.
    async fn audit(&self, page: &str) {
        let Some(axe) = &self.axe else {
            return;
        };
        self.client.execute(axe, vec![]).await.unwrap();
        let violations = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { runOnly: { type: 'tag',
                     values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
                   .then(r => done(r.violations.map(v => v.id + ': ' + v.help + ' at '
                       + v.nodes.map(n => n.target.join(' ')).join(', '))),
                         e => done(['axe-core failed: ' + e]));",
                vec![],
            )
            .await
            .unwrap();
        let violations: Vec<String> = serde_json::from_value(violations).unwrap();
        if !violations.is_empty() {
            self.fail(&format!("accessible-{page}"), &violations.join("\n"))
                .await;
        }
    }

    /// Waits (up to ten seconds) until the page's URL and text satisfy `ok`, since a click
    /// returns before the navigation it starts has finished; on timeout keeps a screenshot
    /// named after the step and panics.
    async fn expect(&self, step: &str, ok: impl Fn(&str, &str) -> bool) {
        for _ in 0..200 {
            if ok(&self.url().await, &self.text().await) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let text = self.text().await;
        self.fail(step, &text).await;
    }

    /// Keeps a screenshot named after the failed step, then panics with `detail`.
    async fn fail(&self, step: &str, detail: &str) {
        std::fs::create_dir_all(&self.artifacts).unwrap();
        let path = self.artifacts.join(format!("{step}.png"));
        if let Ok(png) = self.client.screenshot().await {
            std::fs::write(&path, png).unwrap();
        }
        panic!(
            "browser step `{step}` failed at {} (screenshot: {}):\n{detail}",
            self.url().await,
            path.display(),
        );
    }
}

/// A loopback page that answers every request with 200, standing in for a client's callback.
async fn callback_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut buf).await;
                let body = "<!doctype html><title>callback</title><p>back at the app";
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}/callback")
}

/// An authorization request for `client_id` with PKCE, as a platform's connector would make.
fn authorize_url(stack: &Stack, client_id: &str, redirect: &str, state: &str) -> String {
    let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect),
            ("scope", "openid gig:write"),
            ("state", state),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("resource", &stack.pod_root("bea")),
        ])
        .finish();
    format!("{}/authorize?{query}", stack.issuer)
}

#[tokio::test]
async fn a_worker_signs_up_consents_denies_and_revokes_in_a_real_browser() {
    let Some(browser) = Chromium::start().await else {
        return;
    };
    let stack = Stack::start().await;
    let callback = callback_server().await;
    let registered = stack
        .http
        .post(format!("{}/admin/clients", stack.issuer))
        .bearer_auth(HUB_ADMIN)
        .json(&serde_json::json!({
            "id": "courier", "kind": "platform", "name": "Courier Co", "redirect_uris": [callback],
            "public": false, "certified": true, "purpose": "Records of your deliveries"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);

    // Sign up: the dashboard greets the new worker.
    let home = format!("{}/", stack.issuer);
    browser.goto(&format!("{}/signup", stack.issuer)).await;
    browser.audit("signup").await;
    browser.fill("username", "bea").await;
    browser.fill("password", "a long enough passphrase").await;
    browser.click("form button[type=submit]").await;
    browser
        .expect("signup-dashboard", |url, text| {
            url == home && text.contains("No app has access")
        })
        .await;
    browser.audit("empty-dashboard").await;

    // Consent, deny: the app is told access_denied, with the state and the hub as issuer.
    browser
        .goto(&authorize_url(&stack, "courier", &callback, "deny-1"))
        .await;
    browser
        .expect("consent-names-the-app", |_, text| {
            text.contains("Courier Co")
        })
        .await;
    browser.audit("consent").await;
    browser.click("button[value=deny]").await;
    browser
        .expect("consent-deny", |url, _| {
            let query = query_of(url);
            url.starts_with(&callback)
                && query.get("error").map(String::as_str) == Some("access_denied")
                && query.get("state").map(String::as_str) == Some("deny-1")
                && query.get("iss") == Some(&stack.issuer)
        })
        .await;

    // Consent, allow: the app gets a code.
    browser
        .goto(&authorize_url(&stack, "courier", &callback, "allow-1"))
        .await;
    browser.click("button[value=allow]").await;
    browser
        .expect("consent-allow", |url, _| {
            let query = query_of(url);
            url.starts_with(&callback)
                && query.contains_key("code")
                && query.get("state").map(String::as_str) == Some("allow-1")
        })
        .await;

    // The dashboard lists the grant; Revoke asks first, Cancel changes nothing.
    let revoke = "button[aria-label=\"Revoke Courier Co\"]";
    browser.goto(&home).await;
    browser
        .expect("dashboard-lists-grant", |_, text| {
            text.contains("Courier Co")
        })
        .await;
    browser.audit("dashboard").await;
    browser.click(revoke).await;
    browser
        .expect("revoke-asks-to-confirm", |url, text| {
            url.ends_with("/revoke") && text.contains("Revoke access for Courier Co?")
        })
        .await;
    browser.audit("confirm-revoke").await;
    browser.click("form a").await;
    browser
        .expect("cancel-keeps-grant", |url, text| {
            url == home && text.contains("Courier Co") && !text.contains("revoked")
        })
        .await;

    // Confirmed: the grant shows as revoked.
    browser.click(revoke).await;
    browser
        .expect("confirm-page", |url, _| url.ends_with("/revoke"))
        .await;
    browser.click("button.primary").await;
    browser
        .expect("revoke-confirmed", |url, text| {
            url == home && text.contains("revoked")
        })
        .await;

    // The backpack, empty for a new worker, and the developer pages are accessible too.
    browser.goto(&format!("{}/backpack", stack.issuer)).await;
    browser
        .expect("backpack", |_, text| text.contains("no records yet"))
        .await;
    browser.audit("backpack").await;
    browser.goto(&format!("{}/developers", stack.issuer)).await;
    browser.audit("developers").await;

    let _ = browser.client.clone().close().await;
    stack.stop().await;
}
