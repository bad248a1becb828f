//! The pod trusts the hub over HTTP only: platforms write only where they may, matchers read only
//! what the worker granted, revocation bites within a second — also across restarts.

use op_protocol::routes::{
    HUB_ADMIN_KEYS_ROTATE, HUB_AUTHORIZE, HUB_LOGIN, HUB_TOKEN, POD_ADMIN_PODS,
};

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use sha2::{Digest, Sha256};

use crate::stack::{Browser, REDIRECT, Registered, Stack};

const PASSWORD: &str = "correct horse battery staple";

/// Runs the code flow for `client` with alice logged in to `browser`; returns the token response.
pub async fn grant(
    stack: &Stack,
    browser: &mut Browser,
    client: &Registered,
    scope: &str,
    details: Option<&str>,
) -> serde_json::Value {
    grant_at(stack, browser, client, scope, details, "alice").await
}

/// Runs the code flow for `client` for `worker`'s pod, with them logged in to `browser`.
pub async fn grant_at(
    stack: &Stack,
    browser: &mut Browser,
    client: &Registered,
    scope: &str,
    details: Option<&str>,
    worker: &str,
) -> serde_json::Value {
    let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let root = stack.pod_root(worker);
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", client.id.as_str()),
        ("redirect_uri", REDIRECT),
        ("scope", scope),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("resource", root.as_str()),
        ("prompt", "consent"),
    ];
    if let Some(d) = details {
        params.push(("authorization_details", d));
    }
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&params)
        .finish();
    let answer = browser
        .authorize(
            &stack.issuer,
            &format!("{}{HUB_AUTHORIZE}?{query}", stack.issuer),
            "allow",
        )
        .await;
    let code = answer
        .get("code")
        .unwrap_or_else(|| panic!("no code: {answer:?}"))
        .clone();
    let mut req = stack.http.post(format!("{}{HUB_TOKEN}", stack.issuer));
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    match &client.secret {
        Some(secret) => req = req.basic_auth(&client.id, Some(secret)),
        None => form.push(("client_id", client.id.as_str())),
    }
    let res = req.form(&form).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

pub fn access(tokens: &serde_json::Value) -> String {
    tokens["access_token"].as_str().unwrap().to_owned()
}

async fn worker(stack: &Stack) -> Browser {
    let mut browser = Browser::new();
    let page = browser.sign_up(&stack.issuer, "alice", PASSWORD).await;
    assert_eq!(page.status, 303, "{}", page.body);
    browser
}

async fn call(
    stack: &Stack,
    method: Method,
    path: &str,
    token: &str,
    body: Option<&str>,
) -> (u16, String) {
    let mut req = stack
        .http
        .request(
            method,
            format!("{}{path}", stack.pod_root("alice").trim_end_matches('/')),
        )
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.header("Content-Type", "text/turtle").body(b.to_owned());
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}

const RECORD: &str = "<#gig> <https://schema.org/name> \"Delivery\" .";

