//! The README's first command, end to end: `openplatforms up --demo` as a real process, then a
//! newcomer's tour in headless Chromium — the demo matcher page asks for access, the demo worker
//! logs in and consents on the hub, the matcher shows the records it read and verified — and
//! Ctrl-C stops it cleanly. Compiled by the root package, which owns the binary.

use op_protocol::routes::{HUB_AUTHORIZE, HUB_BACKPACK, HUB_LOGIN};

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use op_tests::chromium::Chromium;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

#[tokio::test]
#[cfg_attr(
    not(op_browser),
    ignore = "needs chromium, chromium-driver and axe-core: apt-get install chromium chromium-driver, and OP_AXE_JS=/path/to/axe.min.js (.ci/run sets all up)"
)]
async fn up_demo_runs_the_consent_flow_from_the_demo_matcher_page() {
    let browser = Chromium::start(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser")).await;
    let data = tempfile::tempdir().unwrap();
    let up = Up::start(data.path(), "127.0.0.1:0", "127.0.0.1:0").await;
    let matcher = up.matcher.clone();
    let demo: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.path().join("demo.json")).unwrap()).unwrap();
    let worker = &demo["worker"];

    // The matcher page asks for access; the hub asks the worker to log in, then to consent.
    browser.goto(&matcher).await;
    browser
        .expect("matcher-home", |_, text| text.contains("Nothing read yet"))
        .await;
    browser.audit("demo-matcher").await;
    browser.click("a[href=start]").await;
    browser
        .expect("hub-login", |url, _| url.contains(HUB_LOGIN))
        .await;
    browser.audit("login").await;
    browser
        .submit_credentials(
            worker["username"].as_str().unwrap(),
            worker["password"].as_str().unwrap(),
        )
        .await;
    browser
        .expect("consent", |_, text| {
            text.contains("Seeing how the demo works")
        })
        .await;
    browser.click("button[value=allow]").await;

    // Back at the matcher: the worker's records, each verified by the matcher itself.
    browser
        .expect("matcher-verified", |url, text| {
            url.starts_with(&matcher)
                && text.contains("What the worker shared")
                && text.contains("✓ verified")
                && !text.contains("✗")
        })
        .await;
    browser.audit("demo-matcher-results").await;

    // The worker's side, with real data: the backpack, the dashboard with the matcher's reads,
    // both languages, and an error page.
    let hub = demo["hub_url"].as_str().unwrap();
    browser.goto(&format!("{hub}{HUB_BACKPACK}")).await;
    browser
        .expect("backpack-with-records", |_, text| text.contains("verified"))
        .await;
    let records = browser.text().await.matches("✓").count();
    browser.audit("backpack-with-records").await;
    browser.goto(&format!("{hub}/")).await;
    browser
        .expect("dashboard-with-reads", |_, text| {
            // The demo platform that wrote the records holds a grant, and its writes are logged.
            text.contains("Who accessed your pod")
                && text.contains("Demo Platform")
                && text.contains("Demo Matcher")
                && text.contains("You gave Demo Platform access.")
                && text.contains("PUT /demo-worker/gigs/demo-platform/")
                && !text.contains("No app has access")
        })
        .await;
    browser.audit("dashboard-with-reads").await;
    browser.click("header a").await;
    browser
        .expect("dashboard-in-swedish", |_, text| {
            text.contains("In English") && text.contains("Du gav Demo Platform åtkomst.")
        })
        .await;
    // The demo platform's redirect URI shows a page that says what to do with the code.
    let platform_callback = demo["platform"]["redirect_uri"].as_str().unwrap();
    browser
        .goto(&format!("{platform_callback}?code=abc&state=xyz"))
        .await;
    browser
        .expect("platform-callback-page", |_, text| {
            text.contains("Back from the hub") && text.contains("opctl platform link")
        })
        .await;
    browser.audit("platform-callback-page").await;
    browser.audit("dashboard-in-swedish").await;
    browser
        .goto(&format!("{hub}{HUB_AUTHORIZE}?client_id=nobody"))
        .await;
    browser
        .expect("error-page", |_, text| text.contains("nobody"))
        .await;
    browser.audit("error-page").await;

    up.interrupt().await;

    // Started again on the same data and addresses (WebIDs and pod URLs are URLs, so a stack
    // keeps its ports), the demo is seeded idempotently: same credentials, no duplicated records.
    let before = std::fs::read(data.path().join("demo.json")).unwrap();
    let authority = |url: &str| url.split('/').nth(2).unwrap().to_owned();
    let again = Up::start(
        data.path(),
        &authority(demo["hub_url"].as_str().unwrap()),
        &authority(demo["pod_url"].as_str().unwrap()),
    )
    .await;
    assert_eq!(
        std::fs::read(data.path().join("demo.json")).unwrap().len(),
        before.len(),
        "demo.json keeps its shape"
    );
    let again_demo: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.path().join("demo.json")).unwrap()).unwrap();
    assert_eq!(again_demo["worker"]["password"], demo["worker"]["password"]);
    assert_eq!(
        again_demo["matcher"]["client_secret"],
        demo["matcher"]["client_secret"]
    );
    let hub = again_demo["hub_url"].as_str().unwrap();
    browser.goto(&format!("{hub}{HUB_LOGIN}")).await;
    browser
        .submit_credentials(
            worker["username"].as_str().unwrap(),
            worker["password"].as_str().unwrap(),
        )
        .await;
    browser
        .expect("login-again", |url, _| !url.contains(HUB_LOGIN))
        .await;
    browser.goto(&format!("{hub}{HUB_BACKPACK}")).await;
    browser
        .expect("same-records-after-restart", |_, text| {
            text.matches("✓").count() == records
        })
        .await;
    let _ = browser.client.clone().close().await;
    again.interrupt().await;
}

/// `openplatforms up --demo` running as a process, with what it printed so far.
struct Up {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    matcher: String,
}

impl Up {
    /// Starts it with these hub and pod addresses (port 0: a free port) and waits until it says
    /// it is ready.
    async fn start(data: &Path, hub: &str, pod: &str) -> Up {
        let mut child = Command::new(env!("CARGO_BIN_EXE_openplatforms"))
            .args(["up", "--demo", "--data"])
            .arg(data)
            .args(["--hub-listen", hub, "--pod-listen", pod])
            .args(["--matcher-listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("openplatforms starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut matcher = None;
        let started = tokio::time::timeout(Duration::from_secs(300), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(rest) = line.trim().strip_prefix("demo matcher ") {
                    matcher = rest.split_whitespace().next().map(str::to_owned);
                }
                if line.contains("Press Ctrl-C to stop.") {
                    return;
                }
            }
            panic!("up --demo exited before it was ready");
        })
        .await;
        assert!(started.is_ok(), "up --demo did not get ready");
        Up {
            child,
            lines,
            matcher: matcher.expect("up --demo prints the demo matcher's address"),
        }
    }

    /// Ctrl-C: a clean stop that says every acknowledged write is on disk.
    async fn interrupt(mut self) {
        let pid = self.child.id().unwrap().to_string();
        let signalled = std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap();
        assert!(signalled.success());
        let mut rest = String::new();
        while let Ok(Some(line)) = self.lines.next_line().await {
            rest.push_str(&line);
            rest.push('\n');
        }
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("up stops within 30 s of Ctrl-C")
            .unwrap();
        assert!(status.success(), "{status}: {rest}");
        assert!(
            rest.contains("every acknowledged write is on disk"),
            "{rest}"
        );
    }
}
