//! PATCH bodies: N3 Patch and SPARQL Update. Parsing never panics; applying a parsed patch to a
//! small document stays within its step budget and leaves a document that serialises as Turtle
//! and parses again (no literal subjects, no broken terms).
#![no_main]

use libfuzzer_sys::fuzz_target;
use op_pod::pod::patch::{N3Patch, Patch, PatchLimits, sparql};
use op_pod::pod::rdf::{self, Budget};
use op_protocol::media::RdfFormat;

const BASE: &str = "http://pod.fuzz/alice/doc";
const LIMITS: PatchLimits = PatchLimits {
    max_patterns: 8,
    max_steps: 20_000,
    budget: Budget {
        max_triples: 1_000,
        max_bytes: 64 * 1024,
    },
};
const DOC: &str = "@prefix ex: <http://example.org/>. <#a> ex:p <#b>, \"1\"; ex:q _:x. _:x ex:r <#a>.";

fuzz_target!(
    // A panic the code under test catches (`op_protocol::bounded::guarded` around a third-party
    // parser) is an answered request, not a crash: report it without libfuzzer-sys's abort. A
    // panic nothing catches still aborts (libfuzzer-sys's own catch) and is a finding.
    init: std::panic::set_hook(Box::new(|info| eprintln!("caught: {info}"))),
    |data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(body) else {
        return;
    };
    let patch: Patch = if selector % 2 == 0 {
        match N3Patch::parse(text, BASE, LIMITS) {
            Ok(p) => p.into(),
            Err(_) => return,
        }
    } else {
        match sparql::parse(text, BASE, LIMITS) {
            Ok(p) => p,
            Err(_) => return,
        }
    };
    let doc = rdf::parse(RdfFormat::Turtle, DOC.as_bytes(), BASE, LIMITS.budget).unwrap();
    let Ok(patched) = patch.apply(doc) else {
        return;
    };
    let turtle = rdf::serialize(&patched, RdfFormat::Turtle).expect("a patched document serialises");
    rdf::parse(RdfFormat::Turtle, turtle.as_bytes(), BASE, rdf::Budget {
        max_triples: 100_000,
        max_bytes: 16 * 1024 * 1024,
    })
    .unwrap_or_else(|e| panic!("the patched document does not parse back: {e}\n{turtle}"));
});
