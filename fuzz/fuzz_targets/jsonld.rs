//! JSON-LD bodies as a pod receives them (signed records among them): expansion over the pinned
//! contexts never panics or recurses without bound, and what parses writes back as JSON-LD that
//! parses to the same dataset.
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
    |body: &[u8]| {
    let Ok(quads) = rdf::parse(RdfFormat::JsonLd, body, BASE, BUDGET) else {
        return;
    };
    let text = rdf::serialize(&quads, RdfFormat::JsonLd).expect("JSON-LD carries any dataset");
    let again = rdf::parse(RdfFormat::JsonLd, text.as_bytes(), BASE, BUDGET)
        .unwrap_or_else(|e| panic!("JSON-LD we wrote does not parse: {e}\n{text}"));
    // A dataset is a set: expansion may state a quad twice, writing it back states it once.
    let set = |q: &[rdf::Quad]| q.iter().cloned().collect::<std::collections::HashSet<_>>().len();
    assert_eq!(set(&quads), set(&again), "{text}");
});
