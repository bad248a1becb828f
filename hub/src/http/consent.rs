//! The browser side of OAuth: `/authorize` validates and parks the request, the worker logs in,
//! `/consent` shows what the app asks for (or answers at once when a grant covers it), and an
//! allowed request becomes a single-use code sent back to the client.

use actix_web::{HttpRequest, HttpResponse, web};
use op_protocol::routes;
use serde::Deserialize;

use super::error::HubError;
use super::oauth::single_params;
use super::{Browser, pages, see_other};
use crate::account::ACCOUNTS;
use crate::authorize::{self, AuthCode, AuthRequest, AuthorizeError, CODES, PENDING};
use crate::client::{CLIENTS, Client, ClientKind};
use crate::client_document;
use crate::grant::{self, AuditEvent, GRANTS, Grant};
use crate::oauth_error::OAuthError;
use crate::secret;
use crate::state::Hub;

fn page_error(
    browser: &Browser,
    hub: &Hub,
    req: &HttpRequest,
    status: u16,
    message: &str,
) -> HttpResponse {
    let t = browser.lang.t();
    browser.page(hub, req, status, t.error_title, pages::error(t, message))
}

/// The client `id` names: registered here, or known by its Client ID Document (fetched now);
/// the inner error says why a document cannot be used.
async fn find_client(hub: &Hub, id: &str) -> Result<Result<Option<Client>, String>, HubError> {
    if client_document::is_document_id(hub, id) {
        return Ok(client_document::fetch(hub, id).await.map(Some));
    }
    Ok(Ok(CLIENTS.get(&hub.store, id)?))
}

/// Redirects to the client with `params` plus `state` and `iss` (RFC 9207).
fn redirect_to_client(
    hub: &Hub,
    redirect_uri: &str,
    state: Option<&str>,
    params: &[(&str, &str)],
) -> HttpResponse {
    let mut url = url::Url::parse(redirect_uri).expect("registered redirect URIs are URLs");
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
        if let Some(s) = state {
            q.append_pair("state", s);
        }
        q.append_pair("iss", &hub.issuer);
    }
    see_other(url.as_str()).finish()
}

/// `GET /authorize`.
pub async fn authorize(req: HttpRequest, hub: web::Data<Hub>) -> Result<HttpResponse, HubError> {
    let browser = Browser::load(&req, &hub);
    let params = match single_params(req.query_string()) {
        Ok(p) => p,
        Err(e) => return Ok(page_error(&browser, &hub, &req, 400, &e)),
    };
    let client = match params.get("client_id") {
        Some(id) => match find_client(&hub, id).await? {
            Ok(client) => client,
            Err(why) => return Ok(page_error(&browser, &hub, &req, 400, &why)),
        },
        None => None,
    };
    let started = authorize::Started {
        at: hub.now(),
        browser: browser.binding_id(&hub),
    };
    let request = match authorize::validate(&params, client.as_ref(), started) {
        Ok(r) => r,
        Err(AuthorizeError::Page(message)) => {
            return Ok(page_error(&browser, &hub, &req, 400, &message));
        }
        Err(AuthorizeError::Redirect {
            redirect_uri,
            state,
            error,
            description,
        }) => {
            return Ok(redirect_to_client(
                &hub,
                &redirect_uri,
                state.as_deref(),
                &[("error", error), ("error_description", &description)],
            ));
        }
    };
    let id = secret::random_token();
    let (pid, parked) = (id.clone(), request);
    hub.store
        .write(move |tx| {
            PENDING.put(tx, &pid, &parked);
            Ok::<_, op_store::StoreError>(())
        })
        .await?;
    let next = if browser.username().is_some() {
        format!("{}?request={id}", routes::HUB_CONSENT)
    } else {
        format!("{}?next={id}", routes::HUB_LOGIN)
    };
    let mut res = see_other(&next);
    browser.set_cookie(&hub, &mut res);
    Ok(res.finish())
}

#[derive(Debug, Deserialize)]
pub struct RequestQuery {
    request: String,
}

/// Why a parked request cannot be continued.
const EXPIRED: &str = "This request has expired. Go back to the app and start again.";
const OTHER_BROWSER: &str = "This request was started in another browser. To keep your data safe, \
    it can only be continued in the browser that started it: go back to the app in this browser \
    and start again.";

/// The parked request `id` if this browser started it and it has not expired; otherwise the
/// 400 page that says why (nothing is issued).
fn parked(
    hub: &Hub,
    req: &HttpRequest,
    browser: &Browser,
    id: &str,
) -> Result<Result<AuthRequest, HttpResponse>, HubError> {
    let found = PENDING
        .get(&hub.store, id)?
        .filter(|r| r.created + authorize::PENDING_SECS > hub.now());
    Ok(match found {
        None => Err(page_error(browser, hub, req, 400, EXPIRED)),
        Some(r) if !browser.started(hub, &r.browser) => {
            tracing::warn!(
                client_id = %r.client_id,
                "refused a parked authorization request opened in another browser"
            );
            Err(page_error(browser, hub, req, 400, OTHER_BROWSER))
        }
        Some(r) => Ok(r),
    })
}

