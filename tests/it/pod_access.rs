//! Who may do what: owner tokens, scopes, refused tokens, and the admin API.

use op_protocol::routes::POD_ADMIN_PODS;

use reqwest::Method;

use crate::harness::{ADMIN_TOKEN, Issuer, PodServer};

async fn status(req: reqwest::RequestBuilder) -> (u16, String, String) {
    let res = req.send().await.unwrap();
    let www = res
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (res.status().as_u16(), www, res.text().await.unwrap())
}

#[tokio::test]
async fn no_unauthenticated_write_path_exists() {
    let pod = PodServer::memory().await;
    for method in [Method::PUT, Method::POST, Method::PATCH, Method::DELETE] {
        for path in ["/", "/gigs/", "/gigs/x", "/profile/card"] {
            let (code, www, _) = status(
                pod.client
                    .request(method.clone(), pod.url(path))
                    .header("Content-Type", "text/turtle")
                    .body("<#a> <#b> <#c> ."),
            )
            .await;
            assert_eq!(code, 401, "{method} {path}");
            assert!(www.starts_with("Bearer"), "{method} {path}: {www}");
        }
    }
    let (code, _, _) = status(pod.client.get(pod.url("/gigs/"))).await;
    assert_eq!(code, 401, "private reads need a token");
    pod.stop().await;
}

#[tokio::test]
async fn a_workers_token_without_pod_owner_scope_gets_no_owner_rights() {
    let pod = PodServer::memory().await;
    let claims = pod.issuer.claims(
        &pod.root("alice"),
        &pod.webid("alice"),
        "some-app",
        "openid webid gig:read",
    );
    let token = pod.issuer.sign(&claims);
    let (code, _, body) = status(pod.client.get(pod.url("/gigs/")).bearer_auth(&token)).await;
    assert_eq!(code, 403);
    assert!(body.contains("pod:owner"), "{body}");
    pod.stop().await;
}

#[tokio::test]
async fn refused_tokens_get_401_with_a_reason() {
    let pod = PodServer::memory().await;
    let root = pod.root("alice");
    let webid = pod.webid("alice");
    let good = pod.issuer.claims(&root, &webid, "app", "pod:owner");
    let mut expired = good.clone();
    expired.exp = expired.iat - 600;
    expired.iat -= 900;
    let mut other_pod = good.clone();
    other_pod.aud = pod.root("bob");
    let mut bound = good.clone();
    bound.cnf = Some(serde_json::json!({"jkt": "abc"}));
    let stranger = Issuer::new(pod.dir.path(), "https://evil.test").sign(&good);
    let forged = {
        let mut c = good.clone();
        c.iss = "https://evil.test".into();
        Issuer::new(pod.dir.path(), "https://evil.test").sign(&c)
    };
    let tampered = {
        let token = pod.issuer.sign(&good);
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut claims = good.clone();
        claims.sub = "https://attacker.test/#me".into();
        use base64::Engine;
        parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(&claims).unwrap());
        parts.join(".")
    };
    let alg_none = {
        use base64::Engine;
        let b64 = |v: serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        format!(
            "{}.{}.",
            b64(serde_json::json!({"alg": "none", "typ": "at+jwt"})),
            b64(serde_json::to_value(&good).unwrap())
        )
    };
    let cases = [
        ("expired", pod.issuer.sign(&expired), "expired"),
        (
            "another pod's token",
            pod.issuer.sign(&other_pod),
            "another resource server",
        ),
        (
            "an ID token",
            pod.issuer.sign_with_typ(&good, "JWT"),
            "typ must be at+jwt",
        ),
        ("DPoP-bound", pod.issuer.sign(&bound), "DPoP"),
        ("untrusted issuer's key", stranger, "signing key"),
        ("untrusted issuer", forged, "not trusted"),
        ("tampered", tampered, "signature"),
        ("alg none", alg_none, "well-formed"),
        ("garbage", "not.a.jwt".to_owned(), "well-formed"),
    ];
    for (name, token, reason) in cases {
        let (code, www, body) = status(pod.client.get(pod.url("/gigs/")).bearer_auth(&token)).await;
        assert_eq!(code, 401, "{name}");
        let challenge = if name == "DPoP-bound" {
            "invalid_dpop_proof"
        } else {
            "invalid_token"
        };
        assert!(www.contains(challenge), "{name}: {www}");
        assert!(body.contains(reason), "{name}: {body}");
    }
    let query = format!(
        "{}?access_token={}",
        pod.url("/gigs/"),
        pod.issuer.sign(&good)
    );
    let (code, _, body) = status(pod.client.get(query)).await;
    assert_eq!(code, 401);
    assert!(body.contains("Authorization header"), "{body}");
    let (code, _, _) = status(
        pod.client
            .get(pod.url("/gigs/"))
            .header("Authorization", "Basic YTpi"),
    )
    .await;
    assert_eq!(code, 401);
    pod.stop().await;
}

