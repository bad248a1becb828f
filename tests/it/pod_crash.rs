//! Crash safety: SIGKILL the real `op-pod` process under concurrent writes, restart it, and
//! check that every acknowledged write is intact and that listings match the resources.

use op_protocol::routes::POD_ADMIN_PODS;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::harness::{ADMIN_TOKEN, ISSUER, Issuer, client};

struct Process {
    child: Child,
    base: String,
}

async fn spawn(dir: &std::path::Path, issuer: &Issuer) -> Process {
    let mut child = Command::new(env!("CARGO_BIN_EXE_op-pod-under-test"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--storage",
            "redb",
            "--data",
        ])
        .arg(dir.join("data"))
        .arg("--trust")
        .arg(format!("{ISSUER}={}", issuer.jwks_path.display()))
        .env("OP_POD_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("OP_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("start op-pod");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("op-pod printed its address in time")
        .unwrap()
        .expect("a line on stdout");
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("an URL in the start line")
        .to_owned();
    Process { child, base }
}

#[tokio::test]
async fn acknowledged_writes_survive_sigkill_and_listings_stay_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let issuer = Issuer::new(dir.path(), ISSUER);
    let http = client();
    let mut first = spawn(dir.path(), &issuer).await;
    let res = http
        .post(format!("{}{POD_ADMIN_PODS}", first.base))
        .bearer_auth(ADMIN_TOKEN)
        .json(&serde_json::json!({"name": "alice"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let root = format!("{}/alice/", first.base);
    let token =
        issuer.sign(&issuer.claims(&root, &format!("{root}profile/card#me"), "app", "pod:owner"));

    // Eight writers PUT new and replaced records as fast as they can; each remembers what was acknowledged.
    let (ack_tx, mut ack_rx) = tokio::sync::mpsc::unbounded_channel::<(String, String)>();
    let mut writers = Vec::new();
    for w in 0..8 {
        let (http, token, root, ack_tx) =
            (http.clone(), token.clone(), root.clone(), ack_tx.clone());
        writers.push(tokio::spawn(async move {
            for i in 0..100_000u32 {
                let path = format!("crash/w{w}/r{}", i % 150);
                let body = format!("<#r> <#writer> \"{w}\"; <#seq> {i} .\n");
                let sent = http
                    .put(format!("{root}{path}"))
                    .bearer_auth(&token)
                    .header("Content-Type", "text/turtle")
                    .body(body.clone())
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await;
                match sent {
                    Ok(res) if res.status().is_success() => {
                        let _ = ack_tx.send((path, body));
                    }
                    _ => return,
                }
            }
        }));
    }
    drop(ack_tx);
    // Let the load run, then kill the process without warning.
    let mut acked: BTreeMap<String, String> = BTreeMap::new();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(1500);
    while tokio::time::Instant::now() < deadline {
        if let Ok(Some((path, body))) =
            tokio::time::timeout(Duration::from_millis(50), ack_rx.recv()).await
        {
            acked.insert(path, body);
        }
    }
    first.child.start_kill().unwrap(); // SIGKILL on Unix.
    first.child.wait().await.unwrap();
    for w in writers {
        let _ = w.await;
    }
    while let Some((path, body)) = ack_rx.recv().await {
        acked.insert(path, body);
    }
    assert!(
        acked.len() > 50,
        "the load ran before the kill ({} acknowledged)",
        acked.len()
    );

    let second = spawn(dir.path(), &issuer).await;
    let root2 = format!("{}/alice/", second.base);
    let token2 = issuer.sign(&issuer.claims(
        &root2,
        &format!("{root2}profile/card#me"),
        "app",
        "pod:owner",
    ));
    // Every acknowledged write is present, with the last acknowledged body or a later one.
    for (path, body) in &acked {
        let res = http
            .get(format!("{root2}{path}"))
            .bearer_auth(&token2)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path} was acknowledged but is missing");
        let stored = res.text().await.unwrap();
        let seq = |b: &str| {
            b.rsplit("<#seq> ")
                .next()
                .unwrap()
                .trim_end_matches(" .\n")
                .parse::<u32>()
                .unwrap()
        };
        assert!(
            stored.starts_with("<#r> <#writer>"),
            "{path} is torn: {stored:?}"
        );
        assert!(seq(&stored) >= seq(body), "{path} went back in time");
    }
    // Every container lists exactly the resources that exist.
    for w in 0..8 {
        let container = format!("{root2}crash/w{w}/");
        let res = http
            .get(&container)
            .bearer_auth(&token2)
            .header("Accept", "application/n-triples")
            .send()
            .await
            .unwrap();
        if res.status() == 404 {
            assert!(!acked.keys().any(|p| p.starts_with(&format!("crash/w{w}/"))));
            continue;
        }
        let listing = res.text().await.unwrap();
        let listed: BTreeSet<String> = listing
            .lines()
            .filter(|l| l.contains("ldp#contains"))
            .filter_map(|l| {
                l.rsplit('<')
                    .next()
                    .map(|s| s.trim_end_matches("> .").to_owned())
            })
            .collect();
        for i in 0..150 {
            let url = format!("{container}r{i}");
            let exists = http
                .get(&url)
                .bearer_auth(&token2)
                .send()
                .await
                .unwrap()
                .status()
                == 200;
            assert_eq!(
                listed.contains(&url),
                exists,
                "{url}: listed {} vs exists {exists}",
                listed.contains(&url)
            );
        }
    }
    drop(second);
}

/// SIGTERM while a client is in the middle of an upload (and another connection sits idle):
/// the process must still exit, within the 10 s it gives in-flight requests plus a margin, and
/// with success.
#[tokio::test]
async fn sigterm_with_a_request_in_flight_exits_within_a_bounded_time() {
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().unwrap();
    let issuer = Issuer::new(dir.path(), ISSUER);
    let http = client();
    let mut pod = spawn(dir.path(), &issuer).await;
    let res = http
        .post(format!("{}{POD_ADMIN_PODS}", pod.base))
        .bearer_auth(ADMIN_TOKEN)
        .json(&serde_json::json!({"name": "alice"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let root = format!("{}/alice/", pod.base);
    let token =
        issuer.sign(&issuer.claims(&root, &format!("{root}profile/card#me"), "app", "pod:owner"));
    let addr = pod.base.trim_start_matches("http://").to_owned();
    // A PUT that announces 100 KB and sends a few bytes: the handler waits for the rest.
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "PUT /alice/slow HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: text/turtle\r\nContent-Length: 100000\r\n\r\n<#a> <#b> "
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    let _idle = tokio::net::TcpStream::connect(&addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = pod.child.id().expect("op-pod is running").to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let started = tokio::time::Instant::now();
    let status = tokio::time::timeout(Duration::from_secs(20), pod.child.wait())
        .await
        .expect("op-pod exited within 20 s of SIGTERM")
        .unwrap();
    let took = started.elapsed();
    assert!(status.success(), "op-pod exited with {status}");
    assert!(took < Duration::from_secs(15), "shutdown took {took:?}");
    drop(slow);
}
