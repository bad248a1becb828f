//! Tidy: checks of layout and written rules that code review would otherwise have to catch.

mod codemap;
mod edges;
mod literals;
mod scripts;
mod size;

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
        // npm's packages are not ours (some ship Rust sources).
        if path.ends_with("node_modules") {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The folder of every workspace member, as the root `Cargo.toml` lists them, and the root
/// package's `src/`: a new crate is checked without being added here.
fn workspace_folders() -> Vec<String> {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let members = manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix("members = ["))
        .expect("the root Cargo.toml lists its members on one line");
    let mut folders: Vec<String> = members
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    folders.push("src".into());
    for expected in [
        "protocol",
        "store",
        "hub",
        "pod-server",
        "connector",
        "tests",
    ] {
        assert!(folders.iter().any(|f| f == expected), "{folders:?}");
    }
    folders
}

fn sources() -> Vec<(String, String)> {
    let mut files = Vec::new();
    for dir in workspace_folders() {
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
        // Address types (`std::net::IpAddr`) are data; sockets and name lookups are I/O.
        for banned in [
            "std::fs",
            "TcpStream",
            "TcpListener",
            "UdpSocket",
            "ToSocketAddrs",
            "tokio",
            "reqwest",
            "std::process",
        ] {
            assert!(
                !code.iter().any(|l| l.contains(banned)),
                "{path} uses {banned}"
            );
        }
    }
}

/// The path pieces `op_protocol::routes` spells: every literal there that starts with `/`, and
/// every piece of a builder's format string that follows a placeholder (`/revoke` in
/// `"{HUB_GRANTS}/{grant_id}/revoke"`). Paths inside a pod (`gigs/`, `profile/card`) are the
/// pod's data layout, which tests choose freely, not routes.
fn route_pieces() -> Vec<String> {
    let routes = std::fs::read_to_string(root().join("protocol/src/routes.rs")).unwrap();
    let mut pieces = std::collections::BTreeSet::new();
    for literal in literals::string_literals(&routes) {
        let text = literal.text;
        for at in path_starts(&text) {
            let piece: String = text[at..].chars().take_while(|&c| c != '{').collect();
            if piece.starts_with('/') && piece.len() > 1 {
                pieces.insert(piece);
            }
        }
    }
    pieces.into_iter().collect()
}

/// Where a path can start inside a literal: at its start and after a format placeholder
/// (`"{hub}/token"`). Absolute URLs with a host of their own (`"https://hub.example/platforms/a"`)
/// are examples a parser is tested on, not requests to our servers.
fn path_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('}').map(|(at, _)| at + 1))
        .collect()
}

/// The route piece a literal spells by hand, if any.
fn spelled_route<'p>(text: &str, pieces: &'p [String]) -> Option<&'p str> {
    path_starts(text).into_iter().find_map(|at| {
        let rest = &text[at..];
        pieces.iter().map(String::as_str).find(|piece| {
            rest.strip_prefix(piece).is_some_and(|after| {
                piece.ends_with('/') || after.is_empty() || after.starts_with(['/', '?', '#', '{'])
            })
        })
    })
}

#[test]
fn route_pieces_are_read_from_the_protocol_crate() {
    let pieces = route_pieces();
    for piece in [
        "/token",
        "/admin/clients",
        "/.admin/pods",
        "/revoke",
        "/status/",
        "/keys",
    ] {
        assert!(pieces.iter().any(|p| p == piece), "{piece} in {pieces:?}");
    }
    assert_eq!(spelled_route("/token", &pieces), Some("/token"));
    assert_eq!(spelled_route("{}/{}/revoke", &pieces), Some("/revoke"));
    assert_eq!(
        spelled_route("{hub}/admin/clients?x", &pieces),
        Some("/admin/clients")
    );
    assert_eq!(
        spelled_route("https://hub.example/platforms/a", &pieces),
        None
    );
    assert_eq!(spelled_route("/tokens", &pieces), None);
    assert_eq!(
        spelled_route("/credentialStatus/statusListIndex", &pieces),
        None
    );
}

