//! Record benchmarks: canonicalise+sign and canonicalise+verify one typical gig record, and a
//! 10,000-gig export converted and signed, verified on every core, and converted, signed and
//! verified on one thread. Run: `cargo bench -p op-protocol --bench records`.

use std::hint::black_box;
use std::num::NonZeroUsize;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use op_protocol::clock::Clock;
use op_protocol::datetime::DateTime;
use op_protocol::iri::AbsoluteIri;
use op_protocol::proof::{Controllers, KeyPair, canon, verify_proofs};
use op_protocol::record::gigdata::Interaction;
use op_protocol::record::{
    GigExport, Issuance, Signer, StatusAllocation, StatusCheck, Verifier, convert,
};

const EXPORT: &str = include_str!("../tests/data/gig-export.json");
const NOW: u64 = 1_800_000_000;

fn issuance() -> Issuance {
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
    i
}

fn signer() -> Signer {
    let mut bytes = vec![0x80, 0x26];
    bytes.extend([7u8; 32]);
    Signer::did_key(
        KeyPair::from_secret_multibase(&op_protocol::proof::multibase::encode_base58btc(&bytes))
            .unwrap(),
    )
}

/// 10,000 gigs: the sample's three, repeated with fresh ids.
fn big_export() -> GigExport {
    let sample = GigExport::from_json(EXPORT).unwrap();
    let interactions: Vec<Interaction> = (0..10_000)
        .map(|i| {
            let mut g = sample.interactions[i % sample.interactions.len()].clone();
            g.id = format!("gig-{i}");
            g
        })
        .collect();
    GigExport {
        interactions,
        achievements: Vec::new(),
    }
}

fn one_record(c: &mut Criterion) {
    let record = convert(&GigExport::from_json(EXPORT).unwrap(), &issuance())
        .unwrap()
        .remove(0);
    let signer = signer();
    let clock = Clock::manual(NOW);
    let signed = signer.sign(&record, &clock).unwrap();
    let methods = Controllers::new();
    c.bench_function("gig record: canonicalise + sign", |b| {
        b.iter(|| signer.sign(black_box(&record), &clock).unwrap())
    });
    c.bench_function("gig record: canonicalise + verify proof", |b| {
        b.iter(|| verify_proofs(black_box(&signed), &methods, None).unwrap())
    });
    let verifier = Verifier {
        methods: &methods,
        status: StatusCheck::Skip,
        clock: &clock,
    };
    c.bench_function(
        "gig record: full record verification (no status fetch)",
        |b| b.iter(|| verifier.verify(black_box(&signed)).unwrap()),
    );
    let mut unsecured = signed.clone();
    unsecured.as_object_mut().unwrap().remove("proof");
    c.bench_function("gig record: canonical N-Quads, direct conversion", |b| {
        b.iter(|| canon::canonicalize(black_box(&unsecured)).unwrap())
    });
    c.bench_function(
        "gig record: canonical N-Quads, general JSON-LD processor",
        |b| {
            b.iter(|| {
                canon::canonicalize_quads(&canon::to_rdf_general(black_box(&unsecured)).unwrap())
                    .unwrap()
            })
        },
    );
}

fn ten_thousand(c: &mut Criterion) {
    let export = big_export();
    let signer = signer();
    let clock = Clock::manual(NOW);
    let methods = Controllers::new();
    let verifier = Verifier {
        methods: &methods,
        status: StatusCheck::Skip,
        clock: &clock,
    };
    let mut group = c.benchmark_group("10,000-gig export");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    group.bench_function("convert + sign", |b| {
        b.iter(|| {
            let records = convert(black_box(&export), &issuance()).unwrap();
            for r in &records {
                black_box(signer.sign(r, &clock).unwrap());
            }
            records.len()
        })
    });
    let signed: Vec<_> = convert(&export, &issuance())
        .unwrap()
        .iter()
        .map(|r| signer.sign(r, &clock).unwrap())
        .collect();
    let cores = std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN);
    group.bench_function(format!("verify_all on {cores} threads"), |b| {
        b.iter(|| {
            let results = verifier.verify_all(black_box(&signed), cores);
            assert!(results.iter().all(Result::is_ok));
        })
    });
    group.bench_function("convert + sign + verify", |b| {
        b.iter(|| {
            let records = convert(black_box(&export), &issuance()).unwrap();
            for r in &records {
                let signed = signer.sign(r, &clock).unwrap();
                verifier.verify(&signed).unwrap();
            }
            records.len()
        })
    });
    group.finish();
}

criterion_group!(benches, one_record, ten_thousand);
criterion_main!(benches);
