//! Absolute IRIs, checked once where they enter a record (subject, issuer, status list URL).
//!
//! JSON-LD silently resolves a relative reference against the document, so every identifier a
//! record names must already be absolute; this is the check, with a message that says which field.

use std::fmt;

use thiserror::Error;

/// A string is not an absolute IRI.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{field} `{value}` is not an absolute IRI (like https://example.org/x or did:key:z6Mk…)")]
pub struct IriError {
    /// Which field was being set.
    pub field: &'static str,
    /// The rejected text.
    pub value: String,
}

/// An absolute IRI: a scheme, a colon, and no characters IRIs forbid.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AbsoluteIri(String);

impl AbsoluteIri {
    /// Checks `value` for the field named `field` (used in the error message).
    pub fn parse(field: &'static str, value: &str) -> Result<Self, IriError> {
        if is_absolute_iri(value) {
            Ok(AbsoluteIri(value.to_owned()))
        } else {
            Err(IriError {
                field,
                value: value.to_owned(),
            })
        }
    }

    /// The IRI.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AbsoluteIri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AbsoluteIri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AbsoluteIri({})", self.0)
    }
}

/// Whether `value` is an absolute IRI (RFC 3987 scheme, then no space, control or `<>"{}|\^``).
pub fn is_absolute_iri(value: &str) -> bool {
    let Some((scheme, rest)) = value.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    scheme_ok
        && !rest.is_empty()
        && !value.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_iris_are_told_from_relative_references() {
        for ok in [
            "https://p.example/x",
            "did:key:z6Mk",
            "urn:uuid:1",
            "mailto:a@b",
        ] {
            assert!(is_absolute_iri(ok), "{ok}");
        }
        for bad in [
            "",
            "x",
            "/a:b",
            "1http://x",
            "https://a b",
            "https:",
            "a<b:c",
        ] {
            assert!(!is_absolute_iri(bad), "{bad}");
        }
        assert_eq!(
            AbsoluteIri::parse("subject", "me").unwrap_err().field,
            "subject"
        );
    }
}
