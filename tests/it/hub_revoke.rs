//! Revoking tokens that belong to no grant: a `client_credentials` access token revoked at
//! `/revoke` is inactive at introspection and refused by pods through the revocation feed.

use op_protocol::routes::{HUB_INTROSPECT, HUB_REVOCATIONS, HUB_REVOKE, HUB_TOKEN};

use std::time::{Duration, Instant};

use crate::stack::{Browser, Stack};

#[tokio::test]
async fn a_revoked_client_credentials_token_is_inactive_and_refused_by_the_pod() {
    let stack = Stack::start().await;
    let mut browser = Browser::new();
    let page = browser
        .sign_up(&stack.issuer, "alice", "correct horse battery staple")
        .await;
    assert_eq!(page.status, 303);
    let secret = stack.platform.secret.clone().unwrap();
    let root = stack.pod_root("alice");
    let res = stack
        .http
        .post(format!("{}{HUB_TOKEN}", stack.issuer))
        .basic_auth("acme", Some(&secret))
        .form(&[("grant_type", "client_credentials"), ("resource", &root)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap().to_owned();

    let rs_secret = stack.resource_server.secret.clone().unwrap();
    let active = || async {
        let res = stack
            .http
            .post(format!("{}{HUB_INTROSPECT}", stack.issuer))
            .basic_auth("pod-server", Some(&rs_secret))
            .form(&[("token", token.as_str())])
            .send()
            .await
            .unwrap();
        let body: serde_json::Value = res.json().await.unwrap();
        body["active"].as_bool().unwrap()
    };
    let at_pod = || async {
        let res = stack
            .http
            .get(&root)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    };
    assert!(active().await);
    let (before, _) = at_pod().await;
    assert_ne!(
        before, 401,
        "the token is valid at the pod before revocation"
    );

    // Another client cannot revoke it.
    let res = stack
        .http
        .post(format!("{}{HUB_REVOKE}", stack.issuer))
        .basic_auth("jobmatch", Some(stack.matcher.secret.as_deref().unwrap()))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        active().await,
        "only the client it was issued to revokes it"
    );

    let res = stack
        .http
        .post(format!("{}{HUB_REVOKE}", stack.issuer))
        .basic_auth("acme", Some(&secret))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        !active().await,
        "introspection says inactive after revocation"
    );

    let feed: serde_json::Value = stack
        .http
        .get(format!("{}{HUB_REVOCATIONS}?after=0", stack.issuer))
        .basic_auth("pod-server", Some(&rs_secret))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = feed["revocations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["grant_id"].as_str())
        .collect();
    assert!(ids.iter().any(|id| id.starts_with("jti:")), "{feed}");

    // The pod follows the feed: wait for the entry to arrive (bounded), then it refuses the token.
    let deadline = Instant::now() + Duration::from_secs(10);
    let (status, body) = loop {
        let (status, body) = at_pod().await;
        if status == 401 || Instant::now() > deadline {
            break (status, body);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("revoked"), "{body}");
    stack.stop().await;
}
