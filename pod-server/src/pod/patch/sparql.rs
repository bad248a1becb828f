//! SPARQL Update (`application/sparql-update`): the subset Solid clients send — Inrupt's
//! `solid-client` (`saveSolidDatasetAt`), rdflib.js's `UpdateManager`, SolidOS:
//!
//! * `INSERT DATA { … }` and `DELETE DATA { … }`,
//! * `DELETE { … } INSERT { … } WHERE { … }` (either of the first two may be left out) and
//!   `DELETE WHERE { … }`, with basic graph patterns,
//! * `PREFIX`/`BASE` declarations, several operations separated by `;`.
//!
//! Operations become the same steps as an N3 Patch and apply the same way: in order, all or
//! nothing; a where clause must match exactly one solution and every triple to delete must be
//! present (as Node Solid Server and the Community Solid Server do, so a client's stale view is
//! refused with 409 instead of silently applied). Anything else — `GRAPH`, `WITH`, `USING`,
//! `OPTIONAL`, `FILTER`, `LOAD`, `CLEAR` … — is refused with 400 and a message naming it.

use op_protocol::bounded::{MAX_DEPTH, Syntax, check_depth};

use super::scan::{skip_to_close, skip_token};
use super::{N3Patch, Patch, PatchError, PatchLimits, Role};

/// The most operations one request may carry.
pub const MAX_OPERATIONS: usize = 16;

/// One operation's parts: which role each `{ … }` body plays.
type Parts = Vec<(Role, String)>;

/// One lexical piece of an update outside the braces.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Iri(String),
    Body(String),
    Semicolon,
}

/// Parses a SPARQL Update; relative IRIs resolve against `base` (the patched resource).
pub fn parse(text: &str, base: &str, limits: PatchLimits) -> Result<Patch, PatchError> {
    let invalid = |m: String| PatchError::InvalidSparql(m);
    check_depth(text, Syntax::Turtle, MAX_DEPTH).map_err(|e| invalid(e.to_string()))?;
    let tokens = tokenize(text).map_err(|e| match e {
        PatchError::Invalid(m) => invalid(m),
        other => other,
    })?;
    let (prologue, steps) = operations(&tokens)?;
    let steps = N3Patch::build(&prologue, &steps, base, limits).map_err(|e| match e {
        PatchError::Invalid(m) => invalid(m),
        other => other,
    })?;
    Ok(Patch { steps })
}

/// Splits the text into words, IRIs, `{ … }` bodies and semicolons.
fn tokenize(text: &str) -> Result<Vec<Token>, PatchError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            c if c.is_whitespace() => i += 1,
            '#' => i = skip_token(&chars, i)?,
            '<' => {
                let end = skip_token(&chars, i)?;
                tokens.push(Token::Iri(chars[i..end].iter().collect()));
                i = end;
            }
            '{' => {
                let end = skip_to_close(&chars, i + 1).map_err(|_| {
                    PatchError::InvalidSparql(
                        "a '{' without its '}', or a nested group (GRAPH, OPTIONAL, UNION …), which this pod does not take".into(),
                    )
                })?;
                tokens.push(Token::Body(chars[i + 1..end].iter().collect()));
                i = end + 1;
            }
            '}' => return Err(PatchError::InvalidSparql("unbalanced '}'".into())),
            ';' => {
                tokens.push(Token::Semicolon);
                i += 1;
            }
            '"' | '\'' => {
                return Err(PatchError::InvalidSparql(
                    "a string outside the braces".into(),
                ));
            }
            _ => {
                let start = i;
                while i < chars.len()
                    && !chars[i].is_whitespace()
                    && !matches!(chars[i], '{' | '}' | ';' | '<' | '#' | '"' | '\'')
                {
                    i += 1;
                }
                tokens.push(Token::Word(chars[start..i].iter().collect()));
            }
        }
    }
    Ok(tokens)
}

