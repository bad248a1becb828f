//! RDF in and out of the pod: parsing each syntax (with line and column on errors) under a
//! budget; JSON-LD in [`jsonld`], serialising in [`serializer`].

mod jsonld;
mod serializer;

use op_protocol::bounded::{MAX_DEPTH, Syntax, check_depth};
use op_protocol::media::RdfFormat;
use sophia_api::parser::{QuadParser, TripleParser};
use sophia_api::quad::Spog;
use sophia_api::source::{QuadSource, StreamError, TripleSource};
use sophia_api::term::{SimpleTerm, Term};
use sophia_iri::resolve::BaseIriRef;
use sophia_turtle::parser::{
    nq::NQuadsParser, nt::NTriplesParser, trig::TriGParser, turtle::TurtleParser,
};
use thiserror::Error;

use jsonld::parse_json_ld;
pub use serializer::{has_named_graphs, serialize, serialize_default_graph};

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
}
