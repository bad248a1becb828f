//! RDF out: each syntax the pod serves, Turtle pretty-printed when that stays cheap and written
//! with `@prefix` lines every parser reads; named graphs are refused, never dropped.

use std::collections::HashMap;

use op_protocol::media::RdfFormat;
use sophia_api::serializer::{QuadSerializer, Stringifier, TripleSerializer};
use sophia_api::term::{SimpleTerm, Term};
use sophia_jsonld::JsonLdSerializer;
use sophia_turtle::serializer::{
    nq::NQuadsSerializer,
    nt::NTriplesSerializer,
    trig::TriGSerializer,
    turtle::{TurtleConfig, TurtleSerializer},
};

use super::{Quad, RdfError};

/// Whether any statement is in a named graph.
pub fn has_named_graphs(quads: &[Quad]) -> bool {
    quads.iter().any(|(_, g)| g.is_some())
}

/// Serialises the default graph of `quads` as `format`, leaving the named graphs out (the caller
/// says so: see the pod's read path).
pub fn serialize_default_graph(quads: &[Quad], format: RdfFormat) -> Result<String, RdfError> {
    let default: Vec<Quad> = quads.iter().filter(|(_, g)| g.is_none()).cloned().collect();
    serialize(&default, format)
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
    use super::super::{Budget, parse};
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
