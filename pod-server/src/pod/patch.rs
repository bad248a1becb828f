//! PATCH documents: Solid N3 Patch (`text/n3`, the `solid:InsertDeletePatch` subset) and the
//! SPARQL Update subset Solid clients send ([`sparql`]), both read into the same steps and
//! applied the same way.
//!
//! A step has up to three parts — where, deletes, inserts — whose contents are Turtle triples
//! that may use `?variables`. The parts are located with a small scanner ([`scan`]) that skips
//! strings, IRIs and comments, then parsed together as generalised TriG (one named graph per part
//! of each step), which is what sophia's generalised parser accepts, variables included.
//! Semantics (Solid Protocol §5.3.1, and for SPARQL as the leading Solid servers apply it): the
//! where part must match exactly one solution; every triple to delete must be present; then the
//! deletes are removed and the inserts added. A request's steps apply in order, all or nothing.

pub mod job;
mod scan;
mod solution;
pub mod sparql;

use std::collections::{HashMap, HashSet};

use op_protocol::vocab::solid;
use sophia_api::parser::QuadParser;
use sophia_api::source::QuadSource;
use sophia_api::term::{SimpleTerm, Term};
use sophia_iri::resolve::BaseIriRef;
use sophia_turtle::parser::gtrig::GTriGParser;
use thiserror::Error;

use op_protocol::bounded::{MAX_DEPTH, Syntax, check_depth};
use sophia_api::source::StreamError;

use super::rdf::{Budget, Quad, Sink};
use scan::{prefixes, scan};
use solution::{Search, instantiate};

/// A patch was malformed (400) or could not be applied to the resource (409).
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PatchError {
    /// The document is not a valid N3 Patch.
    #[error("invalid N3 Patch: {0}")]
    Invalid(String),
    /// The document is not a SPARQL Update this pod takes.
    #[error("invalid SPARQL Update: {0}")]
    InvalidSparql(String),
    /// The where clause matched no solution or more than one.
    #[error("the patch's where clause matched {0} solutions; it must match exactly one")]
    WhereMismatch(usize),
    /// A triple of `solid:deletes` is not in the resource.
    #[error("the patch deletes a triple that the resource does not contain: {0}")]
    DeleteMismatch(String),
    /// Solving `solid:where` would take more steps than a request may.
    #[error(
        "solving the patch's where clause takes more than {0} matching steps; use fewer free variables or name the subjects"
    )]
    TooComplex(u64),
}

/// What one patch may ask of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatchLimits {
    /// Most patterns in `solid:where`.
    pub max_patterns: usize,
    /// Most matching steps (a pattern tried against a triple) to solve `solid:where`.
    pub max_steps: u64,
    /// What the patch's own triples may spell out.
    pub budget: Budget,
}

type Pattern = [SimpleTerm<'static>; 3];
type Bindings = HashMap<String, SimpleTerm<'static>>;

/// A parsed N3 Patch.
#[derive(Debug)]
pub struct N3Patch {
    conditions: Vec<Pattern>,
    deletes: Vec<Pattern>,
    inserts: Vec<Pattern>,
    max_steps: u64,
}

/// What a PATCH request asks: its steps, applied in order to the same document.
#[derive(Debug)]
pub struct Patch {
    steps: Vec<N3Patch>,
}

impl From<N3Patch> for Patch {
    fn from(step: N3Patch) -> Self {
        Patch { steps: vec![step] }
    }
}

impl Patch {
    /// Applies every step in order; the first that fails fails the whole patch.
    pub fn apply(&self, quads: Vec<Quad>) -> Result<Vec<Quad>, PatchError> {
        self.steps
            .iter()
            .try_fold(quads, |quads, step| step.apply(quads))
    }
}

/// The part of a step a body of triples is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Where,
    Deletes,
    Inserts,
}

/// The prefix of the named graphs that carry the parts while parsing.
const GRAPH: &str = "urn:x-op-patch:";

impl Role {
    const ALL: [Role; 3] = [Role::Where, Role::Deletes, Role::Inserts];