/// Reads the prologue declarations (as Turtle's SPARQL-style `PREFIX`/`BASE` lines) and each
/// operation's parts.
fn operations(tokens: &[Token]) -> Result<(String, Vec<Parts>), PatchError> {
    let invalid = |m: String| PatchError::InvalidSparql(m);
    let is = |i: usize, keyword: &str| matches!(tokens.get(i), Some(Token::Word(w)) if w.eq_ignore_ascii_case(keyword));
    let mut prologue = String::new();
    let mut steps = Vec::new();
    let mut i = 0;
    loop {
        // Declarations may come before any operation.
        loop {
            if is(i, "PREFIX") {
                let (Some(Token::Word(name)), Some(Token::Iri(iri))) =
                    (tokens.get(i + 1), tokens.get(i + 2))
                else {
                    return Err(invalid(
                        "PREFIX takes a name ending in ':' and an <IRI>".into(),
                    ));
                };
                if !name.ends_with(':') {
                    return Err(invalid(format!("PREFIX {name}: the name must end in ':'")));
                }
                prologue.push_str(&format!("PREFIX {name} {iri}\n"));
                i += 3;
            } else if is(i, "BASE") {
                let Some(Token::Iri(iri)) = tokens.get(i + 1) else {
                    return Err(invalid("BASE takes an <IRI>".into()));
                };
                prologue.push_str(&format!("BASE {iri}\n"));
                i += 2;
            } else {
                break;
            }
        }
        if i >= tokens.len() {
            break;
        }
        let (parts, used) = operation(&tokens[i..])?;
        steps.push(parts);
        if steps.len() > MAX_OPERATIONS {
            return Err(invalid(format!(
                "more than {MAX_OPERATIONS} operations in one request"
            )));
        }
        i += used;
        match tokens.get(i) {
            None => break,
            Some(Token::Semicolon) => i += 1,
            Some(other) => {
                return Err(invalid(format!(
                    "expected ';' between operations, found {}",
                    describe(other)
                )));
            }
        }
    }
    Ok((prologue, steps))
}

/// One operation at the start of `tokens`: its parts and how many tokens it used.
fn operation(tokens: &[Token]) -> Result<(Parts, usize), PatchError> {
    let word = |i: usize| match tokens.get(i) {
        Some(Token::Word(w)) => Some(w.to_ascii_uppercase()),
        _ => None,
    };
    let body = |i: usize| match tokens.get(i) {
        Some(Token::Body(b)) => Some(b.clone()),
        _ => None,
    };
    let expected = |what: &str, i: usize| {
        PatchError::InvalidSparql(format!(
            "expected {what}, found {}",
            tokens.get(i).map_or("the end".into(), describe)
        ))
    };
    match (word(0).as_deref(), word(1).as_deref()) {
        (Some("INSERT"), Some("DATA")) => {
            let b = body(2).ok_or_else(|| expected("{ triples } after INSERT DATA", 2))?;
            Ok((vec![(Role::Inserts, data(b)?)], 3))
        }
        (Some("DELETE"), Some("DATA")) => {
            let b = body(2).ok_or_else(|| expected("{ triples } after DELETE DATA", 2))?;
            Ok((vec![(Role::Deletes, data(b)?)], 3))
        }
        (Some("DELETE"), Some("WHERE")) => {
            let b = body(2).ok_or_else(|| expected("{ patterns } after DELETE WHERE", 2))?;
            Ok((vec![(Role::Where, b.clone()), (Role::Deletes, b)], 3))
        }
        (Some("DELETE" | "INSERT"), _) => modify(tokens),
        (Some(other), _) => Err(PatchError::InvalidSparql(format!(
            "{other} is not supported: this pod takes INSERT DATA, DELETE DATA, DELETE/INSERT … WHERE and DELETE WHERE"
        ))),
        (None, _) => Err(expected(
            "an operation (INSERT DATA, DELETE DATA, DELETE/INSERT … WHERE)",
            0,
        )),
    }
}

