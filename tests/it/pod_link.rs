//! A worker links a self-hosted pod to their hub account with the one-time code the pod printed.

use op_protocol::routes::{
    HUB_ADMIN_CLIENTS, HUB_AUTHORIZE, HUB_GRANTS, HUB_LINK_POD, HUB_SIGNUP, HUB_TOKEN,
};

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
            &format!("{issuer}{HUB_LINK_POD}"),
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
        http.post(format!("{}{HUB_ADMIN_CLIENTS}", hub.issuer))
            .bearer_auth(HUB_ADMIN)
            .json(&body)
            .send()
    };
    register(serde_json::json!({"id": "pod-browser", "kind": "worker_app", "name": "Pod browser", "public": true, "redirect_uris": [REDIRECT]}))
        .await
        .unwrap();
    // Bob's own pod server, trusting the hub exactly as docs/WORKERS.md starts it: no client
    // credentials at the hub. Linking hands them over, so the pod follows the hub's revocations.
    let pod =
        crate::stack::own_pod(&hub.issuer, &dir.path().join("pod"), "bob", Clock::system()).await;
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
    assert!(wrong.body.contains("refused the code"), "{}", wrong.body);
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
    // Bob's WebID stays the one the hub anchors for him; its profile now names his pod.
    let webid = format!(
        "{}{}#me",
        hub.issuer,
        op_protocol::routes::hub_person("bob")
    );
    assert!(dashboard.body.contains(&webid), "{}", dashboard.body);
    let profile = http.get(&webid).send().await.unwrap().text().await.unwrap();
    assert!(profile.contains(&format!("<{root}>")), "{profile}");
    assert!(!dashboard.body.contains("Link your own pod"));
    let again = link(
        &mut browser,
        &hub.issuer,
        dashboard.csrf(),
        root.clone(),
        code.clone(),
    )
    .await;
    assert_eq!(again.status, 400, "one pod per account");
    assert!(again.body.contains("already have a pod"), "{}", again.body);
    // Someone else with the same code gets nothing: a code works once.
    let mut eve = Browser::new();
    eve.sign_up(&hub.issuer, "eve", "correct horse battery staple")
        .await;
    let csrf = eve.get(&format!("{}/", hub.issuer)).await.csrf();
    let stolen = link(&mut eve, &hub.issuer, csrf, root.clone(), code.clone()).await;
    assert_eq!(stolen.status, 400, "a code works once");
    assert!(stolen.body.contains("used or expired"), "{}", stolen.body);

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
            &format!("{}{HUB_AUTHORIZE}?{query}", hub.issuer),
            "allow",
        )
        .await;
    let tokens: serde_json::Value = http
        .post(format!("{}{HUB_TOKEN}", hub.issuer))
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
    assert_eq!(
        pod.state.verifier.issuers()[0].feed.connections(),
        1,
        "the pod follows the hub's revocation feed with the credentials linking gave it"
    );

    // Revoking the app's grant on the dashboard bites at the self-hosted pod.
    let dashboard = browser.get(&format!("{}/", hub.issuer)).await;
    let grant_id = dashboard
        .body
        .split(&format!("{HUB_GRANTS}/"))
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("the dashboard lists the app's grant")
        .to_owned();
    let revoked = browser
        .post(
            &format!(
                "{}{}",
                hub.issuer,
                op_protocol::routes::hub_grant_revoke(&grant_id)
            ),
            &[("csrf", &dashboard.csrf()), ("confirm", "yes")],
        )
        .await;
    assert_eq!(revoked.status, 303);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let status = http
            .get(format!("{root}gigs/"))
            .bearer_auth(tokens["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .status();
        if status == 401 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the revoked grant still reads the self-hosted pod ({status})"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    pod.stop().await;
    hub.stop().await;
}

/// A stand-in for someone else's server: answers every request with what `answer` says for its
/// own base URL, the method and the path (status, content type, body). One request per connection.
async fn fake_server(
    answer: impl Fn(&str, &str, &str) -> (u16, &'static str, String) + Send + Sync + 'static,
) -> (String, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (answer, own) = (std::sync::Arc::new(answer), base.clone());
    let task = tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (answer, own) = (answer.clone(), own.clone());
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let n = socket.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                let mut words = head.split_whitespace();
                let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
                let (status, kind, body) = answer(&own, method, path);
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: {kind}\r\ncontent-length: {}\r\n\
                     location: http://10.0.0.1/internal\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    (base, task)
}

/// A hub without a pod provider and a signed-up worker; returns the dashboard's CSRF token.
async fn hub_and_worker(outbound_private: Option<bool>) -> (op_hub::RunningHub, Browser, String) {
    let hub = op_hub::start(
        op_hub::config::RawConfig {
            listen: Some("127.0.0.1:0".into()),
            storage: Some(op_store::BackendKind::Memory),
            admin_token: Some(HUB_ADMIN.into()),
            outbound_private,
            ..Default::default()
        }
        .validate()
        .unwrap(),
        Clock::system(),
    )
    .await
    .unwrap();
    let mut browser = Browser::new();
    browser
        .sign_up(&hub.issuer, "mallory", "correct horse battery staple")
        .await;
    let csrf = browser.get(&format!("{}/", hub.issuer)).await.csrf();
    (hub, browser, csrf)
}

/// Links the fake pod at `base` and returns the page and the dashboard after it.
async fn link_fake(base: &str) -> (Page, Page) {
    let (hub, mut browser, csrf) = hub_and_worker(None).await;
    let page = link(
        &mut browser,
        &hub.issuer,
        csrf,
        format!("{base}/"),
        "CODE".into(),
    )
    .await;
    let dashboard = browser.get(&format!("{}/", hub.issuer)).await;
    hub.stop().await;
    (page, dashboard)
}

#[tokio::test]
async fn a_pod_server_that_does_not_take_the_workers_webid_as_owner_is_not_linked() {
    let (base, server) = fake_server(|own, _, path| match path {
        op_protocol::routes::POD_LINK => (
            200,
            "application/json",
            serde_json::json!({
                "root": format!("{own}/"),
                "webid": "https://victim.example/alice/profile/card#me"
            })
            .to_string(),
        ),
        _ => (404, "text/plain", String::new()),
    })
    .await;
    let (page, dashboard) = link_fake(&base).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(
        page.body.contains("did not make your WebID"),
        "{}",
        page.body
    );
    assert!(!dashboard.body.contains("victim.example"));
    assert!(
        dashboard.body.contains("Link your own pod"),
        "nothing was linked"
    );
    server.abort();
}

#[tokio::test]
async fn a_refusing_server_body_is_never_shown_and_redirects_are_not_followed() {
    let (base, server) = fake_server(|_, _, path| match path {
        op_protocol::routes::POD_LINK => (
            403,
            "text/plain",
            "INTERNAL-SECRET from another service".to_owned(),
        ),
        _ => (307, "text/plain", String::new()),
    })
    .await;
    let (page, _) = link_fake(&base).await;
    assert_eq!(page.status, 400);
    assert!(!page.body.contains("INTERNAL-SECRET"), "{}", page.body);
    assert!(page.body.contains("refused the code"), "{}", page.body);
    server.abort();

    // A server that redirects the link call elsewhere is not followed there.
    let (base, server) = fake_server(|_, _, _| (307, "text/plain", String::new())).await;
    let (page, _) = link_fake(&base).await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("HTTP 307"), "{}", page.body);
    server.abort();
}

#[tokio::test]
async fn a_hub_on_a_public_address_refuses_to_call_private_ones() {
    let (base, server) = fake_server(|_, _, _| (200, "text/plain", String::new())).await;
    let (hub, mut browser, csrf) = hub_and_worker(Some(false)).await;
    for url in [
        format!("{base}/"),
        "http://localhost:9/".to_owned(),
        "https://10.0.0.1/".to_owned(),
        "https://169.254.169.254/".to_owned(),
        "https://[::1]/".to_owned(),
    ] {
        let page = link(
            &mut browser,
            &hub.issuer,
            csrf.clone(),
            url.clone(),
            "CODE".into(),
        )
        .await;
        assert_eq!(page.status, 400, "{url}: {}", page.body);
        assert!(
            page.body.contains("private or reserved"),
            "{url}: {}",
            page.body
        );
    }
    server.abort();
    hub.stop().await;
}

#[tokio::test]
async fn a_worker_without_a_pod_has_a_webid_profile_on_the_hub() {
    let (hub, _browser, _csrf) = hub_and_worker(None).await;
    let http = crate::harness::client();
    let person = format!(
        "{}{}",
        hub.issuer,
        op_protocol::routes::hub_person("mallory")
    );
    let res = http.get(&person).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/turtle");
    let text = res.text().await.unwrap();
    assert!(
        text.contains(&format!(
            "<{}> <{}>",
            op_protocol::vocab::solid::OIDC_ISSUER,
            hub.issuer
        )),
        "{text}"
    );
    assert!(text.contains("<#me> a"), "{text}");
    for other in ["nobody", "Not%20A%20Name"] {
        let url = format!("{}{}", hub.issuer, op_protocol::routes::hub_person(other));
        assert_eq!(http.get(&url).send().await.unwrap().status(), 404, "{url}");
    }
    hub.stop().await;
}

#[tokio::test]
async fn on_a_hub_that_hosts_pods_a_worker_can_choose_their_own_pod_at_sign_up() {
    // The stack's hub has a pod provider: by default a new worker gets a hosted pod, but the
    // sign-up form offers "I have my own pod", after which the dashboard offers linking one.
    let stack = crate::stack::Stack::start().await;
    let mut browser = crate::stack::Browser::new();
    let page = browser.get(&format!("{}{HUB_SIGNUP}", stack.issuer)).await;
    assert!(page.body.contains("I have my own pod"), "{}", page.body);
    let csrf = page.csrf();
    let signed_up = browser
        .post(
            &format!("{}{HUB_SIGNUP}", stack.issuer),
            &[
                ("csrf", &csrf),
                ("username", "carol"),
                ("password", "correct horse battery staple"),
                ("own_pod", "on"),
            ],
        )
        .await;
    assert_eq!(signed_up.status, 303, "{}", signed_up.body);
    let dashboard = browser.get(&format!("{}/", stack.issuer)).await;
    assert!(
        dashboard.body.contains("name=\"pod_url\"") && dashboard.body.contains("name=\"code\""),
        "the link form is offered: {}",
        dashboard.body
    );
    let webid = format!(
        "{}{}#me",
        stack.issuer,
        op_protocol::routes::hub_person("carol")
    );
    assert!(dashboard.body.contains(&webid), "{}", dashboard.body);
    // No pod was created for her on the pod server.
    let res = stack
        .http
        .get(format!("{}profile/card", stack.pod_root("carol")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // Without the box ticked, a hosted pod as before.
    let mut dave = crate::stack::Browser::new();
    dave.sign_up(&stack.issuer, "dave", "correct horse battery staple")
        .await;
    let res = stack
        .http
        .get(format!("{}profile/card", stack.pod_root("dave")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    stack.stop().await;
}
