//! The hub over real HTTP: the `openidconnect` crate as a real client, then the RFC 9700
//! negative cases one by one.

use op_protocol::routes::{
    HUB_ADMIN_CLIENTS, HUB_ADMIN_KEYS_ROTATE, HUB_AUTHORIZE, HUB_CONSENT, HUB_DEVELOPERS,
    HUB_INTROSPECT, HUB_LOGIN, HUB_LOGOUT, HUB_REVOCATIONS, HUB_REVOCATIONS_STREAM, HUB_TOKEN,
    HUB_USERINFO,
};

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{
    CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreResponseType,
};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use sha2::{Digest, Sha256};

use crate::stack::{Browser, REDIRECT, Stack, query_of};
use op_connector::oauth::oauth_http as http_client;

pub(crate) const PASSWORD: &str = "correct horse battery staple";

#[tokio::test]
async fn openidconnect_completes_discovery_code_pkce_token_userinfo_and_refresh() {
    let stack = Stack::start().await;
    let mut browser = Browser::new();
    let signed_up = browser.sign_up(&stack.issuer, "alice", PASSWORD).await;
    assert_eq!(signed_up.status, 303, "{}", signed_up.body);
    let http = http_client(stack.http.clone());
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(stack.issuer.clone()).unwrap(), &http)
            .await
            .unwrap();
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(stack.platform.id.clone()),
        stack.platform.secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let pod_root = stack.pod_root("alice");
    let (url, state, nonce) = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("webid".into()))
        .add_scope(Scope::new("offline_access".into()))
        .add_scope(Scope::new("gig:write".into()))
        .add_extra_param("resource", &pod_root)
        .set_pkce_challenge(challenge)
        .url();
    let answer = browser
        .authorize(&stack.issuer, url.as_str(), "allow")
        .await;
    assert_eq!(answer.get("state"), Some(state.secret()));
    assert_eq!(answer.get("iss"), Some(&stack.issuer), "RFC 9207 iss");
    let tokens = client
        .exchange_code(AuthorizationCode::new(answer["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let verifier = client
        .id_token_verifier()
        .set_allowed_algs(vec![CoreJwsSigningAlgorithm::EdDsa]);
    let id_claims = tokens
        .id_token()
        .unwrap()
        .claims(&verifier, &nonce)
        .unwrap();
    let webid = stack.webid("alice");
    assert_eq!(id_claims.subject().as_str(), webid);

    // The access token is an RFC 9068 JWT for the pod.
    let access = tokens.access_token().secret().clone();
    let header: serde_json::Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(access.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "EdDSA");
    let claims: serde_json::Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(access.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["aud"], pod_root.as_str());
    assert_eq!(claims["client_id"], "acme");
    assert_eq!(claims["webid"], webid.as_str());
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        300
    );
    assert!(claims["grant_id"].as_str().unwrap().starts_with("alice~"));
    assert_eq!(claims["authorization_details"][0]["actions"][0], "write");

    let userinfo = stack
        .http
        .get(format!("{}{HUB_USERINFO}", stack.issuer))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), 200);
    let userinfo: serde_json::Value = userinfo.json().await.unwrap();
    assert_eq!(userinfo["webid"], webid.as_str());

    let refreshed = client
        .exchange_refresh_token(tokens.refresh_token().unwrap())
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    assert_ne!(
        refreshed.refresh_token().unwrap().secret(),
        tokens.refresh_token().unwrap().secret()
    );
    // Reusing the old refresh token revokes the whole grant, the rotated one included.
    let reuse = client
        .exchange_refresh_token(tokens.refresh_token().unwrap())
        .unwrap()
        .request_async(&http)
        .await;
    assert!(reuse.is_err());
    let after = client
        .exchange_refresh_token(refreshed.refresh_token().unwrap())
        .unwrap()
        .request_async(&http)
        .await;
    assert!(after.is_err(), "the grant was revoked on reuse");
    let feed = stack
        .http
        .get(format!("{}{HUB_REVOCATIONS}?after=0", stack.issuer))
        .basic_auth(
            &stack.resource_server.id,
            stack.resource_server.secret.as_deref(),
        )
        .send()
        .await
        .unwrap();
    let feed: serde_json::Value = feed.json().await.unwrap();
    assert_eq!(feed["revocations"][0]["grant_id"], claims["grant_id"]);
    stack.stop().await;
}

