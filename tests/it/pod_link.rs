//! A worker links a self-hosted pod to their hub account with the one-time code the pod printed.

use op_protocol::clock::Clock;

use crate::stack::{Browser, HUB_ADMIN, Page, REDIRECT};

async fn link(
    browser: &mut Browser,
    issuer: &str,
    csrf: String,
    url: String,
    code: String,
) -> Page {
    browser
        .post(
            &format!("{issuer}/pods/link"),
            &[("csrf", &csrf), ("pod_url", &url), ("code", &code)],
        )
        .await
}

#[tokio::test]
async fn a_self_hosted_pod_is_linked_with_its_one_time_code_and_then_works_with_hub_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let http = crate::harness::client();
    // A hub without a pod provider: workers bring their own pods.
    let hub = op_hub::start(
        op_hub::config::RawConfig {
            listen: Some("127.0.0.1:0".into()),
            storage: Some(op_store::BackendKind::Memory),
            admin_token: Some(HUB_ADMIN.into()),
            ..Default::default()
        }
        .validate()
        .unwrap(),
        Clock::system(),
    )
    .await
    .unwrap();
    let register = |body: serde_json::Value| {
        http.post(format!("{}/admin/clients", hub.issuer))
            .bearer_auth(HUB_ADMIN)
            .json(&body)
            .send()
    };
    let rs: serde_json::Value = register(
        serde_json::json!({"id": "bobs-pod", "kind": "resource_server", "name": "Bob's pod"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    register(serde_json::json!({"id": "pod-browser", "kind": "worker_app", "name": "Pod browser", "public": true, "redirect_uris": [REDIRECT]}))
        .await
        .unwrap();
    // Bob's own pod server, trusting the hub.
    let pod = op_pod::start(
        op_pod::config::RawConfig {
            listen: Some("127.0.0.1:0".into()),
            data_dir: Some(dir.path().join("pod")),
            storage: Some(op_store::BackendKind::Memory),
            single_pod: Some("bob".into()),
            trusted_issuer: vec![op_pod::config::RawIssuer {
                issuer: hub.issuer.clone(),
                jwks_file: None,
                client_id: Some("bobs-pod".into()),
                client_secret: rs["client_secret"].as_str().map(str::to_owned),
            }],
            ..Default::default()
        }
        .validate()
        .unwrap(),
        Clock::system(),
    )
    .await
    .unwrap();
    let code = pod
        .link_code
        .clone()
        .expect("an unlinked single pod prints a link code");
    let root = format!("{}/", pod.base_url);

    let mut browser = Browser::new();
    browser
        .sign_up(&hub.issuer, "bob", "correct horse battery staple")
        .await;
    let dashboard = browser.get(&format!("{}/", hub.issuer)).await;
    assert!(
        dashboard.body.contains("Link your own pod"),
        "{}",
        dashboard.body
    );
    let wrong = link(
        &mut browser,
        &hub.issuer,
        dashboard.csrf(),
        root.clone(),
        "AAAAAA-AAAAAA-AAAAAA-AAAAAA-AA".into(),
    )
    .await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.body.contains("refused the link"), "{}", wrong.body);
    let not_a_pod = link(
        &mut browser,
        &hub.issuer,
        dashboard.csrf(),
        "ftp://pod.example/".into(),
        code.clone(),
    )
    .await;
    assert_eq!(not_a_pod.status, 400);
    let ok = link(
        &mut browser,
        &hub.issuer,
        dashboard.csrf(),
        root.clone(),
        code.to_lowercase(),
    )
    .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let dashboard = browser.get(&format!("{}/", hub.issuer)).await;
    assert!(
        dashboard.body.contains(&format!("{root}profile/card#me")),
        "the WebID is now the pod's"
    );
    assert!(!dashboard.body.contains("Link your own pod"));
    let again = link(
        &mut browser,
        &hub.issuer,
        dashboard.csrf(),
        root.clone(),
        code.clone(),
    )
    .await;
    assert_eq!(again.status, 400, "a code works once");
    assert!(again.body.contains("used or expired"), "{}", again.body);

    // Bob's own app now gets owner tokens for his pod from the hub.
    let verifier = "a-very-long-pkce-verifier-string-for-this-test-0123456789";
    let challenge = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()))
    };
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", "pod-browser"),
            ("redirect_uri", REDIRECT),
            ("scope", "pod:owner"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("resource", root.as_str()),
        ])
        .finish();
    let answer = browser
        .authorize(
            &hub.issuer,
            &format!("{}/authorize?{query}", hub.issuer),
            "allow",
        )
        .await;
    let tokens: serde_json::Value = http
        .post(format!("{}/token", hub.issuer))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &answer["code"]),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
            ("client_id", "pod-browser"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let res = http
        .get(format!("{root}gigs/"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    pod.stop().await;
    hub.stop().await;
}