/// `DELETE { … } INSERT { … } WHERE { … }`, either template optional.
fn modify(tokens: &[Token]) -> Result<(Parts, usize), PatchError> {
    let mut parts = Vec::new();
    let mut i = 0;
    for (keyword, role) in [("DELETE", Role::Deletes), ("INSERT", Role::Inserts)] {
        if let Some(Token::Word(w)) = tokens.get(i)
            && w.eq_ignore_ascii_case(keyword)
        {
            let Some(Token::Body(b)) = tokens.get(i + 1) else {
                return Err(PatchError::InvalidSparql(format!(
                    "expected {{ template }} after {keyword}"
                )));
            };
            parts.push((role, b.clone()));
            i += 2;
        }
    }
    match tokens.get(i) {
        Some(Token::Word(w)) if w.eq_ignore_ascii_case("WHERE") => {}
        Some(Token::Word(w)) if w.eq_ignore_ascii_case("USING") => {
            return Err(PatchError::InvalidSparql(
                "USING is not supported: the pod patches the one resource the request names".into(),
            ));
        }
        other => {
            return Err(PatchError::InvalidSparql(format!(
                "expected WHERE {{ patterns }} after the templates, found {}",
                other.map_or("the end".into(), describe)
            )));
        }
    }
    let Some(Token::Body(b)) = tokens.get(i + 1) else {
        return Err(PatchError::InvalidSparql(
            "expected { patterns } after WHERE".into(),
        ));
    };
    parts.push((Role::Where, b.clone()));
    Ok((parts, i + 2))
}

/// The body of `INSERT DATA`/`DELETE DATA`: ground triples only (SPARQL 1.1 Update §3.1.1).
fn data(body: String) -> Result<String, PatchError> {
    let chars: Vec<char> = body.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if matches!(chars[i], '?' | '$') {
            return Err(PatchError::InvalidSparql(
                "INSERT DATA and DELETE DATA take no variables; use DELETE/INSERT … WHERE".into(),
            ));
        }
        i = skip_token(&chars, i)?;
    }
    Ok(body)
}