/// A raw authorization request for the platform client, with PKCE.
pub(crate) struct Request {
    pub(crate) params: Vec<(String, String)>,
    verifier: String,
}

impl Request {
    pub(crate) fn new(stack: &Stack) -> Request {
        let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let params = [
            ("response_type", "code"),
            ("client_id", stack.platform.id.as_str()),
            ("redirect_uri", REDIRECT),
            ("scope", "openid offline_access gig:write"),
            ("state", "s1"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("resource", &stack.pod_root("alice")),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .to_vec();
        Request { params, verifier }
    }

    pub(crate) fn set(mut self, key: &str, value: Option<&str>) -> Request {
        self.params.retain(|(k, _)| k != key);
        if let Some(v) = value {
            self.params.push((key.to_owned(), v.to_owned()));
        }
        self
    }

    pub(crate) fn url(&self, issuer: &str) -> String {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&self.params)
            .finish();
        format!("{issuer}{HUB_AUTHORIZE}?{query}")
    }
}

async fn token(
    stack: &Stack,
    client: &crate::stack::Registered,
    form: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let mut req = stack
        .http
        .post(format!("{}{HUB_TOKEN}", stack.issuer))
        .form(form);
    if let Some(secret) = &client.secret {
        req = req.basic_auth(&client.id, Some(secret));
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    assert_eq!(res.headers()["cache-control"], "no-store");
    (status, res.json().await.unwrap_or_default())
}

pub(crate) async fn logged_in(stack: &Stack) -> Browser {
    let mut browser = Browser::new();
    let page = browser.sign_up(&stack.issuer, "alice", PASSWORD).await;
    assert_eq!(page.status, 303, "{}", page.body);
    browser
}

#[tokio::test]
async fn untrusted_redirect_uris_are_never_redirected_to() {
    let stack = Stack::start().await;
    let mut browser = logged_in(&stack).await;
    for bad in [
        Some("http://127.0.0.1:9/callback/extra"),
        Some("http://127.0.0.1:9/callback?x=1"),
        Some("https://evil.example/callback"),
        Some("http://127.0.0.1:9/Callback"),
    ] {
        let page = browser
            .get(
                &Request::new(&stack)
                    .set("redirect_uri", bad)
                    .url(&stack.issuer),
            )
            .await;
        assert_eq!(page.status, 400, "{bad:?}");
        assert!(page.location.is_none(), "{bad:?} must not redirect");
        assert!(page.body.contains("not registered"), "{}", page.body);
        assert_eq!(page.headers["x-frame-options"], "DENY");
    }
    let page = browser
        .get(
            &Request::new(&stack)
                .set("client_id", Some("nobody"))
                .url(&stack.issuer),
        )
        .await;
    assert_eq!(page.status, 400);
    assert!(page.location.is_none());
    stack.stop().await;
}

#[tokio::test]
async fn malformed_requests_go_back_to_the_client_with_the_error_state_and_iss() {
    let stack = Stack::start().await;
    let mut browser = logged_in(&stack).await;
    let cases: Vec<(Request, &str)> = vec![
        (
            Request::new(&stack).set("code_challenge_method", None),
            "invalid_request",
        ),
        (
            Request::new(&stack).set("code_challenge_method", Some("plain")),
            "invalid_request",
        ),
        (
            Request::new(&stack).set("code_challenge", None),
            "invalid_request",
        ),
        (
            Request::new(&stack).set("response_type", Some("token")),
            "unsupported_response_type",
        ),
        (
            Request::new(&stack).set("scope", Some("gig:read")),
            "invalid_scope",
        ),
        (
            Request::new(&stack).set("scope", Some("pod:owner")),
            "invalid_scope",
        ),
        (
            Request::new(&stack).set("scope", Some("gig:everything")),
            "invalid_scope",
        ),
        (Request::new(&stack).set("resource", None), "invalid_target"),
        (
            Request::new(&stack).set("authorization_details", Some("[{\"type\":\"gig_data\"}]")),
            "invalid_authorization_details",
        ),
    ];
    for (request, error) in cases {
        let page = browser.get(&request.url(&stack.issuer)).await;
        assert_eq!(page.status, 303);
        let q = query_of(page.location.as_deref().unwrap());
        assert_eq!(
            q.get("error").map(String::as_str),
            Some(error),
            "{:?}",
            request.params
        );
        assert_eq!(q["state"], "s1");
        assert_eq!(q["iss"], stack.issuer);
    }
    // The resource must be the logged-in worker's own pod.
    let other = Request::new(&stack).set("resource", Some(&stack.pod_root("bob")));
    let q = browser
        .authorize(&stack.issuer, &other.url(&stack.issuer), "allow")
        .await;
    assert_eq!(q["error"], "invalid_target");
    stack.stop().await;
}

pub(crate) async fn code_for(stack: &Stack, browser: &mut Browser, request: &Request) -> String {
    let q = browser
        .authorize(&stack.issuer, &request.url(&stack.issuer), "allow")
        .await;
    q.get("code")
        .cloned()
        .unwrap_or_else(|| panic!("no code: {q:?}"))
}

#[tokio::test]
async fn codes_are_single_use_bound_to_client_redirect_and_verifier() {
    let stack = Stack::start().await;
    let mut browser = logged_in(&stack).await;
    let request = Request::new(&stack);

    let code = code_for(&stack, &mut browser, &request).await;
    let (status, body) = token(
        &stack,
        &stack.platform,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            (
                "code_verifier",
                "wrong-verifier-wrong-verifier-wrong-verifier-00",
            ),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "verifier mismatch"
    );
    let (status, _) = token(
        &stack,
        &stack.platform,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &request.verifier),
        ],
    )
    .await;
    assert_eq!(status, 400, "a code that failed once is burnt");

