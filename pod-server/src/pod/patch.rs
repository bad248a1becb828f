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

use super::rdf::Quad;

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
}

type Pattern = [SimpleTerm<'static>; 3];
type Bindings = HashMap<String, SimpleTerm<'static>>;

/// A parsed N3 Patch.
#[derive(Debug, Default)]
pub struct N3Patch {
    conditions: Vec<Pattern>,
    deletes: Vec<Pattern>,
    inserts: Vec<Pattern>,
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
    pub fn parse(text: &str, base: &str) -> Result<Self, PatchError> {
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
        let quads: Vec<Quad> = GTriGParser::new()
            .with_base(base_iri)
            .parse_str(&trig)
            .collect_quads()
            .map_err(|e| PatchError::Invalid(e.to_string()))?;
        let mut patch = N3Patch::default();
        for ([s, p, o], g) in quads {
            let graph = g.as_ref().and_then(|g| g.iri()).map(|i| i.to_string());
            let target = match graph.as_deref() {
                Some(g) if g == Role::Where.graph() => &mut patch.conditions,
                Some(g) if g == Role::Deletes.graph() => &mut patch.deletes,
                Some(g) if g == Role::Inserts.graph() => &mut patch.inserts,
                _ => continue,
            };
            target.push([s, p, o]);
        }
        patch.validate()?;
        Ok(patch)
    }

    fn validate(&self) -> Result<(), PatchError> {
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
    pub fn apply(&self, mut quads: Vec<Quad>) -> Result<Vec<Quad>, PatchError> {
        let solutions = {
            let data: Vec<&Pattern> = quads
                .iter()
                .filter(|(_, g)| g.is_none())
                .map(|(t, _)| t)
                .collect();
            solve(&self.conditions, &data, Bindings::new(), 2)
        };
        if solutions.len() != 1 {
            return Err(PatchError::WhereMismatch(solutions.len()));
        }
        let bindings = &solutions[0];
        for pattern in &self.deletes {
            let triple = instantiate(pattern, bindings);
            let at = quads
                .iter()
                .position(|(t, g)| g.is_none() && *t == triple)
                .ok_or_else(|| PatchError::DeleteMismatch(show(&triple)))?;
            quads.swap_remove(at);
        }
        for pattern in &self.inserts {
            let triple = instantiate(pattern, bindings);
            if !quads.iter().any(|(t, g)| g.is_none() && *t == triple) {
                quads.push((triple, None));
            }
        }
        Ok(quads)
    }
}

/// Finds up to `limit` solutions of `patterns` over `data`, by backtracking.
fn solve(
    patterns: &[Pattern],
    data: &[&Pattern],
    bindings: Bindings,
    limit: usize,
) -> Vec<Bindings> {
    let Some((first, rest)) = patterns.split_first() else {
        return vec![bindings];
    };
    let mut out = Vec::new();
    for triple in data {
        let mut b = bindings.clone();
        if first
            .iter()
            .zip(triple.iter())
            .all(|(p, t)| unify(p, t, &mut b))
        {
            out.extend(solve(rest, data, b, limit - out.len()));
            if out.len() >= limit {
                break;
            }
        }
    }
    out
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

    fn data(ttl: &str) -> Vec<Quad> {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(rdf::parse(RdfFormat::Turtle, ttl.as_bytes(), BASE))
            .unwrap()
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
        let after = N3Patch::parse(PATCH, BASE).unwrap().apply(before).unwrap();
        let text = rdf::serialize(&after, RdfFormat::NTriples).unwrap();
        assert!(text.contains("\"Alex\""), "{text}");
        assert!(!text.contains("Claudia"), "{text}");
    }

    #[test]
    fn deletes_that_do_not_match_are_refused() {
        let before = data(r#"@prefix ex: <http://example.org/#>. <#me> ex:familyName "Garcia"."#);
        let err = N3Patch::parse(PATCH, BASE)
            .unwrap()
            .apply(before)
            .unwrap_err();
        assert!(matches!(err, PatchError::DeleteMismatch(_)), "{err}");
    }

    #[test]
    fn where_must_match_exactly_one_solution() {
        let two = data(
            r#"@prefix ex: <http://example.org/#>. <#a> ex:familyName "Garcia". <#b> ex:familyName "Garcia"."#,
        );
        let err = N3Patch::parse(PATCH, BASE).unwrap().apply(two).unwrap_err();
        assert_eq!(err, PatchError::WhereMismatch(2));
        assert_eq!(
            N3Patch::parse(PATCH, BASE)
                .unwrap()
                .apply(Vec::new())
                .unwrap_err(),
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
            assert!(
                matches!(N3Patch::parse(bad, BASE), Err(PatchError::Invalid(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn braces_inside_strings_do_not_confuse_the_scanner() {
        let patch = r#"@prefix solid: <http://www.w3.org/ns/solid/terms#>.
_:p a solid:InsertDeletePatch; solid:inserts { <#a> <#b> "a } { b" . }."#;
        let after = N3Patch::parse(patch, BASE)
            .unwrap()
            .apply(Vec::new())
            .unwrap();
        assert_eq!(after.len(), 1);
    }
}
