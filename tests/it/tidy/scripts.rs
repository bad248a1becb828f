//! The test clients written in JavaScript and Python (`tests/clients/`, `tests/verifier/`,
//! `tests/guides/`, `tests/solid/`): their string literals, found by a small lexer per language, and the check
//! that none of them spells a route path. Those clients take paths from the discovery documents
//! they fetch, from what the Rust test passes them, or from what the servers print and serve.

use std::path::{Path, PathBuf};

use super::literals::Literal;
use super::{root, route_pieces, spelled_route};

/// The languages the test clients are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    JavaScript,
    Python,
}

impl Language {
    fn of(path: &Path) -> Option<Language> {
        match path.extension()?.to_str()? {
            "mjs" | "js" => Some(Language::JavaScript),
            "py" => Some(Language::Python),
            _ => None,
        }
    }
}

/// The folders of the test clients, and whether to descend into their subfolders.
const FOLDERS: &[(&str, bool)] = &[
    ("tests/clients", true),
    ("tests/verifier", false),
    ("tests/guides", false),
    ("tests/solid", false),
];

/// Folders that hold installed packages or caches, never our code.
const NOT_OURS: &[&str] = &["node_modules", "__pycache__", ".venv", "venv"];

fn script_files(dir: &Path, deep: bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if deep && !NOT_OURS.contains(&name.as_str()) {
                script_files(&path, deep, out);
            }
        } else if Language::of(&path).is_some() {
            out.push(path);
        }
    }
}

/// Every test client script, with its path from the repository root and its text.
fn scripts() -> Vec<(String, Language, String)> {
    let mut files = Vec::new();
    for (dir, deep) in FOLDERS {
        script_files(&root().join(dir), *deep, &mut files);
    }
    files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(root()).unwrap().display().to_string();
            let language = Language::of(&p).unwrap();
            (rel, language, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// Every string literal of `source`: in JavaScript plain strings and template literals (with
/// their `${…}` left in the text), skipping comments and regular expression literals; in Python
/// every kind of string (prefixes, triple quotes), skipping comments.
pub fn string_literals(source: &str, language: Language) -> Vec<Literal> {
    let chars: Vec<char> = source.chars().collect();
    let mut lexer = Lexer {
        chars: &chars,
        at: 0,
        line: 1,
        out: Vec::new(),
    };
    match language {
        Language::JavaScript => lexer.javascript(),
        Language::Python => lexer.python(),
    }
    lexer.out
}

struct Lexer<'a> {
    chars: &'a [char],
    at: usize,
    line: usize,
    out: Vec<Literal>,
}

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    /// Moves one character on, counting lines.
    fn bump(&mut self) -> Option<char> {
        let c = self.peek(0)?;
        self.at += 1;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn skip_line(&mut self) {
        while self.peek(0).is_some_and(|c| c != '\n') {
            self.bump();
        }
    }

    /// A string closed by `quote` (one or three characters), escapes kept as written; a string
    /// that must close on its line and does not is dropped.
    fn string(&mut self, quote: &[char], one_line: bool) {
        let line = self.line;
        let mut text = String::new();
        while let Some(c) = self.peek(0) {
            if self.chars[self.at..].starts_with(quote) {
                self.at += quote.len();
                self.out.push(Literal { line, text });
                return;
            }
            if c == '\n' && one_line {
                return;
            }
            text.push(c);
            self.bump();
            if c == '\\'
                && let Some(escaped) = self.bump()
            {
                text.push(escaped);
            }
        }
    }

    fn javascript(&mut self) {
        // The last character of code that is not white space: a `/` after an operand divides,
        // anywhere else it starts a regular expression.
        let mut last = None;
        while let Some(c) = self.peek(0) {
            match (c, self.peek(1)) {
                ('/', Some('/')) => self.skip_line(),
                ('/', Some('*')) => {
                    self.at += 2;
                    while self.peek(0).is_some()
                        && !(self.peek(0) == Some('*') && self.peek(1) == Some('/'))
                    {
                        self.bump();
                    }
                    self.at += 2;
                }
                ('/', _) if regex_may_follow(last, &self.chars[..self.at]) => {
                    self.regex();
                    last = Some('/');
                }
                ('\'' | '"', _) => {
                    self.at += 1;
                    self.string(&[c], true);
                    last = Some(c);
                }
                ('`', _) => {
                    self.at += 1;
                    self.template();
                    last = Some('`');
                }
                _ => {
                    self.bump();
                    if !c.is_whitespace() {
                        last = Some(c);
                    }
                }
            }
        }
    }

    /// A regular expression literal, from its opening `/` to its closing one, outside classes.
    fn regex(&mut self) {
        self.at += 1;
        let mut class = false;
        while let Some(c) = self.peek(0) {
            match c {
                '\n' => return,
                '\\' => {
                    self.at += 1;
                }
                '[' => class = true,
                ']' => class = false,
                '/' if !class => {
                    self.at += 1;
                    return;
                }
                _ => {}
            }
            self.at += 1;
        }
    }

    /// A template literal: its text, each `${…}` kept as written (through nested braces).
    fn template(&mut self) {
        let line = self.line;
        let mut text = String::new();
        while let Some(c) = self.bump() {
            match c {
                '`' => break,
                '\\' => {
                    text.push(c);
                    text.extend(self.bump());
                }
                '$' if self.peek(0) == Some('{') => {
                    text.push(c);
                    let mut depth = 0;
                    while let Some(c) = self.bump() {
                        text.push(c);
                        depth += match c {
                            '{' => 1,
                            '}' => -1,
                            _ => 0,
                        };
                        if depth == 0 {
                            break;
                        }
                    }
                }
                _ => text.push(c),
            }
        }
        self.out.push(Literal { line, text });
    }

    fn python(&mut self) {
        while let Some(c) = self.peek(0) {
            match c {
                '#' => self.skip_line(),
                '\'' | '"' => {
                    let triple = self.peek(1) == Some(c) && self.peek(2) == Some(c);
                    if triple {
                        self.at += 3;
                        self.string(&[c, c, c], false);
                    } else {
                        self.at += 1;
                        self.string(&[c], true);
                    }
                }
                _ => {
                    self.bump();
                }
            }
        }
    }
}

/// Whether a `/` after `last` (the last character of code before it) starts a regular expression
/// rather than dividing: after an operator, an opening bracket, a separator or `return`.
fn regex_may_follow(last: Option<char>, before: &[char]) -> bool {
    match last {
        None => true,
        Some(c) if "(,=:[!&|?{};+-*%<>~^".contains(c) => true,
        Some(_) => {
            let mut word: Vec<char> = before
                .iter()
                .rev()
                .skip_while(|c| c.is_whitespace())
                .take_while(|c| c.is_alphanumeric())
                .copied()
                .collect();
            word.reverse();
            let word: String = word.into_iter().collect();
            matches!(word.as_str(), "return" | "typeof" | "of" | "in" | "case")
        }
    }
}

#[test]
fn the_script_lexers_find_strings_and_skip_comments_and_regular_expressions() {
    let js = r#"// '/token' in a comment
const a = '/token'; /* "/jwks" */ const b = x / 2 / y;
if (/action="([^"]*)"/.test(html)) go(`${hub}/signup?x=${a ? 1 : 2}`, "it's");
return /\/revoke/.exec(s);"#;
    let texts: Vec<(usize, String)> = string_literals(js, Language::JavaScript)
        .into_iter()
        .map(|l| (l.line, l.text))
        .collect();
    assert_eq!(
        texts,
        [
            (2, "/token".to_owned()),
            (3, "${hub}/signup?x=${a ? 1 : 2}".to_owned()),
            (3, "it's".to_owned()),
        ]
    );
    let py = r#"# "/login" in a comment
"""A docstring with "quotes" and '/consent'."""
url = CFG["issuer"] + '/.well-known/openid-configuration'
f"{issuer}/token" + r'\d'"#;
    let texts: Vec<String> = string_literals(py, Language::Python)
        .into_iter()
        .map(|l| l.text)
        .collect();
    assert_eq!(
        texts,
        [
            "A docstring with \"quotes\" and '/consent'.",
            "issuer",
            "/.well-known/openid-configuration",
            "{issuer}/token",
            "\\d",
        ]
    );
}