    let code = code_for(&stack, &mut browser, &request).await;
    let (status, body) = token(
        &stack,
        &stack.matcher,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &request.verifier),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "code for another client"
    );

    let code = code_for(&stack, &mut browser, &request).await;
    let (status, body) = token(
        &stack,
        &stack.platform,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", &request.verifier),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "the request named a redirect_uri, so the token request must repeat it: {body}"
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("redirect_uri is required")
    );

    // A request without redirect_uri (one is registered) is redeemed without one.
    let implicit = Request::new(&stack).set("redirect_uri", None);
    let code = code_for(&stack, &mut browser, &implicit).await;
    let (status, body) = token(
        &stack,
        &stack.platform,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", &implicit.verifier),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let code = code_for(&stack, &mut browser, &request).await;
    let (status, body) = token(
        &stack,
        &stack.platform,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &request.verifier),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    let (status, body) = token(
        &stack,
        &stack.platform,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &request.verifier),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "replayed code"
    );
    let (status, _) = token(
        &stack,
        &stack.platform,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(status, 400, "a replayed code revokes what it issued");

    let code = code_for(&stack, &mut browser, &request).await;
    stack.clock.advance(Duration::from_secs(120));
    let (status, body) = token(
        &stack,
        &stack.platform,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &request.verifier),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "expired code"
    );
    stack.stop().await;
}