#[tokio::test]
async fn a_platform_writes_only_its_own_folder_and_the_owner_sees_every_access() {
    let stack = Stack::start().await;
    let mut browser = worker(&stack).await;
    let owner = access(
        &grant(
            &stack,
            &mut browser,
            &stack.app,
            "openid webid pod:owner",
            None,
        )
        .await,
    );
    let platform = access(
        &grant(
            &stack,
            &mut browser,
            &stack.platform,
            "gig:write offline_access",
            None,
        )
        .await,
    );
    assert_eq!(
        call(
            &stack,
            Method::PUT,
            "/gigs/acme/gig-1",
            &platform,
            Some(RECORD)
        )
        .await
        .0,
        201
    );
    assert_eq!(
        call(&stack, Method::GET, "/gigs/acme/gig-1", &platform, None)
            .await
            .0,
        200
    );
    for path in ["/gigs/other/gig-1", "/profile/card", "/gigs/acme-evil/x"] {
        let (status, body) = call(&stack, Method::PUT, path, &platform, Some(RECORD)).await;
        assert_eq!(status, 403, "{path}: {body}");
    }
    assert_eq!(
        call(&stack, Method::GET, "/gigs/", &platform, None).await.0,
        403
    );
    // The owner's app has full access; the owner's requests are not logged, the platform's are.
    assert_eq!(
        call(&stack, Method::GET, "/gigs/", &owner, None).await.0,
        200
    );
    let (status, log) = call(&stack, Method::GET, "/log/", &owner, None).await;
    assert_eq!(status, 200);
    assert!(log.contains("op:client \"acme\""), "{log}");
    assert!(
        log.contains("op:path \"/alice/gigs/other/gig-1\"") && log.contains("op:status 403"),
        "{log}"
    );
    assert!(
        !log.contains("my-pod-app"),
        "owner requests are not logged: {log}"
    );
    assert_eq!(
        call(&stack, Method::GET, "/log/", &platform, None).await.0,
        403
    );
    // The hub's dashboard shows the pod's access log, read with the worker's owner rights.
    let dashboard = browser.get(&format!("{}/", stack.issuer)).await;
    assert!(
        dashboard.body.contains("Who accessed your pod"),
        "{}",
        dashboard.body
    );
    assert!(
        dashboard.body.contains("PUT /alice/gigs/other/gig-1"),
        "{}",
        dashboard.body
    );
    assert_eq!(
        call(&stack, Method::PUT, "/log/x", &owner, Some(RECORD))
            .await
            .0,
        405
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_matcher_reads_only_what_the_worker_granted() {
    let stack = Stack::start().await;
    let mut browser = worker(&stack).await;
    let owner = access(&grant(&stack, &mut browser, &stack.app, "pod:owner", None).await);
    for path in [
        "/gigs/acme/gig-1",
        "/gigs/acme/summary",
        "/gigs/other/gig-9",
        "/gigs/other/summary",
    ] {
        assert_eq!(
            call(&stack, Method::PUT, path, &owner, Some(RECORD))
                .await
                .0,
            201
        );
    }
    let summary = access(
        &grant(&stack, &mut browser, &stack.matcher, "gig:read:summary",
            Some(r#"[{"type":"gig_data","actions":["read"],"platforms":["acme"],"level":"summary"}]"#)).await,
    );
    assert_eq!(
        call(&stack, Method::GET, "/gigs/acme/summary", &summary, None)
            .await
            .0,
        200
    );
    for path in [
        "/gigs/acme/gig-1",
        "/gigs/acme/",
        "/gigs/other/summary",
        "/gigs/",
        "/profile/",
    ] {
        assert_eq!(
            call(&stack, Method::GET, path, &summary, None).await.0,
            403,
            "{path}"
        );
    }
    let full = access(
        &grant(
            &stack,
            &mut browser,
            &stack.matcher,
            "gig:read",
            Some(r#"[{"type":"gig_data","actions":["read"],"platforms":["acme"],"level":"full"}]"#),
        )
        .await,
    );
    for path in ["/gigs/acme/gig-1", "/gigs/acme/summary", "/gigs/acme/"] {
        assert_eq!(
            call(&stack, Method::GET, path, &full, None).await.0,
            200,
            "{path}"
        );
    }
    assert_eq!(
        call(&stack, Method::GET, "/gigs/other/gig-9", &full, None)
            .await
            .0,
        403
    );
    assert_eq!(
        call(&stack, Method::PUT, "/gigs/acme/gig-1", &full, Some(RECORD))
            .await
            .0,
        403,
        "read only"
    );
    let res = stack
        .http
        .get(format!("{}gigs/acme/gig-1", stack.pod_root("alice")))
        .bearer_auth(&full)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["wac-allow"], "user=\"read\",public=\"\"");
    stack.stop().await;
}

#[tokio::test]
async fn tokens_not_meant_for_this_pod_are_refused() {
    let stack = Stack::start().await;
    let mut browser = worker(&stack).await;
    let tokens = grant(&stack, &mut browser, &stack.app, "openid pod:owner", None).await;
    let (status, body) = call(
        &stack,
        Method::GET,
        "/gigs/",
        tokens["id_token"].as_str().unwrap(),
        None,
    )
    .await;
    assert_eq!(status, 401, "an ID token: {body}");
    let cc = stack
        .http
        .post(format!("{}{HUB_TOKEN}", stack.issuer))
        .basic_auth(&stack.platform.id, stack.platform.secret.as_deref())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let (status, body) = call(&stack, Method::GET, "/gigs/", &access(&cc), None).await;
    assert_eq!(status, 401, "a token for the hub itself: {body}");
    assert!(body.contains("another resource server"), "{body}");
    // Only the operator's token or the hub's own service token opens the admin API.
    let owner = access(&grant(&stack, &mut browser, &stack.app, "pod:owner", None).await);
    for token in [owner, access(&cc)] {
        let res = stack
            .http
            .post(format!("{}{POD_ADMIN_PODS}", stack.pod_base))
            .bearer_auth(token)
            .json(&serde_json::json!({"name": "mallory"}))
            .send()
            .await
            .unwrap();
        assert!(
            matches!(res.status().as_u16(), 401 | 403),
            "{}",
            res.status()
        );
    }
    stack.stop().await;
}

#[tokio::test]
async fn revocation_at_the_hub_bites_at_the_pod_while_a_reader_reads() {
    let stack = Stack::start().await;
    let mut browser = worker(&stack).await;
    let owner = access(&grant(&stack, &mut browser, &stack.app, "pod:owner", None).await);
    assert_eq!(
        call(
            &stack,
            Method::PUT,
            "/gigs/acme/gig-1",
            &owner,
            Some(RECORD)
        )
        .await
        .0,
        201
    );
    let tokens = grant(&stack, &mut browser, &stack.matcher, "gig:read", None).await;
    let token = access(&tokens);
    assert_eq!(
        call(&stack, Method::GET, "/gigs/acme/gig-1", &token, None)
            .await
            .0,
        200
    );
    let grant_id = {
        let claims = token.split('.').nth(1).unwrap();
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
        claims["grant_id"].as_str().unwrap().to_owned()
    };
    // A matcher reads in a loop while the worker revokes the grant.
    let reader = {
        let (http, url, token) = (
            stack.http.clone(),
            format!("{}gigs/acme/gig-1", stack.pod_root("alice")),
            token.clone(),
        );
        tokio::spawn(async move {
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                let status = http
                    .get(&url)
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16();
                if status != 200 {
                    return Some((Instant::now(), status));
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            None
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let dashboard = browser.get(&format!("{}/", stack.issuer)).await;
    let page = browser
        .post(
            &format!(
                "{}{}",
                stack.issuer,
                op_protocol::routes::hub_grant_revoke(&grant_id)
            ),
            &[("csrf", &dashboard.csrf()), ("confirm", "yes")],
        )
        .await;
    assert_eq!(page.status, 303);
    // How fast is a figure for the benchmarks (docs/PERFORMANCE.md); here: it bites, and the
    // first answer that is not 200 is the refusal, not an error.
    let (_, status) = reader
        .await
        .unwrap()
        .expect("the pod refused the revoked grant");
    assert_eq!(status, 401);
    let (_, body) = call(&stack, Method::GET, "/gigs/acme/gig-1", &token, None).await;
    assert!(body.contains("revoked"), "{body}");
    stack.stop().await;
}

#[tokio::test]
async fn a_pod_restarted_while_the_hub_is_down_still_refuses_revoked_grants_and_catches_up() {
    let mut stack = Stack::with_storage(op_store::BackendKind::Redb).await;
    let mut browser = worker(&stack).await;
    let owner = access(&grant(&stack, &mut browser, &stack.app, "pod:owner", None).await);
    assert_eq!(
        call(
            &stack,
            Method::PUT,
            "/gigs/acme/gig-1",
            &owner,
            Some(RECORD)
        )
        .await
        .0,
        201
    );
    let first = access(&grant(&stack, &mut browser, &stack.matcher, "gig:read", None).await);
    let second = access(&grant(&stack, &mut browser, &stack.matcher, "gig:read", None).await);
    let grant_of = |t: &str| {
        let claims: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(t.split('.').nth(1).unwrap())
                .unwrap(),
        )
        .unwrap();
        claims["grant_id"].as_str().unwrap().to_owned()
    };
    let revoke = |browser_page: crate::stack::Page, id: String| (browser_page.csrf(), id);
    let dashboard = browser.get(&format!("{}/", stack.issuer)).await;
    let (csrf, first_grant) = revoke(dashboard, grant_of(&first));
    browser
        .post(
            &format!(
                "{}{}",
                stack.issuer,
                op_protocol::routes::hub_grant_revoke(&first_grant)
            ),
            &[("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    // Wait until the pod has seen the first revocation.
    let deadline = Instant::now() + Duration::from_secs(5);
    while call(&stack, Method::GET, "/gigs/acme/gig-1", &first, None)
        .await
        .0
        == 200
    {
        assert!(
            Instant::now() < deadline,
            "the pod never saw the revocation"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The hub goes down; the pod restarts while it is down.
    stack.stop_hub().await;
    stack.restart_pod().await;
    let (status, body) = call(&stack, Method::GET, "/gigs/acme/gig-1", &first, None).await;
    assert_eq!(
        status, 401,
        "revoked before the restart, still refused: {body}"
    );
    // Past the grace period, an unrevoked token cannot be checked: 503, not blind trust.
    stack.clock.advance(Duration::from_secs(2));
    let (status, body) = call(&stack, Method::GET, "/gigs/acme/gig-1", &second, None).await;
    assert_eq!(status, 503, "{body}");
    // The hub comes back; the worker revokes the second grant; the pod catches up.
    stack.start_hub().await;
    let mut browser = Browser::new();
    let login = browser.get(&format!("{}{HUB_LOGIN}", stack.issuer)).await;
    let page = browser
        .post(
            &format!("{}{HUB_LOGIN}", stack.issuer),
            &[
                ("csrf", &login.csrf()),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, 303);
    let dashboard = browser.get(&format!("{}/", stack.issuer)).await;
    let second_grant = grant_of(&second);
    browser
        .post(
            &format!(
                "{}{}",
                stack.issuer,
                op_protocol::routes::hub_grant_revoke(&second_grant)
            ),
            &[("csrf", &dashboard.csrf()), ("confirm", "yes")],
        )
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = call(&stack, Method::GET, "/gigs/acme/gig-1", &second, None).await;
        if status == 401 && body.contains("revoked") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the pod did not catch up: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stack.stop().await;
}

#[tokio::test]
async fn a_hub_key_rotation_does_not_break_valid_tokens() {
    let stack = Stack::start().await;
    let mut browser = worker(&stack).await;
    let before = access(&grant(&stack, &mut browser, &stack.app, "pod:owner", None).await);
    assert_eq!(
        call(&stack, Method::GET, "/gigs/", &before, None).await.0,
        200
    );
    let res = stack
        .http
        .post(format!("{}{HUB_ADMIN_KEYS_ROTATE}", stack.issuer))
        .bearer_auth(crate::stack::HUB_ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let after = access(&grant(&stack, &mut browser, &stack.app, "pod:owner", None).await);
    assert_eq!(
        call(&stack, Method::GET, "/gigs/", &after, None).await.0,
        200,
        "new key fetched on an unknown kid"
    );
    assert_eq!(
        call(&stack, Method::GET, "/gigs/", &before, None).await.0,
        200,
        "old key still trusted"
    );
    stack.stop().await;
}

/// A DPoP key pair for a client.
struct DpopKey {
    encoding: jsonwebtoken::EncodingKey,
    jwk: jsonwebtoken::jwk::Jwk,
}

impl DpopKey {
    fn new() -> DpopKey {
        use ed25519_dalek::pkcs8::EncodePrivateKey;
        use jsonwebtoken::jwk::{
            AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, OctetKeyPairParameters,
            OctetKeyPairType,
        };
        let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
        let jwk = Jwk {
            common: CommonParameters::default(),
            algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                key_type: OctetKeyPairType::OctetKeyPair,
                curve: EllipticCurve::Ed25519,
                x: URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes()),
            }),
        };
        DpopKey {
            encoding: jsonwebtoken::EncodingKey::from_ed_der(
                key.to_pkcs8_der().unwrap().as_bytes(),
            ),
            jwk,
        }
    }

    fn proof(&self, method: &str, url: &str, token: Option<&str>) -> String {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.typ = Some("dpop+jwt".into());
        header.jwk = Some(self.jwk.clone());
        let mut claims = serde_json::json!({
            "htm": method, "htu": url, "iat": op_protocol::clock::Clock::system().now_secs(),
            "jti": URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>()),
        });
        if let Some(t) = token {
            claims["ath"] = URL_SAFE_NO_PAD.encode(Sha256::digest(t.as_bytes())).into();
        }
        jsonwebtoken::encode(&header, &claims, &self.encoding).unwrap()
    }
}

#[tokio::test]
async fn dpop_bound_tokens_need_a_fresh_proof_by_their_key_for_each_request() {
    let stack = Stack::start().await;
    let mut browser = worker(&stack).await;
    // Get a code for the public worker app, then redeem it with a DPoP proof.
    let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let root = stack.pod_root("alice");
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", "my-pod-app"),
            ("redirect_uri", REDIRECT),
            ("scope", "pod:owner"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("resource", root.as_str()),
        ])
        .finish();
    let answer = browser
        .authorize(
            &stack.issuer,
            &format!("{}{HUB_AUTHORIZE}?{query}", stack.issuer),
            "allow",
        )
        .await;
    let key = DpopKey::new();
    let token_url = format!("{}{HUB_TOKEN}", stack.issuer);
    let res = stack
        .http
        .post(&token_url)
        .header("DPoP", key.proof("POST", &token_url, None))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &answer["code"]),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
            ("client_id", "my-pod-app"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let tokens: serde_json::Value = res.json().await.unwrap();
    assert_eq!(tokens["token_type"], "DPoP");
    let token = access(&tokens);
    let url = format!("{root}gigs/");
    let send = |auth: String, proof: Option<String>| {
        let mut req = stack.http.get(&url).header("Authorization", auth);
        if let Some(p) = proof {
            req = req.header("DPoP", p);
        }
        req.send()
    };
    let good = key.proof("GET", &url, Some(&token));
    assert_eq!(
        send(format!("DPoP {token}"), Some(good.clone()))
            .await
            .unwrap()
            .status(),
        200
    );
    let replayed = send(format!("DPoP {token}"), Some(good)).await.unwrap();
    assert_eq!(replayed.status(), 401, "a proof is single use");
    assert!(
        replayed.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("DPoP")
    );
    let cases = [
        ("as a bearer token", format!("Bearer {token}"), None),
        ("without a proof", format!("DPoP {token}"), None),
        (
            "proof for another URL",
            format!("DPoP {token}"),
            Some(key.proof("GET", &format!("{root}profile/"), Some(&token))),
        ),
        (
            "proof for another method",
            format!("DPoP {token}"),
            Some(key.proof("PUT", &url, Some(&token))),
        ),
        (
            "proof without ath",
            format!("DPoP {token}"),
            Some(key.proof("GET", &url, None)),
        ),
        (
            "proof by another key",
            format!("DPoP {token}"),
            Some(DpopKey::new().proof("GET", &url, Some(&token))),
        ),
    ];
    for (name, auth, proof) in cases {
        let res = send(auth, proof).await.unwrap();
        assert_eq!(res.status(), 401, "{name}");
    }
    stack.stop().await;
}
