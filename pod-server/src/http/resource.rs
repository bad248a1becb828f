//! The resource handler: GET, HEAD, PUT, POST, PATCH, DELETE and OPTIONS on anything in a pod.

use actix_web::http::{Method, header};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError, web};
use op_protocol::media::{ACCEPT_PATCH, RdfFormat};
use op_protocol::path::{PodName, ResourcePath};

use super::AppState;
use super::access::{self, Who};
use super::error::HttpError;
use super::headers::{self, ALLOW_CONTAINER, ALLOW_DOCUMENT, ALLOW_ROOT};
use crate::auth::policy::{self, Identity, Modes};
use crate::pod::error::PodError;
use crate::pod::model::{Kind, Meta};

mod read;
mod write;

/// Entry point for every request under a pod: answers, then notes it in the access log if it was
/// made under a grant of the pod's owner (see `access.rs`).
pub async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (pod, path) = match state.resolve(req.uri().path()) {
        Ok(target) => target,
        Err(e) => return e.error_response(),
    };
    let mut identity = Identity::Anonymous;
    let mut who = Who::NoPod;
    let result = answer(&req, payload, &state, &pod, path, &mut identity, &mut who).await;
    let response = result.unwrap_or_else(|e| e.error_response());
    access::note(
        &req,
        &state,
        &pod,
        who,
        &identity,
        response.status().as_u16(),
    )
    .await;
    response
}

#[allow(clippy::too_many_arguments)]
async fn answer(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    pod: &PodName,
    path: ResourcePath,
    identity: &mut Identity,
    who: &mut Who,
) -> Result<HttpResponse, HttpError> {
    if req.method() == Method::OPTIONS {
        return Ok(options(req, &path));
    }
    let record = match crate::pod::pods::active_pod(&state.store, pod) {
        Ok(record) => record,
        Err(missing) => {
            // A token refused for its own reasons (expired, revoked, or its grant moved to the
            // worker's new pod) says so, rather than that the pod is gone: a client whose worker
            // moved their data learns to refresh.
            identify(req, state, pod, None).await?;
            return Err(missing.into());
        }
    };
    *who = Who::Unverified;
    let owner_webid = state.owner_webid(pod, &record);
    *identity = identify(req, state, pod, Some(&owner_webid)).await?;
    *who = Who::of(identity, &owner_webid);
    let root = state.pod_root(pod);
    let context = policy::PodContext {
        owner: &owner_webid,
        root: &root,
        now: state.clock.now_secs(),
    };
    let modes = policy::modes(identity, context, &path);
    if path
        .segments()
        .first()
        .is_some_and(|s| s == crate::pod::log::LOG_SEGMENT)
    {
        return access::get_log(req, state, pod, &path, *who);
    }
    let target = Target {
        state,
        req,
        pod: pod.clone(),
        path,
        modes,
        context,
    };
    match *req.method() {
        Method::GET | Method::HEAD => target.require(Need::Read, identity)?.get().await,
        Method::PUT => target.require(Need::Write, identity)?.put(payload).await,
        Method::POST => target.require(Need::Append, identity)?.post(payload).await,
        Method::PATCH => target.require(Need::Write, identity)?.patch(payload).await,
        Method::DELETE => target.require(Need::Write, identity)?.delete().await,
        _ => Err(HttpError::MethodNotAllowed {
            message: format!("{} is not supported", req.method()),
            allow: ALLOW_DOCUMENT,
        }),
    }
}

#[derive(Debug, Clone, Copy)]
enum Need {
    Read,
    Write,
    Append,
}

struct Target<'a> {
    state: &'a AppState,
    req: &'a HttpRequest,
    pod: PodName,
    path: ResourcePath,
    modes: Modes,
    context: policy::PodContext<'a>,
}

async fn identify(
    req: &HttpRequest,
    state: &AppState,
    pod: &PodName,
    owner: Option<&str>,
) -> Result<Identity, HttpError> {
    let Some(presented) = headers::presented_token(req)? else {
        return Ok(Identity::Anonymous);
    };
    let url = format!("{}{}", state.base, req.uri().path());
    let verified = state
        .verifier
        .verify(
            &presented,
            &state.pod_root(pod),
            owner,
            (req.method().as_str(), &url),
            &state.clock,
        )
        .await?;
    Ok(Identity::Token(Box::new(verified)))
}

impl Target<'_> {
    fn require(self, need: Need, identity: &Identity) -> Result<Self, HttpError> {
        let allowed = match need {
            Need::Read => self.modes.read,
            Need::Write => self.modes.write,
            Need::Append => self.modes.append || self.modes.write,
        };
        if allowed {
            return Ok(self);
        }
        let verb = match need {
            Need::Read => "read",
            Need::Write => "change",
            Need::Append => "add to",
        };
        Err(match identity {
            Identity::Anonymous => HttpError::Unauthenticated(format!(
                "authentication required to {verb} {}; send 'Authorization: Bearer <access token>'",
                self.path
            )),
            Identity::Token(_) => HttpError::Forbidden(format!(
                "this token may not {verb} {}: {}",
                self.path,
                policy::allowed(identity, self.context)
            )),
        })
    }

    fn url(&self) -> String {
        self.state.resource_url(&self.pod, &self.path)
    }

    fn describe(&self, res: &mut HttpResponseBuilder, meta: &Meta) {
        let allow = match meta.kind {
            Kind::Container if self.path.is_root() => ALLOW_ROOT,
            Kind::Container => ALLOW_CONTAINER,
            _ => ALLOW_DOCUMENT,
        };
        res.insert_header((header::ETAG, format!("\"{}\"", meta.etag)))
            .insert_header((
                header::LAST_MODIFIED,
                op_protocol::clock::http_date(meta.modified),
            ))
            .insert_header((header::LINK, headers::link_types(meta, self.path.is_root())))
            .insert_header((header::ALLOW, allow))
            .insert_header(("Accept-Put", "*/*"))
            .insert_header((header::VARY, "Accept, Authorization, Origin"))
            .insert_header((
                "WAC-Allow",
                format!(
                    "user=\"{}\",public=\"{}\"",
                    self.modes.wac_list(),
                    policy::public_modes(&self.path).wac_list()
                ),
            ));
        headers::inert(&meta.media_type, res);
        if meta.kind == Kind::Container {
            res.insert_header(("Accept-Post", format!("{}, */*", RdfFormat::accept_list())));
        } else {
            res.insert_header(("Accept-Patch", ACCEPT_PATCH));
        }
        headers::cors(self.req, res);
    }
}

fn negotiate_or_406(accept: Option<&str>, candidates: &[&str]) -> Result<usize, HttpError> {
    headers::negotiate(accept, candidates).ok_or_else(|| {
        PodError::NotAcceptable(format!(
            "none of the accepted media types can be produced; available: {}",
            candidates.join(", ")
        ))
        .into()
    })
}

fn options(req: &HttpRequest, path: &ResourcePath) -> HttpResponse {
    let allow = if path.is_root() {
        ALLOW_ROOT
    } else if path.is_container() {
        ALLOW_CONTAINER
    } else {
        ALLOW_DOCUMENT
    };
    let mut res = HttpResponse::NoContent();
    res.insert_header((header::ALLOW, allow))
        .insert_header(("Accept-Patch", ACCEPT_PATCH))
        .insert_header(("Accept-Put", "*/*"));
    if path.is_container() {
        res.insert_header(("Accept-Post", format!("{}, */*", RdfFormat::accept_list())));
    }
    headers::cors(req, &mut res);
    headers::cors_preflight(req, &mut res, allow);
    res.finish()
}
