//! The string literals of a Rust source file, found by a small lexer that knows comments, char
//! literals, lifetimes, raw strings and escapes — enough to tell `"/token"` in code from the same
//! text in a comment.

/// One string literal: its 1-based line and its text between the quotes (escapes left as written).
pub struct Literal {
    pub line: usize,
    pub text: String,
}

/// Every string literal (plain, byte, raw, raw byte, C) in `source`, in order.
pub fn string_literals(source: &str) -> Vec<Literal> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    let count_lines =
        |from: usize, to: usize| chars[from..to].iter().filter(|&&c| c == '\n').count();
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let start = i;
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            line += count_lines(start, i);
        } else if c == '\'' {
            i = skip_char_or_lifetime(&chars, i);
        } else if let Some((body_start, hashes)) = raw_string_start(&chars, i) {
            let closing: String = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let mut end = body_start;
            while end < chars.len() && !starts_with(&chars, end, &closing) {
                end += 1;
            }
            out.push(Literal {
                line,
                text: chars[body_start..end].iter().collect(),
            });
            line += count_lines(i, end);
            i = end + closing.chars().count();
        } else if c == '"'
            || (matches!(c, 'b' | 'c') && next == Some('"') && !ident_before(&chars, i))
        {
            let body_start = if c == '"' { i + 1 } else { i + 2 };
            let mut end = body_start;
            while end < chars.len() && chars[end] != '"' {
                end += if chars[end] == '\\' { 2 } else { 1 };
            }
            out.push(Literal {
                line,
                text: chars[body_start..end.min(chars.len())].iter().collect(),
            });
            line += count_lines(i, end.min(chars.len()));
            i = end + 1;
        } else if c.is_alphanumeric() || c == '_' {
            // Skip a whole identifier so that the `b` or `r` ending one (`verb"`, never valid Rust,
            // or `r#type`) is not read as a literal's prefix.
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            if i < chars.len() && chars[i] == '#' && chars[i - 1] == 'r' {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    out
}

fn starts_with(chars: &[char], at: usize, text: &str) -> bool {
    text.chars()
        .enumerate()
        .all(|(k, c)| chars.get(at + k) == Some(&c))
}

fn ident_before(chars: &[char], at: usize) -> bool {
    at > 0 && (chars[at - 1].is_alphanumeric() || chars[at - 1] == '_')
}

/// `r"`, `r#"`, `br##"`, `cr"` …: where the body starts and how many `#` close it.
fn raw_string_start(chars: &[char], at: usize) -> Option<(usize, usize)> {
    if ident_before(chars, at) {
        return None;
    }
    let mut i = at;
    if matches!(chars.get(i), Some('b' | 'c')) {
        i += 1;
    }
    if chars.get(i) != Some(&'r') {
        return None;
    }
    i += 1;
    let mut hashes = 0;
    while chars.get(i) == Some(&'#') {
        hashes += 1;
        i += 1;
    }
    (chars.get(i) == Some(&'"')).then_some((i + 1, hashes))
}

/// Past a char literal (`'a'`, `'\''`, `'\u{1F600}'`) or a lifetime (`'a`, `'static`).
fn skip_char_or_lifetime(chars: &[char], at: usize) -> usize {
    match (chars.get(at + 1), chars.get(at + 2)) {
        (Some('\\'), _) => {
            // The escaped character itself may be a quote (`'\''`).
            let mut i = at + 3;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i + 1
        }
        (Some(_), Some('\'')) => at + 3,
        _ => at + 1,
    }
}

#[test]
fn the_lexer_finds_literals_and_skips_comments_chars_and_lifetimes() {
    let source = r####"
        // "/in-a-comment"
        /* "/in /* a nested */ block" */
        fn f<'a>(x: &'a str) -> char { let q = '"'; let e = '\''; q }
        let a = "/plain \" still";
        let b = b"/bytes";
        let c = r#"/raw "quoted""#;
        let d = br"/raw-bytes";
        let r#type = "/after-raw-ident";
    "####;
    let found: Vec<(usize, String)> = string_literals(source)
        .into_iter()
        .map(|l| (l.line, l.text))
        .collect();
    assert_eq!(
        found,
        [
            (5, r#"/plain \" still"#.to_owned()),
            (6, "/bytes".to_owned()),
            (7, r#"/raw "quoted""#.to_owned()),
            (8, "/raw-bytes".to_owned()),
            (9, "/after-raw-ident".to_owned()),
        ]
    );
}
