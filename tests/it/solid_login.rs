//! Solid-OIDC at the hub and the pod, with our own client: a worker's app that asks for `webid`
//! and names no pod gets a DPoP-bound ES256 token for any Solid server (`aud` `solid`) and an
//! ID token naming `solid`; the consent screen says what that means; the worker's pod accepts
//! it for its owner only, with its DPoP proof, until the worker revokes it; a token from a
//! provider the WebID does not name is refused. (`solid_oidc.rs` shows the same with Inrupt's
//! clients and the Community Solid Server.)

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use op_protocol::routes::{HUB_AUTHORIZE, HUB_JWKS, HUB_REVOKE, HUB_TOKEN};
use sha2::{Digest, Sha256};

use crate::hub_dpop::Key;
use crate::stack::{Browser, REDIRECT, Stack};

const PASSWORD: &str = "correct horse battery staple";
const SOLID_SCOPE: &str = "openid offline_access webid";

fn part(jwt: &str, i: usize) -> serde_json::Value {
    let bytes = URL_SAFE_NO_PAD
        .decode(jwt.split('.').nth(i).unwrap())
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// The worker allows `client_id` a Solid login; the code is redeemed with a proof by `key`, or
/// with none. Returns the token endpoint's status and body.
async fn solid_login(
    stack: &Stack,
    browser: &mut Browser,
    client_id: &str,
    key: Option<&Key>,
) -> (u16, serde_json::Value) {
    let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT),
            ("scope", SOLID_SCOPE),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("prompt", "consent"),
        ])
        .finish();
    let url = format!("{}{HUB_AUTHORIZE}?{query}", stack.issuer);
    let mut page = browser.get(&url).await;
    while let Some(next) = page.location.clone() {
        page = browser.get(&format!("{}{next}", stack.issuer)).await;
    }
    assert!(
        page.body.contains("act as you in Solid apps"),
        "the consent screen says what a Solid login gives: {}",
        page.body
    );
    let answer = browser.authorize(&stack.issuer, &url, "allow").await;
    let token_url = format!("{}{HUB_TOKEN}", stack.issuer);
    let mut req = stack.http.post(&token_url);
    if let Some(key) = key {
        req = req.header("DPoP", key.proof("POST", &token_url, None));
    }
    let res = req
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", answer["code"].as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier.as_str()),
            ("client_id", client_id),
        ])
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn get_with(stack: &Stack, url: &str, token: &str, key: &Key, scheme: &str) -> (u16, String) {
    let res = stack
        .http
        .get(url)
        .header("Authorization", format!("{scheme} {token}"))
        .header("DPoP", key.proof("GET", url, Some(token)))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn a_solid_login_is_dpop_bound_es256_and_opens_the_owners_pod_only() {
    let stack = Stack::start().await;
    let mut alice = Browser::new();
    alice.sign_up(&stack.issuer, "alice", PASSWORD).await;
    let mut bob = Browser::new();
    bob.sign_up(&stack.issuer, "bob", PASSWORD).await;

    // Without DPoP, the code is refused: a Solid login is always bound to the app's key.
    let (status, body) = solid_login(&stack, &mut alice, &stack.app.id, None).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_dpop_proof", "{body}");

    let key = Key::new();
    let (status, tokens) = solid_login(&stack, &mut alice, &stack.app.id, Some(&key)).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "DPoP");
    let access = tokens["access_token"].as_str().unwrap();
    let (header, claims) = (part(access, 0), part(access, 1));
    assert_eq!(
        header["alg"], "ES256",
        "Solid servers verify ECDSA or RSA only"
    );
    assert_eq!(claims["aud"], "solid");
    assert_eq!(claims["webid"], stack.webid("alice"));
    assert_eq!(claims["client_id"], stack.app.id);
    assert!(claims["cnf"]["jkt"].is_string(), "{claims}");
    let jwks: serde_json::Value = stack
        .http
        .get(format!("{}{HUB_JWKS}", stack.issuer))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let published = jwks["keys"].as_array().unwrap();
    assert!(
        published
            .iter()
            .any(|k| k["kid"] == header["kid"] && k["kty"] == "EC" && k["crv"] == "P-256"),
        "the signing key is in the JWKS: {jwks}"
    );
    let id = part(tokens["id_token"].as_str().unwrap(), 1);
    assert_eq!(id["aud"], serde_json::json!([stack.app.id, "solid"]));
    assert_eq!(id["azp"], stack.app.id);
    assert_eq!(id["webid"], stack.webid("alice"));
    assert_eq!(id["cnf"], claims["cnf"]);

    // The pod: the owner's login opens it, with its proof; not as a Bearer token, not bob's pod.
    let root = stack.pod_root("alice");
    assert_eq!(get_with(&stack, &root, access, &key, "DPoP").await.0, 200);
    let (status, body) = get_with(&stack, &root, access, &key, "Bearer").await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = get_with(&stack, &stack.pod_root("bob"), access, &key, "DPoP").await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("does not own this pod"), "{body}");
    let other = Key::new();
    let (status, body) = get_with(&stack, &root, access, &other, "DPoP").await;
    assert_eq!(status, 401, "a proof by another key: {body}");

    // The worker's app logs out (revokes its refresh token): the grant ends, at the pod too.
    let res = stack
        .http
        .post(format!("{}{HUB_REVOKE}", stack.issuer))
        .form(&[
            ("token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", stack.app.id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut refused = false;
    for _ in 0..50 {
        if get_with(&stack, &root, access, &key, "DPoP").await.0 == 401 {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(refused, "the pod refuses a revoked Solid login");
    stack.stop().await;
}

#[tokio::test]
async fn a_solid_token_from_a_provider_the_webid_does_not_name_is_refused() {
    use p256::ecdsa::{Signature, SigningKey, signature::Signer};
    let stack = Stack::start().await;
    let mut alice = Browser::new();
    alice.sign_up(&stack.issuer, "alice", PASSWORD).await;
    let key = Key::new();
    let signer = SigningKey::random(&mut rand::rngs::OsRng);
    let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
    let now = op_protocol::clock::Clock::system().now_secs();
    let header = serde_json::json!({ "alg": "ES256", "typ": "at+jwt", "kid": "k1" });
    let claims = serde_json::json!({
        "iss": "https://idp.example", "aud": "solid", "webid": stack.webid("alice"),
        "client_id": "https://app.example/id", "iat": now, "exp": now + 300,
        "cnf": { "jkt": "anything" },
    });
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let signature: Signature = signer.sign(input.as_bytes());
    let token = format!("{input}.{}", b64(&signature.to_bytes()));
    let (status, body) = get_with(&stack, &stack.pod_root("alice"), &token, &key, "DPoP").await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body.contains("does not name https://idp.example"),
        "the refusal says why: {body}"
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_worker_names_other_identity_providers_and_bad_ones_change_nothing() {
    use op_protocol::routes::HUB_IDENTITY_PROVIDERS;
    let stack = Stack::start().await;
    let mut alice = Browser::new();
    alice.sign_up(&stack.issuer, "alice", PASSWORD).await;
    let profile_url = stack.webid("alice").replace("#me", "");
    let profile = || async {
        stack
            .http
            .get(&profile_url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let before = profile().await;
    for (issuer, token, why) in [
        ("ftp://idp.example", "", "https"),
        ("https://idp.example/?x=1", "", "without query"),
        ("not a url", "", "not a URL"),
        ("https://idp.example", "a \"quote\"", "letters, digits"),
        (stack.issuer.as_str(), "", "named already"),
    ] {
        let page = alice
            .dashboard_form(
                &stack.issuer,
                HUB_IDENTITY_PROVIDERS,
                &[("action", "add"), ("issuer", issuer), ("token", token)],
            )
            .await;
        assert_eq!(page.status, 400, "{issuer}");
        assert!(page.body.contains(why), "{issuer}: {}", page.body);
    }
    assert_eq!(profile().await, before, "nothing stored");

    let add = [
        ("action", "add"),
        ("issuer", "https://idp.example/"),
        ("token", "a1-b2_c3"),
    ];
    let page = alice
        .dashboard_form(&stack.issuer, HUB_IDENTITY_PROVIDERS, &add)
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let named = profile().await;
    assert!(named.contains("<https://idp.example/>"), "{named}");
    assert!(
        named.contains("oidcIssuerRegistrationToken> \"a1-b2_c3\""),
        "{named}"
    );
    assert!(
        named.contains(&format!("<{}>", stack.issuer)),
        "the hub stays named: {named}"
    );
    let dashboard = alice.get(&format!("{}/", stack.issuer)).await;
    assert!(dashboard.body.contains("https://idp.example/"));

    let remove = [("action", "remove"), ("issuer", "https://idp.example/")];
    let page = alice
        .dashboard_form(&stack.issuer, HUB_IDENTITY_PROVIDERS, &remove)
        .await;
    assert_eq!(page.status, 303);
    assert_eq!(profile().await, before, "removed, with its code");
    stack.stop().await;
}

/// Serves `document(url)` as JSON-LD at `{url}` on loopback, and returns that URL.
fn serve_document(path: &'static str, document: fn(&str) -> serde_json::Value) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}{path}", listener.local_addr().unwrap());
    let body = document(&url).to_string();
    let server = actix_web::HttpServer::new(move || {
        let body = body.clone();
        actix_web::App::new().route(
            path,
            actix_web::web::get().to(move || {
                let body = body.clone();
                async move {
                    actix_web::HttpResponse::Ok()
                        .content_type("application/ld+json")
                        .body(body)
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    url
}

#[tokio::test]
async fn a_solid_app_known_by_its_client_id_document_needs_no_registration() {
    let stack = Stack::start().await;
    let mut alice = Browser::new();
    alice.sign_up(&stack.issuer, "alice", PASSWORD).await;
    let app = serve_document("/id", |url| {
        serde_json::json!({
            "@context": ["https://www.w3.org/ns/solid/oidc-context.jsonld"],
            "client_id": url, "client_name": "Notes", "redirect_uris": [REDIRECT],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "none",
        })
    });
    let key = Key::new();
    let (status, tokens) = solid_login(&stack, &mut alice, &app, Some(&key)).await;
    assert_eq!(status, 200, "{tokens}");
    let claims = part(tokens["access_token"].as_str().unwrap(), 1);
    assert_eq!(claims["client_id"], app.as_str());
    assert_eq!(claims["aud"], "solid");
    let root = stack.pod_root("alice");
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(get_with(&stack, &root, access, &key, "DPoP").await.0, 200);
    // The app refreshes as the public client its document describes.
    let token_url = format!("{}{HUB_TOKEN}", stack.issuer);
    let res = stack
        .http
        .post(&token_url)
        .header("DPoP", key.proof("POST", &token_url, None))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", app.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    // A document that names another client, and one that cannot be fetched: a page, no redirect.
    let impostor = serve_document(
        "/impostor",
        |_| serde_json::json!({ "client_id": "https://notes.example/id", "redirect_uris": [REDIRECT] }),
    );
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/id", l.local_addr().unwrap())
    };
    for (client_id, why) in [(impostor, "another client_id"), (closed, "cannot be used")] {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("response_type", "code"),
                ("client_id", client_id.as_str()),
                ("redirect_uri", REDIRECT),
                ("scope", SOLID_SCOPE),
                (
                    "code_challenge",
                    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                ),
                ("code_challenge_method", "S256"),
            ])
            .finish();
        let page = alice
            .get(&format!("{}{HUB_AUTHORIZE}?{query}", stack.issuer))
            .await;
        assert_eq!(page.status, 400, "{client_id}: {}", page.body);
        assert!(
            page.location.is_none(),
            "never sent back to an unchecked client"
        );
        assert!(page.body.contains(why), "{client_id}: {}", page.body);
    }
    stack.stop().await;
}
