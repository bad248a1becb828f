//! Reading a resource: GET and HEAD, with content negotiation between the RDF formats and
//! container listings streamed in pages.

use actix_web::HttpResponse;
use actix_web::http::{Method, StatusCode, header};
use op_protocol::media::RdfFormat;

use crate::http::error::HttpError;
use crate::http::headers::{self};
use crate::pod::error::PodError;
use crate::pod::model::{Kind, Resource};
use crate::pod::ops::{self};
use crate::pod::rdf;

use super::{Target, negotiate_or_406};

impl Target<'_> {
    pub(super) async fn get(self) -> Result<HttpResponse, HttpError> {
        let resource = ops::resource(&self.state.store, &self.pod, &self.path)?
            .ok_or_else(|| PodError::NotFound(self.path.to_string()))?;
        let meta = &resource.meta;
        let not_modified = headers::conditions(self.req)
            .if_none_match
            .is_some_and(|l| {
                matches!(l, crate::pod::conditions::EtagList::Any)
                    || matches!(&l, crate::pod::conditions::EtagList::Tags(t) if t.contains(&meta.etag))
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
                let types: Vec<&str> = crate::http::container::FORMATS
                    .iter()
                    .map(|f| f.media_type())
                    .collect();
                let format = crate::http::container::FORMATS[negotiate_or_406(accept, &types)?];
                res.insert_header((header::CONTENT_TYPE, format.media_type()));
                if head {
                    return Ok(res.finish());
                }
                let stream = crate::http::container::stream(
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
    pub(super) async fn representation(
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

    pub(super) async fn convert(
        &self,
        resource: &Resource,
        to: RdfFormat,
    ) -> Result<String, HttpError> {
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
}
