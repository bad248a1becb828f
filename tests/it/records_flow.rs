//! Signed records across the stack: a platform registers its key at the hub, signs records as
//! `{hub}/platforms/{id}`, writes them into the worker's pod; a matcher with a grant reads them
//! back byte for byte and verifies them against the key it resolves from the hub.

use op_protocol::clock::Clock;
use op_protocol::datetime::DateTime;
use op_protocol::iri::AbsoluteIri;
use op_protocol::proof::{Controllers, KeyPair, VerificationMethodId};
use op_protocol::record::{
    GigExport, Issuance, Signer, StatusAllocation, StatusCheck, Verifier, convert,
};

use crate::stack::{Browser, Stack};

const EXPORT: &str = include_str!("../../protocol/tests/data/gig-export.json");

#[tokio::test]
async fn records_signed_by_a_registered_platform_verify_after_a_round_trip_through_the_pod() {
    let stack = Stack::start().await;
    let mut browser = Browser::new();
    browser
        .sign_up(&stack.issuer, "alice", "correct horse battery staple")
        .await;
    let platform_token = crate::pod_hub::access(
        &crate::pod_hub::grant(&stack, &mut browser, &stack.platform, "gig:write", None).await,
    );
    let matcher_token = crate::pod_hub::access(
        &crate::pod_hub::grant(&stack, &mut browser, &stack.matcher, "gig:read", None).await,
    );

    // The platform registers its signing key at the hub.
    let key = KeyPair::from_seed(rand::random());
    let http = op_connector::hub::http_client();
    let method = op_connector::hub::register_key(
        &http,
        &stack.issuer,
        &stack.platform.id,
        stack.platform.secret.as_deref().unwrap(),
        &key.public().to_multibase(),
    )
    .await
    .unwrap();
    let issuer = format!(
        "{}{}",
        stack.issuer,
        op_protocol::routes::hub_platform(&stack.platform.id)
    );
    assert_eq!(method, format!("{issuer}#key-1"));
    // The same key as a JWK is the same registration; private keys and other clients are refused.
    let register = |body: serde_json::Value, id: &str, secret: Option<String>| {
        stack
            .http
            .post(format!(
                "{}{}",
                stack.issuer,
                op_protocol::routes::hub_platform_keys(id)
            ))
            .basic_auth(id, secret)
            .json(&body)
            .send()
    };
    let x = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&key.public().as_bytes()[..])
    };
    let jwk = serde_json::json!({"publicKeyJwk": {"kty": "OKP", "crv": "Ed25519", "x": x}});
    let res = register(jwk, "acme", stack.platform.secret.clone())
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["id"],
        method.as_str()
    );
    let private =
        serde_json::json!({"publicKeyJwk": {"kty": "OKP", "crv": "Ed25519", "x": x, "d": x}});
    assert_eq!(
        register(private, "acme", stack.platform.secret.clone())
            .await
            .unwrap()
            .status(),
        400
    );
    let by_matcher = serde_json::json!({"publicKeyMultibase": key.public().to_multibase()});
    assert_eq!(
        register(by_matcher.clone(), "jobmatch", stack.matcher.secret.clone())
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        register(by_matcher, "acme", Some("wrong".into()))
            .await
            .unwrap()
            .status(),
        401
    );
    let signer = Signer::new(
        key,
        AbsoluteIri::parse("issuer", &issuer).unwrap(),
        VerificationMethodId::parse(&method).unwrap(),
    );

    // It converts its export, signs each record and writes it into its folder in the pod.
    let webid = stack.webid("alice");
    let mut issuance = Issuance::new(
        &issuer,
        DateTime::parse("2026-01-01T00:00:00Z").unwrap(),
        StatusAllocation {
            list: AbsoluteIri::parse(
                "list",
                &format!("{}1", op_protocol::routes::issuer_status_lists(&issuer)),
            )
            .unwrap(),
            first_index: 0,
        },
    );
    issuance.subject = Some(AbsoluteIri::parse("subject", &webid).unwrap());
    let records = convert(&GigExport::from_json(EXPORT).unwrap(), &issuance).unwrap();
    let clock = Clock::system();
    let mut written = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let signed = signer.sign(record, &clock).unwrap();
        let body = serde_json::to_string_pretty(&signed).unwrap();
        let url = format!("{}gigs/acme/record-{i}", stack.pod_root("alice"));
        let res = stack
            .http
            .put(&url)
            .bearer_auth(&platform_token)
            .header("Content-Type", "application/ld+json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        written.push((url, body));
    }

    // The matcher reads them back and verifies them with the key it resolves from the hub.
    let controller = op_connector::hub::controller_document(&http, &issuer)
        .await
        .unwrap();
    let methods = Controllers::new().with(controller);
    let verifier = Verifier {
        methods: &methods,
        status: StatusCheck::Skip,
        clock: &clock,
    };
    for (url, body) in &written {
        let res = stack
            .http
            .get(url)
            .bearer_auth(&matcher_token)
            .header("Accept", "application/ld+json")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let served = res.text().await.unwrap();
        assert_eq!(&served, body, "served byte for byte as signed");
        let verified = verifier
            .verify(&serde_json::from_str(&served).unwrap())
            .unwrap();
        assert!(verified.is_valid(), "{url}");
        let mut tampered: serde_json::Value = serde_json::from_str(&served).unwrap();
        tampered["validFrom"] = "2020-01-01T00:00:00Z".into();
        assert!(
            verifier.verify(&tampered).is_err() || !verifier.verify(&tampered).unwrap().is_valid()
        );
    }
    // Records with named graphs (the proof) are offered as TriG, never flattened silently.
    let res = stack
        .http
        .get(&written[0].0)
        .bearer_auth(&matcher_token)
        .header("Accept", "application/n-quads")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let registration: serde_json::Value = stack
        .http
        .get(op_protocol::routes::issuer_registration(&issuer))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(registration["certified"], true);
    stack.stop().await;
}
