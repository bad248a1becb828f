//! The subjects of records — gig, achievement, track record — and the nodes inside them, each
//! serialising under the short terms of the `gig/v1` context, with a fixed JSON-LD `type`.

use serde::{Deserialize, Serialize};

use super::model::Decimal;

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
