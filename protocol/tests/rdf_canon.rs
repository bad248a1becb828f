//! The W3C RDFC-1.0 test suite (`tests/data/w3c/rdf-canon/`, vendored), run from its manifest.
//!
//! Every entry of `manifest.jsonld` runs: evaluation tests compare canonical N-Quads byte for byte,
//! map tests compare the issued blank node labels, and the negative test must be refused as too
//! complex. Every test runs through `op_protocol::proof::canon`: the SHA-256 evaluation tests and
//! the negative test through `canonicalize_quads`, the signer's own entry point; the SHA-384
//! variants through `canonicalize_quads_with`, the label maps through `canonical_labels`.
//! [`KNOWN_FAILURES`] lists the tests expected to fail, each with its reason.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use op_protocol::proof::ProofError;
use op_protocol::proof::canon::{
    CanonHash, Quad, canonical_labels, canonicalize_quads, canonicalize_quads_with,
};
use sophia_api::parser::QuadParser;
use sophia_api::source::QuadSource;
use sophia_turtle::parser::nq::NQuadsParser;

/// Tests expected to fail, with the reason. Empty: our canonicalisation passes the whole suite.
const KNOWN_FAILURES: &[(&str, &str)] = &[];

fn suite() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/w3c/rdf-canon")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(suite().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn dataset(path: &str) -> HashSet<Quad> {
    // The map tests compare the input's own labels, so the parser must keep them.
    NQuadsParser::new()
        .with_preserve_bn_labels(true)
        .parse_str(&read(path))
        .collect_quads()
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Runs one manifest entry; `Err` says how it failed.
fn run(entry: &serde_json::Value) -> Result<(), String> {
    let field = |k: &str| entry[k].as_str().unwrap_or_default();
    let input = dataset(field("action"));
    let sha384 = field("hashAlgorithm") == "SHA384";
    match field("type") {
        "rdfc:RDFC10EvalTest" => {
            let got = if sha384 {
                canonicalize_quads_with(&input, CanonHash::Sha384)
            } else {
                canonicalize_quads(&input)
            }
            .map_err(|e| e.to_string())?
            .as_str()
            .to_owned();
            let want = read(field("result"));
            (got == want)
                .then_some(())
                .ok_or(format!("got\n{got}\nwant\n{want}"))
        }
        "rdfc:RDFC10MapTest" => {
            let hash = if sha384 {
                CanonHash::Sha384
            } else {
                CanonHash::Sha256
            };
            let got = canonical_labels(&input, hash).map_err(|e| e.to_string())?;
            let want: BTreeMap<String, String> =
                serde_json::from_str(&read(field("result"))).map_err(|e| e.to_string())?;
            (got == want)
                .then_some(())
                .ok_or(format!("got {got:?}, want {want:?}"))
        }
        "rdfc:RDFC10NegativeEvalTest" => match canonicalize_quads(&input) {
            Err(ProofError::Canonicalization(_)) => Ok(()),
            other => Err(format!("expected a refusal as too complex, got {other:?}")),
        },
        other => Err(format!("unknown test type {other}")),
    }
}

#[test]
fn the_rdfc10_suite_passes_except_known_failures() {
    let manifest: serde_json::Value = serde_json::from_str(&read("manifest.jsonld")).unwrap();
    let entries = manifest["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 86, "the suite has 86 tests");
    let mut unexpected = Vec::new();
    for entry in entries {
        let id = entry["id"].as_str().unwrap().trim_start_matches('#');
        let known = KNOWN_FAILURES.iter().find(|(k, _)| *k == id);
        match (run(entry), known) {
            (Ok(()), None) | (Err(_), Some(_)) => {}
            (Ok(()), Some((_, why))) => unexpected.push(format!(
                "{id} passes now; remove it from KNOWN_FAILURES ({why})"
            )),
            (Err(e), None) => unexpected.push(format!("{id} fails: {e}")),
        }
    }
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n\n"));
}
