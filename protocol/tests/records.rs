//! Records end to end: Gig Data Standard export → records → signed → verified, and every way a
//! record can be wrong makes verification fail with the reason.

use op_protocol::clock::Clock;
use op_protocol::datetime::DateTime;
use op_protocol::iri::AbsoluteIri;
use op_protocol::proof::{
    ControllerDocument, Controllers, KeyPair, ProofError, VerificationMethodId,
};
use op_protocol::record::{
    ClientData, Credential, GigExport, Issuance, RecordError, RecordKind, RecordStatus, Signer,
    StatusAllocation, StatusCheck, Verifier, convert, to_gig_data,
};
use op_protocol::status::{StatusList, StatusLists, StatusPurpose, status_list_credential};
use serde_json::{Value, json};

const EXPORT: &str = include_str!("data/gig-export.json");
const LIST_URL: &str = "https://platform.example/status/1";
/// 2024-01-01T00:00:00Z.
const NOW: u64 = 1_704_067_200;

fn key(seed: u8) -> KeyPair {
    let mut bytes = vec![0x80, 0x26];
    bytes.extend([seed; 32]);
    KeyPair::from_secret_multibase(&op_protocol::proof::multibase::encode_base58btc(&bytes))
        .unwrap()
}

fn issuance() -> Issuance {
    let mut i = Issuance::new(
        "https://platform.example",
        DateTime::parse("2023-12-01T00:00:00Z").unwrap(),
        StatusAllocation {
            list: AbsoluteIri::parse("list", LIST_URL).unwrap(),
            first_index: 7,
        },
    );
    i.subject =
        Some(AbsoluteIri::parse("subject", "https://alice.pod.example/profile/card#me").unwrap());
    i
}

fn records() -> Vec<Credential> {
    convert(&GigExport::from_json(EXPORT).unwrap(), &issuance()).unwrap()
}

fn signed_list(signer: &Signer, revoked: &[u64]) -> Value {
    let mut list = StatusList::new(0);
    for i in revoked {
        list.set(*i, true).unwrap();
    }
    signer
        .sign_status_list(
            &status_list_credential(LIST_URL, StatusPurpose::Revocation, &list),
            &Clock::manual(NOW - 10),
        )
        .unwrap()
}

fn verify(
    record: &Value,
    lists: &StatusLists,
) -> Result<op_protocol::record::VerifiedRecord, RecordError> {
    let clock = Clock::manual(NOW);
    Verifier {
        methods: &Controllers::new(),
        status: StatusCheck::Required(lists),
        clock: &clock,
    }
    .verify(record)
}

#[test]
fn every_record_of_an_export_signs_and_verifies() {
    let signer = Signer::did_key(key(1));
    let lists = StatusLists::new().with(signed_list(&signer, &[]));
    let records = records();
    assert_eq!(records.len(), 3 + 2 + 1);
    let kinds: Vec<RecordKind> = records.iter().map(Credential::kind).collect();
    assert_eq!(kinds.last(), Some(&RecordKind::TrackRecord));
    for r in &records {
        let signed = signer.sign(r, &Clock::manual(NOW - 60)).unwrap();
        let verified = verify(&signed, &lists).unwrap_or_else(|e| panic!("{e}\n{signed:#}"));
        assert_eq!(verified.status, RecordStatus::Active);
        assert_eq!(verified.issuer, signer.issuer());
    }
}

#[test]
fn a_revoked_record_is_reported_as_revoked() {
    let signer = Signer::did_key(key(1));
    let records = records();
    let signed = signer.sign(&records[1], &Clock::manual(NOW - 60)).unwrap();
    let lists = StatusLists::new().with(signed_list(&signer, &[8]));
    assert_eq!(
        verify(&signed, &lists).unwrap().status,
        RecordStatus::Revoked
    );
    let other = signer.sign(&records[0], &Clock::manual(NOW - 60)).unwrap();
    assert_eq!(verify(&other, &lists).unwrap().status, RecordStatus::Active);
}

#[test]
fn a_status_list_signed_by_someone_else_is_refused() {
    let signer = Signer::did_key(key(1));
    let signed = signer
        .sign(&records()[0], &Clock::manual(NOW - 60))
        .unwrap();
    let forged = StatusLists::new().with(signed_list(&Signer::did_key(key(2)), &[]));
    assert!(matches!(
        verify(&signed, &forged),
        Err(RecordError::StatusList { .. })
    ));
    assert!(matches!(
        verify(&signed, &StatusLists::new()),
        Err(RecordError::Status(_))
    ));
}

