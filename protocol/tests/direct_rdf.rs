//! The direct JSON → RDF conversion (`proof::direct`) against the general JSON-LD processor
//! (`proof::canon::to_rdf_general`): wherever the direct one answers, the canonical N-Quads are
//! the same byte for byte — on every W3C `eddsa-rdfc-2022` vector, every record the converter
//! makes from the sample export, generated records, and valid but unusual documents — and it
//! declines on the hostile ones, leaving them to the general processor.

use std::path::{Path, PathBuf};

use op_protocol::clock::Clock;
use op_protocol::datetime::DateTime;
use op_protocol::iri::AbsoluteIri;
use op_protocol::proof::canon::{canonicalize_quads, to_rdf_general};
use op_protocol::proof::{KeyPair, direct};
use op_protocol::record::gigdata::{
    Achievement, AdditionalData, Client, Image, Income, Interaction, Outcome, Period, Rating,
    Review, Score, ScoreValue,
};
use op_protocol::record::{
    ClientData, Earnings, GigExport, Issuance, Signer, StatusAllocation, convert,
};
use op_protocol::status::{StatusList, StatusPurpose, status_list_credential};
use proptest::prelude::*;
use serde_json::{Value, json};

const EXPORT: &str = include_str!("data/gig-export.json");
const NOW: u64 = 1_800_000_000;

/// What the direct conversion did with a document.
#[derive(Debug, PartialEq, Eq)]
enum Direct {
    /// Answered, with the general processor's canonical N-Quads.
    Same,
    /// Answered, and the IRI checks after it refuse the document, as they refuse the general
    /// processor's answer.
    BothRefused,
    /// Left it to the general processor.
    Declined,
}

/// Compares both conversions of `doc`; panics if the direct one answers differently from the
/// general one, or answers where the general one fails and the checks after it do not.
fn compare(doc: &Value) -> Direct {
    let Some(direct) = direct::to_rdf(doc) else {
        return Direct::Declined;
    };
    let general = match to_rdf_general(doc) {
        Ok(general) => general,
        Err(e) => {
            assert!(
                op_protocol::proof::canon::to_rdf(doc).is_err(),
                "direct answered where the general processor fails ({e}):\n{doc:#}"
            );
            return Direct::BothRefused;
        }
    };
    let (direct, general) = (
        canonicalize_quads(&direct).unwrap(),
        canonicalize_quads(&general).unwrap(),
    );
    assert_eq!(direct.as_str(), general.as_str(), "{doc:#}");
    Direct::Same
}

/// The document and proof configurations the cryptosuite canonicalises for a signed `doc`
/// (or `doc` itself if unsigned).
fn canonicalised_parts(doc: &Value) -> Vec<Value> {
    let Some(object) = doc.as_object() else {
        return vec![doc.clone()];
    };
    let proofs = match object.get("proof") {
        Some(Value::Array(a)) => a.clone(),
        Some(p) => vec![p.clone()],
        None => return vec![doc.clone()],
    };
    let mut parts = Vec::new();
    let mut unsecured = object.clone();
    unsecured.remove("proof");
    parts.push(Value::Object(unsecured));
    for proof in proofs {
        let mut config = proof.as_object().cloned().unwrap_or_default();
        config.remove("proofValue");
        if let Some(ctx) = object.get("@context") {
            config.insert("@context".into(), ctx.clone());
        }
        parts.push(Value::Object(config));
    }
    parts
}

fn key(seed: u8) -> KeyPair {
    let mut bytes = vec![0x80, 0x26];
    bytes.extend([seed; 32]);
    KeyPair::from_secret_multibase(&op_protocol::proof::multibase::encode_base58btc(&bytes))
        .unwrap()
}

fn issuance(clients: ClientData, earnings: Earnings) -> Issuance {
    let mut i = Issuance::new(
        "https://platform.example",
        DateTime::parse("2024-01-01T00:00:00Z").unwrap(),
        StatusAllocation {
            list: AbsoluteIri::parse("list", "https://platform.example/status/1").unwrap(),
            first_index: 0,
        },
    );
    i.subject =
        Some(AbsoluteIri::parse("subject", "https://alice.pod.example/profile/card#me").unwrap());
    i.clients = clients;
    i.earnings = earnings;
    i.skills.insert(
        "Web design".into(),
        vec![
            AbsoluteIri::parse("skill", "http://data.europa.eu/esco/skill/a").unwrap(),
            AbsoluteIri::parse("skill", "http://data.europa.eu/esco/skill/b").unwrap(),
        ],
    );
    i
}