#[tokio::test]
async fn a_platform_writes_only_inside_its_own_container() {
    let pod = PodServer::memory().await;
    let claims = pod.issuer.claims(
        &pod.root("alice"),
        &pod.webid("alice"),
        "acme",
        "gig:write offline_access",
    );
    let token = pod.issuer.sign(&claims);
    let put = |path: &str| {
        pod.client
            .put(pod.url(path))
            .bearer_auth(&token)
            .header("Content-Type", "text/turtle")
            .body("<#a> <#b> <#c> .")
    };
    assert_eq!(status(put("/gigs/acme/gig-1")).await.0, 201);
    assert_eq!(status(put("/gigs/acme/gig-1")).await.0, 204);
    assert_eq!(status(put("/gigs/other/gig-1")).await.0, 403);
    assert_eq!(status(put("/gigs/acme-evil/gig-1")).await.0, 403);
    assert_eq!(status(put("/profile/card")).await.0, 403);
    let (code, _, _) = status(pod.client.get(pod.url("/gigs/")).bearer_auth(&token)).await;
    assert_eq!(code, 403, "it cannot list other platforms");
    let res = pod
        .client
        .get(pod.url("/gigs/acme/gig-1"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["wac-allow"],
        "user=\"read write append\",public=\"\""
    );
    let (code, _, _) = status(
        pod.client
            .delete(pod.url("/gigs/acme/gig-1"))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(code, 204);
    pod.stop().await;
}

#[tokio::test]
async fn the_admin_api_needs_its_token_and_deletes_whole_pods() {
    let pod = PodServer::memory().await;
    let admin = |m: Method, path: &str| {
        pod.client
            .request(m, format!("{}{POD_ADMIN_PODS}{path}", pod.base))
    };
    let (code, _, _) =
        status(admin(Method::POST, "").json(&serde_json::json!({"name": "bob"}))).await;
    assert_eq!(code, 401);
    let (code, _, _) = status(
        admin(Method::POST, "")
            .bearer_auth("wrong-token-wrong-token-wrong-token")
            .json(&serde_json::json!({"name": "bob"})),
    )
    .await;
    assert_eq!(code, 403);
    let (code, _, body) = status(
        admin(Method::POST, "")
            .bearer_auth(ADMIN_TOKEN)
            .json(&serde_json::json!({"name": "Bob!"})),
    )
    .await;
    assert_eq!(code, 400, "{body}");
    let (code, _, _) = status(admin(Method::POST, "").bearer_auth(ADMIN_TOKEN).body("{")).await;
    assert_eq!(code, 400);
    let (code, _, _) = status(
        admin(Method::POST, "")
            .bearer_auth(ADMIN_TOKEN)
            .json(&serde_json::json!({"name": "alice"})),
    )
    .await;
    assert_eq!(code, 409, "pod exists");

    for i in 0..30 {
        pod.put_turtle(&format!("/gigs/acme/r{i}"), "<#a> <#b> <#c> .")
            .await;
    }
    let (code, _, usage) = status(admin(Method::GET, "/alice").bearer_auth(ADMIN_TOKEN)).await;
    assert_eq!(code, 200);
    let usage: serde_json::Value = serde_json::from_str(&usage).unwrap();
    assert_eq!(
        usage["resources_used"], 35,
        "root, profile/, card, gigs/, acme/ and 30 records"
    );
    let (code, _, _) = status(admin(Method::DELETE, "/alice").bearer_auth(ADMIN_TOKEN)).await;
    assert_eq!(code, 204);
    let (code, _, _) = status(pod.owner(Method::GET, "/gigs/acme/r1")).await;
    assert_eq!(code, 404);
    let (code, _, _) = status(pod.client.get(pod.url("/profile/card"))).await;
    assert_eq!(code, 404);
    pod.create_pod("alice").await;
    let (code, _, _) = status(pod.owner(Method::GET, "/gigs/acme/r1")).await;
    assert_eq!(code, 404, "a new pod of the same name starts empty");
    pod.stop().await;
}