/// Where the test clients spell a route path, as `path:line: literal spells piece`.
fn spelled_routes(scripts: &[(String, Language, String)]) -> Vec<String> {
    let pieces = route_pieces();
    let mut offenders = Vec::new();
    for (path, language, text) in scripts {
        for literal in string_literals(text, *language) {
            if let Some(piece) = spelled_route(&literal.text, &pieces) {
                offenders.push(format!(
                    "{path}:{}: {:?} spells {piece}",
                    literal.line, literal.text
                ));
            }
        }
    }
    offenders
}

#[test]
fn a_route_spelled_in_a_script_is_found() {
    let scripts = [
        (
            "flows.mjs".to_owned(),
            Language::JavaScript,
            "if (action === '/login') post(`${issuer}/consent`);".to_owned(),
        ),
        (
            "flows.py".to_owned(),
            Language::Python,
            "requests.get(CFG[\"issuer\"] + \"/.well-known/openid-configuration\")\n# '/token'"
                .to_owned(),
        ),
    ];
    assert_eq!(
        spelled_routes(&scripts),
        [
            "flows.mjs:1: \"/login\" spells /login",
            "flows.mjs:1: \"${issuer}/consent\" spells /consent",
            "flows.py:1: \"/.well-known/openid-configuration\" spells /.well-known/openid-configuration",
        ]
    );
}

/// The JavaScript and Python clients spell no route either: a renamed route would otherwise
/// break them only when the tool they need is installed.
#[test]
fn route_paths_are_not_spelled_in_the_test_clients() {
    let scripts = scripts();
    for expected in [
        "tests/clients/node/flows.mjs",
        "tests/clients/python/flows.py",
        "tests/verifier/verify.mjs",
        "tests/guides/run.mjs",
        "tests/solid/clients.mjs",
    ] {
        assert!(
            scripts.iter().any(|(path, _, _)| path == expected),
            "{expected} is scanned"
        );
    }
    let offenders = spelled_routes(&scripts);
    assert!(
        offenders.is_empty(),
        "route paths spelled by hand in the test clients; take them from discovery or from the Rust test:\n{}",
        offenders.join("\n")
    );
}
