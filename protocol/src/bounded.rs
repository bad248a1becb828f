//! Bounds on untrusted text before a recursive parser sees it.
//!
//! sophia's JSON-LD and Turtle parsers recurse once per nested array, object, collection or
//! blank-node property list, with no limit of their own: a 2 KB body of 1,000 nested arrays
//! overflows a thread's stack and aborts the whole process. [`check_depth`] is a linear pre-scan
//! that counts nesting outside strings, IRIs and comments and refuses a document past a bound,
//! so every server and client runs it on bodies it did not write before parsing them.

use thiserror::Error;

/// How deeply JSON, JSON-LD, Turtle, TriG and N3 documents may nest. Records nest about ten
/// levels deep; sophia's parsers stay far within a 2 MB stack at this depth.
pub const MAX_DEPTH: usize = 64;

/// The bracket syntax a document is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// JSON and JSON-LD: `[` and `{` nest; strings are double-quoted.
    Json,
    /// Turtle, TriG, N-Triples, N-Quads and N3: `[`, `(` and `{` nest; IRIs are in `<>`,
    /// strings in single or double quotes (or triples of them), comments run from `#` to the
    /// end of the line.
    Turtle,
}

/// A document nests more deeply than allowed, or closes more than it opens.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum DepthError {
    /// Nesting passes the bound.
    #[error(
        "the document nests deeper than {max} levels (at byte {at}); flatten it or give nested nodes their own identifiers"
    )]
    TooDeep {
        /// The bound.
        max: usize,
        /// Byte offset of the bracket that passed it.
        at: usize,
    },
    /// A Turtle-family `\u`/`\U` escape without its 4 or 8 hex digits (sophia_turtle 0.10 panics
    /// on some of these instead of reporting them; found by fuzzing).
    #[error(
        "invalid escape at byte {at}: \\u needs 4 and \\U 8 hexadecimal digits (write \\\\ for a backslash)"
    )]
    BadEscape {
        /// Byte offset of the backslash.
        at: usize,
    },
}

/// Refuses `text` if its brackets nest more than `max` levels deep.
///
/// Unbalanced or unterminated input is left to the real parser, which reports it with a
/// position; this scan only guarantees that the parser will not recurse past `max`.
pub fn check_depth(text: &str, syntax: Syntax, max: usize) -> Result<(), DepthError> {
    if syntax == Syntax::Turtle {
        check_escapes(text)?;
    }
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'[' | b'{' => depth += 1,
            b'(' if syntax == Syntax::Turtle => depth += 1,
            b']' | b'}' => depth = depth.saturating_sub(1),
            b')' if syntax == Syntax::Turtle => depth = depth.saturating_sub(1),
            b'"' => i = skip_string(bytes, i, b'"', syntax == Syntax::Turtle),
            b'\'' if syntax == Syntax::Turtle => i = skip_string(bytes, i, b'\'', true),
            b'<' if syntax == Syntax::Turtle => i = skip_until(bytes, i + 1, b'>'),
            b'#' if syntax == Syntax::Turtle => i = skip_until(bytes, i + 1, b'\n'),
            _ => {}
        }
        if depth > max {
            return Err(DepthError::TooDeep { max, at: i });
        }
        i += 1;
    }
    Ok(())
}

/// Refuses a `\u` or `\U` escape anywhere in Turtle-family text that is not followed by exactly
/// 4 or 8 ASCII hexadecimal digits (a backslash escaping a backslash is skipped with it).
fn check_escapes(text: &str) -> Result<(), DepthError> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            let digits = match bytes.get(i + 1) {
                Some(b'u') => 4,
                Some(b'U') => 8,
                _ => 0,
            };
            if digits > 0 {
                let hex = bytes.get(i + 2..i + 2 + digits);
                if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                    return Err(DepthError::BadEscape { at: i });
                }
            }
            i += 2;
            continue;
        }
        i += 1;
    }
    Ok(())
}

/// Runs a third-party parser on untrusted text, turning a panic into an error: sophia_turtle 0.10
/// panics on some malformed N-Triples/N-Quads and escapes instead of reporting them (found by
/// fuzzing; `fuzz/`). The body is refused with a 400 like any syntax error, the server lives.
pub fn guarded<T>(parse: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(parse)).map_err(|panic| {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        format!("the document is malformed (the parser stopped: {why})")
    })
}

