//! One verdict everywhere: a record copied from another worker's pod, a record placed in another
//! platform's folder, and records signed by a self-registered, uncertified platform get the same
//! verdict from a matcher (the connector's check) and from the worker's backpack, and only what a
//! matcher would accept — or what the worker ticks knowingly, marked — enters the CV.

use op_protocol::routes::{HUB_BACKPACK, HUB_EXPORT};

use op_connector::session::Session;
use op_connector::tokens::MemoryTokenStore;
use reqwest::Method;

use crate::pod_hub::{access, grant, grant_at};
use crate::records_status::{link, platform};
use crate::stack::{Browser, Registered, Stack};

const EXPORT: &str = include_str!("../../protocol/tests/data/gig-export.json");
const PASSWORD: &str = "correct horse battery staple";

/// Links `registered` to `worker`'s pod and pushes the test export; returns the resource names.
pub async fn push_for(
    stack: &Stack,
    browser: &mut Browser,
    registered: &Registered,
    worker: &str,
) -> Vec<String> {
    let http = op_connector::hub::http_client();
    let p = platform(stack, registered).await;
    let store = MemoryTokenStore::default();
    let pod = stack.pod_root(worker);
    link(stack, browser, &p, &pod, &store, "w").await;
    let session = Session {
        client: &p.client,
        store: &store,
        key: "w".into(),
    };
    let clock = stack.clock.clone();
    let sync = p.sync(&session, &http, &stack.issuer, &clock);
    let webid = stack.webid(worker);
    sync.push(EXPORT, &webid, 4, &|_| {}).await.unwrap().created
}

#[tokio::test]
async fn copied_misplaced_and_uncertified_records_get_one_verdict_everywhere() {
    let stack = Stack::start().await;
    let mut alice = Browser::new();
    alice.sign_up(&stack.issuer, "alice", PASSWORD).await;
    let mut bob = Browser::new();
    bob.sign_up(&stack.issuer, "bob", PASSWORD).await;

    // acme (certified) writes bob's records; selfie (self-registered) writes alice's.
    let bobs = push_for(&stack, &mut bob, &stack.platform, "bob").await;
    let selfie = stack.register_as("selfie", "platform", false, false).await;
    push_for(&stack, &mut alice, &selfie, "alice").await;

    // Alice copies one of bob's signed gigs into her pod: under acme's folder and elsewhere.
    let http = crate::harness::client();
    let bob_gig = format!("{}gigs/acme/{}", stack.pod_root("bob"), bobs[0]);
    let bob_owner = access(&grant_at(&stack, &mut bob, &stack.app, "pod:owner", None, "bob").await);
    let copy = http
        .get(&bob_gig)
        .bearer_auth(&bob_owner)
        .header("Accept", "application/ld+json")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let owner = access(&grant(&stack, &mut alice, &stack.app, "pod:owner", None).await);
    for path in ["gigs/acme/stolen", "gigs/selfie/stolen"] {
        let res = http
            .request(Method::PUT, format!("{}{path}", stack.pod_root("alice")))
            .bearer_auth(&owner)
            .header("Content-Type", "application/ld+json")
            .body(copy.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{path}");
    }

    // A matcher reading alice's pod rejects both copies and the uncertified records, each with
    // the reason.
    let root = stack.pod_root("alice");
    let me = stack.webid("alice");
    let mut records = Vec::new();
    for folder in ["gigs/acme/", "gigs/selfie/"] {
        let listing = http
            .get(format!("{root}{folder}"))
            .bearer_auth(&owner)
            .header("Accept", "application/ld+json")
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap();
        for url in listing
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|n| n.get(op_protocol::vocab::ldp::CONTAINS))
            .flat_map(|v| v.as_array().unwrap())
            .map(|v| v["@id"].as_str().unwrap().to_owned())
        {
            let body = http
                .get(&url)
                .bearer_auth(&owner)
                .header("Accept", "application/ld+json")
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            records.push((url, body));
        }
    }
    let pod = op_connector::verify::Pod {
        root: &root,
        owner: &me,
    };
    let checked = op_connector::verify::check(
        &op_connector::hub::http_client(),
        &stack.issuer,
        &records,
        Some(pod),
        &stack.clock,
    )
    .await;
    assert!(checked.accepted.is_empty(), "{:?}", checked.accepted);
    let reason = |path: &str| {
        checked
            .rejected
            .iter()
            .find(|r| r.url.ends_with(path))
            .map(|r| r.reason.clone())
            .unwrap_or_else(|| panic!("{path} not rejected: {:?}", checked.rejected))
    };
    assert!(reason("gigs/acme/stolen").contains("not about this pod's owner"));
    assert!(reason("gigs/selfie/stolen").contains("not about this pod's owner"));
    let uncertified = "signed by selfie — not certified by this hub";
    assert_eq!(reason("gigs/selfie/summary"), uncertified);

    // The backpack says the same, in words, and never "verified" for any of them.
    let page = alice.get(&format!("{}{HUB_BACKPACK}", stack.issuer)).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("✓"), "{}", page.body);
    assert!(
        page.body.contains("not about this pod&#39;s owner")
            || page.body.contains("not about this pod's owner"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("signed by selfie — not certified by this hub"),
        "{}",
        page.body
    );

    // The CV leaves uncertified records out unless ticked, and then marks them; copies never enter.
    let csrf = page.csrf();
    let selfie_summary = format!("{root}gigs/selfie/summary");
    let stolen = format!("{root}gigs/acme/stolen");
    let export = |records: Vec<(&'static str, String)>| {
        let mut form = vec![("csrf", csrf.clone())];
        form.extend(records);
        let http = http.clone();
        let url = format!("{}{HUB_EXPORT}", stack.issuer);
        let cookie = alice.cookie_header();
        async move {
            let res = http
                .post(url)
                .header("Cookie", cookie)
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            let zip = res.bytes().await.unwrap();
            cv_of(&zip)
        }
    };
    let none = export(vec![]).await;
    assert!(!none.contains("selfie"), "{none}");
    let ticked = export(vec![("record", selfie_summary), ("record", stolen)]).await;
    assert!(
        ticked.contains("signed by selfie, not certified by the hub"),
        "{ticked}"
    );
    assert!(
        !ticked.contains("acme"),
        "a copy never enters the CV: {ticked}"
    );
}

/// The `cv.html` entry of an export zip (stored entries, as the hub writes them).
fn cv_of(zip: &[u8]) -> String {
    let name = b"cv.html";
    let at = zip
        .windows(name.len())
        .position(|w| w == name)
        .expect("cv.html in the zip");
    // Local header: 30 bytes, then the name, then the data (uncompressed) up to the next header.
    let start = at + name.len();
    let end = zip[start..]
        .windows(4)
        .position(|w| w == b"PK\x03\x04" || w == b"PK\x01\x02")
        .map_or(zip.len(), |p| start + p);
    String::from_utf8_lossy(&zip[start..end]).into_owned()
}
