//! A worker moves their data from the pod the hub hosts to their own pod, and back. Every record
//! comes along byte for byte, the WebID stays the same, the platform's grant follows (its
//! connector finds the new pod by itself), the records keep verifying there, and a hosted pod
//! left behind is deleted. A wrong code or a missing field changes nothing.

use std::collections::BTreeMap;

use op_connector::session::Session;
use op_connector::tokens::{MemoryTokenStore, TokenStore};
use op_protocol::routes::{HUB_BACKPACK, HUB_MOVE_POD};

use crate::records_status::{Platform, link, platform};
use crate::stack::{Browser, Page, Stack};

const EXPORT: &str = include_str!("../../protocol/tests/data/gig-export.json");
const PASSWORD: &str = "correct horse battery staple";
const TITLE: &str = "<> <http://purl.org/dc/terms/title> \"My gigs\" .";

async fn move_pod(browser: &mut Browser, stack: &Stack, form: &[(&str, &str)]) -> Page {
    browser
        .dashboard_form(&stack.issuer, HUB_MOVE_POD, form)
        .await
}

/// The platform folder's records, by name, as stored.
async fn folder(
    session: &Session<'_>,
    http: &reqwest::Client,
    root: &str,
) -> BTreeMap<String, String> {
    let folder = format!("{root}gigs/acme/");
    let mut records = BTreeMap::new();
    for url in op_connector::pod::list(session, http, &folder)
        .await
        .unwrap()
    {
        let body = op_connector::pod::fetch(session, http, &url).await.unwrap();
        let name = url.rsplit('/').next().unwrap().to_owned();
        records.insert(name, body);
    }
    records
}

/// Whether the matcher's check accepts every record of the folder in the pod at `root`.
async fn all_verify(stack: &Stack, root: &str, webid: &str, records: &BTreeMap<String, String>) {
    let copies: Vec<(String, String)> = records
        .iter()
        .filter(|(name, _)| *name != "summary")
        .map(|(name, body)| (format!("{root}gigs/acme/{name}"), body.clone()))
        .collect();
    let pod = op_connector::verify::Pod { root, owner: webid };
    let http = op_connector::hub::http_client();
    let checked =
        op_connector::verify::check(&http, &stack.issuer, &copies, Some(pod), &stack.clock).await;
    assert!(checked.rejected.is_empty(), "{:?}", checked.rejected);
    assert_eq!(checked.accepted.len(), copies.len());
}

