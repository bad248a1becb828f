//! In-process tests of the hub's most security-critical handlers, `/authorize` and `/token`:
//! the app `configure` mounts, driven by `actix_web::test` without a socket, with the state on an
//! in-memory store and a manual clock.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{App, test};
use op_protocol::clock::Clock;
use op_protocol::routes;

use crate::authorize::{AuthCode, AuthRequest, CODES};
use crate::client::NewClient;
use crate::config::RawConfig;
use crate::grant::{GRANTS, Grant};
use crate::secret::sha256_b64;
use crate::state::Hub;

const ISSUER: &str = "http://127.0.0.1:9";
const REDIRECT: &str = "https://acme.example/callback";
const VERIFIER: &str = "a-pkce-verifier-that-is-long-enough-to-be-valid-0123456789";

/// A hub on an in-memory store with one platform, `acme`; returns it with its client secret.
async fn hub_with_platform() -> (Hub, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = RawConfig {
        listen: Some("127.0.0.1:0".into()),
        issuer: Some(ISSUER.into()),
        data_dir: Some(dir.path().to_owned()),
        storage: Some(op_store::BackendKind::Memory),
        ..RawConfig::default()
    }
    .validate()
    .unwrap();
    let store = op_store::Store::open(config.storage, &config.data_dir).unwrap();
    let (_, stopping) = tokio::sync::watch::channel(false);
    let hub = crate::server::hub_state(
        &config,
        store,
        ISSUER.into(),
        Clock::manual(1_800_000_000),
        stopping,
    )
    .unwrap();
    let new: NewClient = serde_json::from_value(serde_json::json!({
        "id": "acme",
        "kind": "platform",
        "name": "Acme",
        "redirect_uris": [REDIRECT],
    }))
    .unwrap();
    let (_, secret) = super::admin::register(&hub, new).await.unwrap();
    (hub, secret.expect("a confidential client"), dir)
}

/// Stores a grant for `acme` and an authorization code under it, as consent does; returns the
/// code and the grant id.
async fn issue_code(hub: &Hub) -> (String, String) {
    let now = hub.now();
    let grant = Grant {
        id: crate::grant::new_grant_id("alice"),
        client_id: "acme".into(),
        username: "alice".into(),
        webid: format!("{ISSUER}{}#me", routes::hub_person("alice")),
        resource: None,
        scope: "gig:write offline_access".into(),
        details: Vec::new(),
        created: now,
        expires: None,
        last_used: None,
        revoked: None,
        solid: false,
    };
    let record = AuthCode {
        request: AuthRequest {
            client_id: "acme".into(),
            redirect_uri: REDIRECT.into(),
            redirect_uri_sent: true,
            state: None,
            scope: grant.scope.clone(),
            resource: None,
            details: Vec::new(),
            code_challenge: sha256_b64(VERIFIER.as_bytes()),
            nonce: None,
            force_consent: false,
            created: now,
            browser: String::new(),
        },
        grant_id: grant.id.clone(),
        expires: now + crate::authorize::CODE_SECS,
        used: false,
    };
    let code = crate::secret::random_token();
    let code_id = hub.secret.hash(&code);
    let grant_id = grant.id.clone();
    hub.store
        .write(move |tx| {
            GRANTS.put(tx, &grant.id, &grant);
            CODES.put(tx, &code_id, &record);
            Ok::<_, op_store::StoreError>(())
        })
        .await
        .unwrap();
    (code, grant_id)
}

/// `/authorize` for `acme` with `redirect_uri` and the given extra parameters.
fn authorize_uri(redirect_uri: &str, extra: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&format!("{ISSUER}{}", routes::HUB_AUTHORIZE)).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", "acme")
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", "gig:write")
        .extend_pairs(extra);
    format!("{}?{}", url.path(), url.query().unwrap_or_default())
}

