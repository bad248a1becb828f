//! Request paths and pod names: a parsed path never holds dot segments, empty segments, `/` in a
//! segment, NUL or control characters, and prints back to a path that parses to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use op_protocol::path::{PathError, PodName, ResourcePath};

fuzz_target!(
    // A panic the code under test catches (`op_protocol::bounded::guarded` around a third-party
    // parser) is an answered request, not a crash: report it without libfuzzer-sys's abort. A
    // panic nothing catches still aborts (libfuzzer-sys's own catch) and is a finding.
    init: std::panic::set_hook(Box::new(|info| eprintln!("caught: {info}"))),
    |raw: &str| {
    if let Ok(path) = ResourcePath::parse(raw) {
        for segment in path.segments() {
            assert!(!segment.is_empty() && segment != "." && segment != "..", "{raw:?}");
            assert!(!segment.contains('/'), "{raw:?}");
            assert!(!segment.chars().any(char::is_control), "{raw:?}");
        }
        // Printing percent-encodes, so the printed form may outgrow the length bound.
        match ResourcePath::parse(&path.to_string()) {
            Err(PathError::TooLong) => {}
            Err(e) => panic!("{raw:?} → {path} does not parse back: {e}"),
            Ok(again) => assert_eq!(again, path, "{raw:?}"),
        }
    }
    if let Ok(name) = PodName::parse(raw) {
        assert_eq!(PodName::parse(name.as_str()).ok(), Some(name), "{raw:?}");
    }
});
