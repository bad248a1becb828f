//! Tidy: checks of layout and written rules that code review would otherwise have to catch.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn sources() -> Vec<(String, String)> {
    let mut files = Vec::new();
    for dir in [
        "protocol",
        "store",
        "hub",
        "pod-server",
        "connector",
        "src",
        "tests",
    ] {
        rust_files(&root().join(dir), &mut files);
    }
    files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(root()).unwrap().display().to_string();
            (rel, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

#[test]
fn every_rust_file_opens_with_a_doc_line() {
    let missing: Vec<String> = sources()
        .into_iter()
        .filter(|(_, text)| !text.starts_with("//!"))
        .map(|(path, _)| path)
        .collect();
    assert!(
        missing.is_empty(),
        "files without a leading //! line: {missing:?}"
    );
}

#[test]
fn only_http_modules_and_wiring_name_actix_web() {
    let allowed = |path: &str| {
        path.contains("/src/http/")
            || path.starts_with("src/http/")
            || path.ends_with("/src/server.rs")
            || path.ends_with("main.rs")
            || path.starts_with("tests/")
    };
    let offenders: Vec<String> = sources()
        .into_iter()
        .filter(|(path, text)| !allowed(path) && text.contains("actix_web"))
        .map(|(path, _)| path)
        .collect();
    assert!(
        offenders.is_empty(),
        "actix_web named outside http/: {offenders:?}"
    );
}

#[test]
fn the_protocol_crate_does_no_io() {
    for (path, text) in sources() {
        if !path.starts_with("protocol/src/") {
            continue;
        }
        let code: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect();
        for banned in ["std::fs", "std::net", "tokio", "reqwest", "std::process"] {
            assert!(
                !code.iter().any(|l| l.contains(banned)),
                "{path} uses {banned}"
            );
        }
    }
}

#[test]
fn route_paths_are_spelled_only_in_the_protocol_crate() {
    for (path, text) in sources() {
        if path.starts_with("protocol/") || path.starts_with("tests/") || path.ends_with(".md") {
            continue;
        }
        for literal in ["\"/.admin/pods\"", "\"/.well-known/op-health\""] {
            assert!(
                !text.contains(literal),
                "{path} spells {literal}; use op_protocol::routes"
            );
        }
    }
}