/// A code exchange at `/token`, authenticated with `secret`.
fn token_request(code: &str, secret: &str, verifier: Option<&str>) -> test::TestRequest {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
    ];
    form.extend(verifier.map(|v| ("code_verifier", v)));
    test::TestRequest::post()
        .uri(routes::HUB_TOKEN)
        .insert_header(("Authorization", basic("acme", secret)))
        .set_form(form)
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    let pair = format!("{user}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

macro_rules! app {
    ($hub:expr) => {{
        let hub = $hub.clone();
        test::init_service(App::new().configure(move |cfg| super::configure(cfg, hub))).await
    }};
}

#[actix_web::test]
async fn an_unregistered_redirect_uri_gets_an_error_page_never_a_redirect() {
    let (hub, _, _dir) = hub_with_platform().await;
    let app = app!(hub);
    let challenge = sha256_b64(VERIFIER.as_bytes());
    let uri = authorize_uri(
        "https://evil.example/callback",
        &[
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    );
    let res = test::call_service(&app, test::TestRequest::get().uri(&uri).to_request()).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.headers().get(LOCATION).is_none());
    let body = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
    assert!(body.contains("redirect"), "{body}");
}

#[actix_web::test]
async fn an_authorization_request_without_pkce_goes_back_as_invalid_request() {
    let (hub, _, _dir) = hub_with_platform().await;
    let app = app!(hub);
    let uri = authorize_uri(REDIRECT, &[("state", "s1")]);
    let res = test::call_service(&app, test::TestRequest::get().uri(&uri).to_request()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers().get(LOCATION).unwrap().to_str().unwrap();
    let back = url::Url::parse(location).unwrap();
    assert!(location.starts_with(REDIRECT), "{location}");
    let query: std::collections::HashMap<_, _> = back.query_pairs().into_owned().collect();
    assert_eq!(query["error"], "invalid_request", "{location}");
    assert!(
        query["error_description"].contains("code_challenge"),
        "{location}"
    );
    assert_eq!(query["state"], "s1");
    assert_eq!(query["iss"], ISSUER);
}

#[actix_web::test]
async fn a_code_exchange_without_the_pkce_verifier_is_refused() {
    let (hub, secret, _dir) = hub_with_platform().await;
    let (code, _) = issue_code(&hub).await;
    let app = app!(hub);
    let res = test::call_service(&app, token_request(&code, &secret, None).to_request()).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = test::read_body_json(res).await;
    assert_eq!(body["error"], "invalid_request", "{body}");
    // The refusal did not spend the code: with the verifier it is exchanged.
    let res = test::call_service(
        &app,
        token_request(&code, &secret, Some(VERIFIER)).to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[actix_web::test]
async fn a_replayed_code_is_refused_and_revokes_the_grant_it_issued() {
    let (hub, secret, _dir) = hub_with_platform().await;
    let (code, grant_id) = issue_code(&hub).await;
    let app = app!(hub);
    let first = test::call_service(
        &app,
        token_request(&code, &secret, Some(VERIFIER)).to_request(),
    )
    .await;
    assert_eq!(first.status(), StatusCode::OK);
    let tokens: serde_json::Value = test::read_body_json(first).await;
    assert!(tokens["access_token"].is_string() && tokens["refresh_token"].is_string());
    let again = test::call_service(
        &app,
        token_request(&code, &secret, Some(VERIFIER)).to_request(),
    )
    .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = test::read_body_json(again).await;
    assert_eq!(body["error"], "invalid_grant", "{body}");
    let grant = GRANTS.get(&hub.store, &grant_id).unwrap().unwrap();
    assert!(grant.revoked.is_some(), "the replay revoked the grant");
}

#[actix_web::test]
async fn a_wrong_client_secret_is_invalid_client_and_leaves_the_code_unspent() {
    let (hub, secret, _dir) = hub_with_platform().await;
    let (code, _) = issue_code(&hub).await;
    let app = app!(hub);
    let res = test::call_service(
        &app,
        token_request(&code, "not-the-secret", Some(VERIFIER)).to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers().contains_key("www-authenticate"));
    let body: serde_json::Value = test::read_body_json(res).await;
    assert_eq!(body["error"], "invalid_client", "{body}");
    let res = test::call_service(
        &app,
        token_request(&code, &secret, Some(VERIFIER)).to_request(),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the right client still redeems it"
    );
}
