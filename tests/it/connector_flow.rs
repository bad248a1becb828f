//! The connector's two journeys end to end on loopback: a platform links a worker, pushes signed
//! records idempotently and revokes one; a matcher gets consent, reads and verifies, meets a
//! tampered and a revoked record, and is told to reconnect once the worker revokes its grant.

use op_protocol::routes::{HUB_BACKPACK, HUB_DELETE_ACCOUNT, HUB_EXPORT};

use op_connector::error::ConnectorError;
use op_connector::oauth::{HubClient, Request};
use op_connector::platform::Issuer;
use op_connector::pod::{self, Outgoing};
use op_connector::session::Session;
use op_connector::sync::PlatformSync;
use op_connector::tokens::{MemoryTokenStore, TokenStore};
use op_protocol::authorization::{Action, GIG_DATA, GigData, Level};
use op_protocol::proof::KeyPair;
use op_protocol::record::GigExport;

use crate::stack::{Browser, REDIRECT, Stack};

const EXPORT: &str = include_str!("../../protocol/tests/data/gig-export.json");

async fn link(
    stack: &Stack,
    browser: &mut Browser,
    client: &HubClient,
    request: &Request,
) -> op_connector::tokens::Tokens {
    let (url, pending) = client.authorization_url(request).unwrap();
    let answer = browser.authorize(&stack.issuer, &url, "allow").await;
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&answer)
        .finish();
    // A forged callback (another state) is refused before any code is exchanged.
    let mut forged = pending.clone();
    forged.state = "forged".into();
    assert!(matches!(
        client.callback(&forged, &query).await,
        Err(ConnectorError::ResponseMismatch(_))
    ));
    client.callback(&pending, &query).await.unwrap()
}

fn name_of(record: &serde_json::Value) -> String {
    let kinds = record["type"].to_string();
    if kinds.contains("TrackRecordCredential") {
        "summary".into()
    } else {
        record["id"]
            .as_str()
            .unwrap()
            .rsplit(':')
            .next()
            .unwrap()
            .to_owned()
    }
}