/// Every route path comes from `op_protocol::routes`: no string literal outside that file — in
/// the servers, the connector, the binaries or the tests — starts a path with a piece of one.
#[test]
fn route_paths_are_spelled_only_in_the_protocol_crate() {
    let pieces = route_pieces();
    let mut offenders = Vec::new();
    for (path, text) in sources() {
        // The routes themselves, and the tidy test's examples of what its checks catch.
        if path == "protocol/src/routes.rs"
            || path == "tests/it/tidy.rs"
            || path.starts_with("tests/it/tidy/")
        {
            continue;
        }
        for literal in literals::string_literals(&text) {
            if let Some(piece) = spelled_route(&literal.text, &pieces) {
                offenders.push(format!(
                    "{path}:{}: {:?} spells {piece}",
                    literal.line, literal.text
                ));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "route paths spelled by hand; use op_protocol::routes:\n{}",
        offenders.join("\n")
    );
}

/// The hub's tables share one key space, told apart by a one-byte prefix declared next to each
/// record type: two tables on one prefix would read each other's records.
#[test]
fn hub_tables_have_distinct_prefixes() {
    let mut seen = std::collections::BTreeMap::new();
    for (path, text) in sources() {
        if !path.starts_with("hub/src/") {
            continue;
        }
        for (at, found) in text.match_indices("Table::new(b'") {
            let prefix = text[at + found.len()..].chars().next().unwrap();
            if let Some(other) = seen.insert(prefix, path.clone()) {
                panic!("hub tables in {other} and {path} share the prefix '{prefix}'");
            }
        }
    }
    assert!(seen.len() >= 10, "found the hub's tables: {seen:?}");
}

/// Files that wire a program together and so may pick the system clock: servers' `start`, the
/// command lines, the all-in-one `up`, binaries, and tests (which mostly pass a manual clock).
fn is_wiring(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    matches!(file, "server.rs" | "main.rs" | "cli.rs" | "up.rs")
        || path.contains("/bin/")
        || path.starts_with("tests/")
        || path.contains("/tests/")
        || path.contains("/benches/")
        || path == "protocol/src/clock.rs"
}

/// Code lines of a file: comments dropped, so a sentence about the rule is not a breach of it.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(n, l)| (n + 1, l))
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
}

/// Time is an input: domain code takes the `Clock` its caller wired in, so a manual clock in a
/// test reaches everything.
#[test]
fn only_wiring_picks_the_system_clock() {
    let offenders: Vec<String> = sources()
        .into_iter()
        .filter(|(path, _)| !is_wiring(path))
        .flat_map(|(path, text)| {
            code_lines(&text)
                .filter(|(_, l)| l.contains("Clock::system()"))
                .map(|(n, _)| format!("{path}:{n}"))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "Clock::system() outside wiring: {offenders:?}"
    );
}

/// What makes a `static` process-global state rather than a constant table.
const INTERIOR_MUTABILITY: &[&str] = &[
    "OnceLock",
    "LazyLock",
    "OnceCell",
    "Lazy<",
    "Mutex",
    "RwLock",
    "Atomic",
    "Cell<",
    "static mut",
];

fn global_state(line: &str) -> bool {
    // A `static` item (not the `'static` lifetime) anywhere on the line, with a type that can
    // change behind a shared reference.
    let declares_static = line.match_indices("static ").any(|(at, _)| {
        line[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '\''))
    });
    (declares_static && INTERIOR_MUTABILITY.iter().any(|m| line.contains(m)))
        || line.contains("thread_local!")
        || line.contains("lazy_static!")
}

#[test]
fn global_state_is_recognised() {
    assert!(global_state(
        "    static DUMMY: std::sync::OnceLock<String> = OnceLock::new();"
    ));
    assert!(global_state(
        "pub static COUNT: AtomicU64 = AtomicU64::new(0);"
    ));
    assert!(global_state("static mut N: u32 = 0;"));
    assert!(global_state("thread_local! {"));
    assert!(global_state(
        "fn f() { static Y: OnceLock<u8> = OnceLock::new(); }"
    ));
    assert!(!global_state("static EN: Text = Text {"));
    assert!(!global_state("fn f() -> &'static str { \"Mutex\" }"));
}

/// No process-global state in the servers: they take their state in, so tests run many hubs and
/// pod servers in one process without one seeing another's.
#[test]
fn servers_keep_no_process_global_state() {
    let offenders: Vec<String> = sources()
        .into_iter()
        .filter(|(path, _)| path.starts_with("hub/src/") || path.starts_with("pod-server/src/"))
        .flat_map(|(path, text)| {
            code_lines(&text)
                .filter(|(_, l)| global_state(l))
                .map(|(n, l)| format!("{path}:{n}: {}", l.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(offenders.is_empty(), "process-global state: {offenders:?}");
}
