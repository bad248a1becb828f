//! The track-record summary of an export: counts, mean rating per dimension and scale, period.
//!
//! A matcher can be granted this one record alone (`gig:read:summary`), so it carries what the
//! pilot forwarded as averages — but signed, and with every mean's scale and count beside it.

use super::gigdata::Interaction;
use super::model::{AggregateRating, AggregateRatingType, Decimal, TrackRecord, TrackRecordType};
use crate::datetime::DateTime;

/// Summarises `gigs` (already validated).
pub fn track_record(gigs: &[Interaction]) -> TrackRecord {
    // Ratings group by dimension name and scale, in order of first appearance: a "Quality" on
    // 1..5 and a "Quality" on 0..10 are different measures and are never averaged together.
    let mut groups: Vec<(Option<&str>, f64, f64, f64, u64)> = Vec::new();
    for r in gigs.iter().flat_map(|g| &g.outcome.ratings) {
        let key = (r.name.as_deref(), r.min, r.max);
        match groups.iter_mut().find(|g| (g.0, g.1, g.2) == key) {
            Some(g) => {
                g.3 += r.value;
                g.4 += 1;
            }
            None => groups.push((key.0, key.1, key.2, r.value, 1)),
        }
    }
    let decimal = |v: f64| Decimal::new(v).unwrap_or(Decimal::ZERO);
    let aggregate_rating = groups
        .into_iter()
        .map(|(name, min, max, sum, count)| AggregateRating {
            kind: AggregateRatingType::Tag,
            name: name.map(str::to_owned),
            rating_value: decimal((sum / count as f64 * 100.0).round() / 100.0),
            rating_count: count,
            worst_rating: decimal(min),
            best_rating: decimal(max),
        })
        .collect();
    let parse = |s: &str| DateTime::parse(s).ok();
    let start_date = gigs
        .iter()
        .filter_map(|g| g.period.start.as_deref().and_then(parse))
        .min()
        .map(|d| d.as_str().to_owned());
    let end_date = gigs
        .iter()
        .filter_map(|g| parse(&g.period.end))
        .max()
        .map(|d| d.as_str().to_owned());
    TrackRecord {
        kind: TrackRecordType::Tag,
        completed_count: gigs.len() as u64,
        successful_count: gigs.iter().filter(|g| g.outcome.success).count() as u64,
        start_date,
        end_date,
        aggregate_rating,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::gigdata::GigExport;

    #[test]
    fn the_summary_counts_and_averages_per_dimension_and_scale() {
        let export =
            GigExport::from_json(include_str!("../../tests/data/gig-export.json")).unwrap();
        let t = track_record(&export.interactions);
        assert_eq!((t.completed_count, t.successful_count), (3, 2));
        assert_eq!(
            t.start_date.as_deref(),
            Some("2018-11-03T14:03:16.1760745+02:00")
        );
        assert_eq!(t.end_date.as_deref(), Some("2019-06-02T10:00:00Z"));
        let by_name = |n: Option<&str>| {
            t.aggregate_rating
                .iter()
                .find(|a| a.name.as_deref() == n)
                .unwrap()
        };
        let on_time = by_name(Some("Delivery on time"));
        assert_eq!(
            (on_time.rating_value.to_string(), on_time.rating_count),
            ("4".into(), 2)
        );
        assert_eq!(on_time.best_rating.to_string(), "5");
        let thumbs = by_name(Some("Thumbs"));
        assert_eq!(
            (thumbs.rating_value.to_string(), thumbs.rating_count),
            ("0.5".into(), 2)
        );
        assert_eq!(by_name(None).rating_value.to_string(), "4.5");
        assert_eq!(t.aggregate_rating.len(), 3);
    }
}
