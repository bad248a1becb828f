//! The developer page: an organisation's developer (logged in to the hub) registers platforms and
//! matchers, sees their clients, redirect URIs and keys, and reads a quick start. New clients work
//! at once but are not certified until an operator approves them (`POST /admin/clients/{id}/certify`).

use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use op_protocol::routes;
use serde::Deserialize;

use super::error::HubError;
use super::{Browser, see_other};
use crate::client::{CLIENTS, Client, ClientKind, NewClient};
use crate::state::Hub;

#[derive(Debug, Deserialize)]
pub struct Registration {
    csrf: String,
    id: String,
    name: String,
    kind: String,
    redirect_uris: String,
    homepage: Option<String>,
    purpose: Option<String>,
}

fn clients_of(hub: &Hub, username: &str) -> Result<Vec<Client>, HubError> {
    // Developers own few clients; the registry is small next to grants, so a scan is fine here.
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = CLIENTS.scan(&hub.store, "", after.as_deref(), 1000)?;
        let done = page.len() < 1000;
        after = page.last().map(|(id, _)| id.clone());
        out.extend(
            page.into_iter()
                .map(|(_, c)| c)
                .filter(|c| c.owner.as_deref() == Some(username)),
        );
        if done {
            return Ok(out);
        }
    }
}

fn page(
    hub: &Hub,
    clients: &[Client],
    csrf: &str,
    created: Option<(&Client, Option<&str>)>,
    error: Option<&str>,
) -> Markup {
    html! {
        h1 { "Developers" }
        p { "Register your platform (it writes signed gig records into workers' pods) or your matcher (it reads what workers grant). "
            "Clients work at once; the consent screen calls them " strong { "not certified" } " until this hub's operator approves them." }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        @if let Some((client, secret)) = created {
            section aria-labelledby="created" {
                h2 id="created" { "Registered: " (client.id) }
                @if let Some(s) = secret {
                    p { "Client secret (shown once; the hub keeps only a keyed hash):" }
                    pre { code { (s) } }
                }
            }
        }
        h2 { "Your clients" }
        @if clients.is_empty() { p { "None yet." } } @else {
            table {
                thead { tr { th scope="col" { "Client id" } th scope="col" { "Kind" } th scope="col" { "Redirect URIs" } th scope="col" { "Certified" } th scope="col" { "Signing keys" } } }
                tbody {
                    @for c in clients {
                        tr {
                            td { code { (c.id) } }
                            td { (c.kind.as_str()) }
                            td { @for r in &c.redirect_uris { code { (r.as_str()) } br; } }
                            td { @if c.certified { "yes" } @else { "pending" } }
                            td { @if c.kind == ClientKind::Platform {
                                a href=(crate::platform::controller_url(hub, c.id.as_str())) { "controller document" }
                            } @else { "-" } }
                        }
                    }
                }
            }
        }
        h2 { "Register a client" }
        form method="post" action=(routes::HUB_DEVELOPERS) {
            input type="hidden" name="csrf" value=(csrf);
            label for="id" { "Client id (lower-case letters, digits and '-'; a platform's id names its folder in every pod)" }
            input id="id" name="id" required pattern="[a-z][a-z0-9-]{2,62}";
            label for="name" { "Name shown to workers" }
            input id="name" name="name" required maxlength="100";
            fieldset {
                legend { "Kind" }
                label { input type="radio" name="kind" value="platform" checked; " Platform (writes records)" }
                label { input type="radio" name="kind" value="matcher"; " Matcher (reads what workers grant)" }
            }
            label for="redirect_uris" { "Redirect URIs, one per line (exact match; https, or http on localhost)" }
            textarea id="redirect_uris" name="redirect_uris" rows="3" required {}
            label for="homepage" { "Home page" }
            input id="homepage" name="homepage" type="url";
            label for="purpose" { "Why you ask workers for their data (shown on the consent screen)" }
            input id="purpose" name="purpose" maxlength="300";
            button.primary type="submit" { "Register" }
        }
        h2 { "Quick start" }
        ol {
            li { "Send the worker to " code { (hub.url(routes::HUB_AUTHORIZE)) } " with the code flow, PKCE S256, your redirect URI and " code { "resource" } " = the worker's pod." }
            li { "Exchange the code at " code { (hub.url(routes::HUB_TOKEN)) } " with HTTP Basic client authentication." }
            li { "Platforms: register your signing key with " code { "opctl keys register" } ", sign records with " code { "opctl record sign" } " and PUT them into " code { "/gigs/{client id}/" } " in the pod." }
            li { "Matchers: read the records the grant names and verify them with " code { "opctl record verify --hub " (hub.issuer) } "." }
        }
        p { "Discovery: " a href=(hub.url(routes::HUB_OIDC_DISCOVERY)) { (hub.url(routes::HUB_OIDC_DISCOVERY)) } }
    }
}

