//! Solid-OIDC, proven by clients and a server we did not write (`tests/solid-oidc/`, installed by
//! `.ci/run` with `npm ci`): Inrupt's `@inrupt/solid-client-authn-node` logs a worker in at our
//! hub, `@inrupt/solid-client` and rdflib.js use the pod with that login, and an unmodified Community Solid
//! Server accepts our hub's token for the worker's WebID in its WebACL; the worker links their
//! WebID at that server too (naming it on the dashboard), and our pod accepts that server's
//! token for them. The worker's browser steps (login, consent, dashboard) are ours; the script
//! prints what it needs and takes the answer on its stdin. Not installed: the test says so and passes, unless `OP_REQUIRE_CLIENTS=1`.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use op_protocol::routes::HUB_IDENTITY_PROVIDERS;

use crate::stack::{Browser, REDIRECT, Stack};

/// Steps the script reports (`tests/solid-oidc/solid_oidc.mjs`).
const STEPS: usize = 14;

#[tokio::test]
async fn solid_apps_log_in_at_the_hub_and_other_solid_servers_accept_the_login() {
    let Some(dir) = crate::stack::npm_project("solid-oidc") else {
        return;
    };
    let stack = Stack::on_localhost().await;
    let mut browser = Browser::new();
    browser
        .sign_up(&stack.issuer, "alice", "correct horse battery staple")
        .await;
    let created =
        crate::records_verdict::push_for(&stack, &mut browser, &stack.platform, "alice").await;
    let css = CommunitySolidServer::start(&dir).await;
    let root = stack.pod_root("alice");
    let records = format!("{root}gigs/{}/", stack.platform.id);
    let record = format!(
        "{records}{}",
        created.iter().find(|n| *n != "summary").unwrap()
    );
    let config = tempfile::NamedTempFile::new().unwrap();
    let body = serde_json::json!({
        "hub": stack.issuer,
        "redirect": REDIRECT,
        "webid": stack.webid("alice"),
        "pod": root,
        "records": records,
        "record": record,
        "css": css.base,
    });
    std::fs::write(config.path(), body.to_string()).unwrap();
    let mut script = tokio::process::Command::new("node")
        .arg(dir.join("solid_oidc.mjs"))
        .arg(config.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let mut stdin = script.stdin.take().unwrap();
    let mut out = BufReader::new(script.stdout.take().unwrap()).lines();
    let mut steps = Vec::new();
    while let Some(line) = tokio::time::timeout(Duration::from_secs(120), out.next_line())
        .await
        .expect("the script answers within two minutes")
        .unwrap()
    {
        let line: Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("{line}"));
        if let Some(url) = line["authorize"].as_str() {
            // The worker, in their browser: logged in already, they allow the app.
            let answer = browser.authorize(&stack.issuer, url, "allow").await;
            let query = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(answer.iter())
                .finish();
            stdin
                .write_all(format!("{REDIRECT}?{query}\n").as_bytes())
                .await
                .unwrap();
            continue;
        }
        if let Some(register) = line.get("register") {
            // The worker names the server on the dashboard, with the code it asked for.
            let form = [
                ("action", "add"),
                ("issuer", register["issuer"].as_str().unwrap()),
                ("token", register["token"].as_str().unwrap()),
            ];
            let page = browser
                .dashboard_form(&stack.issuer, HUB_IDENTITY_PROVIDERS, &form)
                .await;
            assert_eq!(page.status, 303, "{}", page.body);
            stdin.write_all(b"ok\n").await.unwrap();
            continue;
        }
        steps.push(line);
    }
    assert!(script.wait().await.unwrap().success(), "{steps:#?}");
    let failed: Vec<&Value> = steps.iter().filter(|s| s["ok"] != true).collect();
    assert!(failed.is_empty(), "failed steps: {failed:#?}");
    assert_eq!(steps.len(), STEPS, "{steps:#?}");
    // The hub knew the app by its Client ID Document only, and recorded a Solid login.
    let app = steps[0]["detail"].as_str().unwrap();
    let grants = op_hub::grant::grants_of(&stack.hub().store, "alice").unwrap();
    assert!(
        grants.iter().any(|g| g.client_id == app && g.solid),
        "{app}: {grants:#?}"
    );
    stack.stop().await;
}

/// The Community Solid Server from npm, unmodified: memory storage, WebACL, its own identity
/// provider, on `http://localhost:{port}/`.
struct CommunitySolidServer {
    base: String,
    _process: tokio::process::Child,
}

impl CommunitySolidServer {
    async fn start(dir: &std::path::Path) -> CommunitySolidServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base = format!("http://localhost:{port}/");
        let process = tokio::process::Command::new("node")
            .current_dir(dir)
            .arg("node_modules/@solid/community-server/bin/server.js")
            .args(["-p", &port.to_string(), "-b", &base])
            .args(["-c", "@css:config/default.json", "-l", "warn"])
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("the Community Solid Server starts");
        let http = reqwest::Client::new();
        // Asked by its own name: it answers 500 to a Host header other than its base URL's.
        let ready = format!("{base}.account/");
        for _ in 0..600 {
            if http
                .get(&ready)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return CommunitySolidServer {
                    base,
                    _process: process,
                };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the Community Solid Server did not start within a minute");
    }
}
