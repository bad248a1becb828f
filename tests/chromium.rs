//! A headless Chromium driven over WebDriver by chromedriver, for browser tests: waits for
//! navigations, audits pages with axe-core, and keeps a screenshot of a failing step under
//! a directory the caller names. Shared by the `it` tests and the root package's `up --demo` test.
//!
//! Needs Debian's `chromium` and `chromium-driver`; `OP_AXE_JS` names axe-core's `axe.min.js`
//! (`.ci/run` provides all three). Tests that use it carry [`IGNORED_WITHOUT_BROWSER`]'s
//! attribute, so without them they show as ignored with the reason (see `browser_cfg.rs`).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use tokio::process::{Child, Command};

const CHROMIUM_ARGS: [&str; 7] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// Why a browser test is ignored when the browser is missing (the attribute itself must be
/// spelled at each test: `#[cfg_attr(not(op_browser), ignore = "...")]` with this text).
pub const IGNORED_WITHOUT_BROWSER: &str = "needs chromium, chromium-driver and axe-core: apt-get install chromium chromium-driver, and OP_AXE_JS=/path/to/axe.min.js (.ci/run sets all up)";

/// chromedriver and one Chromium session with a fresh profile; both end when this is dropped,
/// even after a failed step left the session open.
#[derive(Debug)]
pub struct Chromium {
    pub client: Client,
    _driver: Child,
    _profile: tempfile::TempDir,
    artifacts: PathBuf,
    /// axe-core's source, to audit each page with.
    axe: String,
}

impl Drop for Chromium {
    fn drop(&mut self) {
        // chromedriver is killed with its handle; the browser it started would outlive it, so
        // stop every process using this session's profile (and only those).
        let profile = format!("--user-data-dir={}", self._profile.path().display());
        let _ = std::process::Command::new("pkill")
            .args(["-KILL", "-f", "--", &profile])
            .status();
    }
}

impl Chromium {
    /// Starts chromedriver and a session; screenshots of failing steps go to `artifacts`.
    pub async fn start(artifacts: PathBuf) -> Chromium {
        let found = |name: &str| {
            std::env::var_os("PATH")
                .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
        };
        let axe = std::env::var_os("OP_AXE_JS")
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_else(|| {
                panic!("OP_AXE_JS must name axe-core's axe.min.js: {IGNORED_WITHOUT_BROWSER}")
            });
        assert!(
            found("chromedriver") && found("chromium"),
            "{IGNORED_WITHOUT_BROWSER}"
        );
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
                // chromedriver takes a moment to listen.
                Err(_) if tries < 100 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("no WebDriver session from chromedriver: {e}"),
            }
        };
        Chromium {
            client,
            _driver: driver,
            _profile: profile,
            artifacts,
            axe,
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    /// Types into the field with this `name`.
    pub async fn fill(&self, name: &str, value: &str) {
        let css = format!("input[name=\"{name}\"]");
        let field = self.client.find(Locator::Css(&css)).await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Fills a login or sign-up form's username and password and submits it.
    pub async fn submit_credentials(&self, username: &str, password: &str) {
        self.fill("username", username).await;
        self.fill("password", password).await;
        self.click("form button[type=submit]").await;
    }

    /// Clicks the element this CSS selector finds, as a user would.
    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// Whether the page has an element this CSS selector finds.
    pub async fn exists(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_default()
            .is_empty()
    }

    /// The page's visible text; empty while a navigation is under way.
    pub async fn text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    pub async fn url(&self) -> String {
        self.client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default()
    }

    /// Audits the current page with axe-core (WCAG 2.1 A and AA rules) and fails on any violation.
    pub async fn audit(&self, page: &str) {
        self.client.execute(&self.axe, vec![]).await.unwrap();
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
    pub async fn expect(&self, step: &str, ok: impl Fn(&str, &str) -> bool) {
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
    pub async fn fail(&self, step: &str, detail: &str) {
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