fn describe(token: &Token) -> String {
    match token {
        Token::Word(w) => format!("{w:?}"),
        Token::Iri(i) => i.clone(),
        Token::Body(_) => "a { … } group".into(),
        Token::Semicolon => "';'".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pod::rdf::{self, Budget, Quad};
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

    fn apply(update: &str, ttl: &str) -> Result<Vec<Quad>, PatchError> {
        parse(update, BASE, LIMITS)?.apply(data(ttl))
    }

    #[test]
    fn what_inrupt_solid_client_sends_applies() {
        // saveSolidDatasetAt: DELETE DATA then INSERT DATA, full IRIs, one request.
        let update = "DELETE DATA {<http://pod.test/alice/doc#me> <http://xmlns.com/foaf/0.1/name> \"Ann\".};\nINSERT DATA {<http://pod.test/alice/doc#me> <http://xmlns.com/foaf/0.1/name> \"Anna\".};";
        let out = apply(update, "<#me> <http://xmlns.com/foaf/0.1/name> \"Ann\".").unwrap();
        assert_eq!(
            out,
            data("<#me> <http://xmlns.com/foaf/0.1/name> \"Anna\".")
        );
    }

    #[test]
    fn what_rdflib_update_manager_sends_applies() {
        let update = "PREFIX ex: <http://example.org/>\nDELETE DATA { <#a> ex:p \"1\" . }\n;\nINSERT DATA { <#a> ex:p \"2\" . <#b> ex:q <#a> . }\n";
        let out = apply(
            update,
            "@prefix ex: <http://example.org/>. <#a> ex:p \"1\".",
        )
        .unwrap();
        assert_eq!(
            out,
            data("@prefix ex: <http://example.org/>. <#a> ex:p \"2\". <#b> ex:q <#a>.")
        );
    }

    #[test]
    fn delete_insert_where_binds_variables() {
        let update = "prefix ex: <http://example.org/>\ndelete { ?s ex:n ?o } insert { ?s ex:n \"new\" } where { ?s ex:n ?o . ?s a ex:T }";
        let out = apply(
            update,
            "@prefix ex: <http://example.org/>. <#a> a ex:T; ex:n \"old\".",
        )
        .unwrap();
        assert_eq!(
            out,
            data("@prefix ex: <http://example.org/>. <#a> a ex:T; ex:n \"new\".")
        );
        let gone = apply(
            "DELETE WHERE { <#a> <#p> ?o }",
            "<#a> <#p> <#b>. <#c> <#p> <#d>.",
        )
        .unwrap();
        assert_eq!(gone, data("<#c> <#p> <#d>."));
    }

    #[test]
    fn operations_apply_in_order_and_all_or_nothing() {
        // Insert then delete the same triple: in order, it is gone.
        let out = apply(
            "INSERT DATA { <#a> <#p> <#b> }; DELETE DATA { <#a> <#p> <#b> }",
            "",
        )
        .unwrap();
        assert!(out.is_empty());
        // The second step's delete is missing: the whole update fails.
        assert_eq!(
            apply(
                "INSERT DATA { <#x> <#p> <#y> }; DELETE DATA { <#a> <#p> <#zzz> }",
                "<#a> <#p> <#b>."
            ),
            Err(PatchError::DeleteMismatch(
                "<http://pod.test/alice/doc#a> <http://pod.test/alice/doc#p> <http://pod.test/alice/doc#zzz>".into()
            ))
        );
    }

    #[test]
    fn unsupported_forms_are_refused_by_name() {
        for (update, says) in [
            ("LOAD <http://e.org/x>", "LOAD is not supported"),
            ("CLEAR ALL", "CLEAR is not supported"),
            (
                "WITH <#g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
                "WITH is not supported",
            ),
            (
                "DELETE { ?s ?p ?o } USING <#g> WHERE { ?s ?p ?o }",
                "USING is not supported",
            ),
            (
                "INSERT DATA { GRAPH <#g> { <#a> <#b> <#c> } }",
                "nested group",
            ),
            (
                "DELETE { ?s ?p ?o } WHERE { OPTIONAL { ?s ?p ?o } }",
                "nested group",
            ),
            ("INSERT DATA { ?s <#p> <#o> }", "take no variables"),
            (
                "INSERT DATA { <#a> <#b> <#c> } INSERT DATA { <#d> <#e> <#f> }",
                "expected ';'",
            ),
            ("INSERT { <#a> <#b> <#c> }", "expected WHERE"),
            (
                "PREFIX ex <http://e.org/> INSERT DATA { <#a> <#b> <#c> }",
                "must end in ':'",
            ),
            ("INSERT DATA { <#a> <#b> ", "without its '}'"),
            (
                "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(?o > 1) }",
                "invalid SPARQL Update",
            ),
        ] {
            let err = parse(update, BASE, LIMITS).unwrap_err();
            assert!(
                matches!(err, PatchError::InvalidSparql(_)),
                "{update}: {err:?}"
            );
            assert!(err.to_string().contains(says), "{update}: {err}");
        }
    }

    #[test]
    fn literal_subjects_and_too_many_operations_are_refused() {
        let err = parse("INSERT DATA { \"lit\" <#p> <#o> }", BASE, LIMITS).unwrap_err();
        assert!(matches!(err, PatchError::InvalidSparql(_)), "{err:?}");
        let many = vec!["INSERT DATA { <#a> <#b> <#c> }"; MAX_OPERATIONS + 1].join(";");
        let err = parse(&many, BASE, LIMITS).unwrap_err();
        assert!(err.to_string().contains("operations"), "{err}");
        let deep = format!(
            "INSERT DATA {{ <#a> <#b> {}<#c>{} }}",
            "( ".repeat(100),
            " )".repeat(100)
        );
        assert!(parse(&deep, BASE, LIMITS).is_err());
    }

    #[test]
    fn an_empty_update_changes_nothing() {
        assert_eq!(
            apply("  # nothing\n", "<#a> <#b> <#c>.").unwrap(),
            data("<#a> <#b> <#c>.")
        );
    }
}
