//! The worker's pages in a real headless Chromium: sign-up, consent allow and deny, the
//! dashboard, revoking with confirmation, the backpack and the developer page, each audited with
//! axe-core against WCAG 2.1 A and AA (see `chromium.rs` for what it needs).

use op_protocol::routes::{
    HUB_ADMIN_CLIENTS, HUB_AUTHORIZE, HUB_BACKPACK, HUB_DEVELOPERS, HUB_GRANTS, HUB_SIGNUP,
};

use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::stack::{HUB_ADMIN, Stack, query_of};
use op_tests::chromium::Chromium;

/// A loopback page that answers every request with 200, standing in for a client's callback.
async fn callback_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = tokio::io::AsyncReadExt::read(&mut socket, &mut buf).await;
                let body = "<!doctype html><title>callback</title><p>back at the app";
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}/callback")
}

/// An authorization request for `client_id` with PKCE, as a platform's connector would make.
fn authorize_url(stack: &Stack, client_id: &str, redirect: &str, state: &str) -> String {
    let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect),
            ("scope", "openid gig:write"),
            ("state", state),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("resource", &stack.pod_root("bea")),
        ])
        .finish();
    format!("{}{HUB_AUTHORIZE}?{query}", stack.issuer)
}

#[tokio::test]
#[cfg_attr(
    not(op_browser),
    ignore = "needs chromium, chromium-driver and axe-core: apt-get install chromium chromium-driver, and OP_AXE_JS=/path/to/axe.min.js (.ci/run sets all up)"
)]
async fn a_worker_signs_up_consents_denies_and_revokes_in_a_real_browser() {
    let browser = Chromium::start(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser")).await;
    let stack = Stack::start().await;
    let callback = callback_server().await;
    let registered = stack
        .http
        .post(format!("{}{HUB_ADMIN_CLIENTS}", stack.issuer))
        .bearer_auth(HUB_ADMIN)
        .json(&serde_json::json!({
            "id": "courier", "kind": "platform", "name": "Courier Co", "redirect_uris": [callback],
            "public": false, "certified": true, "purpose": "Records of your deliveries"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);

    // Sign up: the dashboard greets the new worker.
    let home = format!("{}/", stack.issuer);
    browser.goto(&format!("{}{HUB_SIGNUP}", stack.issuer)).await;
    browser.audit("signup").await;
    browser
        .submit_credentials("bea", "a long enough passphrase")
        .await;
    browser
        .expect("signup-dashboard", |url, text| {
            url == home && text.contains("No app has access")
        })
        .await;
    browser.audit("empty-dashboard").await;

    // Consent, deny: the app is told access_denied, with the state and the hub as issuer.
    browser
        .goto(&authorize_url(&stack, "courier", &callback, "deny-1"))
        .await;
    browser
        .expect("consent-names-the-app", |_, text| {
            text.contains("Courier Co")
        })
        .await;
    browser.audit("consent").await;
    // The same consent in Swedish, then back to English.
    browser.click("header a").await;
    browser
        .expect("consent-in-swedish", |_, text| {
            text.contains("In English") && text.contains("Courier Co")
        })
        .await;
    browser.audit("consent-in-swedish").await;
    browser.click("header a").await;
    browser
        .expect("consent-in-english", |_, text| text.contains("På svenska"))
        .await;
    browser.click("button[value=deny]").await;
    browser
        .expect("consent-deny", |url, _| {
            let query = query_of(url);
            url.starts_with(&callback)
                && query.get("error").map(String::as_str) == Some("access_denied")
                && query.get("state").map(String::as_str) == Some("deny-1")
                && query.get("iss") == Some(&stack.issuer)
        })
        .await;

    // Consent, allow: the app gets a code.
    browser
        .goto(&authorize_url(&stack, "courier", &callback, "allow-1"))
        .await;
    browser.click("button[value=allow]").await;
    browser
        .expect("consent-allow", |url, _| {
            let query = query_of(url);
            url.starts_with(&callback)
                && query.contains_key("code")
                && query.get("state").map(String::as_str) == Some("allow-1")
        })
        .await;

    // The dashboard lists the grant; Revoke asks first, Cancel changes nothing.
    let revoke = "button[aria-label=\"Revoke Courier Co\"]";
    browser.goto(&home).await;
    browser
        .expect("dashboard-lists-grant", |_, text| {
            text.contains("Apps with access")
                && text.contains("Courier Co")
                && text.contains("You gave Courier Co access.")
                && text.contains("You refused Courier Co access.")
                && !text.contains("consent_given")
        })
        .await;
    browser.audit("dashboard").await;
    browser.click(revoke).await;
    browser
        .expect("revoke-asks-to-confirm", |url, text| {
            url.contains(&format!("{HUB_GRANTS}/"))
                && text.contains("Revoke access for Courier Co?")
        })
        .await;
    browser.audit("confirm-revoke").await;
    browser.click("form a").await;
    browser
        .expect("cancel-keeps-grant", |url, text| {
            url == home && text.contains("Courier Co") && !text.contains("revoked")
        })
        .await;

    // Confirmed: the grant shows as revoked.
    browser.click(revoke).await;
    browser
        .expect("confirm-page", |url, _| {
            url.contains(&format!("{HUB_GRANTS}/"))
        })
        .await;
    browser.click("button.primary").await;
    browser
        .expect("revoke-confirmed", |url, text| {
            url == home
                && text.contains("No app has access")
                && text.contains("Access that has ended")
                && text.contains("You revoked the access of Courier Co.")
        })
        .await;
    assert!(
        !browser.exists(revoke).await,
        "a revoked grant is no longer under Apps with access"
    );
    browser.audit("dashboard-after-revoke").await;
    // The same dashboard in Swedish: the grants, the ended access and the activity in words.
    browser.click("header a").await;
    browser
        .expect("dashboard-in-swedish", |_, text| {
            text.contains("Åtkomst som har upphört")
                && text.contains("Du återkallade åtkomsten för Courier Co.")
                && text.contains("Du gav Courier Co åtkomst.")
        })
        .await;
    browser.audit("dashboard-in-swedish").await;
    browser.click("header a").await;
    browser
        .expect("dashboard-in-english", |_, text| {
            text.contains("På svenska")
        })
        .await;

    // The backpack, empty for a new worker, and the developer pages are accessible too.
    browser
        .goto(&format!("{}{HUB_BACKPACK}", stack.issuer))
        .await;
    browser
        .expect("backpack", |_, text| text.contains("no records yet"))
        .await;
    browser.audit("backpack").await;
    browser
        .goto(&format!("{}{HUB_DEVELOPERS}", stack.issuer))
        .await;
    browser.audit("developers").await;

    let _ = browser.client.clone().close().await;
    stack.stop().await;
}
