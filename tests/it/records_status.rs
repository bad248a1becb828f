//! Status list entries belong to one record each: several platforms push for several workers (whose
//! exports reuse the same gig ids), some pushes twice, then withdraw a random subset — exactly that
//! subset verifies as revoked, for a matcher and in every worker's backpack. Also: pushes are
//! idempotent, the summary describes the whole folder, and a withdrawn record is not re-created.

use op_protocol::routes::HUB_BACKPACK;

use std::collections::{BTreeMap, BTreeSet};

use op_connector::oauth::{HubClient, Request};
use op_connector::platform::Issuer;
use op_connector::session::Session;
use op_connector::sync::PlatformSync;
use op_connector::tokens::{MemoryTokenStore, TokenStore};
use op_protocol::clock::Clock;
use op_protocol::proof::KeyPair;
use serde_json::Value;

use crate::stack::{Browser, REDIRECT, Registered, Stack};

const EXPORT: &str = include_str!("../../protocol/tests/data/gig-export.json");

/// The export with one more gig (`extra-{n}`), as a later export of the same worker would be.
fn with_extra_gig(n: usize) -> String {
    let mut export: Value = serde_json::from_str(EXPORT).unwrap();
    let mut gig = export["interactions"][0].clone();
    gig["id"] = format!("extra-{n}").into();
    export["interactions"] = vec![gig].into();
    export["achievements"] = Vec::<Value>::new().into();
    export.to_string()
}

/// A small deterministic generator, seeded from `OP_SEED` or the clock (printed on failure).
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// One platform's view: its client, key and issuer at the hub.
pub struct Platform {
    pub client: HubClient,
    pub secret: String,
    pub issuer: Issuer,
    pub signer: op_protocol::record::Signer,
}

impl Platform {
    /// This platform's sync of the worker whose tokens `session` holds, at the hub `hub`.
    pub fn sync<'a>(
        &'a self,
        session: &'a Session<'a>,
        http: &'a reqwest::Client,
        hub: &'a str,
        clock: &'a Clock,
    ) -> PlatformSync<'a> {
        PlatformSync {
            session,
            http,
            hub: op_connector::hub::Credentials {
                hub,
                client_id: &self.client.client_id,
                client_secret: &self.secret,
            },
            issuer: &self.issuer,
            signer: &self.signer,
            clock,
        }
    }
}

/// Discovers the hub as `registered` and registers a fresh signing key for it.
pub async fn platform(stack: &Stack, registered: &Registered) -> Platform {
    platform_at(
        &stack.issuer,
        &registered.id,
        registered.secret.clone().unwrap(),
        stack.clock.clone(),
    )
    .await
}

/// Discovers the hub at `hub` as the platform `id` and registers a fresh signing key for it.
pub async fn platform_at(hub: &str, id: &str, secret: String, clock: Clock) -> Platform {
    let http = op_connector::hub::http_client();
    let client = HubClient::discover(http.clone(), hub, id, Some(&secret), REDIRECT, clock)
        .await
        .unwrap();
    let key = KeyPair::from_seed(rand::random());
    let method =
        op_connector::hub::register_key(&http, hub, id, &secret, &key.public().to_multibase())
            .await
            .unwrap();
    let issuer = Issuer {
        url: format!("{hub}{}", op_protocol::routes::hub_platform(id)),
        method,
    };
    let signer = issuer.signer(key).unwrap();
    Platform {
        client,
        secret,
        issuer,
        signer,
    }
}

/// Links `platform` to the worker's pod through the browser; tokens go to `store` under `key`.
pub async fn link(
    stack: &Stack,
    browser: &mut Browser,
    p: &Platform,
    pod: &str,
    store: &MemoryTokenStore,
    key: &str,
) {
    let request = Request {
        scopes: vec!["gig:write".into(), "offline_access".into()],
        pod: pod.to_owned(),
        details: Vec::new(),
    };
    let (url, pending) = p.client.authorization_url(&request).unwrap();
    let answer = browser.authorize(&stack.issuer, &url, "allow").await;
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&answer)
        .finish();
    let tokens = p.client.callback(&pending, &query).await.unwrap();
    store.save(key, &tokens).unwrap();
}

