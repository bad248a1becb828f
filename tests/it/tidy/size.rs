//! File size: no source file holds more than about 400 lines of code that is not a test, so a
//! newcomer can read any one of them in a sitting (STYLE.md, "Sizes and names").
//!
//! A file's code is its lines before its `#[cfg(test)]` module; files that are test modules
//! themselves (`#[cfg(test)] mod x;`), integration tests and benchmarks are not bound.

use std::path::{Path, PathBuf};

use super::{root, rust_files, workspace_folders};

/// The most lines of code, tests excluded, in one source file.
const MAX_LINES: usize = 400;

/// The files `text` (the file at `path`) declares as test modules: `#[cfg(test)]` then `mod x;`.
pub(super) fn test_modules(path: &Path, text: &str) -> Vec<PathBuf> {
    let file = path.file_stem().unwrap().to_string_lossy();
    let dir = if matches!(file.as_ref(), "mod" | "lib" | "main") {
        path.parent().unwrap().to_owned()
    } else {
        path.with_extension("")
    };
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    lines
        .windows(2)
        .filter(|w| w[0] == "#[cfg(test)]")
        .filter_map(|w| {
            let name = w[1]
                .trim_start_matches("pub ")
                .strip_prefix("mod ")?
                .strip_suffix(';')?;
            Some([
                dir.join(format!("{name}.rs")),
                dir.join(name).join("mod.rs"),
            ])
        })
        .flatten()
        .collect()
}

/// Lines of code before the file's test module.
fn code_lines(text: &str) -> usize {
    text.lines()
        .take_while(|l| !l.starts_with("#[cfg(test)]"))
        .count()
}

/// Whether `path` (from the repository root) is a test or benchmark by where it sits.
pub(super) fn is_test_file(path: &Path) -> bool {
    path.components()
        .any(|c| matches!(c.as_os_str().to_str(), Some("tests" | "benches")))
}

/// Source files over [`MAX_LINES`] lines of code among `files` (path from the root, text).
fn oversized(files: &[(PathBuf, String)]) -> Vec<String> {
    let tests: Vec<PathBuf> = files
        .iter()
        .flat_map(|(path, text)| test_modules(path, text))
        .collect();
    files
        .iter()
        .filter(|(path, _)| !is_test_file(path) && !tests.contains(path))
        .filter(|(_, text)| code_lines(text) > MAX_LINES)
        .map(|(path, text)| {
            format!(
                "{}: {} lines before its tests",
                path.display(),
                code_lines(text)
            )
        })
        .collect()
}

#[test]
fn no_source_file_is_longer_than_a_newcomer_can_hold() {
    // The test package is bound by nothing here: all of it is tests.
    let mut paths = Vec::new();
    for folder in workspace_folders().iter().filter(|f| *f != "tests") {
        rust_files(&root().join(folder), &mut paths);
    }
    let files: Vec<(PathBuf, String)> = paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p.strip_prefix(root()).unwrap().to_owned(), text)
        })
        .collect();
    let over = oversized(&files);
    assert!(
        over.is_empty(),
        "split these by noun into files of at most {MAX_LINES} lines of code:\n{}",
        over.join("\n")
    );
}

#[test]
fn a_long_file_is_found_and_its_tests_are_not_counted() {
    let code = "//! A file.\n".repeat(MAX_LINES);
    let tests = "#[cfg(test)]\nmod tests {\n".to_owned() + &"// test\n".repeat(500) + "}\n";
    let long = code.clone() + "fn one_more() {}\n";
    let files = vec![
        (PathBuf::from("hub/src/fine.rs"), code.clone() + &tests),
        (PathBuf::from("hub/src/long.rs"), long.clone()),
        (PathBuf::from("hub/tests/long.rs"), long.clone()),
        (
            PathBuf::from("hub/src/http/mod.rs"),
            "#[cfg(test)]\nmod handler_tests;\n".into(),
        ),
        (PathBuf::from("hub/src/http/handler_tests.rs"), long.clone()),
        (
            PathBuf::from("hub/src/pod.rs"),
            "//! Pods.\n#[cfg(test)]\nmod contract;\n".into(),
        ),
        (PathBuf::from("hub/src/pod/contract.rs"), long),
    ];
    assert_eq!(
        oversized(&files),
        ["hub/src/long.rs: 401 lines before its tests"]
    );
}
