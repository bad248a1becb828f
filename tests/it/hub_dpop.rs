//! DPoP (RFC 9449) at the hub: refresh tokens stay bound to the key, userinfo takes bound tokens
//! with their proof, and proofs follow one set of rules (alg names, case-sensitive `htm`, no
//! private key material) at the hub and at the pod.

use op_protocol::routes::{HUB_AUTHORIZE, HUB_TOKEN, HUB_USERINFO};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer, SigningKey};
use sha2::{Digest, Sha256};

use crate::stack::{Browser, REDIRECT, Stack};

const PASSWORD: &str = "correct horse battery staple";

/// A DPoP key that can write any header the tests need.
pub struct Key(SigningKey);

/// What a proof says besides the request it is for.
struct Shape<'a> {
    alg: &'a str,
    private_jwk: bool,
}

const PLAIN: Shape<'static> = Shape {
    alg: "EdDSA",
    private_jwk: false,
};

impl Key {
    pub fn new() -> Key {
        Key(SigningKey::generate(&mut rand::rngs::OsRng))
    }

    pub fn proof(&self, htm: &str, htu: &str, token: Option<&str>) -> String {
        self.shaped(&PLAIN, htm, htu, token)
    }

    fn shaped(&self, shape: &Shape<'_>, htm: &str, htu: &str, token: Option<&str>) -> String {
        let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
        let mut jwk = serde_json::json!({
            "kty": "OKP", "crv": "Ed25519", "x": b64(&self.0.verifying_key().to_bytes())
        });
        if shape.private_jwk {
            jwk["d"] = b64(&self.0.to_bytes()).into();
        }
        let header = serde_json::json!({ "typ": "dpop+jwt", "alg": shape.alg, "jwk": jwk });
        let mut claims = serde_json::json!({
            "htm": htm, "htu": htu, "iat": op_protocol::clock::Clock::system().now_secs(),
            "jti": b64(&rand::random::<[u8; 16]>()),
        });
        if let Some(t) = token {
            claims["ath"] = b64(&Sha256::digest(t.as_bytes())).into();
        }
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        format!("{input}.{}", b64(&self.0.sign(input.as_bytes()).to_bytes()))
    }
}

/// Alice signs up; her worker app gets a code with PKCE and redeems it with a proof by `key`.
async fn app_tokens(stack: &Stack, key: &Key) -> serde_json::Value {
    let mut browser = Browser::new();
    let page = browser.sign_up(&stack.issuer, "alice", PASSWORD).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let root = stack.pod_root("alice");
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", "my-pod-app"),
            ("redirect_uri", REDIRECT),
            ("scope", "openid offline_access pod:owner"),
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
    tokens
}

async fn refresh(stack: &Stack, refresh: &str, proof: Option<String>) -> (u16, serde_json::Value) {
    let mut req = stack
        .http
        .post(format!("{}{HUB_TOKEN}", stack.issuer))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", "my-pod-app"),
        ]);
    if let Some(p) = proof {
        req = req.header("DPoP", p);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or_default())
}

