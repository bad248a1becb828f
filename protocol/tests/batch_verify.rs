//! `Verifier::verify_all`: many records verified on several threads give exactly the results
//! of verifying each one in turn, in the same order — valid, revoked and tampered alike.

use std::num::NonZeroUsize;

use op_protocol::clock::Clock;
use op_protocol::datetime::DateTime;
use op_protocol::iri::AbsoluteIri;
use op_protocol::proof::{Controllers, KeyPair};
use op_protocol::record::gigdata::Interaction;
use op_protocol::record::{
    GigExport, Issuance, RecordStatus, Signer, StatusAllocation, StatusCheck, Verifier, convert,
};
use op_protocol::status::{StatusList, StatusLists, StatusPurpose, status_list_credential};
use serde_json::Value;

const EXPORT: &str = include_str!("data/gig-export.json");
const LIST_URL: &str = "https://platform.example/status/1";
const NOW: u64 = 1_800_000_000;

fn signer() -> Signer {
    let mut bytes = vec![0x80, 0x26];
    bytes.extend([9u8; 32]);
    Signer::did_key(
        KeyPair::from_secret_multibase(&op_protocol::proof::multibase::encode_base58btc(&bytes))
            .unwrap(),
    )
}

/// `n` signed gig records (the sample's gigs with fresh ids), the track record, and the list.
fn signed(n: usize) -> (Vec<Value>, Value) {
    let sample = GigExport::from_json(EXPORT).unwrap();
    let export = GigExport {
        interactions: (0..n)
            .map(|i| Interaction {
                id: format!("gig-{i}"),
                ..sample.interactions[i % sample.interactions.len()].clone()
            })
            .collect(),
        achievements: Vec::new(),
    };
    let issuance = Issuance::new(
        "https://platform.example",
        DateTime::parse("2024-01-01T00:00:00Z").unwrap(),
        StatusAllocation {
            list: AbsoluteIri::parse("list", LIST_URL).unwrap(),
            first_index: 0,
        },
    );
    let (signer, clock) = (signer(), Clock::manual(NOW - 10));
    let records = convert(&export, &issuance)
        .unwrap()
        .iter()
        .map(|r| signer.sign(r, &clock).unwrap())
        .collect();
    let mut list = StatusList::new(0);
    list.set(5, true).unwrap();
    let list = status_list_credential(LIST_URL, StatusPurpose::Revocation, &list);
    (records, signer.sign_status_list(&list, &clock).unwrap())
}

#[test]
fn verifying_on_several_threads_gives_each_records_own_result_in_order() {
    let (mut records, list) = signed(150);
    records[17]["credentialSubject"]["performed"]["hoursWorked"] = 1.into();
    records[140]["issuer"] = "https://elsewhere.example".into();
    let lists = StatusLists::new().with(list);
    let (methods, clock) = (Controllers::new(), Clock::manual(NOW));
    let verifier = Verifier {
        methods: &methods,
        status: StatusCheck::Required(&lists),
        clock: &clock,
    };
    let one_by_one: Vec<_> = records.iter().map(|r| verifier.verify(r)).collect();
    assert!(one_by_one[0].as_ref().unwrap().is_valid());
    assert_eq!(
        one_by_one[5].as_ref().unwrap().status,
        RecordStatus::Revoked
    );
    assert!(one_by_one[17].is_err() && one_by_one[140].is_err());
    for threads in [1, 2, 3, 8] {
        let all = verifier.verify_all(&records, NonZeroUsize::new(threads).unwrap());
        assert_eq!(all, one_by_one, "{threads} threads");
    }
}

#[test]
fn a_few_records_or_none_are_verified_on_the_calling_thread() {
    let (records, _) = signed(2);
    let (methods, clock) = (Controllers::new(), Clock::manual(NOW));
    let verifier = Verifier {
        methods: &methods,
        status: StatusCheck::Skip,
        clock: &clock,
    };
    let eight = NonZeroUsize::new(8).unwrap();
    assert!(verifier.verify_all(&[], eight).is_empty());
    let all = verifier.verify_all(&records, eight);
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|r| r.as_ref().is_ok_and(|v| v.is_valid())));
}
