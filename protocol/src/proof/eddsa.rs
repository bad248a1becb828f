//! The `eddsa-rdfc-2022` cryptosuite (W3C Data Integrity EdDSA Cryptosuites v1.0, §3.3):
//! RDFC-1.0 canonical form of document and proof options, SHA-256 of each, Ed25519 over
//! `hash(proof options) ‖ hash(document)`, `proofValue` in multibase base58btc; proof sets and chains.

use serde_json::{Map, Value};

use super::ProofError;
use super::canon::{CanonicalNQuads, canonicalize};
use super::controller::{MethodResolver, ResolvedMethod, VerificationMethodId};
use super::did_key::DidKey;
use super::multibase::{decode_base58btc, encode_base58btc};
use super::multikey::KeyPair;
use crate::datetime::DateTime;

/// The proof type.
pub const PROOF_TYPE: &str = "DataIntegrityProof";
/// The cryptosuite name.
pub const CRYPTOSUITE: &str = "eddsa-rdfc-2022";
/// The only proof purpose records use: the controller asserts the credential's claims.
pub const ASSERTION_METHOD: &str = "assertionMethod";

/// The options of a proof about to be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofOptions {
    /// An id for the proof, needed only when later proofs chain to it.
    pub id: Option<String>,
    /// When the proof is made (an input: time is never read here).
    pub created: DateTime,
    /// The key that signs, as its verification method id.
    pub verification_method: VerificationMethodId,
    /// Ids of earlier proofs this proof endorses (a proof chain); empty for a plain proof or set.
    pub previous_proof: Vec<String>,
}

impl ProofOptions {
    /// Options for an assertion proof by `verification_method` at `created`.
    pub fn new(verification_method: VerificationMethodId, created: DateTime) -> Self {
        ProofOptions {
            id: None,
            created,
            verification_method,
            previous_proof: Vec::new(),
        }
    }

    /// The proof configuration as JSON, without `@context` and `proofValue`.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("type".into(), PROOF_TYPE.into());
        if let Some(id) = &self.id {
            m.insert("id".into(), id.as_str().into());
        }
        m.insert("cryptosuite".into(), CRYPTOSUITE.into());
        m.insert("created".into(), self.created.as_str().into());
        m.insert(
            "verificationMethod".into(),
            self.verification_method.as_str().into(),
        );
        m.insert("proofPurpose".into(), ASSERTION_METHOD.into());
        match self.previous_proof.as_slice() {
            [] => {}
            [one] => {
                m.insert("previousProof".into(), one.as_str().into());
            }
            many => {
                m.insert("previousProof".into(), many.into());
            }
        }
        Value::Object(m)
    }
}

/// Every intermediate value of the cryptosuite, exposed so that tests can compare each step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashData {
    /// Canonical N-Quads of the document without its proof.
    pub canonical_document: CanonicalNQuads,
    /// Canonical N-Quads of the proof configuration.
    pub canonical_proof_config: CanonicalNQuads,
}

impl HashData {
    /// Canonicalises `unsecured` (no `proof`, or only the proofs a chain covers) and
    /// `proof_config` (the proof without `proofValue`, with the document's `@context`).
    pub fn new(unsecured: &Value, proof_config: &Value) -> Result<Self, ProofError> {
        Ok(HashData {
            canonical_proof_config: canonicalize(proof_config)?,
            canonical_document: canonicalize(unsecured)?,
        })
    }

    /// `SHA-256(proof config) ‖ SHA-256(document)`: the 64 bytes that are signed.
    pub fn combined(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&self.canonical_proof_config.sha256());
        out[32..].copy_from_slice(&self.canonical_document.sha256());
        out
    }
}

/// A proof that verified, with the method that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedProof {
    /// The resolved verification method (key and controller).
    pub method: ResolvedMethod,
    /// When the proof says it was made.
    pub created: Option<DateTime>,
}

/// Signs `document` and returns it with the new proof added (to any proofs already there).
///
/// A `did:key` verification method must be the signing key's own; other methods are the caller's
/// to get right, and verification will catch a mismatch.
pub fn add_proof(
    document: &Value,
    options: &ProofOptions,
    key: &KeyPair,
) -> Result<Value, ProofError> {
    if options.verification_method.as_str().starts_with("did:key:")
        && DidKey::new(key.public()).verification_method() != options.verification_method
    {
        return Err(ProofError::KeyMismatch(
            options.verification_method.to_string(),
        ));
    }
    let object = as_object(document)?;
    let existing = proofs_of(object)?;
    let unsecured = unsecured_for(object, &existing, &options.previous_proof)?;
    let config = with_context(options.to_json(), object);
    let hash = HashData::new(&unsecured, &config)?;
    let mut proof = options.to_json();
    proof["proofValue"] = encode_base58btc(&key.sign(&hash.combined())).into();
    let mut secured = object.clone();
    let proofs = match existing.len() {
        0 => proof,
        _ => Value::Array(existing.into_iter().cloned().chain([proof]).collect()),
    };
    secured.insert("proof".into(), proofs);
    Ok(Value::Object(secured))
}

/// Verifies every proof on `document` (a proof set, possibly with chains) and returns them.
///
/// `now`, when given, is checked against each proof's `expires`.
pub fn verify_proofs(
    document: &Value,
    resolver: &dyn MethodResolver,
    now: Option<&DateTime>,
) -> Result<Vec<VerifiedProof>, ProofError> {
    let object = as_object(document)?;
    let proofs = proofs_of(object)?;
    if proofs.is_empty() {
        return Err(ProofError::MissingProof);
    }
    proofs
        .iter()
        .map(|proof| verify_one(object, &proofs, proof, resolver, now))
        .collect()
}

