//! Logging in with an upstream OpenID Connect provider, as with a national e-ID broker: panva's
//! oidc-provider, unmodified (`tests/upstream-idp/`, installed by `.ci/run` with `npm ci`), with
//! its own development login pages. A worker links their identity there from the dashboard, then
//! logs in with it; an identity linked to no account logs no one in; a spent or foreign answer
//! is refused; unlinking ends it. Not installed: the test says so and passes, unless
//! `OP_REQUIRE_CLIENTS=1`.

use std::process::Stdio;
use std::time::Duration;

use op_protocol::clock::Clock;
use op_protocol::routes::{HUB_LOGIN, HUB_LOGIN_UPSTREAM};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::stack::{Browser, Page, field};

const PASSWORD: &str = "correct horse battery staple";
const SECRET: &str = "the hub's secret at the e-ID provider";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// From a redirect to the provider, logs in there as `login` (its development pages: a login
/// form, then a consent form) and follows the answer back to the hub; returns the hub's page.
async fn at_provider(
    browser: &mut Browser,
    mut page: Page,
    mut url: url::Url,
    login: &str,
) -> Page {
    for _ in 0..12 {
        if let Some(location) = page.location.clone() {
            url = url.join(&location).unwrap();
            let back_at_hub = url.path() == op_protocol::routes::HUB_LOGIN_UPSTREAM_CALLBACK;
            page = browser.get(url.as_str()).await;
            if back_at_hub {
                return page;
            }
            continue;
        }
        assert_eq!(page.status, 200, "{}", page.body);
        let at = page.body.find("action=\"").expect("a form at the provider") + 8;
        let action = &page.body[at..at + page.body[at..].find('"').unwrap()];
        url = url.join(action).unwrap();
        let prompt = field(&page.body, "prompt").expect("oidc-provider's prompt field");
        let form: Vec<(&str, &str)> = if prompt == "login" {
            vec![("prompt", "login"), ("login", login), ("password", "any")]
        } else {
            vec![("prompt", prompt.as_str())]
        };
        page = browser.post(url.as_str(), &form).await;
    }
    panic!("the provider's pages did not lead back to the hub");
}

#[tokio::test]
async fn workers_link_an_upstream_login_and_log_in_with_it() {
    let Some(dir) = crate::stack::npm_project("upstream-idp") else {
        return;
    };
    let (hub_port, idp_port) = (free_port(), free_port());
    let issuer = format!("http://127.0.0.1:{hub_port}");
    let mut idp = tokio::process::Command::new("node")
        .current_dir(&dir)
        .arg("idp.mjs")
        .arg(idp_port.to_string())
        .arg(format!(
            "{issuer}{}",
            op_protocol::routes::HUB_LOGIN_UPSTREAM_CALLBACK
        ))
        .arg(SECRET)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let mut out = BufReader::new(idp.stdout.take().unwrap()).lines();
    let ready = tokio::time::timeout(Duration::from_secs(30), out.next_line()).await;
    assert_eq!(ready.unwrap().unwrap().as_deref(), Some("ready"));
    let hub = op_hub::start(
        op_hub::config::RawConfig {
            listen: Some(format!("127.0.0.1:{hub_port}")),
            storage: Some(op_store::BackendKind::Memory),
            upstream_login: vec![op_hub::upstream::Provider {
                name: "Test e-ID".into(),
                issuer: format!("http://localhost:{idp_port}"),
                client_id: "hub".into(),
                client_secret: SECRET.into(),
            }],
            ..Default::default()
        }
        .validate()
        .unwrap(),
        Clock::system(),
    )
    .await
    .unwrap();
    let hub_url = url::Url::parse(&issuer).unwrap();
    let start = format!("{issuer}{HUB_LOGIN_UPSTREAM}?provider=0");
    let login_with = |login: &'static str| {
        let start = start.clone();
        let hub_url = hub_url.clone();
        async move {
            let mut browser = Browser::new();
            let page = browser.get(&start).await;
            assert_eq!(page.status, 303, "{}", page.body);
            let page = at_provider(&mut browser, page, hub_url, login).await;
            (browser, page)
        }
    };

    // The login page offers the provider.
    let page = Browser::new().get(&format!("{issuer}{HUB_LOGIN}")).await;
    assert!(page.body.contains("Log in with Test e-ID"), "{}", page.body);

    // Not linked yet: the provider's login logs no one in.
    let (_, page) = login_with("alice-eid").await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(
        page.body.contains("no account here is linked"),
        "{}",
        page.body
    );

    // Alice links it from her dashboard (logged in with her password).
    let mut alice = Browser::new();
    alice.sign_up(&issuer, "alice", PASSWORD).await;
    let page = alice
        .dashboard_form(
            &issuer,
            HUB_LOGIN_UPSTREAM,
            &[("provider", "0"), ("action", "link")],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let page = at_provider(&mut alice, page, hub_url.clone(), "alice-eid").await;
    assert_eq!(page.status, 303, "{}", page.body);
    let dashboard = alice.get(&format!("{issuer}/")).await;
    assert!(
        dashboard.body.contains("Test e-ID: linked"),
        "{}",
        dashboard.body
    );

    // Now the provider's login is Alice's, in a browser that never saw her password.
    let (mut browser, page) = login_with("alice-eid").await;
    assert_eq!(page.status, 303, "{}", page.body);
    let dashboard = browser.get(&format!("{issuer}/")).await;
    assert_eq!(dashboard.status, 200);
    assert!(dashboard.body.contains("alice"), "{}", dashboard.body);
    // Someone else's identity there is still no one here.
    let (_, page) = login_with("mallory").await;
    assert_eq!(page.status, 403, "{}", page.body);

    // A forged or spent answer is refused, and logs no one in.
    let mut stranger = Browser::new();
    let page = stranger
        .get(&format!(
            "{issuer}{}?code=x&state=never-issued",
            op_protocol::routes::HUB_LOGIN_UPSTREAM_CALLBACK
        ))
        .await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(
        page.body.contains("expired or was already used"),
        "{}",
        page.body
    );

    // Unlinked, it logs no one in again.
    let page = alice
        .dashboard_form(
            &issuer,
            HUB_LOGIN_UPSTREAM,
            &[("provider", "0"), ("action", "unlink")],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let (_, page) = login_with("alice-eid").await;
    assert_eq!(page.status, 403, "{}", page.body);
    hub.stop().await;
}
