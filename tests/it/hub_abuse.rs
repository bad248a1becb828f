//! The hub under abuse, over real HTTP: parked requests opened in another browser, parallel
//! password guessing, forwarding headers, and anonymous requests that would grow the store.

use op_protocol::routes::{HUB_CONSENT, HUB_DELETE_ACCOUNT, HUB_LOGIN};

use std::time::Duration;

use op_hub::purge;

use crate::hub_oauth::{PASSWORD, Request, code_for, logged_in};
use crate::stack::{Browser, Stack, field, query_of};

/// The parked request id from `/authorize`'s redirect (to the login page or the consent page).
fn parked_id(location: &str) -> String {
    let q = query_of(&format!("http://hub{location}"));
    q.get("next")
        .or_else(|| q.get("request"))
        .cloned()
        .unwrap_or_else(|| panic!("no parked request in {location}"))
}

#[tokio::test]
async fn a_parked_request_opened_in_another_browser_is_refused_and_issues_nothing() {
    let stack = Stack::start().await;
    // The victim already granted acme what it asks for, so the request would need no screen.
    let mut victim = logged_in(&stack).await;
    code_for(&stack, &mut victim, &Request::new(&stack)).await;
    let codes = purge::counts(&stack.hub().store).unwrap().codes;

    // The attacker starts the same request in their own browser and sends the victim the link.
    let mut attacker = Browser::new();
    let started = attacker.get(&Request::new(&stack).url(&stack.issuer)).await;
    assert_eq!(started.status, 303);
    let id = parked_id(started.location.as_deref().unwrap());
    let opened = victim
        .get(&format!("{}{HUB_CONSENT}?request={id}", stack.issuer))
        .await;
    assert_eq!(opened.status, 400, "{}", opened.body);
    assert!(opened.location.is_none(), "nothing is sent to the client");
    assert!(
        opened.body.contains("started in another browser"),
        "{}",
        opened.body
    );
    // Through the login page's hand-off, and by posting the consent form directly: the same.
    let via_login = victim
        .get(&format!("{}{HUB_LOGIN}?next={id}", stack.issuer))
        .await;
    let csrf = via_login.csrf();
    let posted = victim
        .post(
            &format!("{}{HUB_CONSENT}", stack.issuer),
            &[("csrf", &csrf), ("request", &id), ("decision", "allow")],
        )
        .await;
    assert_eq!(posted.status, 400, "{}", posted.body);
    assert!(posted.location.is_none());
    assert_eq!(purge::counts(&stack.hub().store).unwrap().codes, codes);

    // A browser that lost its binding cookie is another browser too.
    let own = victim.get(&Request::new(&stack).url(&stack.issuer)).await;
    let id = parked_id(own.location.as_deref().unwrap());
    victim.forget("op_browser");
    let page = victim
        .get(&format!("{}{HUB_CONSENT}?request={id}", stack.issuer))
        .await;
    assert_eq!(page.status, 400);
    assert_eq!(purge::counts(&stack.hub().store).unwrap().codes, codes);
    stack.stop().await;
}

/// A login form's cookies and CSRF token, fetched once.
async fn login_form(stack: &Stack) -> (Browser, String) {
    let mut browser = Browser::new();
    let page = browser.get(&format!("{}{HUB_LOGIN}", stack.issuer)).await;
    let csrf = page.csrf();
    (browser, csrf)
}

