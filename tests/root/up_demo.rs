//! The README's first command, end to end: `openplatforms up --demo` as a real process, then a
//! newcomer's tour in headless Chromium — the demo matcher page asks for access, the demo worker
//! logs in and consents on the hub, the matcher shows the records it read and verified — and
//! Ctrl-C stops it cleanly. Compiled by the root package, which owns the binary.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use op_tests::chromium::Chromium;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test]
async fn up_demo_runs_the_consent_flow_from_the_demo_matcher_page() {
    let Some(browser) =
        Chromium::start(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser")).await
    else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let mut up = Command::new(env!("CARGO_BIN_EXE_openplatforms"))
        .args(["up", "--demo", "--data"])
        .arg(data.path())
        .args(["--hub-listen", "127.0.0.1:0", "--pod-listen", "127.0.0.1:0"])
        .args(["--matcher-listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("openplatforms starts");
    let mut lines = BufReader::new(up.stdout.take().unwrap()).lines();
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
    let matcher = matcher.expect("up --demo prints the demo matcher's address");
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
        .expect("hub-login", |url, _| url.contains("/login"))
        .await;
    browser
        .fill("username", worker["username"].as_str().unwrap())
        .await;
    browser
        .fill("password", worker["password"].as_str().unwrap())
        .await;
    browser.click("form button[type=submit]").await;
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
    let _ = browser.client.clone().close().await;

    // Ctrl-C: a clean stop that says every acknowledged write is on disk.
    let pid = up.id().unwrap().to_string();
    let signalled = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(signalled.success());
    let mut rest = String::new();
    while let Ok(Some(line)) = lines.next_line().await {
        rest.push_str(&line);
        rest.push('\n');
    }
    let status = tokio::time::timeout(Duration::from_secs(30), up.wait())
        .await
        .expect("up stops within 30 s of Ctrl-C")
        .unwrap();
    assert!(status.success(), "{status}: {rest}");
    assert!(
        rest.contains("every acknowledged write is on disk"),
        "{rest}"
    );
}
