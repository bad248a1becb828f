//! The Gig Data Standard export (`user-platform-data.schema.json`) as Rust types, parsed and checked once.
//!
//! Unknown fields are refused rather than ignored: a field with no mapping would be lost from the
//! signed records without anyone noticing.

use serde::{Deserialize, Serialize};

use super::RecordError;
use crate::datetime::DateTime;

/// A platform's export for one worker: every gig (`interactions`) and every achievement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GigExport {
    /// Each instance of the worker supplying a service.
    pub interactions: Vec<Interaction>,
    /// Achievements, skill certificates, badges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub achievements: Vec<Achievement>,
}

/// One gig, job or project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Interaction {
    /// The platform's id for it.
    pub id: String,
    /// When it took place.
    pub period: Period,
    /// Who the service was for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<Client>,
    /// The kind of service, free text ("Web design", "Delivery").
    #[serde(rename = "type")]
    pub kind: String,
    /// Ratings, review and success.
    pub outcome: Outcome,
    /// Title, description, location, images, hours, income.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_data: Option<AdditionalData>,
}

/// Start and end of a gig.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// Start, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// End.
    pub end: String,
}

/// The platform's client in a gig: personal data of someone other than the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Client {
    /// The platform's id for the client.
    pub id: String,
    /// Their name ("" if not supplied).
    pub name: String,
    /// Their photo or avatar.
    pub photo_uri: String,
}

/// How a gig went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    /// A written review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<Review>,
    /// One rating per dimension, each with its scale.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ratings: Vec<Rating>,
    /// Whether the platform deems the gig successful.
    pub success: bool,
}

/// A written review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// Heading.
    pub title: String,
    /// Body.
    pub text: String,
}

/// One rating on its own scale; thumbs up/down are 1/0 on 0..1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rating {
    /// The dimension ("Delivery on time"); absent when there is only one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The rating.
    pub value: f64,
    /// Lowest possible value.
    pub min: f64,
    /// Highest possible value.
    pub max: f64,
}

/// Extra facts about a gig.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdditionalData {
    /// Where, preferably `City/Region/Country`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The project's title on the platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The project's description on the platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Photos or screenshots of the work.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<Image>,
    /// Estimated hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_of_hours: Option<u64>,
    /// Estimated income.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub income: Option<Income>,
}

/// An image with its caption.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Image {
    /// Where it is.
    pub uri: String,
    /// Its caption.
    pub caption: String,
}

/// Income from a gig.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Income {
    /// Amount, in whole units of the currency.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
}

/// An achievement, skill certificate or badge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Achievement {
    /// The platform's id for it.
    pub id: String,
    /// When it was gained.
    pub time_stamp: String,
    /// `QualificationAssessment`, `Badge`, or another kind.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its name.
    pub name: String,
    /// A short description.
    pub description: String,
    /// A score or level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<Score>,
    /// Badge graphics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub badge_icon_uri: Option<String>,
}

/// A score or level, with an optional label shown under it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Score {
    /// A number (`100`) or a text (`"A"`).
    pub value: ScoreValue,
    /// The label ("percent", "points").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// A score is a number or a text; which one is kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ScoreValue {
    /// A number.
    Number(f64),
    /// A text.
    Text(String),
}

impl GigExport {
    /// Parses an export and checks what the schema cannot: timestamps, scales, finite numbers.
    pub fn from_json(text: &str) -> Result<Self, RecordError> {
        if !text.trim_start().starts_with('{') {
            return Err(RecordError::InvalidGigData {
                path: "the top level".into(),
                reason: "an export is a JSON object {\"interactions\": [...], \"achievements\":                          [...]} (the Gig Data Standard; a sample is protocol/tests/data/gig-export.json)"
                    .into(),
            });
        }
        let export: GigExport = serde_json::from_str(text).map_err(|e| {
            // serde_json's message ends with the position, which `path` already gives.
            let message = e.to_string();
            let reason = message
                .rsplit_once(" at line ")
                .map_or(message.as_str(), |(m, _)| m)
                .to_owned();
            RecordError::InvalidGigData {
                path: format!("line {}, column {}", e.line(), e.column()),
                reason,
            }
        })?;
        export.validate()?;
        Ok(export)
    }

