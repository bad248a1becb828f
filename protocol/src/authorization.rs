//! RFC 9396 authorization details of type `gig_data`: what a grant lets a client do with whose data.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The `type` of our authorization details.
pub const GIG_DATA: &str = "gig_data";

/// How much of each platform's data a matcher may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Only each platform's track-record `summary`.
    Summary,
    /// Every record.
    Full,
}

/// What the client may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Read records.
    Read,
    /// Write records (platforms, into their own container).
    Write,
}

/// One `gig_data` authorization detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GigData {
    /// Always `gig_data`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Allowed actions.
    pub actions: Vec<Action>,
    /// Pod root URLs; filled in with the worker's pod when left empty.
    #[serde(default)]
    pub locations: Vec<String>,
    /// Platform client ids whose data may be read; empty means every platform.
    #[serde(default)]
    pub platforms: Vec<String>,
    /// Summary or full.
    #[serde(default = "default_level")]
    pub level: Level,
    /// Why, in the client's words, shown on the consent screen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// When access ends, RFC 3339 (`2027-01-31T00:00:00Z`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

fn default_level() -> Level {
    Level::Summary
}

/// Authorization details that cannot be accepted.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DetailsError {
    /// Not a JSON array of objects of the known type.
    #[error("authorization_details must be a JSON array of objects with type \"gig_data\": {0}")]
    Malformed(String),
    /// `expires` is not an RFC 3339 UTC time.
    #[error(
        "authorization_details expires {0:?} must be an RFC 3339 UTC time like 2027-01-31T00:00:00Z"
    )]
    BadExpiry(String),
    /// No action given.
    #[error("authorization_details needs at least one action (read or write)")]
    NoAction,
}

impl GigData {
    /// Parses the `authorization_details` parameter.
    pub fn parse_list(json: &str) -> Result<Vec<GigData>, DetailsError> {
        let list: Vec<GigData> =
            serde_json::from_str(json).map_err(|e| DetailsError::Malformed(e.to_string()))?;
        for d in &list {
            if d.kind != GIG_DATA {
                return Err(DetailsError::Malformed(format!(
                    "unknown type {:?}",
                    d.kind
                )));
            }
            if d.actions.is_empty() {
                return Err(DetailsError::NoAction);
            }
            if let Some(e) = &d.expires
                && crate::clock::parse_rfc3339(e).is_none()
            {
                return Err(DetailsError::BadExpiry(e.clone()));
            }
        }
        Ok(list)
    }

    /// The expiry in Unix seconds, if any.
    pub fn expires_at(&self) -> Option<u64> {
        self.expires
            .as_deref()
            .and_then(crate::clock::parse_rfc3339)
            .map(|ms| ms / 1000)
    }

    /// Whether `self` allows no more than `wider` does: same or fewer actions, platforms,
    /// locations, level, and no later expiry.
    pub fn within(&self, wider: &GigData) -> bool {
        let subset = |mine: &[String], theirs: &[String]| {
            theirs.is_empty() || (!mine.is_empty() && mine.iter().all(|m| theirs.contains(m)))
        };
        self.actions.iter().all(|a| wider.actions.contains(a))
            && subset(&self.platforms, &wider.platforms)
            && subset(&self.locations, &wider.locations)
            && self.level <= wider.level
            && match (self.expires_at(), wider.expires_at()) {
                (_, None) => true,
                (Some(mine), Some(theirs)) => mine <= theirs,
                (None, Some(_)) => false,
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(json: &str) -> GigData {
        GigData::parse_list(&format!("[{json}]")).unwrap().remove(0)
    }

    #[test]
    fn details_parse_with_defaults_and_refuse_unknowns() {
        let d = detail(r#"{"type":"gig_data","actions":["read"],"platforms":["acme"]}"#);
        assert_eq!(d.level, Level::Summary);
        assert!(GigData::parse_list(r#"[{"type":"other","actions":["read"]}]"#).is_err());
        assert!(GigData::parse_list(r#"[{"type":"gig_data","actions":[]}]"#).is_err());
        assert!(
            GigData::parse_list(r#"[{"type":"gig_data","actions":["read"],"extra":1}]"#).is_err()
        );
        assert!(
            GigData::parse_list(r#"[{"type":"gig_data","actions":["read"],"expires":"soon"}]"#)
                .is_err()
        );
    }

    #[test]
    fn narrower_requests_fit_within_wider_grants() {
        let wide = detail(
            r#"{"type":"gig_data","actions":["read"],"platforms":["a","b"],"level":"full","expires":"2027-01-01T00:00:00Z"}"#,
        );
        let narrow = detail(
            r#"{"type":"gig_data","actions":["read"],"platforms":["a"],"level":"summary","expires":"2026-12-01T00:00:00Z"}"#,
        );
        assert!(narrow.within(&wide));
        assert!(!wide.within(&narrow));
        let all_platforms = detail(r#"{"type":"gig_data","actions":["read"],"level":"full"}"#);
        assert!(
            !all_platforms.within(&wide),
            "every platform is wider than two"
        );
    }
}