#[tokio::test]
async fn platform_and_matcher_journeys_through_the_connector() {
    let stack = Stack::start().await;
    let http = op_connector::hub::http_client();
    let mut browser = Browser::new();
    browser
        .sign_up(&stack.issuer, "alice", "correct horse battery staple")
        .await;
    let pod_root = stack.pod_root("alice");
    let store = MemoryTokenStore::default();

    // --- The platform links the worker.
    let platform = HubClient::discover(
        http.clone(),
        &stack.issuer,
        "acme",
        stack.platform.secret.as_deref(),
        REDIRECT,
        stack.clock.clone(),
    )
    .await
    .unwrap();
    let request = Request {
        scopes: vec!["gig:write".into(), "offline_access".into()],
        pod: pod_root.clone(),
        details: Vec::new(),
    };
    let tokens = link(&stack, &mut browser, &platform, &request).await;
    store.save("platform:alice", &tokens).unwrap();
    let session = Session {
        client: &platform,
        store: &store,
        key: "platform:alice".into(),
    };

    // Its key at the hub, its status list hosted by the hub, its records signed and pushed.
    let secret = stack.platform.secret.clone().unwrap();
    let key = KeyPair::from_seed(rand::random());
    let method = op_connector::hub::register_key(
        &http,
        &stack.issuer,
        "acme",
        &secret,
        &key.public().to_multibase(),
    )
    .await
    .unwrap();
    let issuer = Issuer {
        url: format!(
            "{}{}",
            stack.issuer,
            op_protocol::routes::hub_platform("acme")
        ),
        method,
    };
    let signer = issuer.signer(key).unwrap();
    // The hub's clock (manual in tests): the backpack judges validity by it.
    let clock = stack.clock.clone();
    let creds = op_connector::hub::Credentials {
        hub: &stack.issuer,
        client_id: "acme",
        client_secret: &secret,
    };
    let sync = PlatformSync {
        session: &session,
        http: &http,
        hub: creds,
        issuer: &issuer,
        signer: &signer,
        clock: &clock,
    };
    let webid = stack.webid("alice");
    let seen = std::sync::atomic::AtomicUsize::new(0);
    let progress = |n: usize| {
        seen.store(n, std::sync::atomic::Ordering::SeqCst);
    };
    let first = sync.push(EXPORT, &webid, 4, &progress).await.unwrap();
    let export = GigExport::from_json(EXPORT).unwrap();
    let total = export.interactions.len() + export.achievements.len() + 1;
    assert_eq!(first.created.len(), total, "{first:?}");
    assert!(first.created.contains(&"summary".to_owned()));
    assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), total - 1);
    // Re-running the sync writes nothing: the signing time is not content.
    let again = sync.push(EXPORT, &webid, 4, &progress).await.unwrap();
    assert_eq!(
        (
            again.created.len(),
            again.updated.len(),
            again.unchanged.len()
        ),
        (0, 0, total),
        "{again:?}"
    );
    let folder = format!("{pod_root}gigs/acme/");
    let mut signed = Vec::new();
    for url in pod::list(&session, &http, &folder).await.unwrap() {
        let body = pod::fetch(&session, &http, &url).await.unwrap();
        signed.push(serde_json::from_str::<serde_json::Value>(&body).unwrap());
    }
    signed.sort_by_key(|r| r["type"].to_string().contains("TrackRecord"));
    let outgoing = |records: &[serde_json::Value]| -> Vec<Outgoing> {
        records
            .iter()
            .map(|r| Outgoing {
                name: name_of(r),
                body: serde_json::to_string_pretty(r).unwrap(),
            })
            .collect()
    };

    // An expired access token is refreshed transparently (and the refresh token rotates).
    let mut stale = store.load("platform:alice").unwrap().unwrap();
    let old_refresh = stale.refresh_token.clone();
    stale.expires_at = 0;
    store.save("platform:alice", &stale).unwrap();
    let third = pod::push(
        &session,
        &http,
        "acme",
        outgoing(&signed[..1]),
        1,
        &progress,
    )
    .await
    .unwrap();
    assert_eq!(third.unchanged.len(), 1);
    assert_ne!(
        store.load("platform:alice").unwrap().unwrap().refresh_token,
        old_refresh
    );
    // A token the pod refuses is refreshed once and the request retried.
    let mut broken = store.load("platform:alice").unwrap().unwrap();
    broken.access_token = "not-a-token".into();
    store.save("platform:alice", &broken).unwrap();
    assert!(
        pod::push(
            &session,
            &http,
            "acme",
            outgoing(&signed[..1]),
            1,
            &progress
        )
        .await
        .is_ok()
    );

    // --- The matcher asks for full read of acme's records.
    let matcher = HubClient::discover(
        http.clone(),
        &stack.issuer,
        "jobmatch",
        stack.matcher.secret.as_deref(),
        REDIRECT,
        stack.clock.clone(),
    )
    .await
    .unwrap();
    let details = vec![GigData {
        kind: GIG_DATA.into(),
        actions: vec![Action::Read],
        locations: Vec::new(),
        platforms: vec!["acme".into()],
        level: Level::Full,
        purpose: Some("Shortlisting".into()),
        expires: None,
    }];
    let request = Request {
        scopes: vec!["gig:read".into(), "offline_access".into()],
        pod: pod_root.clone(),
        details,
    };
    let tokens = link(&stack, &mut browser, &matcher, &request).await;
    store.save("matcher:alice", &tokens).unwrap();
    let reader = Session {
        client: &matcher,
        store: &store,
        key: "matcher:alice".into(),
    };
    let read_all = || async {
        let urls = pod::list(&reader, &http, &format!("{pod_root}gigs/acme/")).await?;
        let mut out = Vec::new();
        for url in urls {
            let body = pod::fetch(&reader, &http, &url).await?;
            out.push((url, body));
        }
        Ok::<_, ConnectorError>(out)
    };
    let records = read_all().await.unwrap();
    assert_eq!(records.len(), signed.len());
    let place = Some(op_connector::verify::Pod {
        root: &pod_root,
        owner: &webid,
    });
    let checked = op_connector::verify::check(&http, &stack.issuer, &records, place, &clock).await;
    assert_eq!(
        checked.accepted.len(),
        signed.len(),
        "{:?}",
        checked.rejected
    );

    // A tampered record and a record its platform revoked are rejected, with the reason.
    let mut tampered = signed[0].clone();
    tampered["credentialSubject"]["performed"]["name"] = "Something else".into();
    let tampered_name = name_of(&signed[0]);
    let mut changed = outgoing(std::slice::from_ref(&tampered));
    changed[0].name = tampered_name.clone();
    let updated = pod::push(&session, &http, "acme", changed, 1, &progress)
        .await
        .unwrap();
    assert_eq!(updated.updated, vec![tampered_name.clone()]);
    // The platform withdraws a record: gone from the pod, and a copy kept elsewhere is revoked.
    let copies = read_all().await.unwrap();
    let withdrawn = name_of(&signed[1]);
    let flagged = op_connector::platform::withdraw(
        &session,
        &http,
        &creds,
        &signer,
        std::slice::from_ref(&withdrawn),
        &clock,
    )
    .await
    .unwrap();
    assert_eq!(flagged.len(), 1);
    let now_listed = read_all().await.unwrap();
    assert_eq!(now_listed.len(), copies.len() - 1);
    assert!(!now_listed.iter().any(|(u, _)| u.ends_with(&withdrawn)));
    let checked = op_connector::verify::check(&http, &stack.issuer, &copies, place, &clock).await;
    assert_eq!(checked.rejected.len(), 2, "{:?}", checked.rejected);
    assert!(
        checked
            .rejected
            .iter()
            .any(|r| r.url.ends_with(&tampered_name))
    );
    assert!(
        checked
            .rejected
            .iter()
            .any(|r| r.url.ends_with(&withdrawn) && r.reason.contains("revoked")),
        "{:?}",
        checked.rejected
    );
    let summary = op_connector::summary::summarise(&checked.accepted);
    assert_eq!(summary.len(), 1);
    assert!(
        summary[0]
            .ratings
            .iter()
            .all(|d| (0.0..=1.0).contains(&d.mean_normalised))
    );

    // The worker's backpack shows the records by platform, each with the hub's verdict.
    let backpack = browser
        .get(&format!("{}{HUB_BACKPACK}", stack.issuer))
        .await;
    assert_eq!(backpack.status, 200);
    assert!(
        backpack.body.contains("Gigs per month") && backpack.body.contains("<svg"),
        "{}",
        backpack.body
    );
    assert!(backpack.body.contains("✓ verified"));
    assert!(
        backpack.body.contains("not verified"),
        "the tampered record is flagged"
    );
    let sv = browser
        .get(&format!("{}{HUB_BACKPACK}?lang=sv", stack.issuer))
        .await;
    assert!(sv.body.contains("Din ryggsäck") && sv.body.contains("verifierad"));

    // The worker downloads everything: the pod's resources as stored, and a CV of ticked records.
    let csrf = backpack.csrf();
    let ticked = format!("{pod_root}gigs/acme/summary");
    let zip = browser
        .http
        .post(format!("{}{HUB_EXPORT}", stack.issuer))
        .header("Cookie", browser.cookie_header())
        .form(&[("csrf", csrf.as_str()), ("record", ticked.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(zip.status(), 200);
    assert_eq!(zip.headers()["content-type"], "application/zip");
    let bytes = zip.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK");
    let names = String::from_utf8_lossy(&bytes);
    assert!(
        names.contains("cv.html")
            && names.contains("pod/gigs/acme/summary")
            && names.contains("pod/profile/card")
            && names.contains("pod/gigs/acme/index.jsonld")
    );
    assert!(
        names.contains("Track record summary"),
        "the ticked record is in the CV"
    );

    // The worker revokes the matcher's grant: the connector says "reconnect".
    let dashboard = browser.get(&format!("{}/", stack.issuer)).await;
    let claims: serde_json::Value = {
        use base64::Engine;
        let t = store.load("matcher:alice").unwrap().unwrap().access_token;
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(t.split('.').nth(1).unwrap())
                .unwrap(),
        )
        .unwrap()
    };
    let grant = claims["grant_id"].as_str().unwrap();
    browser
        .post(
            &format!(
                "{}{}",
                stack.issuer,
                op_protocol::routes::hub_grant_revoke(grant)
            ),
            &[("csrf", &dashboard.csrf()), ("confirm", "yes")],
        )
        .await;
    let mut outcome = read_all().await;
    for _ in 0..50 {
        if outcome.is_err() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        outcome = read_all().await;
    }
    assert!(
        matches!(outcome, Err(ConnectorError::Reconnect(_))),
        "{outcome:?}"
    );
    assert!(
        store.load("matcher:alice").unwrap().is_none(),
        "the dead tokens are forgotten"
    );

    // Deleting the account needs the password; then the pod and the account are gone.
    let dashboard = browser.get(&format!("{}/", stack.issuer)).await;
    let delete = format!("{}{HUB_DELETE_ACCOUNT}", stack.issuer);
    let wrong = browser
        .post(
            &delete,
            &[("csrf", &dashboard.csrf()), ("password", "not my password")],
        )
        .await;
    assert_eq!(wrong.status, 403);
    let gone = browser
        .post(
            &delete,
            &[
                ("csrf", &dashboard.csrf()),
                ("password", "correct horse battery staple"),
            ],
        )
        .await;
    assert_eq!(gone.status, 303);
    let profile = http
        .get(format!("{pod_root}profile/card"))
        .send()
        .await
        .unwrap();
    assert_eq!(profile.status(), 404, "the hosted pod is deleted");
    assert!(
        matches!(
            session
                .access_token(Some(&session.tokens().unwrap().access_token))
                .await,
            Err(ConnectorError::Reconnect(_))
        ),
        "every grant was revoked"
    );
    stack.stop().await;
}
