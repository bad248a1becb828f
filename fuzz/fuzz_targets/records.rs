//! What a platform's export and a matcher's fetch bring: Gig Data Standard exports, status list
//! bitstrings (compressed) and credentials to verify. Each parses or is refused; none panics or
//! expands without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use op_protocol::record::gigdata::GigExport;
use op_protocol::status::StatusList;

fuzz_target!(
    // A panic the code under test catches (`op_protocol::bounded::guarded` around a third-party
    // parser) is an answered request, not a crash: report it without libfuzzer-sys's abort. A
    // panic nothing catches still aborts (libfuzzer-sys's own catch) and is a finding.
    init: std::panic::set_hook(Box::new(|info| eprintln!("caught: {info}"))),
    |text: &str| {
    let _ = GigExport::from_json(text);
    if let Ok(list) = StatusList::decode("https://hub.fuzz/status/1", text) {
        assert_eq!(
            StatusList::decode("https://hub.fuzz/status/1", &list.encode()).unwrap().len(),
            list.len()
        );
    }
    if let Ok(document) = serde_json::from_str::<serde_json::Value>(text) {
        let _ = op_protocol::proof::canon::canonicalize(&document);
    }
});