/// Digital Bazaar's verifier (`tests/verifier/`, installed by `.ci/run` with `npm ci`) over
/// `records`, resolving controller documents and status lists from `documents` only: record id →
/// (signature verified, revoked). `None` when it is not installed and `OP_REQUIRE_VERIFIER` is
/// not `1`.
fn independent_verdicts(
    records: &[Value],
    documents: &serde_json::Map<String, Value>,
) -> Option<BTreeMap<String, (bool, Option<bool>)>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("verifier");
    if !dir.join("node_modules").is_dir() {
        assert_ne!(
            std::env::var("OP_REQUIRE_VERIFIER").as_deref(),
            Ok("1"),
            "the independent verifier is required: npm ci --prefix tests/verifier"
        );
        eprintln!("independent verifier not installed (npm ci --prefix tests/verifier): not run");
        return None;
    }
    let input = tempfile::NamedTempFile::new().unwrap();
    let body = serde_json::json!({ "records": records, "documents": documents });
    std::fs::write(input.path(), body.to_string()).unwrap();
    let out = std::process::Command::new("node")
        .arg(dir.join("verify.mjs"))
        .arg(input.path())
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdicts = String::from_utf8(out.stdout).unwrap();
    Some(
        verdicts
            .lines()
            .map(|line| {
                let v: Value = serde_json::from_str(line).unwrap();
                let id = v["id"].as_str().unwrap().to_owned();
                (id, (v["verified"] == true, v["revoked"].as_bool()))
            })
            .collect(),
    )
}

