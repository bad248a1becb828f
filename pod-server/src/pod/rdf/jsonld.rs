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
        .with_document_loader_closure(pinned_loader);
    let parser = JsonLdParser::new_with_options(options);
    // The loader answers from memory, so the future completes without waiting on anything.
    let mut source = complete(parser.async_parse_str(text)).ok_or_else(|| {
        RdfError::JsonLd("JSON-LD expansion waited on I/O, which pinned contexts never need".into())
    })?;
    source
        .try_for_each_quad(|q| sink.push(q))
        .map_err(|e| match e {
            StreamError::SourceError(e) => RdfError::JsonLd(e.to_string()),
            StreamError::SinkError(e) => e,
        })
}

/// Polls a future that never waits on I/O to completion on this thread.
fn complete<F: std::future::Future>(future: F) -> Option<F::Output> {
    use std::task::{Context, Poll, Waker};
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1_000 {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return Some(output);
        }
    }
    None
}

/// A JSON-LD document loader that serves only the pinned contexts.
fn pinned_loader() -> sophia_jsonld::loader::ClosureLoader<
    impl Send
    + FnMut(
        sophia_iri::Iri<String>,
    ) -> sophia_jsonld::loader::BoxFuture<'static, Result<String, String>>,
> {
    use futures_util::FutureExt;
    sophia_jsonld::loader::ClosureLoader::new(|iri: sophia_iri::Iri<String>| {
        let url = iri.as_str().to_owned();
        async move {
            op_protocol::contexts::pinned(&url)
                .map(str::to_owned)
                .ok_or_else(|| {
                    format!(
                        "context {url} is not pinned on this server and nothing is fetched at run time; pinned contexts: {}",
                        op_protocol::contexts::pinned_urls().join(", ")
                    )
                })
        }
        .boxed()
    })
}