#[tokio::test]
async fn the_token_endpoint_refuses_what_oauth_2_1_removed_and_bad_clients() {
    let stack = Stack::start().await;
    let (status, body) = token(
        &stack,
        &stack.platform,
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    let wrong = crate::stack::Registered {
        id: stack.platform.id.clone(),
        secret: Some("wrong".into()),
    };
    let (status, body) = token(&stack, &wrong, &[("grant_type", "client_credentials")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    // A body that is not UTF-8 is named as such, not mistaken for an empty form.
    let res = stack
        .http
        .post(format!("{}{HUB_TOKEN}", stack.issuer))
        .basic_auth(&stack.platform.id, stack.platform.secret.as_deref())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"grant_type=client_credentials&scope=\xff".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("UTF-8")
    );
    let res = stack
        .http
        .post(format!("{}{HUB_TOKEN}", stack.issuer))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "acme"),
            ("client_secret", stack.platform.secret.as_deref().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "secrets in the body are refused");
    // Basic credentials are percent-decoded only, never parsed as a form (RFC 6749 §2.3.1).
    let secret = stack.platform.secret.as_deref().unwrap();
    for (password, expected) in [
        (format!("{secret}&junk"), 401),
        (format!("{secret}&x={secret}"), 401),
        (format!("{secret}%zz"), 401),
        (secret.replace('-', "%2D"), 200),
    ] {
        let res = stack
            .http
            .post(format!("{}{HUB_TOKEN}", stack.issuer))
            .basic_auth("acme", Some(&password))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), expected, "Basic password {password:?}");
    }
    let (status, body) = token(
        &stack,
        &stack.app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "my-pod-app"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client")),
        "{body}"
    );
    let (status, body) = token(
        &stack,
        &stack.platform,
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("refresh_token").is_none());
    stack.stop().await;
}

#[tokio::test]
async fn consent_needs_csrf_and_deny_tells_the_client() {
    let stack = Stack::start().await;
    let mut browser = logged_in(&stack).await;
    let page = browser.get(&Request::new(&stack).url(&stack.issuer)).await;
    let consent = browser
        .get(&format!("{}{}", stack.issuer, page.location.unwrap()))
        .await;
    assert_eq!(consent.status, 200);
    assert!(consent.body.contains("acme (test)"));
    assert!(consent.body.contains("Certified"));
    assert!(
        consent.body.contains("only into its own folder"),
        "{}",
        consent.body
    );
    assert_eq!(consent.headers["x-frame-options"], "DENY");
    assert!(
        consent.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let request = crate::stack::field(&consent.body, "request").unwrap();
    let forged = browser
        .post(
            &format!("{}{HUB_CONSENT}", stack.issuer),
            &[
                ("request", &request),
                ("decision", "allow"),
                ("csrf", "forged"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(forged.location.is_none());
    let q = browser
        .authorize(
            &stack.issuer,
            &Request::new(&stack).url(&stack.issuer),
            "deny",
        )
        .await;
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["iss"], stack.issuer);
    // The consent screen speaks Swedish when asked to.
    let sv = browser
        .get(&format!("{}{HUB_LOGIN}?lang=sv", stack.issuer))
        .await;
    assert!(sv.body.contains("Logga in"));
    stack.stop().await;
}

#[tokio::test]
async fn tokens_that_are_expired_tampered_or_unsigned_are_refused_at_userinfo() {
    let stack = Stack::start().await;
    let mut browser = logged_in(&stack).await;
    let request = Request::new(&stack);
    let code = code_for(&stack, &mut browser, &request).await;
    let (_, body) = token(
        &stack,
        &stack.platform,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &request.verifier),
        ],
    )
    .await;
    let access = body["access_token"].as_str().unwrap().to_owned();
    let userinfo = |t: String| {
        stack
            .http
            .get(format!("{}{HUB_USERINFO}", stack.issuer))
            .bearer_auth(t)
            .send()
    };
    assert_eq!(userinfo(access.clone()).await.unwrap().status(), 200);
    let parts: Vec<&str> = access.split('.').collect();
    let mut claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["sub"] = "https://attacker.example/#me".into();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    );
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"at+jwt"}"#),
        parts[1]
    );
    for (name, t) in [
        ("tampered", tampered),
        ("alg none", none),
        ("id token", body["id_token"].as_str().unwrap().to_owned()),
    ] {
        let res = userinfo(t).await.unwrap();
        assert_eq!(res.status(), 401, "{name}");
        assert!(
            res.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .contains("invalid_token"),
            "{name}"
        );
    }
    stack.clock.advance(Duration::from_secs(301));
    assert_eq!(userinfo(access).await.unwrap().status(), 401, "expired");
    stack.stop().await;
}

