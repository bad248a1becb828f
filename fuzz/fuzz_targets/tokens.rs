//! What arrives in headers and forms: DPoP proofs, RFC 9396 `authorization_details`, multibase
//! and `did:key` strings, RFC 3339 times. Each either parses or is refused; none panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use op_protocol::authorization::GigData;
use op_protocol::clock::{parse_rfc3339, rfc3339};
use op_protocol::dpop;
use op_protocol::proof::did_key::DidKey;
use op_protocol::proof::multibase;

fuzz_target!(
    // A panic the code under test catches (`op_protocol::bounded::guarded` around a third-party
    // parser) is an answered request, not a crash: report it without libfuzzer-sys's abort. A
    // panic nothing catches still aborts (libfuzzer-sys's own catch) and is a finding.
    init: std::panic::set_hook(Box::new(|info| eprintln!("caught: {info}"))),
    |text: &str| {
    let _ = dpop::verify(text, "GET", "http://pod.fuzz/alice/", 1_800_000_000, None);
    let _ = dpop::verify(text, "POST", "http://hub.fuzz/token", 1_800_000_000, Some("token"));
    let _ = GigData::parse_list(text);
    if let Ok(bytes) = multibase::decode_base58btc(text) {
        assert_eq!(multibase::decode_base58btc(&multibase::encode_base58btc(&bytes)).unwrap(), bytes);
    }
    let _ = multibase::decode_base64url(text);
    if let Ok(did) = DidKey::parse(text) {
        assert_eq!(DidKey::parse(&did.did()).unwrap().did(), did.did());
    }
    if let Some(millis) = parse_rfc3339(text) {
        assert_eq!(parse_rfc3339(&rfc3339(millis)), Some(millis / 1000 * 1000), "{text:?}");
    }
});
