//! The clock stepping forward and back (issue 13), on the hub and the pod at once (the stack's
//! one manual clock): tokens that expired or are "not valid yet" are refused with a reason and
//! the connector recovers by itself with a refresh; nothing that is not time-bound comes back —
//! a revoked grant stays revoked and a rotated refresh token stays spent.

use std::time::Duration;

use op_connector::session::Session;
use op_connector::tokens::{MemoryTokenStore, TokenStore};
use op_protocol::routes::HUB_TOKEN;

use crate::records_status::{link, platform};
use crate::stack::{Browser, Stack};

const EXPORT: &str = include_str!("../../protocol/tests/data/gig-export.json");

#[tokio::test]
async fn tokens_follow_the_clock_forward_and_back_and_nothing_revoked_or_spent_returns() {
    let stack = Stack::start().await;
    let http = op_connector::hub::http_client();
    let acme = platform(&stack, &stack.platform).await;
    let store = MemoryTokenStore::default();
    let mut browser = Browser::new();
    browser
        .sign_up(&stack.issuer, "alice", "correct horse battery staple")
        .await;
    let root = stack.pod_root("alice");
    link(&stack, &mut browser, &acme, &root, &store, "acme").await;
    let session = Session {
        client: &acme.client,
        store: &store,
        key: "acme".into(),
    };
    let sync = acme.sync(&session, &http, &stack.issuer, &stack.clock);
    let webid = stack.webid("alice");
    assert_eq!(
        sync.push(EXPORT, &webid, 4, &|_| {})
            .await
            .unwrap()
            .created
            .len(),
        6
    );
    let folder = format!("{root}gigs/acme/");
    let read = |token: String| stack.http.get(folder.clone()).bearer_auth(token).send();

    // Two hours forward: the access token has expired; the pod says so, and the connector
    // refreshes by itself.
    let before = store.load("acme").unwrap().unwrap();
    stack.clock.advance(Duration::from_secs(2 * 3600));
    let res = read(before.access_token.clone()).await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("expired"));
    let again = sync.push(EXPORT, &webid, 4, &|_| {}).await.unwrap();
    assert_eq!(again.unchanged.len(), 6, "{again:?}");
    let fresh = store.load("acme").unwrap().unwrap();
    assert_ne!(fresh.access_token, before.access_token);

    // The spent refresh token stays spent, whatever the clock says.
    let spent = before.refresh_token.clone().unwrap();
    let reuse = |refresh: String| {
        stack
            .http
            .post(format!("{}{HUB_TOKEN}", stack.issuer))
            .basic_auth(&acme.client.client_id, Some(&acme.secret))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
            .send()
    };

    // An hour back (the clock of both servers, as after an NTP correction): the fresh token now
    // looks issued in the future. The pod refuses it as not valid yet; a refresh — whose
    // token's expiry is days away — gives one the pod takes.
    stack.clock.step_back(Duration::from_secs(3600));
    let res = read(fresh.access_token.clone()).await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("not valid yet"));
    let back = sync.push(EXPORT, &webid, 4, &|_| {}).await.unwrap();
    assert_eq!(back.unchanged.len(), 6, "{back:?}");
    let res = read(store.load("acme").unwrap().unwrap().access_token)
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // Reusing the refresh token spent before the steps is refused — and, as reuse, ends the
    // grant, which stays ended when the clock moves on.
    let res = reuse(spent).await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("invalid_grant"));
    stack.clock.advance(Duration::from_secs(3 * 3600));
    let latest = store.load("acme").unwrap().unwrap();
    let res = reuse(latest.refresh_token.unwrap()).await.unwrap();
    assert_eq!(res.status(), 400, "the grant ended by reuse stays ended");
    stack.stop().await;
}