#[tokio::test]
async fn a_public_clients_refresh_token_works_only_with_a_proof_by_the_bound_key() {
    let stack = Stack::start().await;
    let key = Key::new();
    let tokens = app_tokens(&stack, &key).await;
    let old = tokens["refresh_token"].as_str().unwrap();
    let token_url = format!("{}{HUB_TOKEN}", stack.issuer);

    let (status, body) = refresh(&stack, old, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_dpop_proof")),
        "no Bearer token from a bound refresh token: {body}"
    );
    let other = Key::new().proof("POST", &token_url, None);
    let (status, body) = refresh(&stack, old, Some(other)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_dpop_proof")),
        "another key: {body}"
    );

    // The refusals changed nothing: the same refresh token still works with the bound key.
    let (status, body) = refresh(&stack, old, Some(key.proof("POST", &token_url, None))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    let next = body["refresh_token"].as_str().unwrap();
    let (status, _) = refresh(&stack, next, None).await;
    assert_eq!(status, 400, "the rotated refresh token is bound too");

    // The new access token is bound to the same key at the pod, and the pod applies the same
    // proof rules: RFC 9864's alg name is accepted, a lower-case htm is not.
    let access = body["access_token"].as_str().unwrap();
    let url = format!("{}gigs/", stack.pod_root("alice"));
    let get = |proof: String| {
        stack
            .http
            .get(&url)
            .header("Authorization", format!("DPoP {access}"))
            .header("DPoP", proof)
            .send()
    };
    let ed25519 = Shape {
        alg: "Ed25519",
        private_jwk: false,
    };
    let res = get(key.shaped(&ed25519, "GET", &url, Some(access))).await;
    assert_eq!(res.unwrap().status(), 200, "alg Ed25519 at the pod");
    let res = get(key.shaped(&PLAIN, "get", &url, Some(access))).await;
    assert_eq!(
        res.unwrap().status(),
        401,
        "htm is case-sensitive at the pod"
    );
    let private = Shape {
        alg: "EdDSA",
        private_jwk: true,
    };
    let res = get(key.shaped(&private, "GET", &url, Some(access))).await;
    assert_eq!(res.unwrap().status(), 401, "private jwk at the pod");
    stack.stop().await;
}

#[tokio::test]
async fn userinfo_takes_a_bound_token_only_with_a_fresh_proof_by_its_key() {
    let stack = Stack::start().await;
    let key = Key::new();
    let tokens = app_tokens(&stack, &key).await;
    let access = tokens["access_token"].as_str().unwrap();
    let url = format!("{}{HUB_USERINFO}", stack.issuer);
    let send = |scheme: &str, proof: Option<String>| {
        let mut req = stack
            .http
            .get(&url)
            .header("Authorization", format!("{scheme} {access}"));
        if let Some(p) = proof {
            req = req.header("DPoP", p);
        }
        req.send()
    };
    let good = key.proof("GET", &url, Some(access));
    let res = send("DPoP", Some(good.clone())).await.unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["sub"]
            .as_str()
            .is_some_and(|s| s == stack.webid("alice")),
        "{body}"
    );
    let res = stack
        .http
        .post(&url)
        .header("Authorization", format!("DPoP {access}"))
        .header("DPoP", key.proof("POST", &url, Some(access)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "POST /userinfo with a POST proof");

    let cases = [
        ("replayed proof", "DPoP", Some(good)),
        ("as a bearer token", "Bearer", None),
        ("without a proof", "DPoP", None),
        (
            "proof by another key",
            "DPoP",
            Some(Key::new().proof("GET", &url, Some(access))),
        ),
        (
            "proof without ath",
            "DPoP",
            Some(key.proof("GET", &url, None)),
        ),
        (
            "proof for another method",
            "DPoP",
            Some(key.proof("POST", &url, Some(access))),
        ),
        (
            "proof for another URL",
            "DPoP",
            Some(key.proof("GET", &format!("{}{HUB_TOKEN}", stack.issuer), Some(access))),
        ),
    ];
    for (name, scheme, proof) in cases {
        let res = send(scheme, proof).await.unwrap();
        assert_eq!(res.status(), 401, "{name}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"], "invalid_token", "{name}");
    }
    stack.stop().await;
}

#[tokio::test]
async fn the_token_endpoint_takes_ed25519_proofs_and_refuses_bad_algs_htm_and_private_keys() {
    let stack = Stack::start().await;
    let token_url = format!("{}{HUB_TOKEN}", stack.issuer);
    let secret = stack.platform.secret.clone().unwrap();
    let send = |proof: String| {
        stack
            .http
            .post(&token_url)
            .basic_auth("acme", Some(&secret))
            .header("DPoP", proof)
            .form(&[("grant_type", "client_credentials")])
            .send()
    };
    let key = Key::new();
    let shape = |alg, private_jwk| Shape { alg, private_jwk };
    let res = send(key.shaped(&shape("Ed25519", false), "POST", &token_url, None)).await;
    let res = res.unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "DPoP");

    let cases = [
        (shape("RS256", false), "POST", "unsupported DPoP alg"),
        (shape("none", false), "POST", "unsupported DPoP alg"),
        (shape("EdDSA", false), "post", "htm"),
        (shape("EdDSA", true), "POST", "private key material"),
    ];
    for (shape, htm, why) in cases {
        let res = send(key.shaped(&shape, htm, &token_url, None))
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{why}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"], "invalid_dpop_proof");
        let description = body["error_description"].as_str().unwrap();
        assert!(description.contains(why), "{description}");
    }
    stack.stop().await;
}