    fn name(self) -> &'static str {
        match self {
            Role::Where => "where",
            Role::Deletes => "deletes",
            Role::Inserts => "inserts",
        }
    }

    /// The graph that carries this part of step `step`.
    fn graph(self, step: usize) -> String {
        format!("{GRAPH}{step}:{}", self.name())
    }

    /// The step and part a graph carries.
    fn of_graph(iri: &str) -> Option<(usize, Role)> {
        let (step, name) = iri.strip_prefix(GRAPH)?.split_once(':')?;
        let role = Role::ALL.into_iter().find(|r| r.name() == name)?;
        Some((step.parse().ok()?, role))
    }
}

impl N3Patch {
    /// Parses a patch document; relative IRIs resolve against `base` (the patched resource).
    pub fn parse(text: &str, base: &str, limits: PatchLimits) -> Result<Self, PatchError> {
        check_depth(text, Syntax::Turtle, MAX_DEPTH)
            .map_err(|e| PatchError::Invalid(e.to_string()))?;
        let scan = scan(text)?;
        let prefixes = prefixes(&scan.outer);
        let expand = |name: &str| -> Option<String> {
            let name = name.trim();
            if let Some(iri) = name.strip_prefix('<').and_then(|n| n.strip_suffix('>')) {
                return Some(iri.to_owned());
            }
            let (p, local) = name.split_once(':')?;
            prefixes.get(p).map(|ns| format!("{ns}{local}"))
        };
        let has_type = scan
            .outer
            .split(|c: char| c.is_whitespace() || c == ';' || c == '.')
            .any(|token| expand(token).as_deref() == Some(solid::INSERT_DELETE_PATCH));
        if !has_type {
            return Err(PatchError::Invalid(
                "the patch resource must have type solid:InsertDeletePatch".into(),
            ));
        }
        let mut seen = Vec::new();
        let mut parts = Vec::new();
        for (predicate, body) in &scan.formulae {
            let role = match expand(predicate).as_deref() {
                Some(iri) if iri == format!("{}where", solid::NS) => Role::Where,
                Some(iri) if iri == format!("{}deletes", solid::NS) => Role::Deletes,
                Some(iri) if iri == format!("{}inserts", solid::NS) => Role::Inserts,
                _ => {
                    return Err(PatchError::Invalid(format!(
                        "unexpected formula after {predicate:?}; use solid:where, solid:deletes or solid:inserts"
                    )));
                }
            };
            if seen.contains(&role) {
                return Err(PatchError::Invalid(format!("{predicate} appears twice")));
            }
            seen.push(role);
            parts.push((role, body.clone()));
        }
        let mut steps = Self::build(&scan.prologue, &[parts], base, limits)?;
        Ok(steps.pop().expect("one step was given"))
    }

    /// Parses the parts of each step (Turtle-like bodies after `prologue`'s prefixes) together,
    /// under one budget, into validated steps. Errors are [`PatchError::Invalid`].
    fn build(
        prologue: &str,
        steps: &[Vec<(Role, String)>],
        base: &str,
        limits: PatchLimits,
    ) -> Result<Vec<N3Patch>, PatchError> {
        let mut trig = prologue.to_owned();
        for (i, parts) in steps.iter().enumerate() {
            for (role, body) in parts {
                trig.push_str(&format!("\n<{}> {{ {body} }}\n", role.graph(i)));
            }
        }
        let base_iri = BaseIriRef::new(Box::<str>::from(base)).ok();
        let mut sink = Sink::new(limits.budget);
        op_protocol::bounded::guarded(|| {
            GTriGParser::new()
                .with_base(base_iri)
                .parse_str(&trig)
                .try_for_each_quad(|q| sink.push(q))
        })
        .map_err(PatchError::Invalid)?
        .map_err(|e| match e {
            StreamError::SourceError(e) => PatchError::Invalid(e.to_string()),
            StreamError::SinkError(e) => PatchError::Invalid(e.to_string()),
        })?;
        let mut patches: Vec<N3Patch> = steps
            .iter()
            .map(|_| N3Patch {
                conditions: Vec::new(),
                deletes: Vec::new(),
                inserts: Vec::new(),
                max_steps: limits.max_steps,
            })
            .collect();
        for ([s, p, o], g) in sink.into_quads() {
            let graph = g.as_ref().and_then(|g| g.iri()).map(|i| i.to_string());
            let Some((i, role)) = graph.as_deref().and_then(Role::of_graph) else {
                continue;
            };
            let Some(patch) = patches.get_mut(i) else {
                continue;
            };
            let target = match role {
                Role::Where => &mut patch.conditions,
                Role::Deletes => &mut patch.deletes,
                Role::Inserts => &mut patch.inserts,
            };
            target.push([s, p, o]);
        }
        for patch in &patches {
            patch.validate(limits.max_patterns)?;
        }
        Ok(patches)
    }