/// The index of the closing quote of the string opening at `start` (or the end of the text).
fn skip_string(bytes: &[u8], start: usize, quote: u8, long_allowed: bool) -> usize {
    let long = long_allowed && bytes.get(start + 1..start + 3) == Some(&[quote, quote][..]);
    let mut j = if long { start + 3 } else { start + 1 };
    while j < bytes.len() {
        match bytes[j] {
            b'\\' => j += 1,
            q if q == quote && !long => return j,
            q if q == quote && bytes.get(j + 1..j + 3) == Some(&[quote, quote][..]) => {
                return j + 2;
            }
            _ => {}
        }
        j += 1;
    }
    bytes.len()
}

/// The index of the next `end` byte from `from` (or the end of the text).
fn skip_until(bytes: &[u8], from: usize, end: u8) -> usize {
    bytes[from.min(bytes.len())..]
        .iter()
        .position(|b| *b == end)
        .map_or(bytes.len(), |p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(open: &str, close: &str, n: usize) -> String {
        format!("{}{}", open.repeat(n), close.repeat(n))
    }

    #[test]
    fn deep_json_is_refused_at_the_bound() {
        assert!(check_depth(&nested("[", "]", 64), Syntax::Json, 64).is_ok());
        assert_eq!(
            check_depth(&nested("[", "]", 65), Syntax::Json, 64),
            Err(DepthError::TooDeep { max: 64, at: 64 })
        );
        let objects = nested("{\"a\":", "}", 1000);
        assert!(check_depth(&objects, Syntax::Json, 64).is_err());
    }

    #[test]
    fn deep_turtle_collections_and_property_lists_are_refused() {
        for (open, close) in [("(", ")"), ("[ <p> ", "]"), ("{", "}")] {
            let doc = format!("<s> <p> {} .", nested(open, close, 100));
            assert!(
                check_depth(&doc, Syntax::Turtle, 64).is_err(),
                "{open}{close}"
            );
        }
    }

    #[test]
    fn brackets_inside_strings_iris_and_comments_do_not_count() {
        let deep = "[".repeat(100);
        let json = format!("{{\"a\": \"{deep}\\\"{deep}\"}}");
        assert!(check_depth(&json, Syntax::Json, 4).is_ok());
        let ttl = format!(
            "<s{deep}> <p> \"{deep}\", '{deep}', \"\"\"{deep}\"\"\", '''{deep}''' . # {deep}\n<s> <p> ( ( 1 ) ) ."
        );
        assert!(check_depth(&ttl, Syntax::Turtle, 2).is_ok());
        assert!(check_depth(&ttl, Syntax::Turtle, 1).is_err());
    }

    #[test]
    fn turtle_escapes_need_their_hex_digits() {
        // The fuzzer's find: `\u0` then a multi-byte character made sophia_turtle slice inside it.
        let found = "<urn:ex:s> <urn:ex:p> <urn:ex:000:g\\u0:p\u{2070}> .";
        assert_eq!(
            check_depth(found, Syntax::Turtle, 64),
            Err(DepthError::BadEscape { at: 35 })
        );
        for bad in ["\"\\u12\"", "<a\\U0000001>", "\"\\u\"", "\"x\\u"] {
            assert!(check_depth(bad, Syntax::Turtle, 64).is_err(), "{bad}");
        }
        for good in ["\"\\u00e9\"", "<a\\U0001F600>", "\"\\\\u\"", "\"\\n\\t\""] {
            assert!(check_depth(good, Syntax::Turtle, 64).is_ok(), "{good}");
        }
        assert!(
            check_depth("[\"\\u12\"]", Syntax::Json, 64).is_ok(),
            "JSON is not checked"
        );
    }

    #[test]
    fn a_parser_panic_becomes_an_error() {
        assert_eq!(guarded(|| 7), Ok(7));
        let err = guarded(|| -> u8 { panic!("index out of bounds") }).unwrap_err();
        assert!(
            err.contains("malformed") && err.contains("index out of bounds"),
            "{err}"
        );
    }

    #[test]
    fn json_does_not_treat_turtle_delimiters_as_special() {
        let json = "[\"<\", \"#\", \"(((\"]";
        assert!(check_depth(json, Syntax::Json, 1).is_ok());
        let json = "[\"'\", [[]]]";
        assert!(check_depth(json, Syntax::Json, 3).is_ok());
        assert!(check_depth(json, Syntax::Json, 2).is_err());
    }
}
