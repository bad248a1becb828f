//! DPoP proof verification, as a pod does it on every DPoP-bound request: an ES256 proof and an
//! Ed25519 proof, each with its `ath`. Run: `cargo bench -p op-protocol --bench dpop`.

use std::hint::black_box;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use criterion::{Criterion, criterion_group, criterion_main};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair};
use sha2::{Digest, Sha256};

const URL: &str = "https://pod.example/alice/gigs/acme/1";
const TOKEN: &str = "an-access-token";
const NOW: u64 = 1_800_000_000;

fn proof(alg: &str, jwk: serde_json::Value, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let header = serde_json::json!({ "typ": "dpop+jwt", "alg": alg, "jwk": jwk });
    let claims = serde_json::json!({
        "htm": "GET", "htu": URL, "iat": NOW, "jti": "j-1",
        "ath": B64.encode(Sha256::digest(TOKEN.as_bytes())),
    });
    let input = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    );
    let sig = sign(input.as_bytes());
    format!("{input}.{}", B64.encode(sig))
}

fn es256() -> String {
    let rng = SystemRandom::new();
    let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
    let key = EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).unwrap();
    let point = key.public_key().as_ref().to_vec();
    let jwk = serde_json::json!({
        "kty": "EC", "crv": "P-256", "x": B64.encode(&point[1..33]), "y": B64.encode(&point[33..65]),
    });
    proof("ES256", jwk, |m| {
        key.sign(&rng, m).unwrap().as_ref().to_vec()
    })
}

fn ed25519() -> String {
    let rng = SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let jwk = serde_json::json!({
        "kty": "OKP", "crv": "Ed25519", "x": B64.encode(key.public_key().as_ref()),
    });
    proof("EdDSA", jwk, |m| key.sign(m).as_ref().to_vec())
}

fn bench(c: &mut Criterion) {
    for (name, proof) in [("es256", es256()), ("ed25519", ed25519())] {
        op_protocol::dpop::verify(&proof, "GET", URL, NOW, Some(TOKEN)).expect("a valid proof");
        c.bench_function(&format!("dpop_verify_{name}"), |b| {
            b.iter(|| op_protocol::dpop::verify(black_box(&proof), "GET", URL, NOW, Some(TOKEN)))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
