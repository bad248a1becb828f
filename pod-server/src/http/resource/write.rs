//! Changing a resource: PUT, POST, PATCH and DELETE, each with its conditions, bodies read
//! up to their limit and parsed before anything is stored.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use op_protocol::media::{N3, RdfFormat, SPARQL_UPDATE};
use op_protocol::vocab::ldp;

use crate::http::error::HttpError;
use crate::http::headers::{self, ALLOW_DOCUMENT};
use crate::pod::error::PodError;
use crate::pod::model::Kind;
use crate::pod::ops::{self, Content, Written};
use crate::pod::patch::job::PatchJob;
use crate::pod::patch::{self, N3Patch, Patch, sparql};
use crate::pod::rdf;

use super::Target;

impl Target<'_> {
    pub(super) async fn put(self, payload: web::Payload) -> Result<HttpResponse, HttpError> {
        let body = read_body(self.req, payload, self.state.limits.max_body_bytes).await?;
        let content = if self.path.is_container() {
            Content::Container {
                description: self.container_description(body).await?,
            }
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

    pub(super) async fn post(self, payload: web::Payload) -> Result<HttpResponse, HttpError> {
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
            Content::Container {
                description: self.container_description(body).await?,
            }
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

    pub(super) async fn patch(self, payload: web::Payload) -> Result<HttpResponse, HttpError> {
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
        let job = PatchJob {
            patch: std::sync::Arc::new(patch),
            base: self.url(),
            budget: limits.rdf_budget(),
        };
        let conditions = headers::conditions(self.req);
        let now = self.state.clock.now_millis();
        let target = (&self.pod, &self.path);
        let work = &self.state.work;
        let written =
            patch::job::patch(&self.state.store, target, &job, conditions, work, now).await?;
        Ok(self.written(written, None))
    }

    pub(super) async fn delete(self) -> Result<HttpResponse, HttpError> {
        let conditions = headers::conditions(self.req);
        let now = self.state.clock.now_millis();
        ops::delete(&self.state.store, &self.pod, &self.path, conditions, now).await?;
        let mut res = HttpResponse::NoContent();
        headers::cors(self.req, &mut res);
        Ok(res.finish())
    }

    /// Validates a document body by its media type: RDF is parsed (and its triples counted).
    /// A container's own description from a request body, as N-Triples: RDF in any syntax the
    /// pod reads, with no named graphs and no containment triples (the server keeps those).
    /// An empty body or graph describes nothing.
    async fn container_description(&self, body: Vec<u8>) -> Result<Vec<u8>, HttpError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Vec::new());
        }
        let media_type = headers::content_type(self.req).unwrap_or_default();
        let format = RdfFormat::from_media_type(&media_type).ok_or_else(|| {
            PodError::UnsupportedMediaType(format!(
                "a container's description must be RDF (text/turtle, application/ld+json, …), \
                 not {media_type:?}"
            ))
        })?;
        let (budget, base) = (self.state.limits.rdf_budget(), self.url());
        let described = self
            .state
            .work
            .run(move || {
                let quads = rdf::parse(format, &body, &base, budget)?;
                let contains = quads.iter().any(|(t, _)| is_containment(&t[1]));
                if contains || rdf::has_named_graphs(&quads) {
                    return Ok((contains, true, String::new()));
                }
                Ok::<_, rdf::RdfError>((false, false, rdf::serialize(&quads, RdfFormat::NTriples)?))
            })
            .await?
            .map_err(PodError::Rdf)?;
        match described {
            (true, _, _) => Err(PodError::Conflict(
                "containment triples (ldp:contains) are managed by the server: leave them out \
                 of a container's description"
                    .into(),
            )
            .into()),
            (_, true, _) => Err(HttpError::BadRequest(
                "a container's description cannot hold named graphs".into(),
            )),
            (false, false, ntriples) => Ok(ntriples.into_bytes()),
        }
    }

    pub(super) async fn document(&self, body: Vec<u8>, base: &str) -> Result<Content, HttpError> {
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

    pub(super) fn written(&self, written: Written, location: Option<String>) -> HttpResponse {
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

/// Whether a predicate is `ldp:contains`.
fn is_containment(predicate: &sophia_api::term::SimpleTerm<'static>) -> bool {
    use sophia_api::term::Term;
    predicate
        .iri()
        .is_some_and(|iri| iri.as_str() == ldp::CONTAINS)
}
