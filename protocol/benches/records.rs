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
    // The same, timed by the CPU this thread used rather than by the clock on the wall, so that
    // it can be compared with a peer verifier's CPU time on a machine other work shares.
    #[cfg(target_os = "linux")]
    c.bench_function(
        "gig record: full record verification, thread CPU time",
        |b| {
            // Each iteration criterion asks for is 256 verifications, so that even its smallest
            // sample spans many scheduler ticks.
            b.iter_custom(|iters| {
                let start = thread_cpu();
                for _ in 0..iters * 256 {
                    black_box(verifier.verify(black_box(&signed)).unwrap());
                }
                (thread_cpu() - start) / 256
            })
        },
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

/// CPU time this thread has run, from `/proc/thread-self/schedstat` (its first field, in ns;
/// updated at least every scheduler tick, which criterion's many samples average out).
#[cfg(target_os = "linux")]
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    let ns = stat.split_whitespace().next().unwrap().parse().unwrap();
    Duration::from_nanos(ns)
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
    for threads in [NonZeroUsize::MIN, cores] {
        group.bench_function(format!("verify_all on {threads} threads"), |b| {
            b.iter(|| {
                let results = verifier.verify_all(black_box(&signed), threads);
                assert!(results.iter().all(Result::is_ok));
            })
        });
    }
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
