//! ARCHITECTURE.md's code map against the tree: every path it names exists, and every source
//! file and folder of our crates is named in it, so the map a newcomer reads first is the tree
//! they will open.

use std::path::{Path, PathBuf};

use super::size::{is_test_file, test_modules};
use super::{root, rust_files, workspace_folders};

/// One row of the code map: the path in its first column, the backticked names in its last.
struct Row {
    paths: Vec<String>,
    names: Vec<String>,
}

/// `a/{b,c}.rs` as `a/b.rs` and `a/c.rs`; anything else as itself.
fn expand(name: &str) -> Vec<String> {
    match (name.find('{'), name.find('}')) {
        (Some(open), Some(close)) if open < close => name[open + 1..close]
            .split(',')
            .map(|part| format!("{}{part}{}", &name[..open], &name[close + 1..]))
            .collect(),
        _ => vec![name.to_owned()],
    }
}

fn backticked(text: &str) -> impl Iterator<Item = &str> {
    text.split('`').skip(1).step_by(2)
}

/// The rows of the code map in `doc`.
fn rows(doc: &str) -> Vec<Row> {
    let map = doc
        .split("## Code map")
        .nth(1)
        .expect("ARCHITECTURE.md has a code map")
        .split("\n## ")
        .next()
        .unwrap();
    map.lines()
        .filter(|l| l.starts_with("| `"))
        .map(|row| {
            let cells: Vec<&str> = row.split(" | ").collect();
            Row {
                paths: backticked(cells[0]).take(1).flat_map(expand).collect(),
                names: backticked(cells.last().unwrap()).flat_map(expand).collect(),
            }
        })
        .collect()
}

/// Whether a backticked name is a file the map promises: a source file, a script or a document.
fn names_a_file(name: &str) -> bool {
    !name.contains(' ')
        && [".rs", ".mjs", ".py", ".sh", ".md"]
            .iter()
            .any(|ext| name.ends_with(ext))
}

/// Every file under `dir`, as paths from the root.
fn all_files(dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy();
        if name == "node_modules" || name == "target" || name.starts_with(".git") {
            continue;
        }
        if path.is_dir() {
            all_files(&path, out);
        } else {
            out.push(path.strip_prefix(root()).unwrap().display().to_string());
        }
    }
}

/// Names in `rows` that lead nowhere in `files`: a first-column path that does not exist, or a
/// file named in a row that is neither under the row's path, nor a path from the root, nor a
/// document in `docs/`.
fn dangling(rows: &[Row], files: &[String], exists: impl Fn(&str) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    for row in rows {
        for path in &row.paths {
            if !exists(path) {
                out.push(format!("{path} does not exist"));
            }
        }
        let base = match row.paths.first() {
            Some(p) if p.ends_with('/') => p.clone(),
            Some(p) => p
                .rsplit_once('/')
                .map_or(String::new(), |(d, _)| format!("{d}/")),
            None => String::new(),
        };
        for name in row.names.iter().filter(|n| names_a_file(n)) {
            // A document is named by its file name wherever it is mentioned.
            let found = files.iter().any(|f| {
                f == name
                    || *f == format!("docs/{name}")
                    || (f.starts_with(&base) && f.ends_with(&format!("/{name}")))
            });
            if !found {
                out.push(format!("{name} (in the row of {base}) does not exist"));
            }
        }
    }
    out
}

