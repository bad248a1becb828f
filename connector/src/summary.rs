//! A matcher's overview of verified records: gigs per platform, each rating dimension normalised
//! to 0–1 with its original scale kept, the period covered, and which records back each figure.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::verify::Accepted;

/// One rating dimension on one platform.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Dimension {
    /// The dimension's name (`overall` when the platform gave none).
    pub name: String,
    /// How many ratings.
    pub count: usize,
    /// Their mean, normalised to 0–1 (`(value - worst) / (best - worst)`).
    pub mean_normalised: f64,
    /// The scales the ratings were given on, as `worst–best`.
    pub scales: Vec<String>,
    /// The records the ratings come from.
    pub records: Vec<String>,
}

/// What one platform's verified records say.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PlatformSummary {
    /// The issuing platform.
    pub issuer: String,
    /// Verified gig records.
    pub gigs: usize,
    /// Of which marked successful.
    pub successful: usize,
    /// Earliest gig start (as written in the record).
    pub first: Option<String>,
    /// Latest gig end.
    pub last: Option<String>,
    /// Ratings per dimension.
    pub ratings: Vec<Dimension>,
    /// The gig records counted.
    pub records: Vec<String>,
}

/// Normalised values, scales seen and backing records of one dimension, while collecting.
type Collected = (Vec<f64>, Vec<String>, Vec<String>);

fn number(v: &Value) -> Option<f64> {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// Summarises verified gig records per platform.
pub fn summarise(accepted: &[Accepted]) -> Vec<PlatformSummary> {
    let mut by_issuer: BTreeMap<String, Vec<&Accepted>> = BTreeMap::new();
    for a in accepted.iter().filter(|a| a.kind == "gig") {
        by_issuer.entry(a.issuer.clone()).or_default().push(a);
    }
    by_issuer
        .into_iter()
        .map(|(issuer, gigs)| {
            let mut dims: BTreeMap<String, Collected> = BTreeMap::new();
            let mut first: Option<String> = None;
            let mut last: Option<String> = None;
            let mut successful = 0;
            for gig in &gigs {
                let performed = &gig.record["credentialSubject"]["performed"];
                if performed["successful"] == true {
                    successful += 1;
                }
                if let Some(s) = performed["startTime"].as_str() {
                    first = Some(first.map_or(s.to_owned(), |f| f.min(s.to_owned())));
                }
                if let Some(e) = performed["endTime"].as_str() {
                    last = Some(last.map_or(e.to_owned(), |l| l.max(e.to_owned())));
                }
                for rating in performed["review"]["reviewRating"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    let (Some(v), Some(lo), Some(hi)) = (
                        number(&rating["ratingValue"]),
                        number(&rating["worstRating"]),
                        number(&rating["bestRating"]),
                    ) else {
                        continue;
                    };
                    if hi <= lo {
                        continue;
                    }
                    let name = rating["name"].as_str().unwrap_or("overall").to_owned();
                    let entry = dims.entry(name).or_default();
                    entry.0.push(((v - lo) / (hi - lo)).clamp(0.0, 1.0));
                    let scale = format!("{lo}–{hi}");
                    if !entry.1.contains(&scale) {
                        entry.1.push(scale);
                    }
                    if !entry.2.contains(&gig.url) {
                        entry.2.push(gig.url.clone());
                    }
                }
            }
            PlatformSummary {
                issuer,
                gigs: gigs.len(),
                successful,
                first,
                last,
                ratings: dims
                    .into_iter()
                    .map(|(name, (values, scales, records))| Dimension {
                        name,
                        count: values.len(),
                        mean_normalised: values.iter().sum::<f64>() / values.len() as f64,
                        scales,
                        records,
                    })
                    .collect(),
                records: gigs.iter().map(|g| g.url.clone()).collect(),
            }
        })
        .collect()
}

/// One rating dimension of a platform's signed track record, on its own scale.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TrackRating {
    /// The dimension (`overall` when unnamed).
    pub name: String,
    /// The mean the platform signed.
    pub mean: f64,
    /// How many ratings it averages.
    pub count: u64,
    /// The scale's worst value.
    pub worst: f64,
    /// The scale's best value.
    pub best: f64,
}

/// What a platform's verified track record (`summary`) says: all a summary-level grant may read.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TrackRecordSummary {
    /// The issuing platform.
    pub issuer: String,
    /// Where it was read.
    pub url: String,
    /// Gigs completed.
    pub completed: u64,
    /// Of which successful.
    pub successful: u64,
    /// Period covered, as written.
    pub first: Option<String>,
    /// End of the period.
    pub last: Option<String>,
    /// Mean rating per dimension and scale.
    pub ratings: Vec<TrackRating>,
}

/// The verified track records among `accepted`, one per platform folder read.
pub fn track_records(accepted: &[Accepted]) -> Vec<TrackRecordSummary> {
    accepted
        .iter()
        .filter(|a| a.kind == "track record")
        .map(|a| {
            let t = &a.record["credentialSubject"]["trackRecord"];
            let count = |v: &Value| v.as_u64().or_else(|| v.as_str()?.parse().ok()).unwrap_or(0);
            TrackRecordSummary {
                issuer: a.issuer.clone(),
                url: a.url.clone(),
                completed: count(&t["completedCount"]),
                successful: count(&t["successfulCount"]),
                first: t["startDate"].as_str().map(str::to_owned),
                last: t["endDate"].as_str().map(str::to_owned),
                ratings: t["aggregateRating"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|r| TrackRating {
                        name: r["name"].as_str().unwrap_or("overall").to_owned(),
                        mean: number(&r["ratingValue"]).unwrap_or(0.0),
                        count: count(&r["ratingCount"]),
                        worst: number(&r["worstRating"]).unwrap_or(0.0),
                        best: number(&r["bestRating"]).unwrap_or(0.0),
                    })
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gig(url: &str, start: &str, ratings: Value, ok: bool) -> Accepted {
        Accepted {
            url: url.into(),
            issuer: "https://hub/platforms/acme".into(),
            platform: "acme".into(),
            kind: "gig".into(),
            record: serde_json::json!({"credentialSubject": {"performed": {
                "startTime": start, "endTime": start, "successful": ok, "review": {"reviewRating": ratings}}}}),
        }
    }

    #[test]
    fn ratings_on_different_scales_are_normalised_and_traced_to_their_records() {
        let records = vec![
            gig(
                "u1",
                "2026-01-01",
                serde_json::json!([{"name": "Quality", "ratingValue": "5", "worstRating": "1", "bestRating": "5"}]),
                true,
            ),
            gig(
                "u2",
                "2026-02-01",
                serde_json::json!([{"name": "Quality", "ratingValue": 5, "worstRating": 0, "bestRating": 10}]),
                false,
            ),
        ];
        let s = &summarise(&records)[0];
        assert_eq!((s.gigs, s.successful), (2, 1));
        assert_eq!(s.first.as_deref(), Some("2026-01-01"));
        assert_eq!(s.last.as_deref(), Some("2026-02-01"));
        let q = &s.ratings[0];
        assert_eq!(q.count, 2);
        assert!((q.mean_normalised - 0.75).abs() < 1e-9);
        assert_eq!(q.scales, vec!["1–5", "0–10"]);
        assert_eq!(q.records, vec!["u1", "u2"]);
    }
}