fn signed_records(export: &GigExport, issuance: &Issuance) -> Vec<Value> {
    let signer = Signer::did_key(key(3));
    let clock = Clock::manual(NOW);
    convert(export, issuance)
        .unwrap()
        .iter()
        .map(|r| signer.sign(r, &clock).unwrap())
        .collect()
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

#[test]
fn every_w3c_vector_converts_the_same_or_is_declined() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/w3c/vc-di-eddsa");
    let mut files = Vec::new();
    json_files(&dir, &mut files);
    assert!(files.len() >= 15, "{files:?}");
    let (mut same, mut declined) = (0, 0);
    for file in files {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        if doc.get("@context").is_none() {
            continue; // key pairs
        }
        let mut parts = canonicalised_parts(&doc);
        parts.push(doc);
        for part in parts {
            match compare(&part) {
                Direct::Same => same += 1,
                Direct::Declined => declined += 1,
                Direct::BothRefused => panic!("a vector is refused: {part:#}"),
            }
        }
    }
    // The vectors' documents (examples context with @vocab) and proof configurations are handled;
    // signed documents (`proof` is a graph container) are left to the general processor.
    assert!(same >= 20, "same {same}, declined {declined}");
    assert!(declined >= 1, "same {same}, declined {declined}");
}

#[test]
fn the_w3c_vector_is_reproduced_by_the_direct_conversion_alone() {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/w3c/vc-di-eddsa/TestVectors");
    let read = |p: &str| std::fs::read_to_string(dir.join(p)).unwrap();
    let unsigned: Value = serde_json::from_str(&read("unsigned.json")).unwrap();
    let config: Value =
        serde_json::from_str(&read("eddsa-rdfc-2022/proofConfigDataInt.json")).unwrap();
    let canon = |doc: &Value| {
        canonicalize_quads(&direct::to_rdf(doc).expect("the direct conversion handles it")).unwrap()
    };
    assert_eq!(
        canon(&unsigned).as_str(),
        read("eddsa-rdfc-2022/canonDocDataInt.txt")
    );
    assert_eq!(
        canon(&config).as_str(),
        read("eddsa-rdfc-2022/proofCanonDataInt.txt")
    );
}

#[test]
fn every_record_of_the_sample_export_and_its_status_list_converts_the_same() {
    let export = GigExport::from_json(EXPORT).unwrap();
    let mut docs = Vec::new();
    for clients in [ClientData::IdOnly, ClientData::Full, ClientData::Omit] {
        for earnings in [Earnings::Include, Earnings::Omit] {
            docs.extend(signed_records(&export, &issuance(clients, earnings)));
        }
    }
    let mut list = StatusList::new(0);
    list.set(3, true).unwrap();
    let status = status_list_credential(
        "https://platform.example/status/1",
        StatusPurpose::Revocation,
        &list,
    );
    docs.push(
        Signer::did_key(key(3))
            .sign_status_list(&status, &Clock::manual(NOW))
            .unwrap(),
    );
    assert!(docs.len() > 30);
    for doc in &docs {
        for part in canonicalised_parts(doc) {
            // Records are what the direct conversion exists for: it must not decline them.
            assert_eq!(compare(&part), Direct::Same, "declined:\n{part:#}");
        }
    }
}

/// A gig record of the sample export, signed, to vary.
fn sample() -> Value {
    let export = GigExport::from_json(EXPORT).unwrap();
    signed_records(&export, &issuance(ClientData::Full, Earnings::Include)).remove(0)
}

fn unsecured(mut doc: Value) -> Value {
    doc.as_object_mut().unwrap().remove("proof");
    doc
}