/// Posts a login with a forwarding header; returns the status.
async fn login_from(
    stack: &Stack,
    (browser, csrf): &(Browser, String),
    header: (&str, &str),
    username: &str,
) -> u16 {
    browser
        .http
        .post(format!("{}{HUB_LOGIN}", stack.issuer))
        .header("Cookie", browser.cookie_header())
        .header(header.0, header.1)
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", username),
            ("password", "wrong password!"),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn parallel_wrong_passwords_are_checked_at_most_the_limit() {
    let stack = Stack::start().await;
    logged_in(&stack).await;
    let (browser, csrf) = login_form(&stack).await;
    let mut guesses = tokio::task::JoinSet::new();
    for n in 0..40 {
        let req = browser
            .http
            .post(format!("{}{HUB_LOGIN}", stack.issuer))
            .header("Cookie", browser.cookie_header())
            .form(&[
                ("csrf", csrf.clone()),
                ("username", "alice".into()),
                ("password", format!("guess number {n}")),
            ]);
        guesses.spawn(async move { req.send().await.unwrap().status().as_u16() });
    }
    let statuses = guesses.join_all().await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert!(checked <= 5, "{checked} guesses were checked: {statuses:?}");
    assert_eq!(checked + throttled, 40, "{statuses:?}");
    stack.stop().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_address_is_throttled_on_its_own() {
    let stack = Stack::behind_proxies(&["127.0.0.1"]).await;
    let form = login_form(&stack).await;
    // Twenty failures from one client, each for another account (the per-account limit is 5).
    for n in 0..20 {
        let status = login_from(
            &stack,
            &form,
            ("X-Forwarded-For", "203.0.113.7"),
            &format!("user-{n}"),
        )
        .await;
        assert_eq!(status, 401, "attempt {n}");
    }
    let xff = ("X-Forwarded-For", "203.0.113.7");
    assert_eq!(login_from(&stack, &form, xff, "someone").await, 429);
    // Another client behind the same proxy is not locked out, named either way.
    let other = ("X-Forwarded-For", "198.51.100.1, 127.0.0.1");
    assert_eq!(login_from(&stack, &form, other, "someone").await, 401);
    let other = ("Forwarded", "for=\"198.51.100.2:4711\";proto=https");
    assert_eq!(login_from(&stack, &form, other, "someone").await, 401);
    stack.stop().await;
}

#[tokio::test]
async fn an_untrusted_peers_forwarding_headers_are_ignored() {
    let stack = Stack::start().await;
    let form = login_form(&stack).await;
    for n in 0..20 {
        let xff = format!("203.0.113.{n}");
        let status = login_from(
            &stack,
            &form,
            ("X-Forwarded-For", &xff),
            &format!("user-{n}"),
        )
        .await;
        assert_eq!(status, 401, "attempt {n}");
    }
    // Every attempt counted against the real peer, 127.0.0.1, whatever the header said.
    let xff = ("X-Forwarded-For", "198.51.100.1");
    assert_eq!(login_from(&stack, &form, xff, "someone").await, 429);
    stack.stop().await;
}

#[tokio::test]
async fn cookieless_page_views_store_no_sessions() {
    let stack = Stack::start().await;
    let store = &stack.hub().store;
    let before = purge::counts(store).unwrap();
    let pages = [
        HUB_LOGIN.to_owned(),
        op_protocol::routes::HUB_SIGNUP.to_owned(),
        op_protocol::routes::HUB_DASHBOARD.to_owned(),
        op_protocol::routes::HUB_BACKPACK.to_owned(),
        op_protocol::routes::HUB_DEVELOPERS.to_owned(),
        format!("{HUB_LOGIN}?lang=sv"),
        format!("{HUB_CONSENT}?request=nothing"),
        op_protocol::routes::hub_person("nobody"),
    ];
    for n in 0..200 {
        let page = Browser::new()
            .get(&format!("{}{}", stack.issuer, pages[n % pages.len()]))
            .await;
        assert!(
            page.status < 500,
            "{}: {}",
            pages[n % pages.len()],
            page.status
        );
    }
    assert_eq!(purge::counts(store).unwrap(), before);
    // The anonymous forms still work: their CSRF token comes from the browser's cookie.
    let mut browser = Browser::new();
    let page = browser.sign_up(&stack.issuer, "alice", PASSWORD).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(purge::counts(store).unwrap().sessions, before.sessions + 1);
    stack.stop().await;
}

#[tokio::test]
async fn oversized_authorization_requests_get_400_and_park_nothing() {
    let stack = Stack::start().await;
    let details = format!(
        r#"[{{"type":"gig_data","actions":["write"],"purpose":"{}"}}]"#,
        "x".repeat(6 * 1024)
    );
    let long = "y".repeat(600);
    let cases = [
        ("authorization_details", details.as_str(), 4096),
        ("state", long.as_str(), 512),
        ("nonce", long.as_str(), 512),
        ("scope", long.as_str(), 512),
    ];
    let mut browser = Browser::new();
    for (name, value, limit) in cases {
        let url = Request::new(&stack)
            .set(name, Some(value))
            .url(&stack.issuer);
        let page = browser.get(&url).await;
        assert_eq!(page.status, 400, "{name}");
        assert!(
            page.location.is_none(),
            "{name}: not sent back to the client"
        );
        assert!(
            page.body
                .contains(&format!("{name} is {} bytes", value.len()))
                && page.body.contains(&format!("the limit is {limit} bytes")),
            "{name}: {}",
            page.body
        );
    }
    assert_eq!(purge::counts(&stack.hub().store).unwrap().requests, 0);
    stack.stop().await;
}

#[tokio::test]
async fn expired_sessions_requests_and_codes_are_purged_in_batches() {
    let stack = Stack::start().await;
    let mut browser = logged_in(&stack).await;
    code_for(&stack, &mut browser, &Request::new(&stack)).await;
    // More parked requests than one purge batch holds.
    let parked = purge::BATCH + 44;
    for _ in 0..parked {
        let page = Browser::new()
            .get(&Request::new(&stack).url(&stack.issuer))
            .await;
        assert_eq!(page.status, 303);
    }
    let store = &stack.hub().store;
    let stored = |sessions, requests, codes| purge::Counts {
        sessions,
        requests,
        codes,
        upstream_logins: 0,
    };
    assert_eq!(purge::counts(store).unwrap(), stored(1, parked, 1));
    // The purge task runs too, every minute; what is stored afterwards is what counts.
    purge::run(stack.hub()).await.unwrap();
    assert_eq!(
        purge::counts(store).unwrap(),
        stored(1, parked, 1),
        "nothing expired yet"
    );
    // Parked requests live 15 minutes, codes are kept an hour past their minute, sessions 8 hours.
    stack.clock.advance(Duration::from_secs(16 * 60));
    purge::run(stack.hub()).await.unwrap();
    assert_eq!(purge::counts(store).unwrap(), stored(1, 0, 1));
    stack.clock.advance(Duration::from_secs(8 * 3600));
    purge::run(stack.hub()).await.unwrap();
    assert_eq!(purge::counts(store).unwrap(), stored(0, 0, 0));
    // The purged session no longer logs anyone in.
    let page = browser.get(&format!("{}/", stack.issuer)).await;
    assert_eq!(page.location.as_deref(), Some(HUB_LOGIN));
    assert!(field(&page.body, "csrf").is_none());
    stack.stop().await;
}

#[tokio::test]
async fn the_delete_account_password_check_shares_the_login_throttle() {
    let stack = Stack::start().await;
    let mut browser = logged_in(&stack).await;
    let csrf = browser.get(&format!("{}/", stack.issuer)).await.csrf();
    let delete = format!("{}{HUB_DELETE_ACCOUNT}", stack.issuer);
    for _ in 0..5 {
        let page = browser
            .post(&delete, &[("csrf", &csrf), ("password", "wrong password!")])
            .await;
        assert_eq!(page.status, 403, "{}", page.body);
    }
    let page = browser
        .post(&delete, &[("csrf", &csrf), ("password", PASSWORD)])
        .await;
    assert_eq!(page.status, 429, "{}", page.body);
    assert!(page.body.contains("too many failed attempts"));
    let dashboard = browser.get(&format!("{}/", stack.issuer)).await;
    assert_eq!(dashboard.status, 200, "the account is still there");
    stack.stop().await;
}

#[tokio::test]
async fn a_form_missing_a_field_gets_a_page_that_says_what_to_do() {
    let stack = Stack::start().await;
    let mut browser = Browser::new();
    let page = browser
        .post(
            &format!("{}{HUB_LOGIN}", stack.issuer),
            &[("username", "alice"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(page.status, 400);
    assert!(
        page.body.contains("This form could not be read")
            && page.body.contains("missing field `csrf`")
            && page.body.contains("reload the page"),
        "{}",
        page.body
    );
}
