//! The access log cannot be flooded: only requests under a grant of the pod's owner are logged,
//! each entry is capped, and the log keeps a bounded number of events.

use op_pod::config::Limits;
use op_pod::store::BackendKind;
use reqwest::Method;
use tokio::task::JoinSet;

use crate::harness::{PodOptions, PodServer};

/// A token of a matcher that `alice` granted (its subject is alice's WebID).
fn granted(pod: &PodServer) -> String {
    let claims = pod.issuer.claims(
        &pod.root("alice"),
        &pod.webid("alice"),
        "matcher",
        "gig:read",
    );
    pod.issuer.sign(&claims)
}

async fn log_json(pod: &PodServer) -> Vec<serde_json::Value> {
    let res = pod
        .owner(Method::GET, "/log/")
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn log_turtle(pod: &PodServer) -> String {
    let res = pod.owner(Method::GET, "/log/").send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| match e.metadata().unwrap() {
            m if m.is_dir() => dir_bytes(&e.path()),
            m => m.len(),
        })
        .sum()
}

/// Sends `count` requests, 50 at a time, each built by `make`; returns their statuses.
async fn flood(
    count: usize,
    make: impl Fn(usize) -> reqwest::RequestBuilder,
) -> std::collections::BTreeMap<u16, usize> {
    let mut statuses = std::collections::BTreeMap::new();
    for chunk in (0..count).collect::<Vec<_>>().chunks(50) {
        let mut set = JoinSet::new();
        for &i in chunk {
            let req = make(i);
            set.spawn(async move { req.send().await.unwrap().status().as_u16() });
        }
        while let Some(status) = set.join_next().await {
            *statuses.entry(status.unwrap()).or_default() += 1;
        }
    }
    statuses
}

#[tokio::test]
async fn tokens_the_owner_did_not_grant_leave_the_access_log_unchanged() {
    let pod = PodServer::start(PodOptions {
        storage: BackendKind::Redb,
        ..PodOptions::default()
    })
    .await;
    pod.create_pod("bob").await;
    let res = pod
        .client
        .get(pod.url("/gigs/"))
        .bearer_auth(granted(&pod))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "a matcher without details reads nothing");
    let before = log_json(&pod).await;
    assert_eq!(before.len(), 1, "{before:?}");
    let data = pod.dir.path().join("data");
    let bytes_before = dir_bytes(&data);
    // Bob's self-registered client asks the hub for a token naming alice's pod as its resource:
    // a valid token for this pod, but not one alice granted.
    let foreign = pod.issuer.sign(&pod.issuer.claims(
        &pod.root("alice"),
        &pod.webid("bob"),
        "evil",
        "gig:write",
    ));
    // And a token of bob's own grant, for bob's pod.
    let other_pod = pod.issuer.sign(&pod.issuer.claims(
        &pod.root("bob"),
        &pod.webid("bob"),
        "evil",
        "pod:owner",
    ));
    let long = format!("/gigs/{}", format!("{}/", "x".repeat(200)).repeat(9));
    let statuses = flood(1000, |i| {
        let path = if i % 2 == 0 {
            long.as_str()
        } else {
            "/gigs/other/x"
        };
        pod.client
            .put(pod.url(path))
            .header("Content-Type", "text/turtle")
            .bearer_auth(if i < 900 { &foreign } else { &other_pod })
            .body("<#a> <#b> <#c>.")
    })
    .await;
    assert_eq!(
        statuses,
        [(401, 100), (403, 900)].into_iter().collect(),
        "foreign tokens are refused"
    );
    let anonymous = flood(100, |_| pod.client.get(pod.url("/gigs/"))).await;
    assert_eq!(anonymous, [(401, 100)].into_iter().collect());
    assert_eq!(log_json(&pod).await, before, "the log is unchanged");
    assert_eq!(dir_bytes(&data), bytes_before, "nothing was written");
    let turtle = log_turtle(&pod).await;
    assert!(
        turtle.contains("op:unattributedRequests 1000;"),
        "the refused requests are tallied: {turtle}"
    );
    // Should a token alice did not grant ever succeed, that request is logged.
    let res = pod
        .client
        .put(pod.url("/gigs/evil/x"))
        .header("Content-Type", "text/turtle")
        .bearer_auth(&foreign)
        .body("<#a> <#b> <#c>.")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let after = log_json(&pod).await;
    assert_eq!(after.len(), 2);
    assert_eq!(after[0]["client_id"], "evil");
    pod.stop().await;
}

#[tokio::test]
async fn a_long_path_is_logged_capped_with_a_marker() {
    let pod = PodServer::memory().await;
    let long = format!("/gigs/{}", format!("{}/", "x".repeat(200)).repeat(9));
    let res = pod
        .client
        .get(pod.url(&long))
        .bearer_auth(granted(&pod))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let log = log_json(&pod).await;
    assert_eq!(log.len(), 1, "{log:?}");
    let path = log[0]["path"].as_str().unwrap();
    assert!(path.len() <= 256, "{} bytes", path.len());
    assert!(
        path.starts_with("/alice/gigs/") && path.ends_with('…'),
        "{path}"
    );
    assert_eq!(log[0]["client_id"], "matcher");
    assert_eq!(log[0]["status"], 403);
    pod.stop().await;
}

#[tokio::test]
async fn past_the_retention_limit_the_oldest_events_go() {
    let pod = PodServer::start(PodOptions {
        limits: Limits {
            access_log_events: 5,
            ..Limits::default()
        },
        ..PodOptions::default()
    })
    .await;
    let token = granted(&pod);
    for i in 0..8 {
        let res = pod
            .client
            .get(pod.url(&format!("/gigs/{i}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
    }
    let paths: Vec<String> = log_json(&pod)
        .await
        .iter()
        .map(|e| e["path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        paths,
        (3..8)
            .rev()
            .map(|i| format!("/alice/gigs/{i}"))
            .collect::<Vec<_>>()
    );
    pod.stop().await;
}