    fn validate(&self, max_patterns: usize) -> Result<(), PatchError> {
        if self.conditions.len() > max_patterns {
            return Err(PatchError::Invalid(format!(
                "the where clause has {} patterns; the limit is {max_patterns}",
                self.conditions.len()
            )));
        }
        let all = || {
            self.conditions
                .iter()
                .chain(&self.deletes)
                .chain(&self.inserts)
        };
        if let Some(bad) = all().find(|t| !well_formed(t, Position::Pattern)) {
            return Err(PatchError::Invalid(format!(
                "{}: subjects must be IRIs, blank nodes or variables, and predicates IRIs or variables",
                show(bad)
            )));
        }
        let blank = |ps: &[Pattern]| ps.iter().flatten().any(|t| t.is_blank_node());
        if blank(&self.conditions) || blank(&self.deletes) {
            return Err(PatchError::Invalid(
                "the where and delete clauses may not contain blank nodes".into(),
            ));
        }
        let bound: HashSet<String> = variables(&self.conditions).collect();
        for v in variables(&self.deletes).chain(variables(&self.inserts)) {
            if !bound.contains(&v) {
                return Err(PatchError::Invalid(format!(
                    "variable ?{v} is used but not bound in the where clause"
                )));
            }
        }
        Ok(())
    }

    /// Applies the patch to the default graph of `quads`; named graphs are kept as they are.
    pub fn apply(&self, quads: Vec<Quad>) -> Result<Vec<Quad>, PatchError> {
        let solutions = {
            let data: Vec<&Pattern> = quads
                .iter()
                .filter(|(_, g)| g.is_none())
                .map(|(t, _)| t)
                .collect();
            // Two solutions are enough to know the where clause is ambiguous.
            Search::new(&data, self.max_steps, 2).solve(&self.conditions, Bindings::new())?
        };
        if solutions.len() != 1 {
            return Err(PatchError::WhereMismatch(solutions.len()));
        }
        let bindings = &solutions[0];
        // Where each default-graph triple sits, so that each delete and insert is one lookup and
        // the result keeps the document's order.
        let mut quads = quads;
        let mut at: HashMap<Pattern, usize> = quads
            .iter()
            .enumerate()
            .filter(|(_, (_, g))| g.is_none())
            .map(|(i, (t, _))| (t.clone(), i))
            .collect();
        let mut removed = vec![false; quads.len()];
        for pattern in &self.deletes {
            let triple = instantiate(pattern, bindings);
            let i = at
                .remove(&triple)
                .ok_or_else(|| PatchError::DeleteMismatch(show(&triple)))?;
            removed[i] = true;
        }
        for pattern in &self.inserts {
            let triple = instantiate(pattern, bindings);
            if !well_formed(&triple, Position::Data) {
                return Err(PatchError::Invalid(format!(
                    "inserting {} would put a literal where a subject or predicate goes",
                    show(&triple)
                )));
            }
            if !at.contains_key(&triple) {
                at.insert(triple.clone(), quads.len());
                removed.push(false);
                quads.push((triple, None));
            }
        }
        let mut removed = removed.into_iter();
        quads.retain(|_| !removed.next().unwrap_or(false));
        Ok(quads)
    }
}

/// Whether a triple is checked as written (variables allowed) or as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    Pattern,
    Data,
}

