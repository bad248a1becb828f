//! Solid N3 Patch (`text/n3`): parsing the `solid:InsertDeletePatch` subset and applying it.
//!
//! A patch names up to three formulae — `solid:where`, `solid:deletes`, `solid:inserts` — whose
//! contents are Turtle triples that may use `?variables`. The formulae are located with a small
//! scanner that skips strings, IRIs and comments, then parsed together as generalised TriG (one
//! named graph per formula), which is what sophia's generalised parser accepts, variables included.
//! Semantics (Solid Protocol §5.3.1): `where` must match exactly one solution; every triple of
//! `deletes` must be present; then `deletes` are removed and `inserts` added, atomically.

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

/// A patch was malformed (400) or could not be applied to the resource (409).
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PatchError {
    /// The document is not a valid N3 Patch.
    #[error("invalid N3 Patch: {0}")]
    Invalid(String),
    /// `solid:where` matched no solution or more than one.
    #[error("the patch's solid:where clause matched {0} solutions; it must match exactly one")]
    WhereMismatch(usize),
    /// A triple of `solid:deletes` is not in the resource.
    #[error("the patch deletes a triple that the resource does not contain: {0}")]
    DeleteMismatch(String),
    /// Solving `solid:where` would take more steps than a request may.
    #[error(
        "solving the patch's solid:where clause takes more than {0} matching steps; use fewer free variables or name the subjects"
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Where,
    Deletes,
    Inserts,
}

