//! Logging in with an upstream OpenID Connect provider (`crate::upstream`): the login page's
//! "Log in with …" links, the dashboard's link and unlink buttons, and the provider's answer.

use actix_web::{HttpRequest, HttpResponse, web};
use op_protocol::routes;
use serde::Deserialize;

use super::account::{after_login, render_dashboard};
use super::error::HubError;
use super::{Browser, pages, see_other};
use crate::state::Hub;
use crate::upstream::{self, Answer, Outcome, UpstreamError};

/// `GET /login/upstream?provider={n}&next=…`.
#[derive(Debug, Deserialize)]
pub struct StartQuery {
    provider: usize,
    next: Option<String>,
}

/// The login page again, with `error`.
fn login_error(
    req: &HttpRequest,
    hub: &Hub,
    browser: &Browser,
    status: u16,
    error: &str,
) -> HttpResponse {
    let t = browser.lang.t();
    let body = pages::login(t, &browser.csrf, None, &hub.upstream, Some(error));
    browser.page(hub, req, status, t.login, body)
}

fn status_of(e: &UpstreamError) -> u16 {
    match e {
        UpstreamError::Refused(_) => 400,
        UpstreamError::NotLinked(_) => 403,
        UpstreamError::Provider(..) => 502,
        UpstreamError::Store(_) => 500,
    }
}

/// Sends the browser to the provider to log in.
pub async fn start(
    req: HttpRequest,
    hub: web::Data<Hub>,
    q: web::Query<StartQuery>,
) -> Result<HttpResponse, HubError> {
    let browser = Browser::load(&req, &hub);
    let Some(provider) = hub.upstream.get(q.provider) else {
        return Ok(login_error(
            &req,
            &hub,
            &browser,
            404,
            "no such login provider",
        ));
    };
    let binding = browser.binding_id(&hub);
    match upstream::start(&hub, provider, binding, q.next.clone(), None).await {
        Ok(url) => {
            let mut res = see_other(&url);
            browser.set_cookie(&hub, &mut res);
            Ok(res.finish())
        }
        Err(UpstreamError::Store(e)) => Err(e.into()),
        Err(e) => Ok(login_error(
            &req,
            &hub,
            &browser,
            status_of(&e),
            &e.to_string(),
        )),
    }
}

/// `POST /login/upstream`: the dashboard's link and unlink buttons.
#[derive(Debug, Deserialize)]
pub struct LinkForm {
    csrf: String,
    provider: usize,
    /// `link` or `unlink`.
    action: String,
}

/// Links (through a login at the provider) or unlinks the worker's identity there.
pub async fn link(
    req: HttpRequest,
    hub: web::Data<Hub>,
    form: web::Form<LinkForm>,
) -> Result<HttpResponse, HubError> {
    let browser = Browser::load(&req, &hub);
    browser.check_csrf(&form.csrf)?;
    let username = browser.worker()?;
    let Some(provider) = hub.upstream.get(form.provider) else {
        return render_dashboard(&req, &hub, browser, 404, Some("no such login provider")).await;
    };
    let started = match form.action.as_str() {
        "link" => {
            let binding = browser.binding_id(&hub);
            upstream::start(&hub, provider, binding, None, Some(username)).await
        }
        "unlink" => upstream::unlink(&hub, provider.issuer.clone(), username)
            .await
            .map(|()| routes::HUB_DASHBOARD.to_owned()),
        _ => return Err(HubError::Api(400, "action must be link or unlink".into())),
    };
    match started {
        Ok(url) => Ok(see_other(&url).finish()),
        Err(UpstreamError::Store(e)) => Err(e.into()),
        Err(e) => {
            let status = status_of(&e);
            render_dashboard(&req, &hub, browser, status, Some(&e.to_string())).await
        }
    }
}

/// `GET /login/upstream/callback`: the provider's answer.
pub async fn callback(
    req: HttpRequest,
    hub: web::Data<Hub>,
    answer: web::Query<Answer>,
) -> Result<HttpResponse, HubError> {
    let mut browser = Browser::load(&req, &hub);
    let logged_in = browser.username().map(str::to_owned);
    let outcome = upstream::finish(
        &hub,
        &hub.upstream,
        answer.into_inner(),
        |started| browser.started(&hub, started),
        logged_in.as_deref(),
    )
    .await;
    match outcome {
        Ok(Outcome::Linked) => Ok(see_other(routes::HUB_DASHBOARD).finish()),
        Ok(Outcome::LogIn(username, next)) => {
            browser.log_in(&hub, &username).await?;
            let mut res = see_other(&after_login(next.as_deref()));
            browser.set_cookie(&hub, &mut res);
            Ok(res.finish())
        }
        Err(UpstreamError::Store(e)) => Err(e.into()),
        Err(e) => Ok(login_error(
            &req,
            &hub,
            &browser,
            status_of(&e),
            &e.to_string(),
        )),
    }
}
