//! The pod's revocation follower stays connected: a quiet feed is one long-lived stream kept
//! alive by the hub's keep-alive comments, not a stream cut by a client timeout every few
//! seconds (which left revocations to the fallback path in between), and a pod that cannot
//! follow a discovered hub refuses its tokens instead of trusting them blindly.

use op_protocol::routes::{HUB_REVOKE, HUB_TOKEN};

use std::time::{Duration, Instant};

use crate::stack::{Browser, Stack};

async fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_quiet_feed_stays_one_connection_and_revocations_still_bite() {
    let stack = Stack::start().await;
    let pod = stack.pod.as_ref().unwrap();
    let issuer = pod.state.verifier.issuers()[0].clone();
    wait_for("the pod follows the hub's feed", || {
        issuer.feed.connections() >= 1
    })
    .await;

    // Past any request timeout (10 s) and past the hub's keep-alive period (15 s): real time,
    // because these are socket timeouts, not the servers' clocks.
    tokio::time::sleep(Duration::from_secs(17)).await;
    assert_eq!(
        issuer.feed.connections(),
        1,
        "the feed was cut and reconnected while nothing happened"
    );

    // The same stream still carries revocations.
    let mut browser = Browser::new();
    assert_eq!(
        browser
            .sign_up(&stack.issuer, "alice", "correct horse battery staple")
            .await
            .status,
        303
    );
    let secret = stack.platform.secret.clone().unwrap();
    let root = stack.pod_root("alice");
    let body: serde_json::Value = stack
        .http
        .post(format!("{}{HUB_TOKEN}", stack.issuer))
        .basic_auth("acme", Some(&secret))
        .form(&[("grant_type", "client_credentials"), ("resource", &root)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = body["access_token"].as_str().unwrap().to_owned();
    let at_pod = || async {
        let res = stack
            .http
            .get(&root)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        res.status().as_u16()
    };
    assert_ne!(at_pod().await, 401);
    let res = stack
        .http
        .post(format!("{}{HUB_REVOKE}", stack.issuer))
        .basic_auth("acme", Some(&secret))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let deadline = Instant::now() + Duration::from_secs(5);
    while at_pod().await != 401 {
        assert!(
            Instant::now() < deadline,
            "the revocation did not reach the pod"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(issuer.feed.connections(), 1);
    stack.stop().await;
}