#[test]
fn valid_but_unusual_documents_convert_the_same_or_are_declined() {
    let base = unsecured(sample());
    let with = |pointer: &str, key: &str, value: Value| {
        let mut d = base.clone();
        d.pointer_mut(pointer).unwrap()[key] = value;
        d
    };
    let variants = [
        // Contexts in the other order (nothing is redefined, so JSON-LD accepts it).
        with(
            "",
            "@context",
            json!([
                "https://w3id.org/openplatforms/gig/v1",
                "https://www.w3.org/ns/credentials/v2"
            ]),
        ),
        // A nested credential: its type-scoped context applies there too.
        with("/credentialSubject", "type", json!("VerifiableCredential")),
        with(
            "/credentialSubject",
            "type",
            json!(["VerifiableCredential", "Gig"]),
        ),
        // A property-scoped context that redefines a protected term (allowed for them).
        with("", "cnf", json!({"kid": "https://example.org/k"})),
        with(
            "/credentialStatus",
            "statusMessage",
            json!({"status": "0x0", "message": "ok"}),
        ),
        // Property-scoped contexts propagate to nested nodes.
        with(
            "/credentialStatus",
            "statusMessage",
            json!({"status": "0x1", "message": "x", "type": "Place"}),
        ),
        // Native values on typed and untyped terms.
        with("/credentialSubject/performed", "hoursWorked", json!(-12)),
        with("/credentialSubject/performed", "successful", json!(false)),
        with("/credentialSubject/performed", "name", json!(7)),
        with("/credentialSubject/performed", "name", json!(true)),
        with(
            "/credentialSubject/performed",
            "usedSkill",
            json!("https://esco.example/s"),
        ),
        // Repeated identical nodes stay distinct blank nodes; repeated IRIs merge.
        with(
            "/credentialSubject/performed",
            "image",
            json!([{"caption": "a"}, {"caption": "a"}]),
        ),
        with(
            "/credentialSubject/performed",
            "participant",
            json!([{"id": "https://c.example/1"}, {"id": "https://c.example/1", "name": "C"}]),
        ),
        // Unicode, quotes, escapes and newlines in literals.
        with(
            "/credentialSubject/performed",
            "description",
            json!("åäö \"q\" \\ \n\t\u{1F600} \u{7}"),
        ),
        // Reverse property with an IRI node.
        with(
            "/credentialSubject",
            "performed",
            json!({"id": "https://gig.example/1", "type": "Gig"}),
        ),
        // Status list terms through their type-scoped context.
        with("/credentialSubject", "type", json!("BitstringStatusList")),
    ];
    let outcomes: Vec<Direct> = variants.iter().map(compare).collect();
    let same = outcomes.iter().filter(|o| **o == Direct::Same).count();
    assert!(same == variants.len(), "{outcomes:?}");
}

