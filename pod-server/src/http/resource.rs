//! The resource handler: GET, HEAD, PUT, POST, PATCH, DELETE and OPTIONS on anything in a pod.

use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError, web};
use futures_util::StreamExt;
use op_protocol::media::{ACCEPT_PATCH, N3, RdfFormat, SPARQL_UPDATE};
use op_protocol::path::{PodName, ResourcePath};
use op_protocol::vocab::ldp;

use super::AppState;
use super::access::{self, Who};
use super::error::HttpError;
use super::headers::{self, ALLOW_CONTAINER, ALLOW_DOCUMENT, ALLOW_ROOT};
use crate::auth::policy::{self, Identity, Modes};
use crate::pod::error::PodError;
use crate::pod::model::{Kind, Meta, Resource};
use crate::pod::ops::{self, Content, Written};
use crate::pod::patch::{N3Patch, Patch, sparql};
use crate::pod::rdf;

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
    let record = ops::active_pod(&state.store, pod)?;
    *who = Who::Unverified;
    *identity = identify(req, state, pod).await?;
    let owner_webid = state.owner_webid(pod, &record);
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

    async fn get(self) -> Result<HttpResponse, HttpError> {
        let resource = ops::resource(&self.state.store, &self.pod, &self.path)?
            .ok_or_else(|| PodError::NotFound(self.path.to_string()))?;
        let meta = &resource.meta;
        let not_modified = headers::conditions(self.req)
            .if_none_match
            .is_some_and(|l| {
                matches!(l, ops::EtagList::Any)
                    || matches!(&l, ops::EtagList::Tags(t) if t.contains(&meta.etag))
            });
        let mut res = HttpResponse::build(if not_modified {
            StatusCode::NOT_MODIFIED
        } else {
            StatusCode::OK
        });
        self.describe(&mut res, meta);
        if not_modified {
            return Ok(res.finish());
        }
        let head = self.req.method() == Method::HEAD;
        let accept = self
            .req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok());
        match meta.kind {
            Kind::Container => {
                let types: Vec<&str> = super::container::FORMATS
                    .iter()
                    .map(|f| f.media_type())
                    .collect();
                let format = super::container::FORMATS[negotiate_or_406(accept, &types)?];
                res.insert_header((header::CONTENT_TYPE, format.media_type()));
                if head {
                    return Ok(res.finish());
                }
                let stream = super::container::stream(
                    self.state.store.clone(),
                    self.pod.clone(),
                    self.path.clone(),
                    self.url(),
                    meta,
                    format,
                );
                Ok(res.streaming(stream))
            }
            Kind::Rdf => {
                let (media, body) = self.representation(&resource, accept).await?;
                res.insert_header((header::CONTENT_TYPE, media));
                Ok(if head { res.finish() } else { res.body(body) })
            }
            Kind::NonRdf => {
                res.insert_header((header::CONTENT_TYPE, meta.media_type.clone()));
                Ok(if head {
                    res.finish()
                } else {
                    res.body(resource.body)
                })
            }
        }
    }

    /// Converts a stored RDF document to another syntax.
    /// The best representation of an RDF document for `accept` (RFC 9110 §12.5.1, by q-value
    /// over what the document can be served as): the stored bytes when its syntax is chosen,
    /// else a conversion. A document with named graphs (a credential's proof) is never served
    /// without them: when the preferred syntax cannot carry them, the next acceptable one that
    /// can is chosen, and 406 says which exist when none is acceptable.
    async fn representation(
        &self,
        resource: &Resource,
        accept: Option<&str>,
    ) -> Result<(&'static str, Vec<u8>), HttpError> {
        let stored = resource.meta.media_type.as_str();
        let mut candidates = headers::rdf_candidates(stored);
        let mut graphs = false;
        loop {
            let chosen = headers::negotiate(accept, &candidates).ok_or_else(|| {
                let why = if graphs {
                    "this document has named graphs (such as a credential's proof), which the accepted syntaxes cannot carry"
                } else {
                    "none of the accepted media types can be produced"
                };
                PodError::NotAcceptable(format!("{why}; available: {}", candidates.join(", ")))
            })?;
            let media = candidates[chosen];
            let format = headers::rdf_format(media);
            let media: &'static str = match format {
                Some(f) if media != headers::JSON => f.media_type(),
                _ => headers::JSON,
            };
            if format == RdfFormat::from_media_type(stored) {
                return Ok((media, resource.body.clone()));
            }
            match self
                .convert(resource, format.expect("candidates are RDF"))
                .await
            {
                Err(HttpError::Pod(PodError::Rdf(rdf::RdfError::NamedGraphsLost(_)))) => {
                    candidates.retain(|c| {
                        headers::rdf_format(c).is_some_and(RdfFormat::has_named_graphs)
                    });
                    graphs = true;
                }
                converted => return Ok((media, converted?.into_bytes())),
            }
        }
    }

    async fn convert(&self, resource: &Resource, to: RdfFormat) -> Result<String, HttpError> {
        let from = RdfFormat::from_media_type(&resource.meta.media_type)
            .ok_or_else(|| PodError::NotAcceptable("the stored media type is not RDF".into()))?;
        let (body, url, budget) = (
            resource.body.clone(),
            self.url(),
            self.state.limits.rdf_budget(),
        );
        let converted = self
            .state
            .work
            .run(move || {
                let quads = rdf::parse(from, &body, &url, budget)?;
                rdf::serialize(&quads, to)
            })
            .await?;
        Ok(converted.map_err(PodError::Rdf)?)
    }

    async fn put(self, payload: web::Payload) -> Result<HttpResponse, HttpError> {
        let body = read_body(self.req, payload, self.state.limits.max_body_bytes).await?;
        let content = if self.path.is_container() {
            if !body.is_empty() {
                return Err(PodError::Conflict(
                    "containers take no body: their contents are managed by the server".into(),
                )
                .into());
            }
            Content::Container
        } else {
            self.document(body, &self.url()).await?
        };
        let conditions = headers::conditions(self.req);
        let now = self.state.clock.now_millis();
        let written = ops::put(
            &self.state.store,
            &self.pod,
            &self.path,
            content,
            conditions,
            now,
        )
        .await?;
        Ok(self.written(written, None))
    }

    async fn post(self, payload: web::Payload) -> Result<HttpResponse, HttpError> {
        if !self.path.is_container() {
            return Err(HttpError::MethodNotAllowed {
                message: format!(
                    "{} is not a container; POST creates resources inside containers",
                    self.path
                ),
                allow: ALLOW_DOCUMENT,
            });
        }
        let body = read_body(self.req, payload, self.state.limits.max_body_bytes).await?;
        let wants_container = headers::has_link_type(self.req, ldp::BASIC_CONTAINER)
            || headers::has_link_type(self.req, ldp::CONTAINER);
        let content = if wants_container {
            Content::Container
        } else {
            self.document(body, &self.url()).await?
        };
        let slug = self.req.headers().get("Slug").and_then(|v| v.to_str().ok());
        let now = self.state.clock.now_millis();
        let (path, meta) =
            ops::post(&self.state.store, &self.pod, &self.path, slug, content, now).await?;
        let location = self.state.resource_url(&self.pod, &path);
        Ok(self.written(Written::Created(meta), Some(location)))
    }

    async fn patch(self, payload: web::Payload) -> Result<HttpResponse, HttpError> {
        let media = headers::content_type(self.req);
        if !matches!(media.as_deref(), Some(N3 | SPARQL_UPDATE)) {
            return Err(PodError::UnsupportedMediaType(
                "PATCH takes Solid N3 Patch (Content-Type: text/n3) or SPARQL Update (Content-Type: application/sparql-update)".into(),
            )
            .into());
        }
        let body = read_body(self.req, payload, self.state.limits.max_body_bytes).await?;
        let text = std::str::from_utf8(&body)
            .map_err(|_| HttpError::BadRequest("the patch is not UTF-8".into()))?;
        let limits = &self.state.limits;
        let patch_limits = crate::pod::patch::PatchLimits {
            max_patterns: limits.max_patch_patterns,
            max_steps: limits.max_patch_steps,
            budget: limits.rdf_budget(),
        };
        let patch: Patch = if media.as_deref() == Some(SPARQL_UPDATE) {
            sparql::parse(text, &self.url(), patch_limits)
        } else {
            N3Patch::parse(text, &self.url(), patch_limits).map(Patch::from)
        }
        .map_err(PodError::Patch)?;
        let job = ops::PatchJob {
            patch: std::sync::Arc::new(patch),
            base: self.url(),
            budget: limits.rdf_budget(),
        };
        let conditions = headers::conditions(self.req);
        let now = self.state.clock.now_millis();
        let target = (&self.pod, &self.path);
        let work = &self.state.work;
        let written = ops::patch(&self.state.store, target, &job, conditions, work, now).await?;
        Ok(self.written(written, None))
    }

    async fn delete(self) -> Result<HttpResponse, HttpError> {
        let conditions = headers::conditions(self.req);
        let now = self.state.clock.now_millis();
        ops::delete(&self.state.store, &self.pod, &self.path, conditions, now).await?;
        let mut res = HttpResponse::NoContent();
        headers::cors(self.req, &mut res);
        Ok(res.finish())
    }

    /// Validates a document body by its media type: RDF is parsed (and its triples counted).
    async fn document(&self, body: Vec<u8>, base: &str) -> Result<Content, HttpError> {
        let media_type = headers::content_type(self.req).ok_or_else(|| {
            HttpError::BadRequest("Content-Type is required (for example text/turtle)".into())
        })?;
        let Some(format) = RdfFormat::from_media_type(&media_type) else {
            return Ok(Content::Document {
                kind: Kind::NonRdf,
                media_type,
                body,
            });
        };
        let budget = self.state.limits.rdf_budget();
        let base = base.to_owned();
        // The body goes to the pool and comes back once it parsed.
        let body = self
            .state
            .work
            .run(move || rdf::parse(format, &body, &base, budget).map(|_| body))
            .await?
            .map_err(PodError::Rdf)?;
        Ok(Content::Document {
            kind: Kind::Rdf,
            media_type: format.media_type().to_owned(),
            body,
        })
    }

    fn written(&self, written: Written, location: Option<String>) -> HttpResponse {
        let (mut res, meta) = match written {
            Written::Created(meta) => (HttpResponse::Created(), meta),
            Written::Replaced(meta) => (HttpResponse::NoContent(), meta),
        };
        res.insert_header((header::ETAG, format!("\"{}\"", meta.etag)));
        if let Some(location) = location {
            res.insert_header((header::LOCATION, location));
        }
        headers::cors(self.req, &mut res);
        res.finish()
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

/// Reads the body, refusing with 413 as soon as it passes `limit` bytes.
async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<Vec<u8>, HttpError> {
    let too_large = || {
        HttpError::PayloadTooLarge(format!(
            "the body is larger than the limit of {limit} bytes"
        ))
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(0));
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| HttpError::BadRequest(format!("could not read the body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
