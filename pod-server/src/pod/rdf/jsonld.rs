//! JSON-LD in: contexts come only from the pinned set in `op_protocol::contexts`; a document
//! naming any other remote context is refused rather than fetched. Expansion runs with the strict
//! policy, so a key that maps to nothing is an error instead of being silently dropped.

use op_protocol::media::RdfFormat;
use sophia_api::source::{QuadSource, StreamError};
use sophia_jsonld::{JsonLdOptions, JsonLdParser};

use super::{RdfError, Sink};

/// Parses JSON-LD `text` into `sink`, relative IRIs against `base`.
pub(super) fn parse_json_ld(text: &str, base: &str, sink: &mut Sink) -> Result<(), RdfError> {
    // serde_json reports line and column precisely; check plain JSON syntax first.
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
        return Err(RdfError::Syntax {
            format: RdfFormat::JsonLd,
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        });
    }
    let base = sophia_iri::Iri::new(std::sync::Arc::<str>::from(base))
        .map_err(|e| RdfError::JsonLd(format!("bad base IRI: {e}")))?;
    let options = JsonLdOptions::new()
        .with_base(base)
        .with_expansion_policy(sophia_jsonld::options::Policy::Strict)
        .with_document_loader_closure(op_protocol::contexts::loader);
    let parser = JsonLdParser::new_with_options(options);
    // The loader answers from memory, so the future completes without waiting on anything.
    let mut source =
        op_protocol::contexts::complete(parser.async_parse_str(text)).ok_or_else(|| {
            RdfError::JsonLd(
                "JSON-LD expansion waited on I/O, which pinned contexts never need".into(),
            )
        })?;
    source
        .try_for_each_quad(|q| sink.push(q))
        .map_err(|e| match e {
            StreamError::SourceError(e) => RdfError::JsonLd(e.to_string()),
            StreamError::SinkError(e) => e,
        })
}
