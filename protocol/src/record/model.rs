//! The JSON shape of a record: a VC 2.0 credential whose subject is a gig, an achievement or a
//! track record, in the terms of the `https://w3id.org/openplatforms/gig/v1` context.
//!
//! These types are the contract: the converter writes them, and the verifier reads every verified
//! record back through them, so a record with a field the model does not know is refused.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::RecordError;
use super::vocab::{ACHIEVEMENT_CREDENTIAL, GIG_CREDENTIAL, TRACK_RECORD_CREDENTIAL};
use crate::contexts::{CREDENTIALS_V2, GIG_V1};
use crate::status::StatusEntry;

pub use super::subject::*;

/// Which of the three records a credential is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// One gig (`GigCredential`).
    Gig,
    /// One achievement (`AchievementCredential`).
    Achievement,
    /// A platform's track-record summary (`TrackRecordCredential`).
    TrackRecord,
}

impl RecordKind {
    /// The credential type naming this kind.
    pub fn credential_type(self) -> &'static str {
        match self {
            RecordKind::Gig => GIG_CREDENTIAL,
            RecordKind::Achievement => ACHIEVEMENT_CREDENTIAL,
            RecordKind::TrackRecord => TRACK_RECORD_CREDENTIAL,
        }
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.credential_type())
    }
}

/// A decimal number, written in JSON as an `xsd:decimal` string (`"4.5"`) so that its RDF form is
/// exact, never a binary floating-point literal.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Decimal(f64);

impl Decimal {
    /// Zero.
    pub const ZERO: Decimal = Decimal(0.0);

    /// A finite number as a decimal.
    pub fn new(value: f64) -> Option<Self> {
        value.is_finite().then_some(Decimal(value))
    }

    /// The number.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Rust prints floats without exponents and with the fewest digits that round-trip,
        // which is a valid xsd:decimal lexical form.
        write!(f, "{}", self.0 + 0.0)
    }
}

impl Serialize for Decimal {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let (int, frac) = text.split_once('.').unwrap_or((&text, "0"));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let int = int.strip_prefix('-').unwrap_or(int);
        if !(digits(int) && digits(frac)) {
            return Err(serde::de::Error::custom(format!(
                "`{text}` is not an xsd:decimal"
            )));
        }
        text.parse::<f64>()
            .ok()
            .and_then(Decimal::new)
            .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is out of range")))
    }
}

/// A record: the credential envelope around one of the three subjects.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Credential {
    /// Always `[credentials/v2, gig/v1]`.
    #[serde(rename = "@context")]
    pub context: Vec<String>,
    /// A stable id (`urn:uuid:`), derived from the platform and the gig or achievement id.
    pub id: String,
    /// `["VerifiableCredential", <kind>]`.
    #[serde(rename = "type")]
    pub types: Vec<String>,
    /// The platform, once signed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// From when the credential is valid (not when the gig happened).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    /// Until when the credential is valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
    /// The worker and what the record says about them.
    pub credential_subject: Subject,
    /// Where to check whether the issuer revoked it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_status: Option<StatusEntry>,
    /// The Data Integrity proof(s), once signed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<Value>,
}

/// The subject of a record.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Subject {
    /// A gig (boxed: it is by far the largest subject).
    Gig(Box<GigSubject>),
    /// An achievement.
    Achievement(AchievementSubject),
    /// A track record.
    TrackRecord(TrackRecordSubject),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawCredential {
    #[serde(rename = "@context")]
    context: Vec<String>,
    id: String,
    #[serde(rename = "type")]
    types: Vec<String>,
    issuer: Option<String>,
    valid_from: Option<String>,
    valid_until: Option<String>,
    credential_subject: Value,
    credential_status: Option<StatusEntry>,
    proof: Option<Value>,
}

impl Credential {
    /// The record's kind.
    pub fn kind(&self) -> RecordKind {
        match self.credential_subject {
            Subject::Gig(_) => RecordKind::Gig,
            Subject::Achievement(_) => RecordKind::Achievement,
            Subject::TrackRecord(_) => RecordKind::TrackRecord,
        }
    }

    /// An unsigned record of `subject`.
    pub fn new(id: String, subject: Subject) -> Self {
        let mut c = Credential {
            context: vec![CREDENTIALS_V2.into(), GIG_V1.into()],
            id,
            types: Vec::new(),
            issuer: None,
            valid_from: None,
            valid_until: None,
            credential_subject: subject,
            credential_status: None,
            proof: None,
        };
        c.types = vec![
            "VerifiableCredential".into(),
            c.kind().credential_type().into(),
        ];
        c
    }

    /// Reads a record, refusing other contexts, other types and any field the model does not know.
    pub fn from_json(value: &Value) -> Result<Self, RecordError> {
        let shape =
            |path: &str, e: serde_json::Error| RecordError::NotARecord(format!("{path}{e}"));
        let raw: RawCredential = serde_json::from_value(value.clone()).map_err(|e| shape("", e))?;
        if raw.context != [CREDENTIALS_V2, GIG_V1] {
            return Err(RecordError::NotARecord(format!(
                "@context must be [\"{CREDENTIALS_V2}\", \"{GIG_V1}\"], found {:?}",
                raw.context
            )));
        }
        let kind = match raw
            .types
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["VerifiableCredential", GIG_CREDENTIAL] => RecordKind::Gig,
            ["VerifiableCredential", ACHIEVEMENT_CREDENTIAL] => RecordKind::Achievement,
            ["VerifiableCredential", TRACK_RECORD_CREDENTIAL] => RecordKind::TrackRecord,
            other => {
                return Err(RecordError::NotARecord(format!(
                    "type must be VerifiableCredential and one of {GIG_CREDENTIAL}, {ACHIEVEMENT_CREDENTIAL}, {TRACK_RECORD_CREDENTIAL}; found {other:?}"
                )));
            }
        };
        let s = raw.credential_subject;
        let at = |e| shape("credentialSubject: ", e);
        let credential_subject = match kind {
            RecordKind::Gig => Subject::Gig(Box::new(serde_json::from_value(s).map_err(at)?)),
            RecordKind::Achievement => Subject::Achievement(serde_json::from_value(s).map_err(at)?),
            RecordKind::TrackRecord => Subject::TrackRecord(serde_json::from_value(s).map_err(at)?),
        };
        if let Subject::Achievement(a) = &credential_subject
            && a.result
                .as_ref()
                .is_some_and(|r| r.value.is_some() == r.decimal_value.is_some())
        {
            return Err(RecordError::NotARecord(
                "credentialSubject.result needs exactly one of value and decimalValue".into(),
            ));
        }
        Ok(Credential {
            context: raw.context,
            id: raw.id,
            types: raw.types,
            issuer: raw.issuer,
            valid_from: raw.valid_from,
            valid_until: raw.valid_until,
            credential_subject,
            credential_status: raw.credential_status,
            proof: raw.proof,
        })
    }

    /// The record as JSON.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or_else(|_| unreachable!("records serialise to JSON"))
    }
}
