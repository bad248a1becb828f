//! The signed example in `docs/RECORDS.md` was produced by this code and still verifies.

use op_protocol::clock::Clock;
use op_protocol::proof::{ControllerDocument, Controllers};
use op_protocol::record::{RecordKind, StatusCheck, Verifier};
use serde_json::Value;

/// The JSON code blocks following the `<!-- example:signed-gig -->` marker.
fn example_blocks() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/RECORDS.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let after = doc
        .split("<!-- example:signed-gig -->")
        .nth(1)
        .expect("the example marker");
    after
        .split("```json")
        .skip(1)
        .take(2)
        .map(|block| serde_json::from_str(block.split("```").next().unwrap()).unwrap())
        .collect()
}

#[test]
fn the_documented_example_verifies_with_its_controller_document() {
    let blocks = example_blocks();
    let controller: ControllerDocument = serde_json::from_value(blocks[1].clone()).unwrap();
    let methods = Controllers::new().with(controller);
    // 2030-01-01: after the example was signed.
    let clock = Clock::manual(1_893_456_000);
    let verifier = Verifier {
        methods: &methods,
        status: StatusCheck::Skip,
        clock: &clock,
    };
    let verified = verifier.verify(&blocks[0]).unwrap();
    assert_eq!(verified.record.kind(), RecordKind::Gig);
    assert_eq!(verified.issuer, "https://platform.example/issuer");

    let mut changed = blocks[0].clone();
    changed["credentialSubject"]["performed"]["hoursWorked"] = 2000.into();
    assert!(verifier.verify(&changed).is_err());
}