    /// Checks every interaction and achievement.
    pub fn validate(&self) -> Result<(), RecordError> {
        for (i, gig) in self.interactions.iter().enumerate() {
            gig.validate(&format!("interactions[{i}]"))?;
        }
        for (i, a) in self.achievements.iter().enumerate() {
            let path = format!("achievements[{i}]");
            timestamp(&format!("{path}.timeStamp"), &a.time_stamp)?;
            if let Some(Score {
                value: ScoreValue::Number(n),
                ..
            }) = &a.score
            {
                finite(&format!("{path}.score.value"), *n)?;
            }
        }
        Ok(())
    }
}

impl Interaction {
    fn validate(&self, path: &str) -> Result<(), RecordError> {
        let end = timestamp(&format!("{path}.period.end"), &self.period.end)?;
        if let Some(start) = &self.period.start {
            let start = timestamp(&format!("{path}.period.start"), start)?;
            if start > end {
                return Err(invalid(&format!("{path}.period"), "start is after end"));
            }
        }
        for (j, r) in self.outcome.ratings.iter().enumerate() {
            let p = format!("{path}.outcome.ratings[{j}]");
            for (name, v) in [("value", r.value), ("min", r.min), ("max", r.max)] {
                finite(&format!("{p}.{name}"), v)?;
            }
            if !(r.min <= r.value && r.value <= r.max) {
                return Err(invalid(&p, "value must lie between min and max"));
            }
        }
        Ok(())
    }
}

fn invalid(path: &str, reason: &str) -> RecordError {
    RecordError::InvalidGigData {
        path: path.to_owned(),
        reason: reason.to_owned(),
    }
}

fn timestamp(path: &str, value: &str) -> Result<DateTime, RecordError> {
    DateTime::parse(value).map_err(|e| invalid(path, &e.to_string()))
}

fn finite(path: &str, value: f64) -> Result<(), RecordError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(invalid(path, "not a finite number"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = include_str!("../../tests/data/gig-export.json");

    #[test]
    fn the_schema_examples_parse() {
        let export = GigExport::from_json(SAMPLE).unwrap();
        assert_eq!(export.interactions[0].outcome.ratings.len(), 2);
        assert_eq!(
            export.achievements[0].score.as_ref().unwrap().value,
            ScoreValue::Number(100.0)
        );
    }

    #[test]
    fn unknown_fields_bad_dates_and_out_of_scale_ratings_are_refused() {
        let unknown = SAMPLE.replace("\"noOfHours\"", "\"tips\": 3, \"noOfHours\"");
        assert!(matches!(
            GigExport::from_json(&unknown),
            Err(RecordError::InvalidGigData { .. })
        ));
        let bad_date = SAMPLE.replace("2019-05-14T14:03:16.1760763+02:00", "last spring");
        let err = GigExport::from_json(&bad_date).unwrap_err();
        assert!(
            err.to_string().contains("interactions[0].period.end"),
            "{err}"
        );
        let out_of_scale = SAMPLE.replace("\"value\": 4.5", "\"value\": 7");
        let err = GigExport::from_json(&out_of_scale).unwrap_err();
        assert!(err.to_string().contains("ratings[1]"), "{err}");
    }

    #[test]
    fn errors_say_what_an_export_is_and_the_position_once() {
        let err = GigExport::from_json("[]").unwrap_err().to_string();
        assert!(err.contains("an export is a JSON object"), "{err}");
        assert!(!err.contains("invalid length"), "{err}");
        let err = GigExport::from_json("{\"interactions\": 3}")
            .unwrap_err()
            .to_string();
        assert_eq!(err.matches("line 1").count(), 1, "{err}");
    }
}
