//! Crate edges: which of our crates may depend on which, stated once here, checked against the
//! manifests (`cargo metadata`) and against ARCHITECTURE.md's table of edges.

use std::collections::{BTreeMap, BTreeSet};

use super::root;

/// Every edge between our crates (normal, dev and build dependencies alike), and why it exists.
/// A crate that is not listed, or an edge that is not, fails the test: a new edge is a decision
/// to write down here and in ARCHITECTURE.md, not an accident of a `Cargo.toml`.
const EDGES: &[(&str, &[&str], &str)] = &[
    (
        "op-protocol",
        &[],
        "the contract; no I/O, so nothing of ours",
    ),
    ("op-store", &[], "storage knows nothing of what it stores"),
    ("op-cli", &[], "logging and the runtime, for every binary"),
    (
        "op-document",
        &[],
        "one GET of a JSON document; nothing of ours",
    ),
    (
        "op-connector",
        &["op-document", "op-protocol"],
        "what platforms and matchers embed: the contract and the one GET, never a server",
    ),
    (
        "op-hub",
        &["op-cli", "op-document", "op-protocol", "op-store"],
        "the pod server only over HTTP; the backpack reads pods through op-document",
    ),
    (
        "op-pod",
        &["op-cli", "op-document", "op-protocol", "op-store"],
        "the hub only over HTTP; issuer discovery and JWKS through op-document",
    ),
    (
        "op-tests",
        &[
            "op-connector",
            "op-hub",
            "op-pod",
            "op-protocol",
            "op-store",
        ],
        "the integration tests start the servers and drive them through the connector",
    ),
    (
        "openplatforms",
        &[
            "op-cli",
            "op-connector",
            "op-hub",
            "op-pod",
            "op-protocol",
            "op-tests",
        ],
        "hub and pod server in one process, the demo matcher through the connector; tests use the harness",
    ),
];

/// Crates the protocol crate may not depend on: it does no I/O.
const IO_CRATES: &[&str] = &[
    "tokio",
    "reqwest",
    "actix-web",
    "redb",
    "sled",
    "hyper",
    "mio",
];

type Graph = BTreeMap<String, BTreeSet<String>>;

fn ours(name: &str) -> bool {
    name.starts_with("op-") || name == "openplatforms"
}

/// Each workspace crate's dependencies (normal, dev and build), as `cargo metadata` reads the
/// manifests.
fn crate_dependencies() -> Graph {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--offline",
            "--format-version",
            "1",
        ])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["name"].as_str().unwrap().to_owned())
                .collect();
            (p["name"].as_str().unwrap().to_owned(), deps)
        })
        .collect()
}

fn allowed() -> Graph {
    EDGES
        .iter()
        .map(|(from, to, _)| (from.to_string(), to.iter().map(|t| t.to_string()).collect()))
        .collect()
}

/// Where `actual` (every dependency, ours and others) breaks `allowed` (edges between our
/// crates): an edge not allowed, an allowed edge that is gone, a crate in one and not the other,
/// or I/O under the protocol crate.
fn breaches(allowed: &Graph, actual: &Graph) -> Vec<String> {
    let mut out = Vec::new();
    for name in allowed.keys().chain(actual.keys()).collect::<BTreeSet<_>>() {
        let (Some(may), Some(does)) = (allowed.get(name), actual.get(name)) else {
            out.push(format!(
                "{name} is in only one of the edge table and the workspace"
            ));
            continue;
        };
        let does: BTreeSet<String> = does.iter().filter(|d| ours(d)).cloned().collect();
        for extra in does.difference(may) {
            out.push(format!("{name} depends on {extra}, an edge not allowed"));
        }
        for gone in may.difference(&does) {
            out.push(format!(
                "{name} no longer depends on {gone}: remove the edge from the table"
            ));
        }
    }
    if let Some(protocol) = actual.get("op-protocol") {
        for io in protocol.iter().filter(|d| IO_CRATES.contains(&d.as_str())) {
            out.push(format!("op-protocol depends on {io}; it does no I/O"));
        }
    }
    out
}

/// The rows of ARCHITECTURE.md's table of edges between our crates: crate, its dependencies.
fn documented_edges() -> Graph {
    let doc = std::fs::read_to_string(root().join("docs/ARCHITECTURE.md")).unwrap();
    let section = doc
        .split("### Edges between our crates")
        .nth(1)
        .expect("ARCHITECTURE.md has a section \"Edges between our crates\"");
    let names = |cell: &str| -> BTreeSet<String> {
        cell.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    };
    section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .filter_map(|row| {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let from = names(cells.get(1)?).into_iter().next()?;
            Some((from, names(cells.get(2)?)))
        })
        .collect()
}

/// The edges ARCHITECTURE.md promises: the hub and the pod server know each other only over
/// HTTP, the connector (what platforms and matchers embed) needs nothing of ours but the
/// protocol and the one GET, and the protocol crate depends on no I/O.
#[test]
fn crate_edges_are_the_ones_the_architecture_allows() {
    let breaches = breaches(&allowed(), &crate_dependencies());
    assert!(breaches.is_empty(), "crate edges:\n{}", breaches.join("\n"));
}

#[test]
fn the_architecture_documents_the_same_crate_edges() {
    assert_eq!(
        documented_edges(),
        allowed(),
        "ARCHITECTURE.md's \"Edges between our crates\" differs from tests/it/tidy/edges.rs"
    );
}

#[test]
fn a_forbidden_edge_is_a_breach() {
    let mut actual = allowed();
    for deps in actual.values_mut() {
        deps.insert("serde".into());
    }
    assert!(breaches(&allowed(), &actual).is_empty());
    actual
        .get_mut("op-pod")
        .unwrap()
        .insert("op-connector".into());
    actual
        .get_mut("op-protocol")
        .unwrap()
        .insert("tokio".into());
    actual.insert("op-new".into(), BTreeSet::new());
    let found = breaches(&allowed(), &actual);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(
        found
            .iter()
            .any(|b| b.contains("op-pod depends on op-connector"))
    );
    assert!(
        found
            .iter()
            .any(|b| b.contains("op-protocol depends on tokio"))
    );
    assert!(found.iter().any(|b| b.starts_with("op-new")));
}
