//! Turtle, TriG, N-Triples and N-Quads bodies as a pod receives them: parsing never panics,
//! stays within its budget, and whatever parses survives a serialise → parse round trip as the
//! same graph (compared in RDFC-1.0 canonical form).
#![no_main]

use libfuzzer_sys::fuzz_target;
use op_pod::pod::rdf::{self, Budget};
use op_protocol::media::RdfFormat;

const BASE: &str = "http://pod.fuzz/alice/doc";
const BUDGET: Budget = Budget {
    max_triples: 2_000,
    max_bytes: 256 * 1024,
};

fuzz_target!(
    // A panic the code under test catches (`op_protocol::bounded::guarded` around a third-party
    // parser) is an answered request, not a crash: report it without libfuzzer-sys's abort. A
    // panic nothing catches still aborts (libfuzzer-sys's own catch) and is a finding.
    init: std::panic::set_hook(Box::new(|info| eprintln!("caught: {info}"))),
    |data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let formats = [
        RdfFormat::Turtle,
        RdfFormat::TriG,
        RdfFormat::NTriples,
        RdfFormat::NQuads,
    ];
    let format = formats[usize::from(selector) % formats.len()];
    let Ok(quads) = rdf::parse(format, body, BASE, BUDGET) else {
        return;
    };
    assert!(quads.len() <= BUDGET.max_triples);
    for to in [format, RdfFormat::NQuads] {
        let Ok(text) = rdf::serialize(&quads, to) else {
            continue;
        };
        let again = rdf::parse(to, text.as_bytes(), BASE, BUDGET)
            .unwrap_or_else(|e| panic!("{to:?} we wrote does not parse: {e}\n{text}"));
        if let (Some(before), Some(after)) = (canonical(&quads), canonical(&again)) {
            assert_eq!(before, after, "round trip through {to:?} changed the graph:\n{text}");
        }
    }
});

/// The dataset in RDFC-1.0 canonical form, so blank node labels do not matter; `None` when the
/// canonicalisation gives up (it bounds its own work on pathological blank node structures).
fn canonical(quads: &[rdf::Quad]) -> Option<String> {
    let set: std::collections::HashSet<_> = quads.iter().cloned().collect();
    op_protocol::proof::canon::canonicalize_quads(&set)
        .ok()
        .map(|c| c.as_str().to_owned())
}