fn verify_one(
    object: &Map<String, Value>,
    all: &[&Value],
    proof: &Value,
    resolver: &dyn MethodResolver,
    now: Option<&DateTime>,
) -> Result<VerifiedProof, ProofError> {
    let p = proof
        .as_object()
        .ok_or_else(|| ProofError::InvalidDocument("a proof is not an object".into()))?;
    let field = |name: &str| p.get(name).and_then(Value::as_str);
    if field("type") != Some(PROOF_TYPE) {
        return Err(ProofError::UnsupportedProof(format!(
            "type {:?}",
            p.get("type")
        )));
    }
    if field("cryptosuite") != Some(CRYPTOSUITE) {
        return Err(ProofError::UnsupportedProof(format!(
            "cryptosuite {:?}",
            p.get("cryptosuite")
        )));
    }
    let purpose = field("proofPurpose").unwrap_or_default();
    if purpose != ASSERTION_METHOD {
        return Err(ProofError::WrongProofPurpose {
            expected: ASSERTION_METHOD.into(),
            found: purpose.into(),
        });
    }
    let created = field("created").map(DateTime::parse).transpose()?;
    if let (Some(expires), Some(now)) = (field("expires").map(DateTime::parse).transpose()?, now)
        && now.unix_millis() > expires.unix_millis()
    {
        return Err(ProofError::ProofExpired(expires));
    }
    let vm = VerificationMethodId::parse(field("verificationMethod").unwrap_or_default())?;
    let method = resolver.resolve(&vm)?;
    if !method.assertion_method {
        return Err(ProofError::NotAnAssertionMethod(vm.to_string()));
    }
    let signature = field("proofValue")
        .ok_or_else(|| ProofError::InvalidProofValue("missing".into()))
        .and_then(|v| {
            decode_base58btc(v).map_err(|e| ProofError::InvalidProofValue(e.to_string()))
        })?;
    if signature.len() != 64 {
        return Err(ProofError::InvalidProofValue(format!(
            "{} bytes, expected 64",
            signature.len()
        )));
    }
    let previous = previous_proof_ids(p.get("previousProof"))?;
    let unsecured = unsecured_for(object, all, &previous)?;
    let mut config = p.clone();
    config.remove("proofValue");
    let config = match config.get("@context") {
        Some(ctx) if !context_is_prefix(ctx, object.get("@context")) => {
            return Err(ProofError::InvalidDocument(
                "the proof's @context does not match the document's".into(),
            ));
        }
        _ => with_context(Value::Object(config), object),
    };
    let hash = HashData::new(&unsecured, &config)?;
    if !method.key.verifies(&hash.combined(), &signature) {
        return Err(ProofError::BadSignature(vm.to_string()));
    }
    Ok(VerifiedProof { method, created })
}

fn as_object(document: &Value) -> Result<&Map<String, Value>, ProofError> {
    document
        .as_object()
        .ok_or_else(|| ProofError::InvalidDocument("not a JSON object".into()))
}

fn proofs_of(object: &Map<String, Value>) -> Result<Vec<&Value>, ProofError> {
    match object.get("proof") {
        None => Ok(Vec::new()),
        Some(Value::Array(proofs)) => Ok(proofs.iter().collect()),
        Some(proof @ Value::Object(_)) => Ok(vec![proof]),
        Some(_) => Err(ProofError::InvalidDocument(
            "`proof` is neither an object nor an array".into(),
        )),
    }
}

fn previous_proof_ids(value: Option<&Value>) -> Result<Vec<String>, ProofError> {
    let bad = || {
        ProofError::InvalidDocument("previousProof must be a string or an array of strings".into())
    };
    match value {
        None => Ok(Vec::new()),
        Some(Value::String(id)) => Ok(vec![id.clone()]),
        Some(Value::Array(ids)) => ids
            .iter()
            .map(|id| id.as_str().map(str::to_owned).ok_or_else(bad))
            .collect(),
        Some(_) => Err(bad()),
    }
}

/// The document a proof covers: without `proof`, except for the earlier proofs a chain names.
fn unsecured_for(
    object: &Map<String, Value>,
    all: &[&Value],
    previous: &[String],
) -> Result<Value, ProofError> {
    let mut unsecured = object.clone();
    unsecured.remove("proof");
    if !previous.is_empty() {
        let matching = previous
            .iter()
            .map(|id| {
                all.iter()
                    .find(|p| p.get("id").and_then(Value::as_str) == Some(id))
                    .map(|p| (*p).clone())
                    .ok_or_else(|| ProofError::MissingPreviousProof(id.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        unsecured.insert("proof".into(), Value::Array(matching));
    }
    Ok(Value::Object(unsecured))
}

fn with_context(mut config: Value, object: &Map<String, Value>) -> Value {
    if let (Some(ctx), Value::Object(m)) = (object.get("@context"), &mut config) {
        m.insert("@context".into(), ctx.clone());
    }
    config
}

fn context_is_prefix(proof_ctx: &Value, doc_ctx: Option<&Value>) -> bool {
    let list = |v: &Value| match v {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    let Some(doc_ctx) = doc_ctx else { return false };
    let (p, d) = (list(proof_ctx), list(doc_ctx));
    p.len() <= d.len() && p.iter().zip(&d).all(|(a, b)| a == b)
}