impl Role {
    fn graph(self) -> &'static str {
        match self {
            Role::Where => "urn:x-op-patch:where",
            Role::Deletes => "urn:x-op-patch:deletes",
            Role::Inserts => "urn:x-op-patch:inserts",
        }
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
        let mut trig = scan.prologue.clone();
        let mut seen = Vec::new();
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
            trig.push_str(&format!("\n<{}> {{ {body} }}\n", role.graph()));
        }
        let base_iri = BaseIriRef::new(Box::<str>::from(base)).ok();
        let mut sink = Sink::new(limits.budget);
        GTriGParser::new()
            .with_base(base_iri)
            .parse_str(&trig)
            .try_for_each_quad(|q| sink.push(q))
            .map_err(|e| match e {
                StreamError::SourceError(e) => PatchError::Invalid(e.to_string()),
                StreamError::SinkError(e) => PatchError::Invalid(e.to_string()),
            })?;
        let mut patch = N3Patch {
            conditions: Vec::new(),
            deletes: Vec::new(),
            inserts: Vec::new(),
            max_steps: limits.max_steps,
        };
        for ([s, p, o], g) in sink.into_quads() {
            let graph = g.as_ref().and_then(|g| g.iri()).map(|i| i.to_string());
            let target = match graph.as_deref() {
                Some(g) if g == Role::Where.graph() => &mut patch.conditions,
                Some(g) if g == Role::Deletes.graph() => &mut patch.deletes,
                Some(g) if g == Role::Inserts.graph() => &mut patch.inserts,
                _ => continue,
            };
            target.push([s, p, o]);
        }
        patch.validate(limits.max_patterns)?;
        Ok(patch)
    }

    fn validate(&self, max_patterns: usize) -> Result<(), PatchError> {
        if self.conditions.len() > max_patterns {
            return Err(PatchError::Invalid(format!(
                "solid:where has {} patterns; the limit is {max_patterns}",
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
                "solid:where and solid:deletes may not contain blank nodes".into(),
            ));
        }
        let bound: HashSet<String> = variables(&self.conditions).collect();
        for v in variables(&self.deletes).chain(variables(&self.inserts)) {
            if !bound.contains(&v) {
                return Err(PatchError::Invalid(format!(
                    "variable ?{v} is used but not bound in solid:where"
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
            let mut search = Search {
                data: &data,
                steps_left: self.max_steps,
                max_steps: self.max_steps,
                limit: 2,
            };
            search.solve(&self.conditions, Bindings::new())?
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

/// Backtracking search for solutions of `solid:where`, with a budget of matching steps.
struct Search<'a> {
    data: &'a [&'a Pattern],
    steps_left: u64,
    max_steps: u64,
    limit: usize,
}

impl Search<'_> {
    /// Finds up to `limit` solutions of `patterns`, extending `bindings`.
    fn solve(
        &mut self,
        patterns: &[Pattern],
        bindings: Bindings,
    ) -> Result<Vec<Bindings>, PatchError> {
        let Some((first, rest)) = patterns.split_first() else {
            return Ok(vec![bindings]);
        };
        let mut out = Vec::new();
        for triple in self.data {
            self.steps_left = self
                .steps_left
                .checked_sub(1)
                .ok_or(PatchError::TooComplex(self.max_steps))?;
            let mut b = bindings.clone();
            if first
                .iter()
                .zip(triple.iter())
                .all(|(p, t)| unify(p, t, &mut b))
            {
                out.extend(self.solve(rest, b)?);
                if out.len() >= self.limit {
                    break;
                }
            }
        }
        Ok(out)
    }
}

fn unify(pattern: &SimpleTerm<'static>, term: &SimpleTerm<'static>, b: &mut Bindings) -> bool {
    match pattern.variable() {
        Some(v) => match b.get(v.as_str()) {
            Some(bound) => bound == term,
            None => {
                b.insert(v.as_str().to_owned(), term.clone());
                true
            }
        },
        None => pattern == term,
    }
}

fn instantiate(pattern: &Pattern, b: &Bindings) -> Pattern {
    pattern.clone().map(|t| {
        let bound = t.variable().and_then(|v| b.get(v.as_str()).cloned());
        bound.unwrap_or(t)
    })
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

struct Scan {
    /// Everything outside formulae (prefixes, the patch resource's own triples).
    outer: String,
    /// Prefix and base declarations, to put in front of the formulae.
    prologue: String,
    /// `(predicate before the formula, formula contents)`.
    formulae: Vec<(String, String)>,
}

/// Splits a patch into its outer text and its formulae, skipping strings, IRIs and comments.
fn scan(text: &str) -> Result<Scan, PatchError> {
    let chars: Vec<char> = text.chars().collect();
    let mut outer = String::new();
    let mut formulae = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '{' => {
                let start = i + 1;
                let end = skip_to_close(&chars, start)?;
                let predicate = last_token(&outer);
                formulae.push((predicate, chars[start..end].iter().collect()));
                outer.push_str(" [] ");
                i = end + 1;
            }
            '}' => return Err(PatchError::Invalid("unbalanced '}'".into())),
            _ => {
                let next = skip_token(&chars, i)?;
                outer.extend(&chars[i..next]);
                i = next;
            }
        }
    }
    let prologue = outer
        .lines()
        .filter(|l| {
            let l = l.trim_start().to_ascii_lowercase();
            l.starts_with("@prefix")
                || l.starts_with("prefix")
                || l.starts_with("@base")
                || l.starts_with("base")
        })
        .collect::<Vec<_>>()
        .join("\n");
    Ok(Scan {
        outer,
        prologue,
        formulae,
    })
}

/// The index just past the token starting at `i`: a whole string, IRI or comment, else one char.
fn skip_token(chars: &[char], i: usize) -> Result<usize, PatchError> {
    let unterminated = |what: &str| PatchError::Invalid(format!("unterminated {what}"));
    match chars[i] {
        '<' => {
            let end = chars[i..]
                .iter()
                .position(|c| *c == '>')
                .ok_or_else(|| unterminated("IRI"))?;
            Ok(i + end + 1)
        }
        '#' => Ok(chars[i..]
            .iter()
            .position(|c| *c == '\n')
            .map_or(chars.len(), |e| i + e + 1)),
        q @ ('"' | '\'') => {
            let long = chars.get(i + 1) == Some(&q) && chars.get(i + 2) == Some(&q);
            let mut j = if long { i + 3 } else { i + 1 };
            while j < chars.len() {
                if chars[j] == '\\' {
                    j += 2;
                    continue;
                }
                if chars[j] == q
                    && (!long || (chars.get(j + 1) == Some(&q) && chars.get(j + 2) == Some(&q)))
                {
                    return Ok(if long { j + 3 } else { j + 1 });
                }
                j += 1;
            }
            Err(unterminated("string"))
        }
        _ => Ok(i + 1),
    }
}

fn skip_to_close(chars: &[char], mut i: usize) -> Result<usize, PatchError> {
    while i < chars.len() {
        match chars[i] {
            '}' => return Ok(i),
            '{' => {
                return Err(PatchError::Invalid(
                    "nested formulae are not supported".into(),
                ));
            }
            _ => i = skip_token(chars, i)?,
        }
    }
    Err(PatchError::Invalid(
        "unterminated formula: missing '}'".into(),
    ))
}

fn last_token(text: &str) -> String {
    text.trim_end()
        .rsplit(|c: char| c.is_whitespace() || c == ';')
        .next()
        .unwrap_or("")
        .to_owned()
}

fn prefixes(outer: &str) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for line in outer.lines() {
        let l = line.trim();
        let rest = l
            .strip_prefix("@prefix")
            .or_else(|| l.strip_prefix("PREFIX"))
            .or_else(|| l.strip_prefix("prefix"));
        if let Some(rest) = rest
            && let Some((p, iri)) = rest.split_once(':')
            && let Some(iri) = iri.trim().strip_prefix('<')
            && let Some((iri, _)) = iri.split_once('>')
        {
            map.insert(p.trim().to_owned(), iri.to_owned());
        }
    }
    map
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
