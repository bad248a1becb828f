//! RDF in and out of the pod: parsing each syntax (with line and column on errors) and serialising.
//!
//! JSON-LD contexts come only from the pinned set in `op_protocol::contexts`; a document naming
//! any other remote context is refused rather than fetched. Expansion runs with the strict policy,
//! so a key that maps to nothing is an error instead of being silently dropped.

use std::collections::HashMap;

use op_protocol::bounded::{MAX_DEPTH, Syntax, check_depth};
use op_protocol::media::RdfFormat;
use sophia_api::parser::{QuadParser, TripleParser};
use sophia_api::quad::Spog;
use sophia_api::serializer::{QuadSerializer, Stringifier, TripleSerializer};
use sophia_api::source::{QuadSource, StreamError, TripleSource};
use sophia_api::term::{SimpleTerm, Term};
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
    /// The parser gave up on a malformed document without a position.
    #[error("{0}")]
    Malformed(String),
    /// The document nests deeper than the parsers may recurse.
    #[error("{0}")]
    TooDeep(String),
    /// The document spells out more triples or bytes than a request may build.
    #[error("{0}")]
    TooLarge(String),
    /// Serialising failed.
    #[error("could not serialise as {0}: {1}")]
    Serialize(RdfFormat, String),
}

/// How much a parse may build: triples, and bytes of terms as they arrive (so that a short
/// prefix expanded many times cannot fill memory before the triples are counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Most statements.
    pub max_triples: usize,
    /// Most bytes of term text (IRIs, literals, labels) over all statements.
    pub max_bytes: usize,
}

/// Parses `body` as `format`, resolving relative IRIs against `base` (the resource's URL).
///
/// Nesting is checked first ([`op_protocol::bounded`]), because sophia's parsers recurse without
/// a limit; then statements are counted against `budget` as they arrive. CPU-bound: run it off
/// the async workers (`crate::pod::work`).
pub fn parse(
    format: RdfFormat,
    body: &[u8],
    base: &str,
    budget: Budget,
) -> Result<Vec<Quad>, RdfError> {
    let text = std::str::from_utf8(body).map_err(|_| RdfError::NotUtf8)?;
    let syntax = match format {
        RdfFormat::JsonLd => Syntax::Json,
        _ => Syntax::Turtle,
    };
    check_depth(text, syntax, MAX_DEPTH).map_err(|e| RdfError::TooDeep(e.to_string()))?;
    let base_iri = BaseIriRef::new(Box::<str>::from(base)).ok();
    let mut sink = Sink::new(budget);
    op_protocol::bounded::guarded(|| match format {
        RdfFormat::Turtle => turtle_like(
            format,
            TurtleParser::new()
                .with_base(base_iri)
                .parse_str(text)
                .to_quads(),
            &mut sink,
        ),
        RdfFormat::NTriples => turtle_like(
            format,
            NTriplesParser::default().parse_str(text).to_quads(),
            &mut sink,
        ),
        RdfFormat::TriG => turtle_like(
            format,
            TriGParser::new().with_base(base_iri).parse_str(text),
            &mut sink,
        ),
        RdfFormat::NQuads => {
            turtle_like(format, NQuadsParser::default().parse_str(text), &mut sink)
        }
        RdfFormat::JsonLd => parse_json_ld(text, base, &mut sink),
    })
    .map_err(RdfError::Malformed)??;
    Ok(sink.into_quads())
}

/// Collects statements while counting them against a budget.
pub(crate) struct Sink {
    budget: Budget,
    bytes: usize,
    quads: Vec<Quad>,
}

impl Sink {
    pub(crate) fn new(budget: Budget) -> Self {
        Sink {
            budget,
            bytes: 0,
            quads: Vec::new(),
        }
    }

    pub(crate) fn into_quads(self) -> Vec<Quad> {
        self.quads
    }