async fn logged_in(
    req: &HttpRequest,
    hub: &Hub,
) -> Result<Result<(Browser, String), HttpResponse>, HubError> {
    let browser = Browser::load(req, hub);
    match browser.username().map(str::to_owned) {
        Some(u) => Ok(Ok((browser, u))),
        None => {
            let mut res = see_other(routes::HUB_LOGIN);
            browser.set_cookie(hub, &mut res);
            Ok(Err(res.finish()))
        }
    }
}

/// `GET /developers`.
pub async fn show(req: HttpRequest, hub: web::Data<Hub>) -> Result<HttpResponse, HubError> {
    let (browser, username) = match logged_in(&req, &hub).await? {
        Ok(found) => found,
        Err(redirect) => return Ok(redirect),
    };
    let clients = clients_of(&hub, &username)?;
    let body = page(&hub, &clients, &browser.csrf, None, None);
    Ok(browser.page(&hub, &req, 200, "Developers", body))
}

/// `POST /developers`: registers an uncertified client owned by the logged-in developer.
pub async fn register(
    req: HttpRequest,
    hub: web::Data<Hub>,
    form: web::Form<Registration>,
) -> Result<HttpResponse, HubError> {
    let (browser, username) = match logged_in(&req, &hub).await? {
        Ok(found) => found,
        Err(redirect) => return Ok(redirect),
    };
    browser.check_csrf(&form.csrf)?;
    let kind = match form.kind.as_str() {
        "platform" => ClientKind::Platform,
        "matcher" => ClientKind::Matcher,
        _ => {
            return Err(HubError::Api(
                400,
                "kind must be platform or matcher".into(),
            ));
        }
    };
    let nonempty = |s: &Option<String>| {
        s.as_ref()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let new = NewClient {
        id: form.id.trim().to_owned(),
        kind,
        name: form.name.clone(),
        homepage: nonempty(&form.homepage),
        logo: None,
        purpose: nonempty(&form.purpose),
        redirect_uris: form
            .redirect_uris
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        public: false,
        jwks: None,
        certified: false,
    };
    let result = match new.validate(&hub.secret, hub.now()) {
        Ok((mut client, secret)) => {
            client.owner = Some(username.clone());
            let stored = client.clone();
            let created = hub
                .store
                .write(move |tx| {
                    if CLIENTS.get_tx(tx, stored.id.as_str())?.is_some() {
                        return Ok(false);
                    }
                    CLIENTS.put(tx, stored.id.as_str(), &stored);
                    Ok::<_, op_store::StoreError>(true)
                })
                .await?;
            if created {
                Ok((client, secret))
            } else {
                Err(format!("the client id {:?} is taken", form.id.trim()))
            }
        }
        Err(e) => Err(e.to_string()),
    };
    let clients = clients_of(&hub, &username)?;
    let (status, body) = match &result {
        Ok((client, secret)) => (
            201,
            page(
                &hub,
                &clients,
                &browser.csrf,
                Some((client, secret.as_deref())),
                None,
            ),
        ),
        Err(e) => (400, page(&hub, &clients, &browser.csrf, None, Some(e))),
    };
    Ok(browser.page(&hub, &req, status, "Developers", body))
}
