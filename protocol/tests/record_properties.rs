//! Property tests: any record built from valid Gig Data Standard input signs and verifies, reads
//! back to the same input, and changing any signed value, adding an undefined term or swapping
//! the key makes verification fail.

use op_protocol::clock::Clock;
use op_protocol::datetime::DateTime;
use op_protocol::iri::AbsoluteIri;
use op_protocol::proof::{Controllers, DidKey, KeyPair};
use op_protocol::record::gigdata::{
    Achievement, AdditionalData, Client, GigExport, Image, Income, Interaction, Outcome, Period,
    Rating, Review, Score, ScoreValue,
};
use op_protocol::record::{
    ClientData, Issuance, RecordError, Signer, StatusAllocation, StatusCheck, Verifier, convert,
    to_gig_data,
};
use proptest::prelude::*;
use serde_json::Value;

const NOW: u64 = 1_800_000_000;

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 åäöÅ\"\\\\/.:_-]{0,12}"
}

fn timestamp() -> impl Strategy<Value = u64> {
    1_420_070_400_000u64..1_735_689_600_000
}

fn ts(ms: u64) -> String {
    DateTime::from_unix_millis(ms).as_str().to_owned()
}

fn rating() -> impl Strategy<Value = Rating> {
    (proptest::option::of(text()), 0u32..=4, 1u32..=10, 0u32..=20).prop_map(
        |(name, min, span, at)| {
            let (min, max) = (f64::from(min), f64::from(min + span));
            let value = min + (max - min) * f64::from(at) / 20.0;
            Rating {
                name,
                value,
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
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::collection::vec(
            (text(), text()).prop_map(|(u, c)| Image {
                uri: format!("https://img.example/{u}"),
                caption: c,
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
            |(location, title, description, images, no_of_hours, income)| AdditionalData {
                location,
                title,
                description,
                images,
                no_of_hours,
                income,
            },
        )
        .prop_filter("an empty additionalData object reads back as absent", |a| {
            *a != AdditionalData::default()
        })
}

fn interaction() -> impl Strategy<Value = Interaction> {
    (
        "[a-z0-9]{1,8}",
        (
            proptest::option::of(timestamp()),
            timestamp(),
            0u64..86_400_000,
        ),
        proptest::option::of(
            (text(), text(), text()).prop_map(|(id, name, photo_uri)| Client {
                id,
                name,
                photo_uri,
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
            |(id, (start, end, gap), client, kind, (review, ratings, success), additional_data)| {
                Interaction {
                    id,
                    period: Period {
                        start: start.map(|s| ts(s.min(end))),
                        end: ts(end + gap),
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
        timestamp(),
        prop_oneof![
            Just("Badge".to_owned()),
            Just("QualificationAssessment".to_owned()),
            text()
        ],
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
        proptest::option::of(text().prop_map(|t| format!("https://badge.example/{t}"))),
    )
        .prop_map(
            |(id, at, kind, (name, description), score, badge_icon_uri)| Achievement {
                id,
                time_stamp: ts(at),
                kind,
                name,
                description,
                score,
                badge_icon_uri,
            },
        )
}

fn export() -> impl Strategy<Value = GigExport> {
    (
        proptest::collection::vec(interaction(), 0..3),
        proptest::collection::vec(achievement(), 0..2),
    )
        .prop_map(|(interactions, achievements)| GigExport {
            interactions,
            achievements,
        })
}

fn key(seed: u8) -> KeyPair {
    let mut bytes = vec![0x80, 0x26];
    bytes.extend([seed; 32]);
    KeyPair::from_secret_multibase(&op_protocol::proof::multibase::encode_base58btc(&bytes))
        .unwrap()
}

fn issuance() -> Issuance {
    let mut i = Issuance::new(
        "https://platform.example",
        DateTime::parse("2024-01-01T00:00:00Z").unwrap(),
        StatusAllocation {
            list: AbsoluteIri::parse("list", "https://platform.example/status/1").unwrap(),
            first_index: 0,
        },
    );
    i.clients = ClientData::Full;
    i.subject = Some(AbsoluteIri::parse("subject", "did:example:worker").unwrap());
    i
}

fn verify(doc: &Value) -> Result<(), RecordError> {
    let clock = Clock::manual(NOW);
    Verifier {
        methods: &Controllers::new(),
        status: StatusCheck::Skip,
        clock: &clock,
    }
    .verify(doc)
    .map(|_| ())
}

fn signed(export: &GigExport) -> Vec<Value> {
    let signer = Signer::did_key(key(1));
    let clock = Clock::manual(NOW - 1);
    convert(export, &issuance())
        .unwrap()
        .iter()
        .map(|r| signer.sign(r, &clock).unwrap())
        .collect()
}

/// JSON pointers to every scalar outside the proof.
fn leaves(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => m
            .iter()
            .filter(|(k, _)| at.is_empty() && *k != "proof" || !at.is_empty())
            .for_each(|(k, x)| leaves(x, format!("{at}/{k}"), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| leaves(x, format!("{at}/{i}"), out)),
        _ => out.push(at),
    }
}

/// JSON pointers to every object outside the proof.
fn objects(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            out.push(at.clone());
            m.iter()
                .filter(|(k, _)| *k != "proof" && *k != "@context")
                .for_each(|(k, x)| objects(x, format!("{at}/{k}"), out));
        }
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| objects(x, format!("{at}/{i}"), out)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn records_from_any_valid_export_sign_verify_and_read_back(export in export()) {
        prop_assert!(export.validate().is_ok());
        let docs = signed(&export);
        prop_assert_eq!(docs.len(), export.interactions.len() + export.achievements.len() + 1);
        for doc in &docs {
            prop_assert!(verify(doc).is_ok(), "{:?}\n{:#}", verify(doc), doc);
        }
        let records = convert(&export, &issuance()).unwrap();
        prop_assert_eq!(to_gig_data(&records), export);
    }

    #[test]
    fn changing_any_signed_value_fails(export in export(), pick in any::<prop::sample::Index>(), which in any::<prop::sample::Index>()) {
        let docs = signed(&export);
        let mut doc = docs[which.index(docs.len())].clone();
        let mut paths = Vec::new();
        leaves(&doc, String::new(), &mut paths);
        let path = &paths[pick.index(paths.len())];
        let leaf = doc.pointer_mut(path).unwrap();
        *leaf = match leaf.take() {
            Value::String(s) => Value::String(format!("{s}x")),
            Value::Bool(b) => Value::Bool(!b),
            Value::Number(n) => Value::from(n.as_i64().unwrap_or(0) + 1),
            other => other,
        };
        prop_assert!(verify(&doc).is_err(), "changing {} still verified", path);
    }

    #[test]
    fn adding_an_undefined_term_anywhere_fails(export in export(), pick in any::<prop::sample::Index>()) {
        let docs = signed(&export);
        let mut doc = docs[pick.index(docs.len())].clone();
        let mut paths = Vec::new();
        objects(&doc, String::new(), &mut paths);
        let path = &paths[pick.index(paths.len())];
        doc.pointer_mut(path).unwrap()["workedHard"] = Value::Bool(true);
        prop_assert!(verify(&doc).is_err(), "an undefined term at {} verified", path);
    }

    #[test]
    fn swapping_the_key_fails(export in export(), seed in 2u8..255) {
        for mut doc in signed(&export) {
            let other = DidKey::new(key(seed).public());
            doc["issuer"] = other.did().into();
            doc["proof"]["verificationMethod"] = other.verification_method().to_string().into();
            prop_assert!(verify(&doc).is_err());
        }
    }
}
