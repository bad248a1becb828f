//! Signed gig records: the Gig Data Standard mapped to VC 2.0 credentials, signed and verified.
//!
//! [`gigdata`] reads a platform's export; [`convert`] turns it, under the platform's
//! [`issuance`] choices, into one [`Credential`] per gig and per achievement plus a track-record
//! summary ([`summary`]), in the shape [`model`] defines and the terms [`vocab`] lists;
//! [`Signer`] signs them (`eddsa-rdfc-2022`) and [`Verifier`] checks signature, issuer, validity
//! period and revocation status.

pub mod convert;
pub mod gigdata;
pub mod issuance;
pub mod model;
pub mod sign;
pub mod subject;
pub mod summary;
pub mod verdict;
pub mod verify;
pub mod vocab;

pub use convert::{convert, summary_record, to_gig_data};
pub use gigdata::GigExport;
pub use issuance::{ClientData, Earnings, Issuance, StatusAllocation};
pub use model::{Credential, RecordKind, Subject};
pub use sign::Signer;
pub use verdict::{Place, Rules, Standing, Verdict};
pub use verify::{RecordStatus, StatusCheck, VerifiedRecord, Verifier};

use thiserror::Error;

use crate::datetime::DateTimeError;
use crate::iri::IriError;
use crate::proof::ProofError;
use crate::status::StatusError;

/// Why a record could not be made, signed or verified.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum RecordError {
    /// The Gig Data Standard input is invalid at `path`.
    #[error("invalid Gig Data Standard export at {path}: {reason}")]
    InvalidGigData {
        /// Where (`interactions[3].period.end`).
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The JSON is not one of the three records (wrong context, type or fields).
    #[error("not a gig record: {0}")]
    NotARecord(String),
    /// The proof is missing, malformed or does not verify.
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// An identifier that must be an absolute IRI is not.
    #[error(transparent)]
    Iri(#[from] IriError),
    /// A malformed timestamp.
    #[error(transparent)]
    Date(#[from] DateTimeError),
    /// Signing a record that already has a proof.
    #[error("the record is already signed; sign the unsigned record")]
    AlreadySigned,
    /// The record has no issuer.
    #[error("the record has no issuer")]
    MissingIssuer,
    /// The issuer is not who controls the signing key.
    #[error(
        "issuer `{issuer}` is not the controller of the signing key (controlled by `{controller}`)"
    )]
    IssuerMismatch {
        /// The record's issuer.
        issuer: String,
        /// The key's controller.
        controller: String,
    },
    /// `validFrom` is in the future.
    #[error("the record is not valid before {0}")]
    NotYetValid(String),
    /// `validUntil` has passed.
    #[error("the record expired at {0}")]
    Expired(String),
    /// The record has no `credentialStatus`, so revocation cannot be checked.
    #[error("the record has no credentialStatus, so whether it was revoked cannot be checked")]
    MissingStatus,
    /// The status could not be determined.
    #[error(transparent)]
    Status(#[from] StatusError),
    /// The status list credential does not verify or does not fit the record.
    #[error("status list {url} is not acceptable: {reason}")]
    StatusList {
        /// Its URL.
        url: String,
        /// Why.
        reason: String,
    },
}
