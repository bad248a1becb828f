//! Data Integrity proofs with the `eddsa-rdfc-2022` cryptosuite: keys, verification methods,
//! canonicalisation, signing and verification of any JSON-LD document over the pinned contexts.
//!
//! The layers, bottom up: [`multibase`] and [`multikey`] (key and signature encodings),
//! [`controller`] and [`did_key`] (who controls a key), [`canon`] (JSON-LD → RDF → RDFC-1.0, with
//! [`direct`], the fast conversion of the documents records are made of, over `terms`),
//! [`eddsa`] (the cryptosuite's hashing, signing and proof sets). Record-level rules (issuer is
//! the key's controller, validity period, status) live in [`crate::record`].

pub mod canon;
pub mod controller;
pub mod did_key;
pub mod direct;
pub mod eddsa;
pub mod multibase;
pub mod multikey;
mod terms;

pub use controller::{
    ControllerDocument, Controllers, MethodResolver, ResolvedMethod, VerificationMethodId,
};
pub use did_key::DidKey;
pub use eddsa::{ProofOptions, VerifiedProof, add_proof, verify_proofs};
pub use multikey::{KeyFile, KeyPair, Multikey};

use thiserror::Error;

use crate::datetime::{DateTime, DateTimeError};

/// Why a proof could not be created or does not verify.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ProofError {
    /// The document is not shaped as a secured document (not an object, proof not an object...).
    #[error("malformed document: {0}")]
    InvalidDocument(String),
    /// JSON-LD expansion failed: an undefined term, an unpinned context, a malformed value.
    #[error("JSON-LD expansion failed (undefined term or unpinned context): {0}")]
    Expansion(String),
    /// A term or type the contexts do not define, or an IRI that is not absolute.
    #[error("undefined term: {0}")]
    UndefinedTerm(String),
    /// RDFC-1.0 refused the dataset (for instance a blank node structure too costly to label).
    #[error("RDF canonicalisation failed: {0}")]
    Canonicalization(String),
    /// The document carries no proof.
    #[error("the document has no proof")]
    MissingProof,
    /// A proof type or cryptosuite other than `DataIntegrityProof` / `eddsa-rdfc-2022`.
    #[error("unsupported proof: {0}")]
    UnsupportedProof(String),
    /// The proof was made for another purpose than the one being checked.
    #[error("proof purpose is `{found}`, expected `{expected}`")]
    WrongProofPurpose {
        /// The purpose required.
        expected: String,
        /// The purpose in the proof.
        found: String,
    },
    /// `proofValue` is missing or not a multibase base58btc 64-byte signature.
    #[error("invalid proofValue: {0}")]
    InvalidProofValue(String),
    /// A key that is not a valid Ed25519 Multikey.
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// A malformed verification method or controller document entry.
    #[error("invalid verification method: {0}")]
    InvalidVerificationMethod(String),
    /// The verification method could not be resolved from what the verifier was given.
    #[error("cannot resolve verification method: {0}")]
    UnresolvedVerificationMethod(String),
    /// The controller does not allow this method to issue credentials.
    #[error("`{0}` is not listed as an assertionMethod of its controller")]
    NotAnAssertionMethod(String),
    /// The signing key is not the key of the verification method named in the proof options.
    #[error("the signing key is not the key of `{0}`")]
    KeyMismatch(String),
    /// The signature does not match the canonical document and proof options.
    #[error(
        "signature by `{0}` does not match the document: it was changed after signing or signed with another key"
    )]
    BadSignature(String),
    /// A proof `previousProof` names a proof that is not in the set.
    #[error("previousProof `{0}` is not in the proof set")]
    MissingPreviousProof(String),
    /// The proof's `expires` has passed.
    #[error("the proof expired at {0}")]
    ProofExpired(DateTime),
    /// A timestamp in the proof is malformed.
    #[error(transparent)]
    InvalidDate(#[from] DateTimeError),
}
