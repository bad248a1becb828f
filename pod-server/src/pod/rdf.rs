//! RDF in and out of the pod: parsing each syntax (with line and column on errors) and serialising.
//!
//! JSON-LD contexts come only from the pinned set in `op_protocol::contexts`; a document naming
//! any other remote context is refused rather than fetched. Expansion runs with the strict policy,
//! so a key that maps to nothing is an error instead of being silently dropped.

use std::collections::HashMap;

use op_protocol::media::RdfFormat;
use sophia_api::parser::{QuadParser, TripleParser};
use sophia_api::quad::Spog;
use sophia_api::serializer::{QuadSerializer, Stringifier, TripleSerializer};
use sophia_api::source::{QuadSource, StreamError, TripleSource};
use sophia_api::term::SimpleTerm;
use sophia_iri::resolve::BaseIriRef;
use sophia_jsonld::{JsonLdOptions, JsonLdParser, JsonLdSerializer};
use sophia_turtle::parser::{
    nq::NQuadsParser, nt::NTriplesParser, trig::TriGParser, turtle::TurtleParser,
};
use sophia_turtle::serializer::{
    nq::NQuadsSerializer,
    nt::NTriplesSerializer,
    trig::TriGSerializer,
    turtle::{TurtleConfig, TurtleSerializer},
};
use thiserror::Error;

/// One RDF statement, owned; the graph name is `None` for the default graph.
pub type Quad = Spog<SimpleTerm<'static>>;

/// The body could not be read as the RDF syntax it claims to be.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum RdfError {
    /// A syntax error at a position (lines and columns counted from 1).
    #[error("{format} syntax error at line {line}, column {column}: {message}")]
    Syntax {
        /// The syntax being parsed.
        format: RdfFormat,
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        column: usize,
        /// What the parser expected or found.
        message: String,
    },
    /// The body is not UTF-8.
    #[error("the body is not valid UTF-8")]
    NotUtf8,
    /// JSON-LD that is valid JSON but cannot be expanded (undefined term, unpinned context...).
    #[error("JSON-LD could not be expanded: {0}")]
    JsonLd(String),
    /// The resource holds named graphs, which the requested syntax cannot carry.
    #[error(
        "this resource has named graphs, which {0} cannot carry; ask for application/ld+json, application/trig or application/n-quads"
    )]
    NamedGraphsLost(RdfFormat),
    /// Serialising failed.
    #[error("could not serialise as {0}: {1}")]
    Serialize(RdfFormat, String),
}

/// Parses `body` as `format`, resolving relative IRIs against `base` (the resource's URL).
pub async fn parse(format: RdfFormat, body: &[u8], base: &str) -> Result<Vec<Quad>, RdfError> {
    let text = std::str::from_utf8(body).map_err(|_| RdfError::NotUtf8)?;
    let base_iri = BaseIriRef::new(Box::<str>::from(base)).ok();
    let quads = match format {
        RdfFormat::Turtle => turtle_like(
            format,
            TurtleParser::new()
                .with_base(base_iri)
                .parse_str(text)
                .to_quads(),
        ),
        RdfFormat::NTriples => {
            turtle_like(format, NTriplesParser::default().parse_str(text).to_quads())
        }
        RdfFormat::TriG => turtle_like(
            format,
            TriGParser::new().with_base(base_iri).parse_str(text),
        ),
        RdfFormat::NQuads => turtle_like(format, NQuadsParser::default().parse_str(text)),
        RdfFormat::JsonLd => parse_json_ld(text, base).await,
    }?;
    Ok(quads)
}

fn turtle_like<S>(format: RdfFormat, source: S) -> Result<Vec<Quad>, RdfError>
where
    S: QuadSource<Error = sophia_turtle::parser::Error>,
{
    source.collect_quads::<Vec<Quad>>().map_err(|e| match e {
        StreamError::SourceError(e) => {
            let (line, col) = e.position();
            RdfError::Syntax {
                format,
                line: line + 1,
                column: col + 1,
                message: e.kind().to_string(),
            }
        }
        StreamError::SinkError(e) => RdfError::Serialize(format, e.to_string()),
    })
}