#[tokio::test]
async fn a_worker_moves_to_their_own_pod_and_back_keeping_records_and_grants() {
    let stack = Stack::start().await;
    let http = op_connector::hub::http_client();
    let acme: Platform = platform(&stack, &stack.platform).await;
    let store = MemoryTokenStore::default();
    let mut browser = Browser::new();
    browser.sign_up(&stack.issuer, "alice", PASSWORD).await;
    let hosted = stack.pod_root("alice");
    link(&stack, &mut browser, &acme, &hosted, &store, "acme").await;
    let webid = stack.webid("alice");
    let session = Session {
        client: &acme.client,
        store: &store,
        key: "acme".into(),
    };
    let sync = acme.sync(&session, &http, &stack.issuer, &stack.clock);
    let first = sync.push(EXPORT, &webid, 4, &|_| {}).await.unwrap();
    assert_eq!(first.created.len(), 6, "{first:?}");
    let records = folder(&session, &http, &hosted).await;
    assert_eq!(records.len(), 6);
    // Her own things: a description of the records' container and an empty container.
    let put = |url: String, body: &'static str| {
        let token = op_hub::provider::dashboard_token(stack.hub(), &webid, &hosted);
        let req = stack.http.put(url).bearer_auth(token);
        match body {
            "" => req.send(),
            body => req.header("Content-Type", "text/turtle").body(body).send(),
        }
    };
    let described = put(format!("{hosted}gigs/"), TITLE).await.unwrap();
    assert_eq!(described.status(), 204);
    assert_eq!(
        put(format!("{hosted}notes/"), "").await.unwrap().status(),
        201
    );

    let own = crate::stack::own_pod(
        &stack.issuer,
        &stack.dir.path().join("own-pod"),
        "alice",
        stack.clock.clone(),
    )
    .await;
    let own_root = format!("{}/", own.base_url);
    let code = own
        .link_code
        .clone()
        .expect("an unlinked pod prints a code");
    let dashboard = browser.get(&format!("{}/", stack.issuer)).await;
    assert!(
        dashboard.body.contains("Move to your own pod"),
        "{}",
        dashboard.body
    );

    // Bad inputs change nothing. (A move is never within the second of the last one.)
    stack.clock.advance(std::time::Duration::from_secs(2));
    let wrong = move_pod(
        &mut browser,
        &stack,
        &[
            ("pod_url", &own_root),
            ("code", "AAAAAA-AAAAAA-AAAAAA-AAAAAA-AA"),
        ],
    )
    .await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.body.contains("refused the code"), "{}", wrong.body);
    let missing = move_pod(&mut browser, &stack, &[("pod_url", &own_root)]).await;
    assert_eq!(missing.status, 400);
    assert!(missing.body.contains("enter your pod"), "{}", missing.body);
    let same = move_pod(
        &mut browser,
        &stack,
        &[("pod_url", &hosted), ("code", &code)],
    )
    .await;
    assert_eq!(same.status, 400, "{}", same.body);
    assert_eq!(
        folder(&session, &http, &hosted).await,
        records,
        "still hosted, untouched"
    );

    // Out: to her own pod.
    let before_move = store.load("acme").unwrap().unwrap().access_token;
    let moved = move_pod(
        &mut browser,
        &stack,
        &[("pod_url", &own_root), ("code", &code)],
    )
    .await;
    assert_eq!(moved.status, 303, "{}", moved.body);
    let dashboard = browser.get(&format!("{}/", stack.issuer)).await;
    assert!(dashboard.body.contains(&own_root), "{}", dashboard.body);
    assert!(dashboard.body.contains(&webid), "the WebID stays the same");
    assert!(
        dashboard.body.contains("You moved your data"),
        "{}",
        dashboard.body
    );
    assert!(dashboard.body.contains("Move to a pod hosted here"));
    let gone = stack
        .http
        .get(format!("{hosted}{}", op_protocol::routes::POD_PROFILE_CARD))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404, "the hosted pod is deleted");
    let profile = stack
        .http
        .get(&webid)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        profile.contains(&own_root),
        "the WebID names the new storage: {profile}"
    );

    // The platform's token for the hosted pod is no longer active anywhere.
    let introspected = stack.introspect(&before_move).await;
    assert_eq!(introspected["active"], false, "{introspected}");

    // The platform's connector follows by itself; the same export writes nothing new.
    let again = sync.push(EXPORT, &webid, 4, &|_| {}).await.unwrap();
    assert_eq!(again.unchanged.len(), 6, "{again:?}");
    assert_eq!(store.load("acme").unwrap().unwrap().pod, own_root);
    let at_own = folder(&session, &http, &own_root).await;
    assert_eq!(at_own, records, "every record, byte for byte");
    all_verify(&stack, &own_root, &webid, &at_own).await;
    let read = |url: String, root: String| {
        let token = op_hub::provider::dashboard_token(stack.hub(), &webid, &root);
        stack
            .http
            .get(url)
            .bearer_auth(token)
            .header("Accept", "text/turtle")
            .send()
    };
    let gigs = read(format!("{own_root}gigs/"), own_root.clone())
        .await
        .unwrap();
    assert!(
        gigs.text().await.unwrap().contains("My gigs"),
        "the description moved too"
    );
    let notes = read(format!("{own_root}notes/"), own_root.clone())
        .await
        .unwrap();
    assert_eq!(notes.status(), 200, "the empty container moved too");
    let backpack = browser
        .get(&format!("{}{HUB_BACKPACK}", stack.issuer))
        .await;
    assert_eq!(backpack.status, 200);
    assert!(!backpack.body.contains("revoked"), "{}", backpack.body);
    assert!(backpack.body.contains("Verified") || backpack.body.contains("verified"));

    // And back: to a new pod hosted here; her own pod keeps its copy. (Not within the second of
    // the last move: the hub asks her to wait a moment.)
    let soon = move_pod(&mut browser, &stack, &[]).await;
    assert_eq!(soon.status, 400);
    assert!(soon.body.contains("a moment ago"), "{}", soon.body);
    stack.clock.advance(std::time::Duration::from_secs(2));
    let back = move_pod(&mut browser, &stack, &[]).await;
    assert_eq!(back.status, 303, "{}", back.body);
    let again = sync.push(EXPORT, &webid, 4, &|_| {}).await.unwrap();
    assert_eq!(again.unchanged.len(), 6, "{again:?}");
    assert_eq!(store.load("acme").unwrap().unwrap().pod, hosted);
    let at_hosted = folder(&session, &http, &hosted).await;
    assert_eq!(at_hosted, records);
    all_verify(&stack, &hosted, &webid, &at_hosted).await;
    let dashboard = browser.get(&format!("{}/", stack.issuer)).await;
    assert!(dashboard.body.contains("Move to your own pod"));
    own.stop().await;
    stack.stop().await;
}