/// `GET /consent?request=…`: the consent screen, or an immediate answer when a grant covers it.
pub async fn show_consent(
    req: HttpRequest,
    hub: web::Data<Hub>,
    query: web::Query<RequestQuery>,
) -> Result<HttpResponse, HubError> {
    let browser = Browser::load(&req, &hub);
    let request = match parked(&hub, &req, &browser, &query.request)? {
        Ok(r) => r,
        Err(refusal) => return Ok(refusal),
    };
    let Some(username) = browser.username().map(str::to_owned) else {
        return Ok(see_other(&format!("{}?next={}", routes::HUB_LOGIN, query.request)).finish());
    };
    let client = match find_client(&hub, &request.client_id).await? {
        Ok(Some(client)) => client,
        Ok(None) => {
            return Err(OAuthError::invalid_request("the client is no longer registered").into());
        }
        Err(why) => return Ok(page_error(&browser, &hub, &req, 400, &why)),
    };
    if let Some(refusal) = check_pod(&hub, &username, &request)? {
        return Ok(refusal);
    }
    if !request.force_consent {
        let covering = grant::grants_of(&hub.store, &username)?
            .into_iter()
            .find(|g| g.active(hub.now()) && request.covered_by(g));
        if let Some(g) = covering {
            return issue_code(&hub, &username, &query.request, request, Some(g)).await;
        }
    }
    let t = browser.lang.t();
    let body = pages::consent(t, &client, &request, &query.request, &browser.csrf);
    Ok(browser.page(&hub, &req, 200, &client.name, body))
}

/// Refuses a request whose `resource` is not the logged-in worker's pod.
fn check_pod(
    hub: &Hub,
    username: &str,
    request: &AuthRequest,
) -> Result<Option<HttpResponse>, HubError> {
    let Some(resource) = &request.resource else {
        return Ok(None);
    };
    let account = ACCOUNTS.get(&hub.store, username)?;
    let pod = account.and_then(|a| a.pod).map(|p| p.root);
    if pod.as_deref() == Some(resource.as_str()) {
        return Ok(None);
    }
    Ok(Some(redirect_to_client(
        hub,
        &request.redirect_uri,
        request.state.as_deref(),
        &[
            ("error", "invalid_target"),
            (
                "error_description",
                "the resource is not the pod of the worker who logged in",
            ),
        ],
    )))
}

#[derive(Debug, Deserialize)]
pub struct Decision {
    csrf: String,
    request: String,
    decision: String,
}

/// `POST /consent`: allow or deny.
pub async fn decide(
    req: HttpRequest,
    hub: web::Data<Hub>,
    form: web::Form<Decision>,
) -> Result<HttpResponse, HubError> {
    let browser = Browser::load(&req, &hub);
    browser.check_csrf(&form.csrf)?;
    let username = browser.worker()?;
    let request = match parked(&hub, &req, &browser, &form.request)? {
        Ok(r) => r,
        Err(refusal) => return Ok(refusal),
    };
    if let Some(refusal) = check_pod(&hub, &username, &request)? {
        return Ok(refusal);
    }
    if form.decision != "allow" {
        let (id, user, client_id, now) = (
            form.request.clone(),
            username.clone(),
            request.client_id.clone(),
            hub.now(),
        );
        hub.store
            .write(move |tx| {
                PENDING.remove(tx, &id);
                grant::audit(
                    tx,
                    &user,
                    AuditEvent {
                        at: now,
                        event: "consent_denied".into(),
                        client_id,
                        grant_id: None,
                    },
                );
                Ok::<_, op_store::StoreError>(())
            })
            .await?;
        return Ok(redirect_to_client(
            &hub,
            &request.redirect_uri,
            request.state.as_deref(),
            &[
                ("error", "access_denied"),
                ("error_description", "the worker denied the request"),
            ],
        ));
    }
    issue_code(&hub, &username, &form.request, request, None).await
}

/// Creates (or reuses) the grant, issues a single-use code and sends the browser back to the client.
async fn issue_code(
    hub: &Hub,
    username: &str,
    request_id: &str,
    request: AuthRequest,
    existing: Option<Grant>,
) -> Result<HttpResponse, HubError> {
    let account = ACCOUNTS
        .get(&hub.store, username)?
        .ok_or_else(|| OAuthError::invalid_request("the account no longer exists"))?;
    let now = hub.now();
    let code = secret::random_token();
    let code_id = hub.secret.hash(&code);
    let kind = if client_document::is_document_id(hub, &request.client_id) {
        Some(ClientKind::WorkerApp)
    } else {
        CLIENTS.get(&hub.store, &request.client_id)?.map(|c| c.kind)
    };
    let solid = kind.is_some_and(|kind| {
        crate::solid::is_solid(kind, &request.scope, request.resource.as_deref())
    });
    let grant = existing.unwrap_or_else(|| Grant {
        id: grant::new_grant_id(username),
        client_id: request.client_id.clone(),
        username: username.to_owned(),
        webid: account.webid.clone(),
        resource: request.resource.clone(),
        scope: request.scope.clone(),
        details: request.details.clone(),
        created: now,
        expires: request.details.iter().filter_map(|d| d.expires_at()).min(),
        last_used: None,
        revoked: None,
        solid,
    });
    let (redirect_uri, state) = (request.redirect_uri.clone(), request.state.clone());
    let (rid, user) = (request_id.to_owned(), username.to_owned());
    let record = AuthCode {
        request,
        grant_id: grant.id.clone(),
        expires: now + authorize::CODE_SECS,
        used: false,
    };
    hub.store
        .write(move |tx| {
            PENDING.remove(tx, &rid);
            grant::audit(
                tx,
                &user,
                AuditEvent {
                    at: now,
                    event: "consent_given".into(),
                    client_id: grant.client_id.clone(),
                    grant_id: Some(grant.id.clone()),
                },
            );
            GRANTS.put(tx, &grant.id, &grant);
            CODES.put(tx, &code_id, &record);
            Ok::<_, op_store::StoreError>(())
        })
        .await?;
    Ok(redirect_to_client(
        hub,
        &redirect_uri,
        state.as_deref(),
        &[("code", &code)],
    ))
}