#[tokio::test]
async fn withdrawing_records_revokes_exactly_those_records_everywhere() {
    let seed = std::env::var("OP_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| Clock::system().now_millis() | 1);
    let mut rng = Seeded(seed);
    let stack = Stack::start().await;
    let http = op_connector::hub::http_client();
    let clock = stack.clock.clone();
    let second = stack.register("bolt", "platform", false).await;
    let platforms = [
        platform(&stack, &stack.platform).await,
        platform(&stack, &second).await,
    ];
    let store = MemoryTokenStore::default();
    let workers = ["alice", "bob", "carol"];
    let mut browsers = BTreeMap::new();
    for worker in workers {
        let mut browser = Browser::new();
        browser
            .sign_up(&stack.issuer, worker, "correct horse battery staple")
            .await;
        for p in &platforms {
            let key = format!("{}:{worker}", p.client.client_id);
            link(
                &stack,
                &mut browser,
                p,
                &stack.pod_root(worker),
                &store,
                &key,
            )
            .await;
        }
        browsers.insert(worker, browser);
    }

    // Every platform pushes the same export for every worker (same gig ids), some twice, and a
    // later export with one more gig.
    let mut copies: Vec<(String, String)> = Vec::new();
    for (n, p) in platforms.iter().enumerate() {
        for worker in workers {
            let session = Session {
                client: &p.client,
                store: &store,
                key: format!("{}:{worker}", p.client.client_id),
            };
            let sync = p.sync(&session, &http, &stack.issuer, &clock);
            let webid = stack.webid(worker);
            let first = sync.push(EXPORT, &webid, 4, &|_| {}).await.unwrap();
            assert_eq!(first.created.len(), 6, "{first:?}");
            if rng.next().is_multiple_of(2) {
                let again = sync.push(EXPORT, &webid, 4, &|_| {}).await.unwrap();
                assert_eq!(again.unchanged.len(), 6, "idempotent: {again:?}");
            }
            let later = sync
                .push(&with_extra_gig(n), &webid, 4, &|_| {})
                .await
                .unwrap();
            assert_eq!(later.created.len(), 1, "{later:?}");
            assert_eq!(later.updated, vec!["summary".to_owned()], "{later:?}");
            let folder = format!("{}gigs/{}/", stack.pod_root(worker), p.client.client_id);
            for url in op_connector::pod::list(&session, &http, &folder)
                .await
                .unwrap()
            {
                let body = op_connector::pod::fetch(&session, &http, &url)
                    .await
                    .unwrap();
                if url.ends_with("/summary") {
                    let summary: Value = serde_json::from_str(&body).unwrap();
                    assert_eq!(
                        summary["credentialSubject"]["trackRecord"]["completedCount"], 4,
                        "the summary counts the folder's gigs, not only the last export's"
                    );
                    continue;
                }
                copies.push((url, body));
            }
        }
    }
    assert_eq!(copies.len(), platforms.len() * workers.len() * 6);
    let entries: BTreeSet<(String, String)> = copies
        .iter()
        .map(|(_, body)| {
            let r: Value = serde_json::from_str(body).unwrap();
            let s = &r["credentialStatus"];
            (
                s["statusListCredential"].as_str().unwrap().to_owned(),
                s["statusListIndex"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        entries.len(),
        copies.len(),
        "every record has an entry of its own"
    );

    // Withdraw a random subset.
    let withdrawn: BTreeSet<String> = copies
        .iter()
        .filter(|_| rng.next().is_multiple_of(3))
        .map(|(url, _)| url.clone())
        .collect();
    for p in &platforms {
        for worker in workers {
            let prefix = format!("{}gigs/{}/", stack.pod_root(worker), p.client.client_id);
            let names: Vec<String> = withdrawn
                .iter()
                .filter_map(|u| u.strip_prefix(&prefix).map(str::to_owned))
                .collect();
            if names.is_empty() {
                continue;
            }
            let session = Session {
                client: &p.client,
                store: &store,
                key: format!("{}:{worker}", p.client.client_id),
            };
            let creds = op_connector::hub::Credentials {
                hub: &stack.issuer,
                client_id: &p.client.client_id,
                client_secret: &p.secret,
            };
            op_connector::platform::withdraw(&session, &http, &creds, &p.signer, &names, &clock)
                .await
                .unwrap();
        }
    }

    // A matcher's verdict over every copy: exactly the withdrawn ones are revoked.
    let mut rejected = Vec::new();
    for worker in workers {
        let root = stack.pod_root(worker);
        let owner = stack.webid(worker);
        let theirs: Vec<(String, String)> = copies
            .iter()
            .filter(|(url, _)| url.starts_with(&root))
            .cloned()
            .collect();
        let pod = op_connector::verify::Pod {
            root: &root,
            owner: &owner,
        };
        let checked =
            op_connector::verify::check(&http, &stack.issuer, &theirs, Some(pod), &clock).await;
        rejected.extend(checked.rejected);
    }
    let revoked: BTreeSet<String> = rejected
        .iter()
        .filter(|r| r.reason.starts_with("revoked by"))
        .map(|r| r.url.clone())
        .collect();
    assert_eq!(rejected.len(), revoked.len(), "seed {seed}: {rejected:?}");
    assert_eq!(revoked, withdrawn, "seed {seed}");

    // An independent verifier (Digital Bazaar's) agrees: every signature holds, and exactly the
    // withdrawn records are revoked.
    let mut documents = serde_json::Map::new();
    let records: Vec<Value> = copies
        .iter()
        .map(|(_, body)| serde_json::from_str(body).unwrap())
        .collect();
    let mut urls: BTreeSet<String> = platforms.iter().map(|p| p.issuer.url.clone()).collect();
    urls.extend(entries.iter().map(|(list, _)| list.clone()));
    for url in urls {
        let doc: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
        documents.insert(url, doc);
    }
    if let Some(verdicts) = independent_verdicts(&records, &documents) {
        assert_eq!(verdicts.len(), copies.len());
        for ((url, _), record) in copies.iter().zip(&records) {
            let (verified, revoked) = verdicts[record["id"].as_str().unwrap()];
            assert!(verified, "seed {seed}: {url} does not verify independently");
            assert_eq!(
                revoked,
                Some(withdrawn.contains(url)),
                "seed {seed}: {url} independently"
            );
        }
    }

    // Each worker's backpack: the withdrawn records are gone and nothing else reads as revoked.
    for (worker, browser) in &mut browsers {
        let page = browser
            .get(&format!("{}{HUB_BACKPACK}", stack.issuer))
            .await;
        assert_eq!(page.status, 200);
        assert!(
            !page.body.contains("revoked by the platform"),
            "seed {seed}: {worker}'s backpack shows a revoked record"
        );
    }
}

#[tokio::test]
async fn a_withdrawn_record_is_not_pushed_again_and_a_list_never_loses_a_bit() {
    let stack = Stack::start().await;
    let http = op_connector::hub::http_client();
    let clock = stack.clock.clone();
    let p = platform(&stack, &stack.platform).await;
    let store = MemoryTokenStore::default();
    let mut browser = Browser::new();
    browser
        .sign_up(&stack.issuer, "alice", "correct horse battery staple")
        .await;
    link(
        &stack,
        &mut browser,
        &p,
        &stack.pod_root("alice"),
        &store,
        "alice",
    )
    .await;
    let session = Session {
        client: &p.client,
        store: &store,
        key: "alice".into(),
    };
    let creds = op_connector::hub::Credentials {
        hub: &stack.issuer,
        client_id: &p.client.client_id,
        client_secret: &p.secret,
    };
    let sync = p.sync(&session, &http, &stack.issuer, &clock);
    let webid = stack.webid("alice");
    let first = sync.push(EXPORT, &webid, 2, &|_| {}).await.unwrap();
    // A gig (an achievement does not count in the track record).
    let folder = format!("{}gigs/{}/", stack.pod_root("alice"), p.client.client_id);
    let mut gig = None;
    for name in first.created.iter().filter(|n| *n != "summary") {
        let url = format!("{folder}{name}");
        let body = op_connector::pod::fetch(&session, &http, &url)
            .await
            .unwrap();
        let record: Value = serde_json::from_str(&body).unwrap();
        if record["type"][1] == "GigCredential" {
            gig = Some(name.clone());
        }
    }
    let gig = gig.expect("the export has gigs");
    op_connector::platform::withdraw(
        &session,
        &http,
        &creds,
        &p.signer,
        std::slice::from_ref(&gig),
        &clock,
    )
    .await
    .unwrap();
    let summary = sync.refresh_after_withdrawal(&webid).await.unwrap();

    assert_eq!(summary.updated, vec!["summary".to_owned()], "{summary:?}");

    let again = sync.push(EXPORT, &webid, 2, &|_| {}).await.unwrap();
    assert_eq!(again.failed.len(), 1, "{again:?}");
    assert_eq!(again.failed[0].0, gig);
    assert!(again.failed[0].1.contains("withdrawn"), "{again:?}");
    assert_eq!(again.created, Vec::<String>::new(), "not re-created");

    // The platform itself cannot un-revoke: a list clearing the bit is refused.
    let url = format!(
        "{}1",
        op_protocol::routes::issuer_status_lists(&p.issuer.url)
    );
    let empty = op_protocol::status::status_list_credential(
        &url,
        op_protocol::status::StatusPurpose::Revocation,
        &op_protocol::status::StatusList::new(0),
    );
    let signed = p.signer.sign_status_list(&empty, &clock).unwrap();
    let res = http
        .put(&url)
        .basic_auth(&p.client.client_id, Some(&p.secret))
        .json(&signed)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("revocation is permanent")
    );

    // Allocation is the platform's own: another client, or too many ids, are refused.
    let allocations = format!(
        "{}{}",
        stack.issuer,
        op_protocol::routes::hub_status_allocations(&p.client.client_id)
    );
    let res = http
        .post(&allocations)
        .basic_auth(&stack.matcher.id, stack.matcher.secret.as_deref())
        .json(&serde_json::json!({ "records": ["urn:uuid:1"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let many: Vec<String> = (0..1001).map(|i| format!("urn:x:{i}")).collect();
    let res = http
        .post(&allocations)
        .basic_auth(&p.client.client_id, Some(&p.secret))
        .json(&serde_json::json!({ "records": many }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}