async fn parse_json_ld(text: &str, base: &str) -> Result<Vec<Quad>, RdfError> {
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
    parser
        .async_parse_str(text)
        .await
        .collect_quads::<Vec<Quad>>()
        .map_err(|e| RdfError::JsonLd(e.to_string()))
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

/// Whether any statement is in a named graph.
pub fn has_named_graphs(quads: &[Quad]) -> bool {
    quads.iter().any(|(_, g)| g.is_some())
}

/// Serialises `quads` as `format`; refuses rather than drops named graphs.
pub fn serialize(quads: &[Quad], format: RdfFormat) -> Result<String, RdfError> {
    if !format.has_named_graphs() && has_named_graphs(quads) {
        return Err(RdfError::NamedGraphsLost(format));
    }
    let triples: Vec<[SimpleTerm<'static>; 3]> = quads.iter().map(|(t, _)| t.clone()).collect();
    let quads: Vec<Quad> = quads.to_vec();
    let err = |e: &dyn std::fmt::Display| RdfError::Serialize(format, e.to_string());
    let text = match format {
        RdfFormat::Turtle => {
            let config = TurtleConfig::new()
                .with_pretty(true)
                .with_own_prefix_map(prefix_map());
            TurtleSerializer::new_stringifier_with_config(config)
                .serialize_graph(&triples)
                .map_err(|e| err(&e))?
                .to_string()
        }
        RdfFormat::NTriples => NTriplesSerializer::new_stringifier()
            .serialize_graph(&triples)
            .map_err(|e| err(&e))?
            .to_string(),
        RdfFormat::TriG => TriGSerializer::new_stringifier()
            .serialize_dataset(&quads)
            .map_err(|e| err(&e))?
            .to_string(),
        RdfFormat::NQuads => NQuadsSerializer::new_stringifier()
            .serialize_dataset(&quads)
            .map_err(|e| err(&e))?
            .to_string(),
        RdfFormat::JsonLd => {
            let mut out = Vec::new();
            JsonLdSerializer::new(&mut out)
                .serialize_dataset(&quads)
                .map_err(|e| err(&e))?;
            String::from_utf8(out).map_err(|e| err(&e))?
        }
    };
    Ok(text)
}

fn prefix_map() -> Vec<sophia_api::prefix::PrefixMapPair> {
    let pairs: HashMap<&str, &str> = HashMap::from([
        ("ldp", "http://www.w3.org/ns/ldp#"),
        ("pim", "http://www.w3.org/ns/pim/space#"),
        ("solid", "http://www.w3.org/ns/solid/terms#"),
        ("foaf", "http://xmlns.com/foaf/0.1/"),
        ("schema", "https://schema.org/"),
        ("dcterms", "http://purl.org/dc/terms/"),
        ("xsd", "http://www.w3.org/2001/XMLSchema#"),
        ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ]);
    pairs
        .into_iter()
        .filter_map(|(p, ns)| {
            Some((
                sophia_api::prefix::Prefix::new(p.into()).ok()?,
                sophia_iri::Iri::new(ns.into()).ok()?,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "http://pod.test/alice/doc";

    fn run<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn turtle_errors_carry_line_and_column() {
        let err = run(parse(
            RdfFormat::Turtle,
            b"<#a> <#b> <#c> .\n<#a> <#b> oops .",
            BASE,
        ))
        .unwrap_err();
        match err {
            RdfError::Syntax { line, .. } => assert_eq!(line, 2),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn json_errors_carry_line_and_column() {
        let err = run(parse(RdfFormat::JsonLd, b"{\n  \"a\": ,\n}", BASE)).unwrap_err();
        assert!(matches!(err, RdfError::Syntax { line: 2, .. }), "{err:?}");
    }

    #[test]
    fn json_ld_with_an_unpinned_context_is_refused() {
        let doc = br#"{"@context": "https://example.org/ctx", "name": "x"}"#;
        let err = run(parse(RdfFormat::JsonLd, doc, BASE)).unwrap_err();
        assert!(err.to_string().contains("not pinned"), "{err}");
    }

    #[test]
    fn json_ld_with_an_undefined_term_is_refused_not_dropped() {
        let doc = br##"{"@context": {"name": "https://schema.org/name"}, "@id": "#me", "name": "A", "nickname": "B"}"##;
        assert!(run(parse(RdfFormat::JsonLd, doc, BASE)).is_err());
    }

    #[test]
    fn turtle_round_trips_through_every_syntax() {
        let ttl = b"@prefix s: <https://schema.org/>. <#me> s:name \"Alice\"@en; s:knows [ s:name \"Bob\" ]; s:age 42 .";
        let quads = run(parse(RdfFormat::Turtle, ttl, BASE)).unwrap();
        assert_eq!(quads.len(), 4);
        for format in RdfFormat::ALL {
            let text = serialize(&quads, format).unwrap();
            let back = run(parse(format, text.as_bytes(), BASE)).unwrap();
            assert_eq!(back.len(), 4, "{format}: {text}");
        }
    }

    #[test]
    fn named_graphs_are_not_dropped_silently() {
        let trig = b"<http://x/s> <http://x/p> <http://x/o> <http://x/g> .";
        let quads = run(parse(RdfFormat::NQuads, trig, BASE)).unwrap();
        assert_eq!(
            serialize(&quads, RdfFormat::Turtle),
            Err(RdfError::NamedGraphsLost(RdfFormat::Turtle))
        );
        assert!(serialize(&quads, RdfFormat::TriG).is_ok());
    }
}