    pub(crate) fn push<Q: sophia_api::quad::Quad>(&mut self, quad: Q) -> Result<(), RdfError> {
        let (spo, g) = quad.to_spog();
        let quad: Quad = (spo.map(|t| t.into_term()), g.map(|t| t.into_term()));
        // A prefixed name expands by concatenation, unchecked: an IRI that would not parse back
        // is refused here, so nothing stored is unreadable later (found by fuzzing SPARQL Update).
        if let Some(bad) = quad.0.iter().chain(quad.1.iter()).find_map(invalid_iri) {
            return Err(RdfError::Malformed(format!(
                "<{bad}> is not a valid IRI (RFC 3987); check the prefix it was built from"
            )));
        }
        self.bytes += quad
            .0
            .iter()
            .chain(quad.1.iter())
            .map(term_bytes)
            .sum::<usize>();
        if self.quads.len() >= self.budget.max_triples {
            return Err(RdfError::TooLarge(format!(
                "the body holds more than {} triples, the limit per resource",
                self.budget.max_triples
            )));
        }
        if self.bytes > self.budget.max_bytes {
            return Err(RdfError::TooLarge(format!(
                "the body's triples spell out more than {} bytes of terms once prefixes are expanded, the limit per request",
                self.budget.max_bytes
            )));
        }
        self.quads.push(quad);
        Ok(())
    }
}

/// The text of an IRI in `term` (itself, a datatype, or inside a quoted triple) that is not a
/// valid absolute IRI.
fn invalid_iri(term: &SimpleTerm<'static>) -> Option<String> {
    // Both of sophia's checks: the RFC 3987 grammar, and the stricter one a parser with a base
    // applies when it reads the IRI back (ports, for one).
    let check = |iri: &str| {
        (sophia_iri::Iri::new(iri).is_err() || BaseIriRef::new(iri.to_owned()).is_err())
            .then(|| iri.to_owned())
    };
    match term {
        SimpleTerm::Iri(i) => check(i.as_str()),
        SimpleTerm::LiteralDatatype(_, dt) => check(dt.as_str()),
        SimpleTerm::Triple(t) => t.iter().find_map(invalid_iri),
        _ => None,
    }
}

/// The bytes a term's text takes once expanded.
fn term_bytes(term: &SimpleTerm<'static>) -> usize {
    match term {
        SimpleTerm::Iri(i) => i.len(),
        SimpleTerm::BlankNode(b) => b.len(),
        SimpleTerm::LiteralDatatype(lex, dt) => lex.len() + dt.len(),
        SimpleTerm::LiteralLanguage(lex, tag, _) => lex.len() + tag.len(),
        SimpleTerm::Variable(v) => v.len(),
        SimpleTerm::Triple(t) => t.iter().map(term_bytes).sum(),
    }
}

fn turtle_like<S>(format: RdfFormat, mut source: S, sink: &mut Sink) -> Result<(), RdfError>
where
    S: QuadSource<Error = sophia_turtle::parser::Error>,
{
    source
        .try_for_each_quad(|q| sink.push(q))
        .map_err(|e| match e {
            StreamError::SourceError(e) => {
                let (line, col) = e.position();
                RdfError::Syntax {
                    format,
                    line: line + 1,
                    column: col + 1,
                    message: e.kind().to_string(),
                }
            }
            StreamError::SinkError(e) => e,
        })
}

fn parse_json_ld(text: &str, base: &str, sink: &mut Sink) -> Result<(), RdfError> {
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
                .with_pretty(prettifiable(&triples))
                .with_own_prefix_map(prefix_map());
            at_prefixes(
                TurtleSerializer::new_stringifier_with_config(config)
                    .serialize_graph(&triples)
                    .map_err(|e| err(&e))?
                    .as_str(),
            )
        }
        RdfFormat::NTriples => NTriplesSerializer::new_stringifier()
            .serialize_graph(&triples)
            .map_err(|e| err(&e))?
            .to_string(),
        RdfFormat::TriG => at_prefixes(
            TriGSerializer::new_stringifier()
                .serialize_dataset(&quads)
                .map_err(|e| err(&e))?
                .as_str(),
        ),
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

/// Rewrites the leading SPARQL-style `PREFIX p: <ns>` lines sophia writes as `@prefix p: <ns> .`,
/// which every Turtle parser reads (rdflib.js, used by SolidOS and mashlib, reads only these).
fn at_prefixes(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(line_end) = rest.find('\n')
        && let Some(decl) = rest[..line_end].strip_prefix("PREFIX ")
    {
        out.push_str("@prefix ");
        out.push_str(decl);
        out.push_str(" .\n");
        rest = &rest[line_end + 1..];
    }
    out.push_str(rest);
    out
}