/// Source files and folders under `src/` of our crates that no name in `rows` names: by file
/// name (`rdf.rs`), by a path ending in it (`rdf/jsonld.rs`), by module name (`routes`), or a
/// folder by a path through it (`link/profile.rs` names `link/`).
fn unnamed(rows: &[Row], sources: &[PathBuf]) -> Vec<String> {
    let names: Vec<&str> = rows
        .iter()
        .flat_map(|r| r.paths.iter().chain(&r.names))
        .map(String::as_str)
        .collect();
    let named_file = |file: &str, stem: &str| {
        names
            .iter()
            .any(|n| *n == file || n.ends_with(&format!("/{file}")) || *n == stem)
    };
    let named_folder = |folder: &str| {
        let through = format!("{folder}/");
        names
            .iter()
            .any(|n| n.starts_with(&through) || n.contains(&format!("/{through}")))
    };
    let mut out = std::collections::BTreeSet::new();
    for path in sources {
        let file = path.file_name().unwrap().to_string_lossy();
        let stem = path.file_stem().unwrap().to_string_lossy();
        if !matches!(file.as_ref(), "lib.rs" | "main.rs" | "mod.rs") && !named_file(&file, &stem) {
            out.insert(path.display().to_string());
        }
        // Folders inside `src/`: `hub/src/http/`, `pod-server/src/pod/rdf/`.
        let mut folder = path.parent();
        while let Some(dir) = folder.filter(|d| !d.ends_with("src")) {
            let name = dir.file_name().unwrap().to_string_lossy();
            if !named_folder(&name) {
                out.insert(format!("{}/", dir.display()));
            }
            folder = dir.parent();
        }
    }
    out.into_iter().collect()
}

fn architecture() -> String {
    std::fs::read_to_string(root().join("docs/ARCHITECTURE.md")).unwrap()
}

#[test]
fn every_path_the_code_map_names_exists() {
    let mut files = Vec::new();
    all_files(&root(), &mut files);
    let rows = rows(&architecture());
    assert!(rows.len() > 10, "found the code map's rows");
    let missing = dangling(&rows, &files, |p| root().join(p).exists());
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md's code map names what is not in the tree:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_source_file_is_in_the_code_map() {
    let mut paths = Vec::new();
    for folder in workspace_folders().iter().filter(|f| *f != "tests") {
        rust_files(&root().join(folder), &mut paths);
    }
    let texts: Vec<(PathBuf, String)> = paths
        .iter()
        .map(|p| {
            let rel = p.strip_prefix(root()).unwrap().to_owned();
            (rel, std::fs::read_to_string(p).unwrap())
        })
        .collect();
    let tests: Vec<PathBuf> = texts.iter().flat_map(|(p, t)| test_modules(p, t)).collect();
    let sources: Vec<PathBuf> = texts
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| !is_test_file(p) && p.components().any(|c| c.as_os_str() == "src"))
        .filter(|p| !tests.contains(p))
        .collect();
    let unnamed = unnamed(&rows(&architecture()), &sources);
    assert!(
        unnamed.is_empty(),
        "name these in ARCHITECTURE.md's code map:\n{}",
        unnamed.join("\n")
    );
}

#[test]
fn the_code_map_check_finds_what_is_missing_on_either_side() {
    let doc = "## Code map\n\n| path | crate | what |\n| --- | --- | --- |\n\
        | `hub/` | lib | `account.rs` (accounts), `gone.rs`, `http/`: `pages.rs` |\n\
        | `pod-server/src/{config,server}.rs` | | config, start |\n\n## Records\n";
    let rows = rows(doc);
    let files: Vec<String> = [
        "hub/src/account.rs",
        "hub/src/http/pages.rs",
        "pod-server/src/config.rs",
    ]
    .map(String::from)
    .to_vec();
    let exists = |p: &str| p == "hub/" || files.iter().any(|f| f == p);
    assert_eq!(
        dangling(&rows, &files, exists),
        [
            "gone.rs (in the row of hub/) does not exist",
            "pod-server/src/server.rs does not exist",
        ]
    );
    let sources: Vec<PathBuf> = [
        "hub/src/account.rs",
        "hub/src/lib.rs",
        "hub/src/http/pages.rs",
        "hub/src/new.rs",
        "hub/src/link/profile.rs",
        "pod-server/src/config.rs",
    ]
    .map(PathBuf::from)
    .to_vec();
    assert_eq!(
        unnamed(&rows, &sources),
        ["hub/src/link/", "hub/src/link/profile.rs", "hub/src/new.rs"]
    );
}