#[test]
fn a_changed_value_an_undefined_term_or_a_swapped_key_fails() {
    let signer = Signer::did_key(key(1));
    let lists = StatusLists::new().with(signed_list(&signer, &[]));
    let signed = signer
        .sign(&records()[0], &Clock::manual(NOW - 60))
        .unwrap();

    let mut changed = signed.clone();
    changed["credentialSubject"]["performed"]["successful"] = json!(false);
    assert!(matches!(
        verify(&changed, &lists),
        Err(RecordError::Proof(ProofError::BadSignature(_)))
    ));

    let mut undefined = signed.clone();
    undefined["credentialSubject"]["performed"]["tip"] = json!(20);
    let err = verify(&undefined, &lists).unwrap_err();
    assert!(
        matches!(err, RecordError::Proof(ProofError::Expansion(_))),
        "{err}"
    );

    let mut undefined_type = signed.clone();
    undefined_type["credentialSubject"]["performed"]["type"] = json!("Gigg");
    let err = verify(&undefined_type, &lists).unwrap_err();
    assert!(
        matches!(err, RecordError::Proof(ProofError::UndefinedTerm(_))),
        "{err}"
    );

    let mut swapped = signed.clone();
    let other = op_protocol::proof::DidKey::new(key(2).public());
    swapped["issuer"] = other.did().into();
    swapped["proof"]["verificationMethod"] = other.verification_method().to_string().into();
    assert!(matches!(
        verify(&swapped, &lists),
        Err(RecordError::Proof(ProofError::BadSignature(_)))
    ));
}

#[test]
fn the_issuer_must_control_the_signing_key() {
    let signer = Signer::new(
        key(1),
        AbsoluteIri::parse("issuer", "https://platform.example/issuer").unwrap(),
        VerificationMethodId::parse("https://platform.example/issuer#key-1").unwrap(),
    );
    let lists = StatusLists::new().with(signed_list(&signer, &[]));
    let signed = signer
        .sign(&records()[0], &Clock::manual(NOW - 60))
        .unwrap();
    let doc = ControllerDocument::with_assertion_key(
        "https://platform.example/issuer",
        "key-1",
        &key(1).public(),
    );
    let clock = Clock::manual(NOW);
    let controllers = Controllers::new().with(doc);
    let verifier = Verifier {
        methods: &controllers,
        status: StatusCheck::Required(&lists),
        clock: &clock,
    };
    assert_eq!(
        verifier.verify(&signed).unwrap().status,
        RecordStatus::Active
    );

    // A record claiming another issuer, signed with a did:key, names a controller that is not the issuer.
    let mut record = records()[0].clone();
    record.issuer = Some("https://platform.example/issuer".into());
    assert!(matches!(
        Signer::did_key(key(1)).sign(&record, &clock),
        Err(RecordError::IssuerMismatch { .. })
    ));
    let mut forged = Signer::did_key(key(1)).sign(&records()[0], &clock).unwrap();
    forged["issuer"] = "https://platform.example/issuer".into();
    assert!(verifier.verify(&forged).is_err());

    // Without the controller document the key cannot be resolved at all.
    let unknown = Verifier {
        methods: &Controllers::new(),
        status: StatusCheck::Skip,
        clock: &clock,
    };
    assert!(matches!(
        unknown.verify(&signed),
        Err(RecordError::Proof(
            ProofError::UnresolvedVerificationMethod(_)
        ))
    ));
}

#[test]
fn validity_period_is_checked_against_the_clock() {
    let signer = Signer::did_key(key(1));
    let mut record = records()[0].clone();
    record.valid_until = Some("2024-06-01T00:00:00Z".into());
    let signed = signer.sign(&record, &Clock::manual(NOW)).unwrap();
    let check = |at: u64| {
        let clock = Clock::manual(at);
        Verifier {
            methods: &Controllers::new(),
            status: StatusCheck::Skip,
            clock: &clock,
        }
        .verify(&signed)
    };
    assert_eq!(check(NOW).unwrap().status, RecordStatus::NotChecked);
    assert!(matches!(
        check(NOW - 90 * 86_400),
        Err(RecordError::NotYetValid(_))
    ));
    assert!(matches!(
        check(NOW + 365 * 86_400),
        Err(RecordError::Expired(_))
    ));
}

#[test]
fn client_names_and_photos_stay_out_unless_chosen() {
    let export = GigExport::from_json(EXPORT).unwrap();
    let default =
        serde_json::to_string(&convert(&export, &issuance()).unwrap()[0].to_json()).unwrap();
    assert!(!default.contains("John Client") && !default.contains("path.to.picture"));
    assert!(default.contains("9118922"));
    let mut full = issuance();
    full.clients = ClientData::Full;
    let records = convert(&export, &full).unwrap();
    assert!(
        serde_json::to_string(&records[0].to_json())
            .unwrap()
            .contains("John Client")
    );
    assert_eq!(
        to_gig_data(&records),
        export,
        "the full mapping is lossless"
    );
}

#[test]
fn records_read_back_through_the_model_and_refuse_unknown_fields() {
    let r = records()[0].to_json();
    assert_eq!(Credential::from_json(&r).unwrap().to_json(), r);
    let mut extra = r.clone();
    extra["credentialSubject"]["performed"]["tip"] = json!(1);
    assert!(matches!(
        Credential::from_json(&extra),
        Err(RecordError::NotARecord(_))
    ));
    let mut other_context = r;
    other_context["@context"] = json!(["https://www.w3.org/ns/credentials/v2"]);
    assert!(matches!(
        Credential::from_json(&other_context),
        Err(RecordError::NotARecord(_))
    ));
}
