//! `private_key_jwt` (RFC 7523) at the hub: assertions live up to an hour (Authlib's default),
//! each `jti` is refused again until its assertion has expired, and Ed25519 keys sign under
//! either name, `EdDSA` or RFC 9864's `Ed25519` (what oauth4webapi sends).

use op_protocol::routes::HUB_ADMIN_CLIENTS;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer, SigningKey};
use op_protocol::routes;
use serde_json::{Value, json};

use crate::stack::{HUB_ADMIN, REDIRECT, Stack};

const CLIENT: &str = "keyed-matcher";

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Registers `keyed-matcher` for `private_key_jwt` with `key`'s public half.
async fn register(stack: &Stack, key: &SigningKey) {
    let jwk = json!({
        "kty": "OKP", "crv": "Ed25519", "kid": "k1", "x": b64(&key.verifying_key().to_bytes())
    });
    let res = stack
        .http
        .post(format!("{}{HUB_ADMIN_CLIENTS}", stack.issuer))
        .bearer_auth(HUB_ADMIN)
        .json(&json!({
            "id": CLIENT, "kind": "matcher", "name": "Keyed", "redirect_uris": [REDIRECT],
            "jwks": { "keys": [jwk] },
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}

/// An assertion for the token endpoint signed by `key` under `alg`, expiring `ttl` seconds after
/// the hub's now.
fn assertion(stack: &Stack, key: &SigningKey, alg: &str, ttl: u64, jti: &str) -> String {
    let now = stack.clock.now_secs();
    let header = json!({ "alg": alg, "kid": "k1", "typ": "JWT" });
    let claims = json!({
        "iss": CLIENT, "sub": CLIENT, "aud": format!("{}{}", stack.issuer, routes::HUB_TOKEN),
        "iat": now, "exp": now + ttl, "jti": jti,
    });
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    format!("{input}.{}", b64(&key.sign(input.as_bytes()).to_bytes()))
}

/// A `client_credentials` request authenticated by `assertion`: status and body.
async fn token(stack: &Stack, assertion: &str) -> (u16, Value) {
    let res = stack
        .http
        .post(format!("{}{}", stack.issuer, routes::HUB_TOKEN))
        .form(&[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
        ])
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn a_one_hour_assertion_is_accepted_once_and_its_jti_refused_until_it_expires() {
    let stack = Stack::start().await;
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    register(&stack, &key).await;
    let hour = assertion(&stack, &key, "EdDSA", 3600, "jti-hour");
    let (status, body) = token(&stack, &hour).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].is_string());
    let (status, body) = token(&stack, &hour).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    assert!(body["error_description"].as_str().unwrap().contains("jti"));
    // Half an hour later the assertion is still valid, so its jti must still be remembered.
    stack.clock.advance(Duration::from_secs(1800));
    let (status, body) = token(&stack, &hour).await;
    assert_eq!(
        status, 401,
        "a replay within the assertion's lifetime: {body}"
    );
    // Past its expiry it is refused as expired.
    stack.clock.advance(Duration::from_secs(1900));
    let (status, body) = token(&stack, &hour).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
    stack.stop().await;
}

#[tokio::test]
async fn assertions_longer_than_an_hour_or_with_huge_jtis_are_refused() {
    let stack = Stack::start().await;
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    register(&stack, &key).await;
    let (status, body) = token(&stack, &assertion(&stack, &key, "EdDSA", 7200, "j2")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("1 hour"),
        "{body}"
    );
    let long = "x".repeat(257);
    let (status, body) = token(&stack, &assertion(&stack, &key, "EdDSA", 60, &long)).await;
    assert_eq!(status, 401, "{body}");
    // Nothing was remembered for the refused ones: a fresh assertion still works.
    let (status, body) = token(&stack, &assertion(&stack, &key, "EdDSA", 60, "j3")).await;
    assert_eq!(status, 200, "{body}");
    stack.stop().await;
}

#[tokio::test]
async fn ed25519_assertions_are_accepted_under_the_rfc_9864_name() {
    let stack = Stack::start().await;
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    register(&stack, &key).await;
    let (status, body) = token(&stack, &assertion(&stack, &key, "Ed25519", 60, "j4")).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = token(&stack, &assertion(&stack, &key, "HS256", 60, "j5")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    stack.stop().await;
}