/// Subjects are IRIs or blank nodes, predicates IRIs (either may be a variable in a pattern):
/// anything else would leave the stored document unparseable.
fn well_formed([s, p, _]: &Pattern, position: Position) -> bool {
    let variable = |t: &SimpleTerm<'static>| position == Position::Pattern && t.is_variable();
    (s.is_iri() || s.is_blank_node() || variable(s)) && (p.is_iri() || variable(p))
}

fn variables(patterns: &[Pattern]) -> impl Iterator<Item = String> + '_ {
    patterns
        .iter()
        .flatten()
        .filter_map(|t| t.variable().map(|v| v.as_str().to_owned()))
}

fn show(t: &Pattern) -> String {
    t.iter()
        .map(|term| match term.iri() {
            Some(iri) => format!("<{}>", iri.as_str()),
            None => match term.lexical_form() {
                Some(lex) => format!("{lex:?}"),
                None => "_:b".into(),
            },
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pod::rdf;
    use op_protocol::media::RdfFormat;

    const BASE: &str = "http://pod.test/alice/doc";

    const LIMITS: PatchLimits = PatchLimits {
        max_patterns: 8,
        max_steps: 10_000,
        budget: Budget {
            max_triples: 1_000,
            max_bytes: 100_000,
        },
    };

    fn data(ttl: &str) -> Vec<Quad> {
        rdf::parse(RdfFormat::Turtle, ttl.as_bytes(), BASE, LIMITS.budget).unwrap()
    }

    fn parse(text: &str) -> Result<N3Patch, PatchError> {
        N3Patch::parse(text, BASE, LIMITS)
    }

    const PATCH: &str = r#"@prefix solid: <http://www.w3.org/ns/solid/terms#>.
@prefix ex: <http://example.org/#>.
_:rename a solid:InsertDeletePatch;
  solid:where   { ?person ex:familyName "Garcia". };
  solid:inserts { ?person ex:givenName "Alex". };
  solid:deletes { ?person ex:givenName "Claudia". }."#;

    #[test]
    fn the_spec_example_applies() {
        let before = data(
            r#"@prefix ex: <http://example.org/#>. <#me> ex:familyName "Garcia"; ex:givenName "Claudia"."#,
        );
        let after = parse(PATCH).unwrap().apply(before).unwrap();
        let text = rdf::serialize(&after, RdfFormat::NTriples).unwrap();
        assert!(text.contains("\"Alex\""), "{text}");
        assert!(!text.contains("Claudia"), "{text}");
    }

    #[test]
    fn deletes_that_do_not_match_are_refused() {
        let before = data(r#"@prefix ex: <http://example.org/#>. <#me> ex:familyName "Garcia"."#);
        let err = parse(PATCH).unwrap().apply(before).unwrap_err();
        assert!(matches!(err, PatchError::DeleteMismatch(_)), "{err}");
    }

    #[test]
    fn where_must_match_exactly_one_solution() {
        let two = data(
            r#"@prefix ex: <http://example.org/#>. <#a> ex:familyName "Garcia". <#b> ex:familyName "Garcia"."#,
        );
        let err = parse(PATCH).unwrap().apply(two).unwrap_err();
        assert_eq!(err, PatchError::WhereMismatch(2));
        assert_eq!(
            parse(PATCH).unwrap().apply(Vec::new()).unwrap_err(),
            PatchError::WhereMismatch(0)
        );
    }

    #[test]
    fn malformed_patches_are_invalid() {
        for bad in [
            "@prefix solid: <http://www.w3.org/ns/solid/terms#>. _:p solid:inserts { <#a> <#b> <#c> . }.",
            "@prefix solid: <http://www.w3.org/ns/solid/terms#>. _:p a solid:InsertDeletePatch; solid:inserts { ?x <#b> <#c> . }.",
            "@prefix solid: <http://www.w3.org/ns/solid/terms#>. _:p a solid:InsertDeletePatch; solid:deletes { _:x <#b> <#c> . }.",
            "@prefix solid: <http://www.w3.org/ns/solid/terms#>. _:p a solid:InsertDeletePatch; solid:inserts { <#a> <#b> ",
            "@prefix solid: <http://www.w3.org/ns/solid/terms#>. _:p a solid:InsertDeletePatch; solid:other { <#a> <#b> <#c> }.",
        ] {
            assert!(matches!(parse(bad), Err(PatchError::Invalid(_))), "{bad}");
        }
    }

    #[test]
    fn braces_inside_strings_do_not_confuse_the_scanner() {
        let patch = r#"@prefix solid: <http://www.w3.org/ns/solid/terms#>.
_:p a solid:InsertDeletePatch; solid:inserts { <#a> <#b> "a } { b" . }."#;
        let after = parse(patch).unwrap().apply(Vec::new()).unwrap();
        assert_eq!(after.len(), 1);
    }

    const SOLID: &str = "@prefix solid: <http://www.w3.org/ns/solid/terms#>.";

    #[test]
    fn literal_subjects_and_predicates_are_refused() {
        for body in [
            r#"solid:inserts { "x" <#b> <#c> . }"#,
            r#"solid:inserts { <#a> "p" <#c> . }"#,
            r#"solid:where { ?s <#b> ?o . }; solid:deletes { ?s <#b> ?o . }; solid:inserts { <#a> _:p <#c> . }"#,
        ] {
            let patch = format!("{SOLID} _:p a solid:InsertDeletePatch; {body}.");
            let err = parse(&patch).unwrap_err();
            assert!(matches!(err, PatchError::Invalid(_)), "{body}: {err}");
        }
    }

    #[test]
    fn a_variable_bound_to_a_literal_cannot_become_a_subject() {
        let patch = format!(
            "{SOLID} _:p a solid:InsertDeletePatch; solid:where {{ <#a> <#name> ?n . }}; solid:inserts {{ ?n <#b> <#c> . }}."
        );
        let err = parse(&patch)
            .unwrap()
            .apply(data(r#"<#a> <#name> "Alice"."#))
            .unwrap_err();
        assert!(matches!(err, PatchError::Invalid(_)), "{err}");
    }

    #[test]
    fn free_variable_joins_stop_at_the_step_budget() {
        let triples: String = (0..30)
            .map(|i| format!("<#s{i}> <#p> <#o{i}> .\n"))
            .collect();
        let patch = format!(
            "{SOLID} _:p a solid:InsertDeletePatch; solid:where {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j <#nothing> ?l . }}; solid:inserts {{ <#x> <#y> <#z> . }}."
        );
        let err = parse(&patch).unwrap().apply(data(&triples)).unwrap_err();
        assert_eq!(err, PatchError::TooComplex(10_000));
    }

    #[test]
    fn too_many_where_patterns_are_refused() {
        let patterns: String = (0..9).map(|i| format!("?s <#p{i}> ?o{i} . ")).collect();
        let patch = format!(
            "{SOLID} _:p a solid:InsertDeletePatch; solid:where {{ {patterns} }}; solid:inserts {{ <#x> <#y> <#z> . }}."
        );
        let err = parse(&patch).unwrap_err();
        assert!(
            matches!(&err, PatchError::Invalid(m) if m.contains("limit is 8")),
            "{err}"
        );
    }

    #[test]
    fn deeply_nested_and_amplified_patches_are_refused() {
        let deep = format!(
            "{SOLID} _:p a solid:InsertDeletePatch; solid:inserts {{ <#a> <#b> {}{} . }}.",
            "(".repeat(1000),
            ")".repeat(1000)
        );
        assert!(matches!(parse(&deep), Err(PatchError::Invalid(m)) if m.contains("nests deeper")));
        let long = "x".repeat(10_000);
        let ones = vec!["1"; 100].join(",");
        let wide = format!(
            "{SOLID} @prefix p: <http://e.org/{long}>. _:p a solid:InsertDeletePatch; solid:inserts {{ <#a> p: {ones} . }}."
        );
        assert!(matches!(parse(&wide), Err(PatchError::Invalid(m)) if m.contains("100000 bytes")));
    }
}
