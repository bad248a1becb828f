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
                let description = self.described_container(&resource, format).await?;
                let stream = crate::http::container::stream(
                    self.state.store.clone(),
                    self.pod.clone(),
                    self.path.clone(),
                    self.url(),
                    meta,
                    format,
                    description,
                );
                Ok(res.streaming(stream))
            }
            Kind::Rdf => {
                let shown = self.representation(&resource, accept).await?;
                res.insert_header((header::CONTENT_TYPE, shown.media));
                if shown.default_graph_only {
                    // Where the whole document, named graphs included, can be had.
                    res.append_header((
                        header::LINK,
                        format!(
                            "<{}>; rel=\"alternate\"; type=\"{}\"",
                            self.url(),
                            meta.media_type
                        ),
                    ));
                }
                Ok(if head {
                    res.finish()
                } else {
                    res.body(shown.body)
                })
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

    /// The best representation of an RDF document for `accept` (RFC 9110 §12.5.1, by q-value
    /// over what the document can be served as): the stored bytes when its syntax is chosen,
    /// else a conversion. A document with named graphs (a credential's proof) is never served
    /// without saying so: when the preferred syntax cannot carry them, the next acceptable one
    /// that can is chosen; when none can (a Solid client asking for Turtle only), the default
    /// graph is served in the best acceptable syntax with a comment saying what is left out,
    /// and the caller links to the whole document; 406 says which syntaxes exist otherwise.
    pub(super) async fn representation(
        &self,
        resource: &Resource,
        accept: Option<&str>,
    ) -> Result<Representation, HttpError> {
        let stored = resource.meta.media_type.as_str();
        let mut candidates = headers::rdf_candidates(stored);
        let mut graphs = false;
        loop {
            let Some(chosen) = headers::negotiate(accept, &candidates) else {
                if graphs {
                    return self.default_graph(resource, accept).await;
                }
                return Err(PodError::NotAcceptable(format!(
                    "none of the accepted media types can be produced; available: {}",
                    candidates.join(", ")
                ))
                .into());
            };
            let media = candidates[chosen];
            let format = headers::rdf_format(media);
            let media: &'static str = match format {
                Some(f) if media != headers::JSON => f.media_type(),
                _ => headers::JSON,
            };
            if format == RdfFormat::from_media_type(stored) {
                return Ok(Representation::whole(media, resource.body.clone()));
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
                converted => return Ok(Representation::whole(media, converted?.into_bytes())),
            }
        }
    }

    /// The default graph of a document with named graphs, in the best acceptable syntax that
    /// cannot carry them, opening with a comment that says what is left out and where it is.
    async fn default_graph(
        &self,
        resource: &Resource,
        accept: Option<&str>,
    ) -> Result<Representation, HttpError> {
        let stored = resource.meta.media_type.clone();
        let plain: Vec<&str> = headers::rdf_candidates(&stored)
            .into_iter()
            .filter(|c| headers::rdf_format(c).is_some_and(|f| !f.has_named_graphs()))
            .collect();
        let Some(chosen) = headers::negotiate(accept, &plain) else {
            return Err(PodError::NotAcceptable(format!(
                "this document has named graphs (such as a credential's proof), which the \
                 accepted syntaxes cannot carry; available: {}",
                headers::rdf_candidates(&stored).join(", ")
            ))
            .into());
        };
        let format = headers::rdf_format(plain[chosen]).expect("candidates are RDF");
        let from = RdfFormat::from_media_type(&stored)
            .ok_or_else(|| PodError::NotAcceptable("the stored media type is not RDF".into()))?;
        let (body, url, budget) = (
            resource.body.clone(),
            self.url(),
            self.state.limits.rdf_budget(),
        );
        let graph = self
            .state
            .work
            .run(move || {
                rdf::serialize_default_graph(&rdf::parse(from, &body, &url, budget)?, format)
            })
            .await?
            .map_err(PodError::Rdf)?;
        let note = format!(
            "# The default graph only: this document's named graphs (such as a credential's \
             proof)\n# cannot be written in {}. The whole document, its proof included, is at \
             this URL as {stored}.\n",
            format.media_type()
        );
        Ok(Representation {
            media: format.media_type(),
            body: (note + &graph).into_bytes(),
            default_graph_only: true,
        })
    }

    /// A container's own description (stored as N-Triples) in `format`; for JSON-LD, its node
    /// objects without the enclosing brackets, to precede the generated listing.
    async fn described_container(
        &self,
        resource: &Resource,
        format: RdfFormat,
    ) -> Result<String, HttpError> {
        if resource.body.is_empty() {
            return Ok(String::new());
        }
        let text = String::from_utf8_lossy(&resource.body).into_owned();
        if format != RdfFormat::JsonLd {
            return Ok(text); // N-Triples is also Turtle, TriG and N-Quads
        }
        let (url, budget) = (self.url(), self.state.limits.rdf_budget());
        let json = self
            .state
            .work
            .run(move || {
                let quads = rdf::parse(RdfFormat::NTriples, text.as_bytes(), &url, budget)?;
                rdf::serialize(&quads, RdfFormat::JsonLd)
            })
            .await?
            .map_err(PodError::Rdf)?;
        let json = json.trim();
        Ok(json
            .strip_prefix('[')
            .and_then(|j| j.strip_suffix(']'))
            .unwrap_or(json)
            .trim()
            .to_owned())
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

/// What a GET of an RDF document answers with.
pub(super) struct Representation {
    /// Its media type.
    media: &'static str,
    /// Its bytes.
    body: Vec<u8>,
    /// Only the default graph: no acceptable syntax could carry the document's named graphs.
    default_graph_only: bool,
}

impl Representation {
    fn whole(media: &'static str, body: Vec<u8>) -> Representation {
        Representation {
            media,
            body,
            default_graph_only: false,
        }
    }
}