#[tokio::test]
async fn revocation_reaches_introspection_and_the_feed_stream() {
    let stack = Stack::start().await;
    let mut browser = logged_in(&stack).await;
    let request = Request::new(&stack);
    let code = code_for(&stack, &mut browser, &request).await;
    let (_, body) = token(
        &stack,
        &stack.platform,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &request.verifier),
        ],
    )
    .await;
    let access = body["access_token"].as_str().unwrap().to_owned();
    let active = stack.introspect(&access).await;
    assert_eq!(active["active"], true);
    assert_eq!(active["client_id"], "acme");
    let refused = stack
        .http
        .post(format!("{}{HUB_INTROSPECT}", stack.issuer))
        .basic_auth(&stack.platform.id, stack.platform.secret.as_deref())
        .form(&[("token", access.clone())])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400, "only resource servers introspect");

    let mut stream = stack
        .http
        .get(format!("{}{HUB_REVOCATIONS_STREAM}?after=0", stack.issuer))
        .basic_auth(
            &stack.resource_server.id,
            stack.resource_server.secret.as_deref(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    // The worker revokes the grant from the dashboard.
    let dashboard = browser.get(&format!("{}/", stack.issuer)).await;
    assert!(dashboard.body.contains("acme (test)"));
    let grant_id = active["grant_id"].as_str().unwrap();
    // Revoke first asks to confirm, showing what the app will lose; nothing changes yet.
    let revoke_url = format!(
        "{}{}",
        stack.issuer,
        op_protocol::routes::hub_grant_revoke(grant_id)
    );
    let confirm = browser
        .post(&revoke_url, &[("csrf", &dashboard.csrf())])
        .await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("Revoke access for acme (test)?"));
    assert!(confirm.body.contains(r#"name="confirm" value="yes""#));
    let still = stack.introspect(&access).await;
    assert_eq!(
        still["active"], true,
        "not revoked before the worker confirms"
    );
    let revoked = browser
        .post(
            &revoke_url,
            &[("csrf", &confirm.csrf()), ("confirm", "yes")],
        )
        .await;
    assert_eq!(revoked.status, 303);
    let mut seen = String::new();
    while !seen.contains(grant_id) {
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        seen.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    assert!(seen.contains("event: revocation"));
    let inactive = stack.introspect(&access).await;
    assert_eq!(inactive["active"], false);
    let page = browser.get(&format!("{}/", stack.issuer)).await;
    // The worker's activity says it in words (the platform is "acme (test)").
    assert!(
        page.body.contains("You revoked the access of acme (test)."),
        "{}",
        page.body
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_remembered_grant_is_reused_only_for_the_same_or_a_narrower_request() {
    let stack = Stack::start().await;
    let mut browser = logged_in(&stack).await;
    let matcher = |details: &str| {
        let mut r = Request::new(&stack)
            .set("client_id", Some("jobmatch"))
            .set("scope", Some("gig:read"))
            .set("authorization_details", Some(details));
        r.params.retain(|(k, _)| k != "prompt");
        r
    };
    let wide = matcher(
        r#"[{"type":"gig_data","actions":["read"],"platforms":["acme","other"],"level":"full","purpose":"Hiring"}]"#,
    );
    code_for(&stack, &mut browser, &wide).await;
    let narrow = matcher(
        r#"[{"type":"gig_data","actions":["read"],"platforms":["acme"],"level":"summary"}]"#,
    );
    let page = browser.get(&narrow.url(&stack.issuer)).await;
    let next = browser
        .get(&format!("{}{}", stack.issuer, page.location.unwrap()))
        .await;
    assert!(
        next.location
            .as_deref()
            .is_some_and(|l| l.starts_with(REDIRECT)),
        "covered: no consent screen again"
    );
    let wider = matcher(r#"[{"type":"gig_data","actions":["read"],"level":"full"}]"#);
    let page = browser.get(&wider.url(&stack.issuer)).await;
    let next = browser
        .get(&format!("{}{}", stack.issuer, page.location.unwrap()))
        .await;
    assert_eq!(next.status, 200, "wider request: ask again");
    assert!(next.body.contains("every platform"));
    stack.stop().await;
}

#[tokio::test]
async fn login_is_throttled_and_sessions_are_hardened() {
    let stack = Stack::start().await;
    let mut browser = logged_in(&stack).await;
    let dashboard = browser.get(&format!("{}/", stack.issuer)).await;
    let csrf = dashboard.csrf();
    browser
        .post(&format!("{}{HUB_LOGOUT}", stack.issuer), &[("csrf", &csrf)])
        .await;
    let login = browser.get(&format!("{}{HUB_LOGIN}", stack.issuer)).await;
    // Logged out, a worker's forms send the browser to the login page, even with a valid token.
    for form in [
        op_protocol::routes::HUB_LINK_POD.to_owned(),
        op_protocol::routes::hub_grant_revoke("any"),
        op_protocol::routes::HUB_DELETE_ACCOUNT.to_owned(),
    ] {
        let page = browser
            .post(
                &format!("{}{form}", stack.issuer),
                &[
                    ("csrf", &login.csrf()),
                    ("pod_url", "x"),
                    ("code", "x"),
                    ("password", "x"),
                ],
            )
            .await;
        assert_eq!(page.status, 303, "{form}: {}", page.body);
        assert_eq!(page.location.as_deref(), Some(HUB_LOGIN), "{form}");
    }
    let csrf = login.csrf();
    for _ in 0..5 {
        let page = browser
            .post(
                &format!("{}{HUB_LOGIN}", stack.issuer),
                &[
                    ("csrf", &csrf),
                    ("username", "alice"),
                    ("password", "wrong password!"),
                ],
            )
            .await;
        assert_eq!(page.status, 401);
    }
    let page = browser
        .post(
            &format!("{}{HUB_LOGIN}", stack.issuer),
            &[
                ("csrf", &csrf),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, 429, "locked even with the right password");
    stack.clock.advance(Duration::from_secs(16 * 60));
    let page = browser
        .post(
            &format!("{}{HUB_LOGIN}", stack.issuer),
            &[
                ("csrf", &csrf),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, 303);
    let cookie = page.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("op_session=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    stack.stop().await;
}

#[tokio::test]
async fn discovery_and_key_rotation_keep_valid_tokens_valid() {
    let stack = Stack::start().await;
    let get = |path: &str| stack.http.get(format!("{}{path}", stack.issuer)).send();
    let oidc: serde_json::Value = get(op_protocol::routes::HUB_OIDC_DISCOVERY)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let oauth: serde_json::Value = get(op_protocol::routes::HUB_OAUTH_DISCOVERY)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(oidc, oauth);
    assert_eq!(
        oidc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(oidc["authorization_response_iss_parameter_supported"], true);
    let (_, body) = token(
        &stack,
        &stack.platform,
        &[("grant_type", "client_credentials")],
    )
    .await;
    let old = body["access_token"].as_str().unwrap().to_owned();
    let rotated = stack
        .http
        .post(format!("{}{HUB_ADMIN_KEYS_ROTATE}", stack.issuer))
        .bearer_auth(crate::stack::HUB_ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(rotated.status(), 200);
    let jwks: serde_json::Value = get(op_protocol::routes::HUB_JWKS)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        jwks["keys"].as_array().unwrap().len(),
        4,
        "the old keys (Ed25519 and P-256) stay published"
    );
    let introspected = stack.introspect(&old).await;
    assert_eq!(introspected["active"], true);
    let _: HashMap<String, String> = HashMap::new();
    stack.stop().await;
}

async fn register_on_developer_page(
    browser: &mut Browser,
    issuer: &str,
    csrf: &str,
    id: &str,
) -> crate::stack::Page {
    let redirect = format!("{REDIRECT}\n");
    let fields = [
        ("csrf", csrf),
        ("id", id),
        ("name", "Gig Finder"),
        ("kind", "matcher"),
        ("redirect_uris", redirect.as_str()),
        ("purpose", "Find you gigs"),
    ];
    browser
        .post(&format!("{issuer}{HUB_DEVELOPERS}"), &fields)
        .await
}

async fn consent_screen(
    stack: &Stack,
    browser: &mut Browser,
    client_id: &str,
) -> crate::stack::Page {
    let url = Request::new(stack)
        .set("client_id", Some(client_id))
        .set("scope", Some("gig:read:summary"))
        .url(&stack.issuer);
    let page = browser.get(&url).await;
    browser
        .get(&format!("{}{}", stack.issuer, page.location.unwrap()))
        .await
}

#[tokio::test]
async fn developers_register_clients_that_stay_uncertified_until_an_operator_approves() {
    let stack = Stack::start().await;
    let mut browser = logged_in(&stack).await;
    let page = browser
        .get(&format!("{}{HUB_DEVELOPERS}", stack.issuer))
        .await;
    assert_eq!(page.status, 200);
    let created =
        register_on_developer_page(&mut browser, &stack.issuer, &page.csrf(), "gig-finder").await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert!(created.body.contains("Client secret"));
    let taken =
        register_on_developer_page(&mut browser, &stack.issuer, &page.csrf(), "gig-finder").await;
    assert_eq!(taken.status, 400);
    let forged =
        register_on_developer_page(&mut browser, &stack.issuer, "forged", "other-client").await;
    assert_eq!(forged.status, 403, "CSRF");
    let screen = consent_screen(&stack, &mut browser, "gig-finder").await;
    assert!(screen.body.contains("Not certified"), "{}", screen.body);
    let certified = stack
        .http
        .post(format!(
            "{}{HUB_ADMIN_CLIENTS}/gig-finder/certify",
            stack.issuer
        ))
        .bearer_auth(crate::stack::HUB_ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(certified.status(), 200);
    let screen = consent_screen(&stack, &mut browser, "gig-finder").await;
    assert!(screen.body.contains("Certified:"), "{}", screen.body);
    stack.stop().await;
}

#[tokio::test]
async fn the_oauth2_crate_completes_a_matcher_flow_with_authorization_details_and_refresh() {
    use oauth2::basic::BasicClient;
    use oauth2::{
        AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
        RedirectUrl, TokenResponse, TokenUrl,
    };
    let stack = Stack::start().await;
    let mut browser = logged_in(&stack).await;
    let client = BasicClient::new(ClientId::new(stack.matcher.id.clone()))
        .set_client_secret(ClientSecret::new(stack.matcher.secret.clone().unwrap()))
        .set_auth_uri(AuthUrl::new(format!("{}{HUB_AUTHORIZE}", stack.issuer)).unwrap())
        .set_token_uri(TokenUrl::new(format!("{}{HUB_TOKEN}", stack.issuer)).unwrap())
        .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let details = r#"[{"type":"gig_data","actions":["read"],"platforms":["acme"],"level":"summary","purpose":"Shortlisting for a delivery job"}]"#;
    let (url, state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(oauth2::Scope::new("gig:read:summary".into()))
        .add_scope(oauth2::Scope::new("offline_access".into()))
        .add_extra_param("resource", stack.pod_root("alice"))
        .add_extra_param("authorization_details", details)
        .set_pkce_challenge(challenge)
        .url();
    let page = browser.get(url.as_str()).await;
    let consent = browser
        .get(&format!("{}{}", stack.issuer, page.location.unwrap()))
        .await;
    assert!(
        consent.body.contains("Shortlisting for a delivery job"),
        "the purpose is shown"
    );
    assert!(
        consent
            .body
            .contains("only the summary of your track record from acme"),
        "{}",
        consent.body
    );
    let answer = browser
        .authorize(&stack.issuer, url.as_str(), "allow")
        .await;
    assert_eq!(&answer["state"], state.secret());
    let http = http_client(stack.http.clone());
    let tokens = client
        .exchange_code(AuthorizationCode::new(answer["code"].clone()))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let refreshed = client
        .exchange_refresh_token(tokens.refresh_token().unwrap())
        .request_async(&http)
        .await
        .unwrap();
    assert!(refreshed.refresh_token().is_some(), "rotated");
    assert_ne!(
        refreshed.access_token().secret(),
        tokens.access_token().secret()
    );
    stack.stop().await;
}
