//! The lexical layer shared by N3 Patch and SPARQL Update: finding `{ … }` bodies and the words
//! between them while skipping strings, IRIs and comments, so braces inside them never count.

use std::collections::HashMap;

use super::PatchError;

pub(super) struct Scan {
    /// Everything outside formulae (prefixes, the patch resource's own triples).
    pub outer: String,
    /// Prefix and base declarations, to put in front of the formulae.
    pub prologue: String,
    /// `(predicate before the formula, formula contents)`.
    pub formulae: Vec<(String, String)>,
}

/// Splits a patch into its outer text and its formulae, skipping strings, IRIs and comments.
pub(super) fn scan(text: &str) -> Result<Scan, PatchError> {
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
pub(super) fn skip_token(chars: &[char], i: usize) -> Result<usize, PatchError> {
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

pub(super) fn skip_to_close(chars: &[char], mut i: usize) -> Result<usize, PatchError> {
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

pub(super) fn last_token(text: &str) -> String {
    text.trim_end()
        .rsplit(|c: char| c.is_whitespace() || c == ';')
        .next()
        .unwrap_or("")
        .to_owned()
}

pub(super) fn prefixes(outer: &str) -> HashMap<String, String> {
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
