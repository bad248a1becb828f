//! Worker pages: sign-up, login, logout, the dashboard and revoking a grant.

use actix_web::{HttpRequest, HttpResponse, web};
use op_protocol::routes;
use serde::Deserialize;

use super::error::HubError;
use super::pages::{self, GrantRow};
use super::{Browser, see_other};
use crate::account::{self, ACCOUNTS, AccountError, SignUpError};
use crate::client::CLIENTS;
use crate::grant::{self, GRANTS};
use crate::state::Hub;
use crate::throttle::ThrottleKey;

/// The client's address: the peer's, or what a trusted proxy forwarded (see `proxy`).
pub(super) fn client_address(req: &HttpRequest, hub: &Hub) -> std::net::IpAddr {
    let peer = req
        .peer_addr()
        .map_or(std::net::Ipv4Addr::UNSPECIFIED.into(), |a| a.ip());
    let values = |name: &str| -> Vec<&str> {
        req.headers()
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .collect()
    };
    hub.trusted_proxies
        .client(peer, &values("forwarded"), &values("x-forwarded-for"))
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Credentials {
    csrf: String,
    username: String,
    password: String,
    next: Option<String>,
    /// Sign-up only: `on` when the worker will link a pod of their own instead of a hosted one.
    #[serde(default)]
    own_pod: Option<String>,
}

/// Where to go after logging in: the parked consent, or the dashboard.
pub(super) fn after_login(next: Option<&str>) -> String {
    match next.filter(|n| {
        !n.is_empty()
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }) {
        Some(id) => format!("{}?request={id}", routes::HUB_CONSENT),
        None => routes::HUB_DASHBOARD.to_owned(),
    }
}

/// `GET /signup`.
pub async fn signup_page(
    req: HttpRequest,
    hub: web::Data<Hub>,
    q: web::Query<NextQuery>,
) -> Result<HttpResponse, HubError> {
    let browser = Browser::load(&req, &hub);
    let t = browser.lang.t();
    let body = pages::signup(
        t,
        &browser.csrf,
        q.next.as_deref(),
        hub.pods.is_some(),
        None,
    );
    Ok(browser.page(&hub, &req, 200, t.signup, body))
}

/// `POST /signup`: creates the account and, with a pod provider, its hosted pod.
pub async fn signup(
    req: HttpRequest,
    hub: web::Data<Hub>,
    form: web::Form<Credentials>,
) -> Result<HttpResponse, HubError> {
    let mut browser = Browser::load(&req, &hub);
    browser.check_csrf(&form.csrf)?;
    let t = browser.lang.t();
    let refuse = |browser: &Browser, e: AccountError| {
        let body = pages::signup(
            t,
            &browser.csrf,
            form.next.as_deref(),
            hub.pods.is_some(),
            Some(&e.to_string()),
        );
        browser.page(&hub, &req, 400, t.signup, body)
    };
    let choice = match form.own_pod.as_deref() {
        Some("on") => account::PodChoice::OwnPod,
        _ => account::PodChoice::Hosted,
    };
    let account = match account::sign_up(&hub, &form.username, &form.password, choice).await {
        Ok(a) => a,
        Err(SignUpError::Refused(e)) => return Ok(refuse(&browser, e)),
        Err(SignUpError::Provision(e)) => {
            tracing::error!(error = %e, "pod provisioning failed");
            return Err(HubError::Api(
                502,
                "the pod server could not create your pod; try again later".into(),
            ));
        }
        Err(SignUpError::Store(e)) => return Err(e.into()),
    };
    let username = account.username;
    browser.log_in(&hub, username.as_str()).await?;
    let mut res = see_other(&after_login(form.next.as_deref()));
    browser.set_cookie(&hub, &mut res);
    Ok(res.finish())
}

/// `GET /login`.
pub async fn login_page(
    req: HttpRequest,
    hub: web::Data<Hub>,
    q: web::Query<NextQuery>,
) -> Result<HttpResponse, HubError> {
    let browser = Browser::load(&req, &hub);
    let t = browser.lang.t();
    let body = pages::login(t, &browser.csrf, q.next.as_deref(), &hub.upstream, None);
    Ok(browser.page(&hub, &req, 200, t.login, body))
}

/// `POST /login`, throttled per account and per address.
pub async fn login(
    req: HttpRequest,
    hub: web::Data<Hub>,
    form: web::Form<Credentials>,
) -> Result<HttpResponse, HubError> {
    let mut browser = Browser::load(&req, &hub);
    browser.check_csrf(&form.csrf)?;
    let t = browser.lang.t();
    let keys = [
        ThrottleKey::Account(form.username.trim().to_owned()),
        ThrottleKey::Address(client_address(&req, &hub)),
    ];
    let refuse = |browser: &Browser, status: u16, e: AccountError| {
        let body = pages::login(
            t,
            &browser.csrf,
            form.next.as_deref(),
            &hub.upstream,
            Some(&e.to_string()),
        );
        browser.page(&hub, &req, status, t.login, body)
    };
    // Counted before the password is checked, so parallel guesses cannot outrun the limit.
    let attempt = match hub.throttle.admit(&keys, hub.now()) {
        Ok(a) => a,
        Err(wait) => return Ok(refuse(&browser, 429, AccountError::Throttled(wait))),
    };
    let account = ACCOUNTS.get(&hub.store, form.username.trim())?;
    let hash = account.as_ref().map_or_else(
        || account::DUMMY_HASH.to_owned(),
        |a| a.password_hash.clone(),
    );
    let password = form.password.clone();
    let ok = hub
        .password_work(move || account::verify_password(&password, &hash))
        .await
        .map_err(|e| HubError::Api(500, e))?;
    let Some(account) = account.filter(|_| ok) else {
        return Ok(refuse(&browser, 401, AccountError::WrongCredentials));
    };
    hub.throttle.succeeded(attempt);
    browser.log_in(&hub, account.username.as_str()).await?;
    let mut res = see_other(&after_login(form.next.as_deref()));
    browser.set_cookie(&hub, &mut res);
    Ok(res.finish())
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// `POST /logout`.
pub async fn logout(
    req: HttpRequest,
    hub: web::Data<Hub>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, HubError> {
    let mut browser = Browser::load(&req, &hub);
    browser.check_csrf(&form.csrf)?;
    let gone = browser.log_out(&hub).await?;
    let mut res = see_other(routes::HUB_LOGIN);
    res.cookie(gone);
    Ok(res.finish())
}

/// `GET /`: the worker's grants and recent activity.
pub async fn dashboard(req: HttpRequest, hub: web::Data<Hub>) -> Result<HttpResponse, HubError> {
    let browser = Browser::load(&req, &hub);
    render_dashboard(&req, &hub, browser, 200, None).await
}

pub(super) async fn render_dashboard(
    req: &HttpRequest,
    hub: &Hub,
    browser: Browser,
    status: u16,
    error: Option<&str>,
) -> Result<HttpResponse, HubError> {
    let Some(username) = browser.username().map(str::to_owned) else {
        let mut res = see_other(routes::HUB_LOGIN);
        browser.set_cookie(hub, &mut res);
        return Ok(res.finish());
    };
    let Some(account) = ACCOUNTS.get(&hub.store, &username)? else {
        return Ok(see_other(routes::HUB_LOGIN).finish());
    };
    let grants = grant::grants_of(&hub.store, &username)?;
    let rows: Vec<GrantRow<'_>> = grants
        .iter()
        .map(|g| GrantRow {
            grant: g,
            client_name: CLIENTS
                .get(&hub.store, &g.client_id)
                .ok()
                .flatten()
                .map_or_else(|| g.client_id.clone(), |c| c.name),
        })
        .collect();
    let events = grant::audit_log(&hub.store, &username, 20)?;
    let access = match &account.pod {
        Some(pod) => crate::provider::access_log(hub, &account.webid, &pod.root).await,
        None => Some(Vec::new()),
    };
    // Every client the page names, by its display name.
    let mut names: std::collections::HashMap<String, String> = rows
        .iter()
        .map(|r| (r.grant.client_id.clone(), r.client_name.clone()))
        .collect();
    let others: Vec<String> = events
        .iter()
        .map(|e| e.client_id.clone())
        .chain(access.iter().flatten().filter_map(|e| e.client_id.clone()))
        .filter(|id| !id.is_empty() && !names.contains_key(id))
        .collect();
    for id in others {
        if let Ok(Some(c)) = CLIENTS.get(&hub.store, &id) {
            names.insert(id, c.name);
        }
    }
    let t = browser.lang.t();
    let view = pages::Dashboard {
        username: &username,
        webid: &account.webid,
        pod: account.pod.as_ref().map(|p| p.root.as_str()),
        hosted: account.pod.as_ref().is_some_and(|p| p.hosted),
        can_host: hub.pods.is_some(),
        grants: &rows,
        events: &events,
        names: &names,
        access: access.as_deref(),
        error,
        providers: &account.identity_providers,
        upstream: &hub
            .upstream
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    crate::upstream::is_linked(&account, &p.issuer),
                )
            })
            .collect::<Vec<_>>(),
    };
    let body = pages::dashboard(t, &view, &browser.csrf);
    Ok(browser.page(hub, req, status, t.dashboard, body))
}