/// Graphs pretty-printed with nested `[ ]`: sophia's pretty serialiser recurses once per nested
/// blank node and rescans for each, so a stored chain of 50,000 blank nodes would take minutes
/// (and could overflow the stack). Larger or deeper graphs are written flat, in linear time.
const PRETTY_MAX_TRIPLES: usize = 2_000;
/// How deeply blank nodes may nest for the pretty form.
const PRETTY_MAX_NESTING: usize = 16;

/// Whether `triples` is small and shallow enough to pretty-print.
fn prettifiable(triples: &[[SimpleTerm<'static>; 3]]) -> bool {
    if triples.len() > PRETTY_MAX_TRIPLES {
        return false;
    }
    // Each blank node object points at the blank node subject that would hold it inline.
    let mut parent: HashMap<&SimpleTerm<'static>, &SimpleTerm<'static>> = HashMap::new();
    for [s, _, o] in triples {
        if s.is_blank_node() && o.is_blank_node() {
            parent.insert(o, s);
        }
    }
    parent.keys().all(|start| {
        let mut at = *start;
        (0..=PRETTY_MAX_NESTING).any(|_| match parent.get(at) {
            Some(up) => {
                at = up;
                false
            }
            None => true,
        })
    })
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

    const BUDGET: Budget = Budget {
        max_triples: 1_000,
        max_bytes: 100_000,
    };

    fn run(format: RdfFormat, body: &[u8], base: &str) -> Result<Vec<Quad>, RdfError> {
        parse(format, body, base, BUDGET)
    }

    #[test]
    fn turtle_errors_carry_line_and_column() {
        let err = run(
            RdfFormat::Turtle,
            b"<#a> <#b> <#c> .\n<#a> <#b> oops .",
            BASE,
        )
        .unwrap_err();
        match err {
            RdfError::Syntax { line, .. } => assert_eq!(line, 2),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn json_errors_carry_line_and_column() {
        let err = run(RdfFormat::JsonLd, b"{\n  \"a\": ,\n}", BASE).unwrap_err();
        assert!(matches!(err, RdfError::Syntax { line: 2, .. }), "{err:?}");
    }

    #[test]
    fn json_ld_with_an_unpinned_context_is_refused() {
        let doc = br#"{"@context": "https://example.org/ctx", "name": "x"}"#;
        let err = run(RdfFormat::JsonLd, doc, BASE).unwrap_err();
        assert!(err.to_string().contains("not pinned"), "{err}");
    }

    #[test]
    fn json_ld_with_an_undefined_term_is_refused_not_dropped() {
        let doc = br##"{"@context": {"name": "https://schema.org/name"}, "@id": "#me", "name": "A", "nickname": "B"}"##;
        assert!(run(RdfFormat::JsonLd, doc, BASE).is_err());
    }

    #[test]
    fn turtle_round_trips_through_every_syntax() {
        let ttl = b"@prefix s: <https://schema.org/>. <#me> s:name \"Alice\"@en; s:knows [ s:name \"Bob\" ]; s:age 42 .";
        let quads = run(RdfFormat::Turtle, ttl, BASE).unwrap();
        assert_eq!(quads.len(), 4);
        for format in RdfFormat::ALL {
            let text = serialize(&quads, format).unwrap();
            let back = run(format, text.as_bytes(), BASE).unwrap();
            assert_eq!(back.len(), 4, "{format}: {text}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_before_the_parsers_recurse() {
        let arrays = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
        let err = run(RdfFormat::JsonLd, arrays.as_bytes(), BASE).unwrap_err();
        assert!(matches!(err, RdfError::TooDeep(_)), "{err:?}");
        let lists = format!("<#a> <#b> {}{} .", "(".repeat(1000), ")".repeat(1000));
        let err = run(RdfFormat::Turtle, lists.as_bytes(), BASE).unwrap_err();
        assert!(matches!(err, RdfError::TooDeep(_)), "{err:?}");
        let nodes = format!("<#a> <#b> {}{} .", "[<#b> ".repeat(1000), "]".repeat(1000));
        let err = run(RdfFormat::Turtle, nodes.as_bytes(), BASE).unwrap_err();
        assert!(matches!(err, RdfError::TooDeep(_)), "{err:?}");
    }

    #[test]
    fn nesting_at_the_bound_still_parses() {
        let ttl = format!(
            "<#a> <#b> {}<#c>{} .",
            "[<#b> ".repeat(MAX_DEPTH - 1),
            "]".repeat(MAX_DEPTH - 1)
        );
        let quads = run(RdfFormat::Turtle, ttl.as_bytes(), BASE).unwrap();
        assert_eq!(quads.len(), MAX_DEPTH);
    }

    #[test]
    fn an_expanded_prefix_is_counted_while_parsing() {
        let long = "x".repeat(10_000);
        let ones = vec!["1"; 100].join(",");
        let ttl = format!("@prefix p: <http://e.org/{long}> . <#s> p: {ones} .");
        assert!(ttl.len() < 10_500);
        let err = run(RdfFormat::Turtle, ttl.as_bytes(), BASE).unwrap_err();
        assert!(
            matches!(&err, RdfError::TooLarge(m) if m.contains("100000 bytes")),
            "{err:?}"
        );
        let many = (0..1_001)
            .map(|i| format!("<#s> <#p> {i} .\n"))
            .collect::<String>();
        let err = run(RdfFormat::Turtle, many.as_bytes(), BASE).unwrap_err();
        assert!(
            matches!(&err, RdfError::TooLarge(m) if m.contains("1000 triples")),
            "{err:?}"
        );
    }

    #[test]
    fn a_long_blank_node_chain_is_written_flat() {
        let budget = Budget {
            max_triples: 100_000,
            max_bytes: 10_000_000,
        };
        let chain: String = (0..20_000)
            .map(|i| format!("_:b{i} <http://e.org/next> _:b{} .\n", i + 1))
            .collect();
        let quads = parse(RdfFormat::NTriples, chain.as_bytes(), BASE, budget).unwrap();
        let text = serialize(&quads, RdfFormat::Turtle).unwrap();
        assert!(!text.contains('['), "nested instead of flat");
        assert_eq!(
            parse(RdfFormat::Turtle, text.as_bytes(), BASE, budget)
                .unwrap()
                .len(),
            20_000
        );
    }

    #[test]
    fn small_shallow_graphs_are_pretty() {
        let ttl = b"<#me> <https://schema.org/knows> [ <https://schema.org/name> \"Bob\" ] .";
        let quads = run(RdfFormat::Turtle, ttl, BASE).unwrap();
        let text = serialize(&quads, RdfFormat::Turtle).unwrap();
        assert!(text.contains("schema:knows ["), "{text}");
    }

    #[test]
    fn named_graphs_are_not_dropped_silently() {
        let trig = b"<http://x/s> <http://x/p> <http://x/o> <http://x/g> .";
        let quads = run(RdfFormat::NQuads, trig, BASE).unwrap();
        assert_eq!(
            serialize(&quads, RdfFormat::Turtle),
            Err(RdfError::NamedGraphsLost(RdfFormat::Turtle))
        );
        assert!(serialize(&quads, RdfFormat::TriG).is_ok());
    }

    #[test]
    fn turtle_is_written_with_at_prefix_lines() {
        let quads = parse(
            RdfFormat::Turtle,
            b"@prefix s: <https://schema.org/>. <#me> s:name \"Alice\".",
            "http://pod.test/alice/card",
            BUDGET,
        )
        .unwrap();
        let turtle = serialize(&quads, RdfFormat::Turtle).unwrap();
        assert!(
            turtle.contains("@prefix schema: <https://schema.org/> ."),
            "{turtle}"
        );
        for format in [RdfFormat::Turtle, RdfFormat::TriG] {
            let text = serialize(&quads, format).unwrap();
            assert!(!text.contains("PREFIX"), "{text}");
            assert!(text.starts_with("@prefix "), "{text}");
            assert_eq!(
                parse(
                    format,
                    text.as_bytes(),
                    "http://pod.test/alice/card",
                    BUDGET
                )
                .unwrap(),
                quads
            );
        }
        assert_eq!(
            at_prefixes("PREFIX a: <x:>\n<s> <p> \"PREFIX b\" .\n"),
            "@prefix a: <x:> .\n<s> <p> \"PREFIX b\" .\n"
        );
    }
}