#[test]
fn hostile_documents_are_left_to_the_general_processor() {
    let base = unsecured(sample());
    let with = |pointer: &str, key: &str, value: Value| {
        let mut d = base.clone();
        d.pointer_mut(pointer).unwrap()[key] = value;
        d
    };
    let mut deep = json!({"name": "x"});
    for _ in 0..40 {
        deep = json!({ "participant": deep });
    }
    let hostile = [
        (
            "inner @context",
            with(
                "/credentialSubject",
                "@context",
                json!({"workedHard": "https://evil.example/w"}),
            ),
        ),
        (
            "inline context",
            with(
                "",
                "@context",
                json!(["https://www.w3.org/ns/credentials/v2", {"workedHard": "https://evil.example/w"}]),
            ),
        ),
        (
            "unpinned context",
            with(
                "",
                "@context",
                json!([
                    "https://www.w3.org/ns/credentials/v2",
                    "https://schema.org/"
                ]),
            ),
        ),
        (
            "null context",
            with(
                "",
                "@context",
                json!([null, "https://www.w3.org/ns/credentials/v2"]),
            ),
        ),
        (
            "undefined term",
            with("/credentialSubject/performed", "workedHard", json!(true)),
        ),
        (
            "credential term below the credential",
            with("/credentialSubject", "issuer", json!("https://x.example")),
        ),
        (
            "undefined type",
            with(
                "",
                "type",
                json!(["VerifiableCredential", "AlumniCredential"]),
            ),
        ),
        (
            "absolute IRI as type",
            with(
                "",
                "type",
                json!(["VerifiableCredential", "https://evil.example/T"]),
            ),
        ),
        ("relative id", with("", "id", json!("record-1"))),
        ("relative IRI value", with("", "issuer", json!("issuers/1"))),
        ("compact IRI", with("", "issuer", json!("name:x"))),
        (
            "blank node id",
            with("/credentialSubject", "id", json!("_:b0")),
        ),
        (
            "IRI with a space",
            with("", "issuer", json!("https://ex ample.org/")),
        ),
        (
            "IRI with brackets",
            with("", "issuer", json!("https://[::1]/")),
        ),
        (
            "IRI with user info",
            with("", "issuer", json!("https://u@x.example/")),
        ),
        (
            "@value object",
            with(
                "/credentialSubject/performed",
                "name",
                json!({"@value": "x", "@language": "en"}),
            ),
        ),
        (
            "@type key",
            with("/credentialSubject/performed", "@type", json!("Gig")),
        ),
        (
            "@id key",
            with("/credentialSubject", "@id", json!("https://x.example")),
        ),
        ("@graph", with("", "@graph", json!([]))),
        (
            "@list",
            with(
                "/credentialSubject/performed",
                "image",
                json!({"@list": []}),
            ),
        ),
        ("@included", with("", "@included", json!([]))),
        (
            "null",
            with("/credentialSubject/performed", "name", Value::Null),
        ),
        (
            "empty array",
            with("/credentialSubject/performed", "image", json!([])),
        ),
        (
            "empty object",
            with("/credentialSubject/performed", "location", json!({})),
        ),
        (
            "nested array",
            with(
                "/credentialSubject/performed",
                "image",
                json!([[{"caption": "a"}]]),
            ),
        ),
        (
            "double",
            with("/credentialSubject/performed", "hoursWorked", json!(4.5)),
        ),
        (
            "huge integer",
            with(
                "/credentialSubject/performed",
                "hoursWorked",
                json!(u64::MAX),
            ),
        ),
        ("number as IRI", with("", "issuer", json!(5))),
        (
            "string on a reverse property",
            with(
                "/credentialSubject",
                "performed",
                json!("https://gig.example/1"),
            ),
        ),
        (
            "object on a typed term",
            with(
                "/credentialSubject/performed",
                "startTime",
                json!({"id": "https://x.example"}),
            ),
        ),
        (
            "a proof (graph container)",
            with("", "proof", json!({"type": "DataIntegrityProof"})),
        ),
        ("JSON literal", with("", "_sd", json!(["x"]))),
        (
            "vocabulary-relative key without @vocab",
            with("", "alumniOf", json!("x")),
        ),
        (
            "two type keys",
            with("", "@type", json!("VerifiableCredential")),
        ),
        (
            "deep nesting",
            with(
                "/credentialSubject",
                "performed",
                json!({"type": "Gig", "participant": deep}),
            ),
        ),
        (
            "not an object",
            json!(["https://www.w3.org/ns/credentials/v2"]),
        ),
        ("no context", {
            let mut d = base.clone();
            d.as_object_mut().unwrap().remove("@context");
            d
        }),
        (
            "only an id",
            json!({"@context": "https://www.w3.org/ns/credentials/v2", "id": "https://x.example"}),
        ),
    ];
    for (what, doc) in &hostile {
        assert!(
            direct::to_rdf(doc).is_none(),
            "{what} was not declined:\n{doc:#}"
        );
    }
    // Declining is safe only because the general processor still refuses what it must.
    for what in [
        "undefined term",
        "credential term below the credential",
        "undefined type",
        "relative id",
    ] {
        let doc = &hostile.iter().find(|(w, _)| *w == what).unwrap().1;
        assert!(
            op_protocol::proof::canon::to_rdf(doc).is_err(),
            "{what} was accepted"
        );
    }
}

#[test]
fn iris_the_checks_refuse_are_refused_after_the_direct_conversion_too() {
    let mut doc = unsecured(sample());
    doc["issuer"] = json!("https://www.w3.org/ns/credentials/issuer-dependent#x");
    assert_eq!(compare(&doc), Direct::BothRefused);
    doc["issuer"] = json!("x-string://relative");
    assert_eq!(compare(&doc), Direct::BothRefused);
}

fn text() -> impl Strategy<Value = String> {
    "[ -~åäö\u{1F600}\n\t]{0,12}"
}

fn rating() -> impl Strategy<Value = Rating> {
    (0u32..=4, 1u32..=10, 0u32..=20, proptest::option::of(text())).prop_map(
        |(min, span, at, name)| {
            let (min, max) = (f64::from(min), f64::from(min + span));
            Rating {
                name,
                value: min + (max - min) * f64::from(at) / 20.0,
                min,
                max,
            }
        },
    )
}

