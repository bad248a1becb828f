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

/// Declares a one-value enum that serialises as the JSON-LD `type` it names.
macro_rules! node_type {
    ($(#[$doc:meta] $name:ident = $value:literal;)*) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
        pub enum $name {
            #[doc = concat!("`", $value, "`.")]
            #[default]
            #[serde(rename = $value)]
            Tag,
        }
    )*};
}

node_type! {
    /// `Gig`.
    GigType = "Gig";
    /// `Review`.
    ReviewType = "Review";
    /// `Rating`.
    RatingType = "Rating";
    /// `AggregateRating`.
    AggregateRatingType = "AggregateRating";
    /// `Place`.
    PlaceType = "Place";
    /// `PostalAddress`.
    PostalAddressType = "PostalAddress";
    /// `ImageObject`.
    ImageObjectType = "ImageObject";
    /// `MonetaryAmount`.
    MonetaryAmountType = "MonetaryAmount";
    /// `AchievementSubject`.
    AchievementSubjectType = "AchievementSubject";
    /// `Achievement`.
    AchievementType = "Achievement";
    /// `Result`.
    ResultType = "Result";
    /// `TrackRecord`.
    TrackRecordType = "TrackRecord";
}

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

/// The worker (`id`, when known) and the gig they performed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GigSubject {
    /// The worker's WebID or DID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The gig (`schema:agent` of the gig is the worker).
    pub performed: Gig,
}

/// A gig (`gig:Gig`, a `schema:Action`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Gig {
    /// `Gig`.
    #[serde(rename = "type")]
    pub kind: GigType,
    /// The platform's id for the gig.
    pub identifier: String,
    /// The kind of service, free text.
    pub service_type: String,
    /// Start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// End.
    pub end_time: String,
    /// Whether the platform deems it successful.
    pub successful: bool,
    /// The client, pseudonymous unless the platform opts in to copying name and photo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant: Option<Participant>,
    /// Review text and ratings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<ReviewNode>,
    /// The project's title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The project's description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Where.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Place>,
    /// Images of the work.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image: Vec<ImageObject>,
    /// Estimated hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours_worked: Option<u64>,
    /// Estimated income.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earnings: Option<MonetaryAmount>,
    /// ESCO skills or occupations the gig used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub used_skill: Vec<String>,
}

/// The client of a gig.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Participant {
    /// The platform's opaque id for the client.
    pub identifier: String,
    /// Name, only if the platform copies client personal data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Photo, only if the platform copies client personal data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageObject>,
}

/// A review (`schema:Review`) carrying the written review and the ratings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReviewNode {
    /// `Review`.
    #[serde(rename = "type")]
    pub kind: ReviewType,
    /// Heading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_body: Option<String>,
    /// One rating per dimension.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub review_rating: Vec<RatingNode>,
}

/// A rating with its scale (`schema:Rating`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RatingNode {
    /// `Rating`.
    #[serde(rename = "type")]
    pub kind: RatingType,
    /// The dimension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The rating.
    pub rating_value: Decimal,
    /// Lowest possible.
    pub worst_rating: Decimal,
    /// Highest possible.
    pub best_rating: Decimal,
}

/// A place (`schema:Place`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Place {
    /// `Place`.
    #[serde(rename = "type")]
    pub kind: PlaceType,
    /// The location exactly as the platform wrote it.
    pub name: String,
    /// `City/Region/Country` split into its parts, when it has exactly three.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<PostalAddress>,
}

/// A postal address (`schema:PostalAddress`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PostalAddress {
    /// `PostalAddress`.
    #[serde(rename = "type")]
    pub kind: PostalAddressType,
    /// City.
    pub address_locality: String,
    /// Region.
    pub address_region: String,
    /// Country.
    pub address_country: String,
}

/// An image (`schema:ImageObject`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImageObject {
    /// `ImageObject`.
    #[serde(rename = "type")]
    pub kind: ImageObjectType,
    /// Where it is (an `xsd:anyURI` literal, kept as written).
    pub content_url: String,
    /// Caption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
}

/// An amount of money (`schema:MonetaryAmount`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MonetaryAmount {
    /// `MonetaryAmount`.
    #[serde(rename = "type")]
    pub kind: MonetaryAmountType,
    /// Whole units.
    pub value: i64,
    /// ISO 4217.
    pub currency: String,
}

/// The worker and an achievement they gained (Open Badges 3.0 `AchievementSubject`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AchievementSubject {
    /// The worker's WebID or DID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `AchievementSubject`.
    #[serde(rename = "type")]
    pub kind: AchievementSubjectType,
    /// What was achieved.
    pub achievement: AchievementNode,
    /// The score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<ResultNode>,
    /// When it was gained.
    pub awarded_date: String,
}

/// An achievement (Open Badges 3.0 `Achievement`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AchievementNode {
    /// `Achievement`.
    #[serde(rename = "type")]
    pub kind: AchievementType,
    /// The platform's id for it.
    pub identifier: String,
    /// `Badge`, or `ext:<type>` for the standard's other kinds (`ext:QualificationAssessment`).
    pub achievement_type: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Badge graphics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageObject>,
}

/// A score (Open Badges 3.0 `Result`): a text `value` or a `decimalValue`, and a unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResultNode {
    /// `Result`.
    #[serde(rename = "type")]
    pub kind: ResultType,
    /// A text score ("A").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// A numeric score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimal_value: Option<Decimal>,
    /// The label shown with it ("percent").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_text: Option<String>,
}

/// The worker and their track record on the issuing platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrackRecordSubject {
    /// The worker's WebID or DID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The summary.
    pub track_record: TrackRecord,
}

/// A track record (`gig:TrackRecord`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrackRecord {
    /// `TrackRecord`.
    #[serde(rename = "type")]
    pub kind: TrackRecordType,
    /// Gigs performed.
    pub completed_count: u64,
    /// Gigs the platform deems successful.
    pub successful_count: u64,
    /// Start of the earliest gig.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    /// End of the latest gig.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    /// Mean rating per dimension and scale.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aggregate_rating: Vec<AggregateRating>,
}

/// The mean of one rating dimension on one scale (`schema:AggregateRating`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AggregateRating {
    /// `AggregateRating`.
    #[serde(rename = "type")]
    pub kind: AggregateRatingType,
    /// The dimension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The mean, to two decimals.
    pub rating_value: Decimal,
    /// How many ratings.
    pub rating_count: u64,
    /// Lowest possible.
    pub worst_rating: Decimal,
    /// Highest possible.
    pub best_rating: Decimal,
}
