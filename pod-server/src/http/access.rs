//! The access log over HTTP: which requests are logged (those made under a grant of the pod's
//! owner), which are only tallied (tokens the owner did not grant), and `GET /{pod}/log/`.

use actix_web::http::{Method, header};
use actix_web::{HttpRequest, HttpResponse};
use op_protocol::path::{PodName, ResourcePath};

use super::AppState;
use super::error::HttpError;
use super::headers;
use crate::auth::policy::Identity;
use crate::pod::error::PodError;
use crate::pod::log::{self, AccessEvent};

/// How many events `GET /{pod}/log/` shows.
const SHOWN: usize = 500;

/// Who made a request, as far as the access log is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// The request did not reach an existing pod (or was an `OPTIONS`).
    NoPod,
    /// It reached a pod, but its token, if it sent one, was refused.
    Unverified,
    /// No token.
    Anonymous,
    /// The owner, acting with owner rights.
    Owner,
    /// A client under a grant of the owner: logged.
    Grant,
    /// A valid token for this pod that the owner did not grant (another worker's, from a hub
    /// that did not check whose pod it names): logged when it succeeds, tallied when refused.
    Stranger,
}

impl Who {
    /// Places a verified identity: a token is the owner's grant when its WebID (or subject) is
    /// the pod owner's — the hub issues a token only for the worker who consented.
    pub fn of(identity: &Identity, owner_webid: &str) -> Who {
        match identity {
            Identity::Anonymous => Who::Anonymous,
            Identity::Token(_) if identity.is_owner(owner_webid) => Who::Owner,
            Identity::Token(v)
                if v.claims.webid.as_deref().unwrap_or(&v.claims.sub) == owner_webid =>
            {
                Who::Grant
            }
            Identity::Token(_) => Who::Stranger,
        }
    }
}

/// After answering: logs a request made under the owner's grant, or any that succeeded with a
/// token (durably, capped, within the retention limit); tallies, in memory, the refused requests
/// made with tokens the owner did not grant, and those whose token was refused. Anonymous
/// requests reach only the public profile and are neither.
pub async fn note(
    req: &HttpRequest,
    state: &AppState,
    pod: &PodName,
    who: Who,
    identity: &Identity,
    status: u16,
) {
    let now = state.clock.now_millis();
    match (who, identity) {
        (Who::Stranger, _) if status >= 400 => state.tallies.count(pod, now),
        (Who::Grant | Who::Stranger, Identity::Token(v)) => {
            let event = AccessEvent {
                at: now,
                agent: v
                    .claims
                    .webid
                    .clone()
                    .unwrap_or_else(|| v.claims.sub.clone()),
                client_id: Some(v.claims.client_id.clone()),
                grant_id: v.claims.grant_id.clone(),
                method: req.method().to_string(),
                path: req.uri().path().to_owned(),
                status,
            }
            .capped(state.limits.access_log_field_bytes);
            let keep = state.limits.access_log_events;
            if let Err(e) = log::record(&state.store, pod, event, keep).await {
                tracing::error!(error = %e, "cannot write the access log");
            }
        }
        (Who::Unverified, _) if req.headers().contains_key(header::AUTHORIZATION) => {
            state.tallies.count(pod, now);
        }
        _ => {}
    }
}

/// `GET /{pod}/log/`: the owner's view of who accessed the pod (latest 500 events, as Turtle or
/// JSON, and in Turtle the tally of requests made with tokens the owner did not grant).
pub fn get_log(
    req: &HttpRequest,
    state: &AppState,
    pod: &PodName,
    path: &ResourcePath,
    who: Who,
) -> Result<HttpResponse, HttpError> {
    match who {
        Who::Owner => {}
        Who::Anonymous => {
            return Err(HttpError::Unauthenticated(
                "the access log is for the pod's owner only".into(),
            ));
        }
        _ => {
            return Err(HttpError::Forbidden(
                "the access log is for the pod's owner only".into(),
            ));
        }
    }
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return Err(HttpError::MethodNotAllowed {
            message: "the access log is written by the server only".into(),
            allow: "OPTIONS, HEAD, GET",
        });
    }
    if !(path.is_container() && path.segments().len() == 1) {
        return Err(PodError::NotFound(path.to_string()).into());
    }
    let events = log::recent(&state.store, pod, SHOWN).map_err(PodError::from)?;
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    let json = headers::negotiate(accept, &["text/turtle", "application/json"]) == Some(1);
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::VARY, "Accept, Authorization"));
    headers::cors(req, &mut res);
    Ok(if json {
        res.json(events)
    } else {
        res.insert_header((header::CONTENT_TYPE, "text/turtle"));
        res.body(log::turtle(&events, state.tallies.get(pod)))
    })
}