fn additional() -> impl Strategy<Value = AdditionalData> {
    (
        proptest::option::of(prop_oneof![
            text(),
            "[A-Z][a-z]{1,6}/[A-Z][a-z]{1,6}/[A-Z][a-z]{1,6}"
        ]),
        (proptest::option::of(text()), proptest::option::of(text())),
        proptest::collection::vec(
            ("[a-z0-9/._~%-]{0,10}", text()).prop_map(|(u, caption)| Image {
                uri: format!("https://img.example/{u}"),
                caption,
            }),
            0..3,
        ),
        proptest::option::of(0u64..100_000),
        proptest::option::of(
            (-1000i64..1_000_000, "[A-Z]{3}")
                .prop_map(|(amount, currency)| Income { amount, currency }),
        ),
    )
        .prop_map(
            |(location, (title, description), images, no_of_hours, income)| AdditionalData {
                location,
                title,
                description,
                images,
                no_of_hours,
                income,
            },
        )
}

fn interaction() -> impl Strategy<Value = Interaction> {
    (
        "[a-z0-9]{1,8}",
        (
            proptest::option::of(0u64..86_400_000),
            1_420_070_400_000u64..1_735_689_600_000,
        ),
        proptest::option::of(
            (text(), text(), "[a-z0-9]{1,8}").prop_map(|(id, name, photo)| Client {
                id,
                name,
                photo_uri: format!("https://photo.example/{photo}"),
            }),
        ),
        text(),
        (
            proptest::option::of((text(), text()).prop_map(|(title, text)| Review { title, text })),
            proptest::collection::vec(rating(), 0..3),
            any::<bool>(),
        ),
        proptest::option::of(additional()),
    )
        .prop_map(
            |(id, (gap, end), client, kind, (review, ratings, success), additional_data)| {
                Interaction {
                    id,
                    period: Period {
                        start: gap.map(|g| DateTime::from_unix_millis(end - g).as_str().to_owned()),
                        end: DateTime::from_unix_millis(end).as_str().to_owned(),
                    },
                    client,
                    kind,
                    outcome: Outcome {
                        review,
                        ratings,
                        success,
                    },
                    additional_data,
                }
            },
        )
}

fn achievement() -> impl Strategy<Value = Achievement> {
    (
        "[a-z0-9]{1,8}",
        1_420_070_400_000u64..1_735_689_600_000,
        prop_oneof![Just("Badge".to_owned()), "[A-Za-z]{1,12}"],
        (text(), text()),
        proptest::option::of(
            (
                prop_oneof![
                    text().prop_map(ScoreValue::Text),
                    (0u32..1000).prop_map(|n| ScoreValue::Number(f64::from(n) / 4.0))
                ],
                proptest::option::of(text()),
            )
                .prop_map(|(value, label)| Score { value, label }),
        ),
        proptest::option::of("[a-z0-9]{1,8}".prop_map(|t| format!("https://badge.example/{t}"))),
    )
        .prop_map(
            |(id, at, kind, (name, description), score, badge_icon_uri)| Achievement {
                id,
                time_stamp: DateTime::from_unix_millis(at).as_str().to_owned(),
                kind,
                name,
                description,
                score,
                badge_icon_uri,
            },
        )
}

fn policy() -> impl Strategy<Value = (ClientData, Earnings)> {
    (
        prop_oneof![
            Just(ClientData::IdOnly),
            Just(ClientData::Full),
            Just(ClientData::Omit)
        ],
        prop_oneof![Just(Earnings::Include), Just(Earnings::Omit)],
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn generated_records_convert_the_same(
        interactions in proptest::collection::vec(interaction(), 0..3),
        achievements in proptest::collection::vec(achievement(), 0..3),
        (clients, earnings) in policy(),
    ) {
        let export = GigExport { interactions, achievements };
        prop_assume!(export.validate().is_ok());
        for doc in signed_records(&export, &issuance(clients, earnings)) {
            for part in canonicalised_parts(&doc) {
                prop_assert_eq!(compare(&part), Direct::Same, "{:#}", part);
            }
        }
    }
}