#[derive(Debug, Deserialize)]
pub struct LinkForm {
    csrf: String,
    pod_url: String,
    code: String,
}

/// `POST /pods/link`: links a self-hosted pod with the one-time code its pod server printed.
pub async fn link_pod(
    req: HttpRequest,
    hub: web::Data<Hub>,
    form: web::Form<LinkForm>,
) -> Result<HttpResponse, HubError> {
    let browser = Browser::load(&req, &hub);
    browser.check_csrf(&form.csrf)?;
    let username = browser.worker()?;
    match crate::link::link(&hub, &username, &form.pod_url, &form.code).await {
        Ok(_) => Ok(see_other(routes::HUB_DASHBOARD).finish()),
        Err(crate::link::LinkError::Store(e)) => Err(e.into()),
        Err(e) => render_dashboard(&req, &hub, browser, 400, Some(&e.to_string())).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct MoveForm {
    csrf: String,
    /// The worker's own pod, when moving out of the hosted one.
    pod_url: Option<String>,
    code: Option<String>,
}

/// `POST /pods/move`: moves the worker's data from the pod hosted here to their own pod (with
/// its address and one-time code), or from their own pod to a new one hosted here.
pub async fn move_pod(
    req: HttpRequest,
    hub: web::Data<Hub>,
    form: web::Form<MoveForm>,
) -> Result<HttpResponse, HubError> {
    let browser = Browser::load(&req, &hub);
    browser.check_csrf(&form.csrf)?;
    let username = browser.worker()?;
    let hosted = ACCOUNTS
        .get(&hub.store, &username)?
        .and_then(|a| a.pod)
        .is_some_and(|p| p.hosted);
    let moved = if hosted {
        let (Some(url), Some(code)) = (&form.pod_url, &form.code) else {
            let why = "enter your pod's address and the code its pod server printed";
            return render_dashboard(&req, &hub, browser, 400, Some(why)).await;
        };
        crate::link::moving::to_own(&hub, &username, url, code).await
    } else {
        crate::link::moving::to_hosted(&hub, &username).await
    };
    match moved {
        Ok(_) => Ok(see_other(routes::HUB_DASHBOARD).finish()),
        Err(crate::link::LinkError::Store(e)) => Err(e.into()),
        Err(e) => render_dashboard(&req, &hub, browser, 400, Some(&e.to_string())).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct RevokeForm {
    csrf: String,
    /// `yes` once the worker confirmed; without it the confirmation page is shown.
    confirm: Option<String>,
}

/// `POST /grants/{id}/revoke`: first shows what the app will lose and asks to confirm; with
/// `confirm=yes` revokes the grant, and its tokens stop working.
pub async fn revoke_grant(
    req: HttpRequest,
    hub: web::Data<Hub>,
    id: web::Path<String>,
    form: web::Form<RevokeForm>,
) -> Result<HttpResponse, HubError> {
    let browser = Browser::load(&req, &hub);
    browser.check_csrf(&form.csrf)?;
    let username = browser.worker()?;
    let Some(grant) = GRANTS
        .get(&hub.store, &id)?
        .filter(|g| g.username == username)
    else {
        return Err(HubError::Api(404, "no such grant".into()));
    };
    if grant.revoked.is_some() {
        return Ok(see_other(routes::HUB_DASHBOARD).finish());
    }
    if form.confirm.as_deref() != Some("yes") {
        let client_name = CLIENTS
            .get(&hub.store, &grant.client_id)?
            .map_or_else(|| grant.client_id.clone(), |c| c.name);
        let t = browser.lang.t();
        let body = pages::confirm_revoke(t, &client_name, &grant, &browser.csrf);
        return Ok(browser.page(&hub, &req, 200, t.revoke, body));
    }
    super::oauth::revoke_grant(&hub, &id, "grant_revoked").await?;
    Ok(see_other(routes::HUB_DASHBOARD).finish())
}
