//! The W3C `eddsa-rdfc-2022` test vectors, reproduced byte for byte at every step, and the
//! proof-set and proof-chain vectors verified (`tests/data/w3c/vc-di-eddsa/TestVectors/`, vendored).

use std::path::PathBuf;

use op_protocol::datetime::DateTime;
use op_protocol::proof::eddsa::HashData;
use op_protocol::proof::multibase::encode_base58btc;
use op_protocol::proof::{
    Controllers, KeyFile, ProofError, ProofOptions, VerificationMethodId, add_proof, verify_proofs,
};
use serde_json::Value;

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/w3c/vc-di-eddsa/TestVectors")
}

fn text(path: &str) -> String {
    std::fs::read_to_string(vectors().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn json(path: &str) -> Value {
    serde_json::from_str(&text(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn every_step_of_the_eddsa_rdfc_2022_vector_is_reproduced_byte_for_byte() {
    let unsigned = json("unsigned.json");
    let config = json("eddsa-rdfc-2022/proofConfigDataInt.json");
    let steps = HashData::new(&unsigned, &config).unwrap();
    assert_eq!(
        steps.canonical_document.as_str(),
        text("eddsa-rdfc-2022/canonDocDataInt.txt")
    );
    assert_eq!(
        steps.canonical_proof_config.as_str(),
        text("eddsa-rdfc-2022/proofCanonDataInt.txt")
    );
    assert_eq!(
        hex(&steps.canonical_document.sha256()),
        text("eddsa-rdfc-2022/docHashDataInt.txt")
    );
    assert_eq!(
        hex(&steps.canonical_proof_config.sha256()),
        text("eddsa-rdfc-2022/proofHashDataInt.txt")
    );
    assert_eq!(
        hex(&steps.combined()),
        text("eddsa-rdfc-2022/combinedHashDataInt.txt")
    );

    let key: KeyFile = serde_json::from_value(json("keyPair.json")).unwrap();
    let key = key.key_pair().unwrap();
    let signature = key.sign(&steps.combined());
    assert_eq!(hex(&signature), text("eddsa-rdfc-2022/sigHexDataInt.txt"));
    assert_eq!(
        encode_base58btc(&signature),
        text("eddsa-rdfc-2022/sigBTC58DataInt.txt")
    );
}

#[test]
fn signing_the_vector_document_yields_the_signed_vector() {
    let key: KeyFile = serde_json::from_value(json("keyPair.json")).unwrap();
    let config = json("eddsa-rdfc-2022/proofConfigDataInt.json");
    let options = ProofOptions::new(
        VerificationMethodId::parse(config["verificationMethod"].as_str().unwrap()).unwrap(),
        DateTime::parse(config["created"].as_str().unwrap()).unwrap(),
    );
    let signed = add_proof(&json("unsigned.json"), &options, &key.key_pair().unwrap()).unwrap();
    assert_eq!(signed, json("eddsa-rdfc-2022/signedDataInt.json"));
}

#[test]
fn the_signed_vector_verifies_and_a_changed_one_does_not() {
    let signed = json("eddsa-rdfc-2022/signedDataInt.json");
    let proofs = verify_proofs(&signed, &Controllers::new(), None).unwrap();
    assert_eq!(proofs.len(), 1);
    assert_eq!(
        proofs[0].method.controller,
        "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    );

    let mut changed = signed.clone();
    changed["credentialSubject"]["alumniOf"] = "The School of Forgeries".into();
    assert!(matches!(
        verify_proofs(&changed, &Controllers::new(), None),
        Err(ProofError::BadSignature(_))
    ));
    let mut changed = signed;
    changed["proof"]["created"] = "2023-02-24T23:36:39Z".into();
    assert!(matches!(
        verify_proofs(&changed, &Controllers::new(), None),
        Err(ProofError::BadSignature(_))
    ));
}

#[test]
fn proof_set_and_proof_chain_vectors_verify() {
    for file in [
        "proof-set-chain/signedProofSet1.json",
        "proof-set-chain/signedProofSet2.json",
        "proof-set-chain/signedProofChain1.json",
        "proof-set-chain/signedProofChain2.json",
    ] {
        let doc = json(file);
        let proofs = verify_proofs(&doc, &Controllers::new(), None)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(
            proofs.len(),
            doc["proof"].as_array().map_or(1, Vec::len),
            "{file}"
        );
    }
}

#[test]
fn proof_sets_and_chains_are_reproduced_from_their_configs() {
    let keys = json("proof-set-chain/multiKeyPairs.json");
    let key = |n: &str| {
        serde_json::from_value::<KeyFile>(keys[n].clone())
            .unwrap()
            .key_pair()
            .unwrap()
    };
    let options = |file: &str| {
        let c = json(file);
        let mut o = ProofOptions::new(
            VerificationMethodId::parse(c["verificationMethod"].as_str().unwrap()).unwrap(),
            DateTime::parse(c["created"].as_str().unwrap()).unwrap(),
        );
        o.id = c["id"].as_str().map(str::to_owned);
        o.previous_proof = match &c["previousProof"] {
            Value::String(s) => vec![s.clone()],
            Value::Array(a) => a.iter().map(|v| v.as_str().unwrap().to_owned()).collect(),
            _ => vec![],
        };
        o
    };
    let doc = json("proof-set-chain/unsigned.json");
    let set1 = add_proof(
        &doc,
        &options("proof-set-chain/proofSetConfig1.json"),
        &key("keyPair1"),
    )
    .unwrap();
    assert_eq!(set1, json("proof-set-chain/signedProofSet1.json"));
    let set2 = add_proof(
        &set1,
        &options("proof-set-chain/proofSetConfig2.json"),
        &key("keyPair2"),
    )
    .unwrap();
    assert_eq!(set2, json("proof-set-chain/signedProofSet2.json"));
    let chain1 = add_proof(
        &set2,
        &options("proof-set-chain/proofChainConfig1.json"),
        &key("keyPair3"),
    )
    .unwrap();
    assert_eq!(chain1, json("proof-set-chain/signedProofChain1.json"));
    let chain2 = add_proof(
        &chain1,
        &options("proof-set-chain/proofChainConfig2.json"),
        &key("keyPair4"),
    )
    .unwrap();
    assert_eq!(chain2, json("proof-set-chain/signedProofChain2.json"));
}

#[test]
fn a_chain_whose_previous_proof_is_removed_fails() {
    let mut doc = json("proof-set-chain/signedProofChain2.json");
    doc["proof"].as_array_mut().unwrap().remove(2);
    assert!(matches!(
        verify_proofs(&doc, &Controllers::new(), None),
        Err(ProofError::MissingPreviousProof(_))
    ));
}
