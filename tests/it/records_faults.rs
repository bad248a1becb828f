//! Faults during a platform's work: a withdrawal while the hub is down keeps the record (it
//! is not deleted before it is revoked), and repeated once the hub is back, it revokes it.

use op_connector::session::Session;
use op_connector::tokens::MemoryTokenStore;

use crate::records_status::{link, platform};
use crate::stack::{Browser, Stack};

const EXPORT: &str = include_str!("../../protocol/tests/data/gig-export.json");

#[tokio::test]
async fn a_withdrawal_cut_short_by_the_hub_keeps_the_record_and_completes_when_repeated() {
    let mut stack = Stack::with_storage(op_store::BackendKind::Redb).await;
    let http = op_connector::hub::http_client();
    let clock = stack.clock.clone();
    let p = platform(&stack, &stack.platform).await;
    let store = MemoryTokenStore::default();
    let mut browser = Browser::new();
    browser
        .sign_up(&stack.issuer, "alice", "correct horse battery staple")
        .await;
    let root = stack.pod_root("alice");
    let issuer = stack.issuer.clone();
    link(&stack, &mut browser, &p, &root, &store, "alice").await;
    let session = Session {
        client: &p.client,
        store: &store,
        key: "alice".into(),
    };
    let creds = op_connector::hub::Credentials {
        hub: &issuer,
        client_id: &p.client.client_id,
        client_secret: &p.secret,
    };
    let sync = p.sync(&session, &http, &issuer, &clock);
    let webid = stack.webid("alice");
    let pushed = sync.push(EXPORT, &webid, 2, &|_| {}).await.unwrap();
    let name = pushed
        .created
        .iter()
        .find(|n| *n != "summary")
        .unwrap()
        .clone();
    let url = format!("{root}gigs/{}/{name}", p.client.client_id);
    let body = op_connector::pod::fetch(&session, &http, &url)
        .await
        .unwrap();
    let names = [name];

    // The hub goes down (the pod stays within its feed grace: the clock does not move).
    stack.stop_hub().await;
    let cut =
        op_connector::platform::withdraw(&session, &http, &creds, &p.signer, &names, &clock).await;
    assert!(cut.is_err(), "the status list cannot be published: {cut:?}");
    let still = op_connector::pod::fetch(&session, &http, &url).await;
    assert!(
        still.is_ok(),
        "a record not yet revoked must not be deleted: {still:?}"
    );

    // Back: repeated, the withdrawal flags the record and deletes it.
    stack.start_hub().await;
    op_connector::platform::withdraw(&session, &http, &creds, &p.signer, &names, &clock)
        .await
        .unwrap();
    let gone = op_connector::pod::fetch(&session, &http, &url).await;
    assert!(
        matches!(
            gone,
            Err(op_connector::error::ConnectorError::Http { status: 404, .. })
        ),
        "{gone:?}"
    );
    let owner = stack.webid("alice");
    let pod = op_connector::verify::Pod {
        root: &root,
        owner: &owner,
    };
    let checked =
        op_connector::verify::check(&http, &issuer, &[(url, body)], Some(pod), &clock).await;
    assert!(checked.accepted.is_empty(), "the withdrawn record verifies");
    assert!(
        checked.rejected[0].reason.starts_with("revoked by"),
        "{:?}",
        checked.rejected
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_push_to_an_unreachable_pod_reports_it_and_completes_once_the_pod_is_back() {
    let mut stack = Stack::with_storage(op_store::BackendKind::Redb).await;
    let http = op_connector::hub::http_client();
    let clock = stack.clock.clone();
    let p = platform(&stack, &stack.platform).await;
    let store = MemoryTokenStore::default();
    let mut browser = Browser::new();
    browser
        .sign_up(&stack.issuer, "alice", "correct horse battery staple")
        .await;
    let root = stack.pod_root("alice");
    let issuer = stack.issuer.clone();
    link(&stack, &mut browser, &p, &root, &store, "alice").await;
    let session = Session {
        client: &p.client,
        store: &store,
        key: "alice".into(),
    };
    let sync = p.sync(&session, &http, &issuer, &clock);
    let webid = stack.webid("alice");

    // The pod server is down: after its retries the push says which address it could not reach,
    // and claims nothing was written.
    stack.stop_pod().await;
    let report = match sync.push(EXPORT, &webid, 2, &|_| {}).await {
        Err(e) => e.to_string(),
        Ok(summary) => {
            assert!(
                summary.created.is_empty() && summary.updated.is_empty(),
                "{summary:?}"
            );
            assert!(!summary.failed.is_empty(), "{summary:?}");
            format!("{:?}", summary.failed)
        }
    };
    assert!(report.contains("cannot reach"), "{report}");
    assert!(report.contains(&stack.pod_base), "names the pod: {report}");

    // Back up: the same push writes every record, once.
    stack.start_pod().await;
    let pushed = sync.push(EXPORT, &webid, 2, &|_| {}).await.unwrap();
    assert_eq!(pushed.created.len(), 6, "{pushed:?}");
    let again = sync.push(EXPORT, &webid, 2, &|_| {}).await.unwrap();
    assert_eq!(again.unchanged.len(), 6, "{again:?}");
    stack.stop().await;
}
