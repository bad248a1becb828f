//! `POST /account/identity-providers`: the worker names another Solid-OIDC provider they log in
//! with (a Community Solid Server account, say), or removes one. The hub's WebID profile then
//! names it as `solid:oidcIssuer` beside the hub, so Solid servers — the worker's own pod among
//! them — accept that provider's tokens for the worker's WebID. A provider that asks the worker
//! to prove the WebID is theirs gets its code in the profile too
//! (`solid:oidcIssuerRegistrationToken`).

use actix_web::{HttpRequest, HttpResponse, web};
use op_protocol::routes;
use serde::Deserialize;

use super::account::render_dashboard;
use super::error::HubError;
use super::{Browser, see_other};
use crate::account::ACCOUNTS;
use crate::state::Hub;

/// Most other providers one WebID names.
const MAX_PROVIDERS: usize = 5;
/// Longest provider URL or code.
const MAX_LEN: usize = 200;

/// The form.
#[derive(Debug, Deserialize)]
pub struct ProviderForm {
    csrf: String,
    /// `add` or `remove`.
    action: String,
    /// The provider's issuer URL.
    issuer: String,
    /// The code the provider asked to see in the profile, if any.
    #[serde(default)]
    token: String,
}

/// Why a provider cannot be named, in words for the dashboard.
fn check(hub: &Hub, issuer: &str, token: &str) -> Result<(), &'static str> {
    let url = url::Url::parse(issuer).map_err(|_| "the provider's address is not a URL")?;
    let loopback = crate::client::is_loopback(&url);
    let hub_on_loopback =
        url::Url::parse(&hub.issuer).is_ok_and(|u| crate::client::is_loopback(&u));
    if issuer.len() > MAX_LEN || url.query().is_some() || url.fragment().is_some() {
        return Err("the provider's address must be a short URL without query or fragment");
    }
    if url.scheme() != "https" && !(url.scheme() == "http" && loopback && hub_on_loopback) {
        return Err("the provider's address must use https");
    }
    if url::Url::parse(&hub.issuer).is_ok_and(|h| h.origin() == url.origin()) {
        return Err("this hub is named already");
    }
    let token_ok = token.len() <= MAX_LEN
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b));
    if !token_ok {
        return Err("the code may hold only letters, digits, '-', '_', '.' and '~'");
    }
    Ok(())
}

/// Adds or removes a provider, then shows the dashboard again.
pub async fn change(
    req: HttpRequest,
    hub: web::Data<Hub>,
    form: web::Form<ProviderForm>,
) -> Result<HttpResponse, HubError> {
    let browser = Browser::load(&req, &hub);
    browser.check_csrf(&form.csrf)?;
    let username = browser.worker()?;
    let (issuer, token) = (form.issuer.trim().to_owned(), form.token.trim().to_owned());
    let adding = match form.action.as_str() {
        "add" => true,
        "remove" => false,
        _ => return Err(HubError::Api(400, "action must be add or remove".into())),
    };
    if adding && let Err(why) = check(&hub, &issuer, &token) {
        return render_dashboard(&req, &hub, browser, 400, Some(why)).await;
    }
    let outcome = hub
        .store
        .write(move |tx| {
            let Some(mut account) = ACCOUNTS.get_tx(tx, &username)? else {
                return Ok(Err("the account no longer exists"));
            };
            let providers = &mut account.identity_providers;
            if adding {
                if !providers.contains(&issuer) {
                    if providers.len() >= MAX_PROVIDERS {
                        return Ok(Err("a WebID here names at most five other providers"));
                    }
                    providers.push(issuer);
                }
                if !token.is_empty() {
                    account.registration_token = Some(token);
                }
            } else {
                providers.retain(|p| *p != issuer);
                if providers.is_empty() {
                    account.registration_token = None;
                }
            }
            ACCOUNTS.put(tx, &username.clone(), &account);
            Ok::<_, op_store::StoreError>(Ok(()))
        })
        .await?;
    match outcome {
        Ok(()) => Ok(see_other(routes::HUB_DASHBOARD).finish()),
        Err(why) => {
            let browser = Browser::load(&req, &hub);
            render_dashboard(&req, &hub, browser, 400, Some(why)).await
        }
    }
}
