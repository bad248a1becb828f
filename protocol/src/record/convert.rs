//! Gig Data Standard → unsigned records, and back: one record per gig and per achievement, plus
//! one track-record summary per export.
//!
//! The mapping is lossless except where a platform chooses otherwise: client names and photos are
//! personal data of third parties and are left out unless [`ClientData::Full`] is chosen, and
//! income can be left out with [`Earnings::Omit`]. [`to_gig_data`] inverts the mapping; the
//! property tests check that export → records → export is the identity under the full policy.

use super::RecordError;
use super::gigdata::{
    Achievement, AdditionalData, Client, GigExport, Image, Income, Interaction, Outcome, Period,
    Rating, Review, Score, ScoreValue,
};
pub use super::issuance::{ClientData, Earnings, Issuance, StatusAllocation, record_id};
use super::model::*;
use super::summary::track_record;

/// Every record of an export, in order: gigs, achievements, then the track record; status
/// indexes (when allocated here) are consecutive from `first_index` in the same order.
pub fn convert(export: &GigExport, issuance: &Issuance) -> Result<Vec<Credential>, RecordError> {
    export.validate()?;
    let mut index = 0;
    let mut next = || {
        let i = index;
        index += 1;
        i
    };
    let mut out = Vec::with_capacity(export.interactions.len() + export.achievements.len() + 1);
    for gig in &export.interactions {
        out.push(gig_record(gig, issuance, next()));
    }
    for a in &export.achievements {
        out.push(achievement_record(a, issuance, next()));
    }
    out.push(summary_record(issuance, &export.interactions, next()));
    Ok(out)
}

/// The track-record summary of `gigs` (the `n`th record of its issuance, for consecutive status
/// indexes). Its id depends only on the platform: there is one summary per platform and worker,
/// and it describes whichever gigs it is given — a sync gives it every gig in the worker's folder.
pub fn summary_record(issuance: &Issuance, gigs: &[Interaction], n: u64) -> Credential {
    let summary = Subject::TrackRecord(TrackRecordSubject {
        id: subject_id(issuance),
        track_record: track_record(gigs),
    });
    issuance.envelope("track-record", "", summary, n)
}

fn subject_id(issuance: &Issuance) -> Option<String> {
    issuance.subject.as_ref().map(|s| s.as_str().to_owned())
}

/// The record of one gig.
fn gig_record(gig: &Interaction, issuance: &Issuance, status_index: u64) -> Credential {
    let extra = gig.additional_data.clone().unwrap_or_default();
    let review = &gig.outcome.review;
    let ratings: Vec<RatingNode> = gig.outcome.ratings.iter().map(rating_node).collect();
    let review = (review.is_some() || !ratings.is_empty()).then(|| ReviewNode {
        kind: ReviewType::Tag,
        name: review.as_ref().map(|r| r.title.clone()),
        review_body: review.as_ref().map(|r| r.text.clone()),
        review_rating: ratings,
    });
    let participant = gig.client.as_ref().and_then(|c| match issuance.clients {
        ClientData::Omit => None,
        ClientData::IdOnly => Some(Participant {
            identifier: c.id.clone(),
            name: None,
            image: None,
        }),
        ClientData::Full => Some(Participant {
            identifier: c.id.clone(),
            name: Some(c.name.clone()),
            image: Some(image(&c.photo_uri, None)),
        }),
    });
    let earnings = match issuance.earnings {
        Earnings::Include => extra.income.as_ref().map(|i| MonetaryAmount {
            kind: MonetaryAmountType::Tag,
            value: i.amount,
            currency: i.currency.clone(),
        }),
        Earnings::Omit => None,
    };
    let performed = Gig {
        kind: GigType::Tag,
        identifier: gig.id.clone(),
        service_type: gig.kind.clone(),
        start_time: gig.period.start.clone(),
        end_time: gig.period.end.clone(),
        successful: gig.outcome.success,
        participant,
        review,
        name: extra.title.clone(),
        description: extra.description.clone(),
        location: extra.location.as_deref().map(place),
        image: extra
            .images
            .iter()
            .map(|i| image(&i.uri, Some(&i.caption)))
            .collect(),
        hours_worked: extra.no_of_hours,
        earnings,
        used_skill: issuance
            .skills
            .get(&gig.kind)
            .map(|s| s.iter().map(|i| i.as_str().to_owned()).collect())
            .unwrap_or_default(),
    };
    let subject = Subject::Gig(Box::new(GigSubject {
        id: subject_id(issuance),
        performed,
    }));
    issuance.envelope("gig", &gig.id, subject, status_index)
}

/// The record of one achievement.
fn achievement_record(a: &Achievement, issuance: &Issuance, status_index: u64) -> Credential {
    let achievement_type = match a.kind.as_str() {
        "Badge" => "Badge".to_owned(),
        other => format!("ext:{other}"),
    };
    let result = a.score.as_ref().map(|s| {
        let (value, decimal_value) = match &s.value {
            ScoreValue::Text(t) => (Some(t.clone()), None),
            ScoreValue::Number(n) => (None, Some(Decimal::new(*n).unwrap_or(Decimal::ZERO))),
        };
        ResultNode {
            kind: ResultType::Tag,
            value,
            decimal_value,
            unit_text: s.label.clone(),
        }
    });
    let subject = Subject::Achievement(AchievementSubject {
        id: subject_id(issuance),
        kind: AchievementSubjectType::Tag,
        achievement: AchievementNode {
            kind: AchievementType::Tag,
            identifier: a.id.clone(),
            achievement_type,
            name: a.name.clone(),
            description: a.description.clone(),
            image: a.badge_icon_uri.as_deref().map(|u| image(u, None)),
        },
        result,
        awarded_date: a.time_stamp.clone(),
    });
    issuance.envelope("achievement", &a.id, subject, status_index)
}

fn rating_node(r: &Rating) -> RatingNode {
    // `GigExport::validate` has refused non-finite numbers already.
    let d = |v: f64| Decimal::new(v).unwrap_or(Decimal::ZERO);
    RatingNode {
        kind: RatingType::Tag,
        name: r.name.clone(),
        rating_value: d(r.value),
        worst_rating: d(r.min),
        best_rating: d(r.max),
    }
}

fn image(uri: &str, caption: Option<&str>) -> ImageObject {
    ImageObject {
        kind: ImageObjectType::Tag,
        content_url: uri.to_owned(),
        caption: caption.map(str::to_owned),
    }
}

fn place(location: &str) -> Place {
    let parts: Vec<&str> = location.split('/').collect();
    let address = match parts.as_slice() {
        [city, region, country] if parts.iter().all(|p| !p.trim().is_empty()) => {
            Some(PostalAddress {
                kind: PostalAddressType::Tag,
                address_locality: city.trim().to_owned(),
                address_region: region.trim().to_owned(),
                address_country: country.trim().to_owned(),
            })
        }
        _ => None,
    };
    Place {
        kind: PlaceType::Tag,
        name: location.to_owned(),
        address,
    }
}

/// The Gig Data Standard export the records were made from (track records are skipped: they are
/// derived). With [`ClientData::Full`] and [`Earnings::Include`] this inverts [`convert`].
pub fn to_gig_data(records: &[Credential]) -> GigExport {
    let mut export = GigExport {
        interactions: Vec::new(),
        achievements: Vec::new(),
    };
    for r in records {
        match &r.credential_subject {
            Subject::Gig(s) => export.interactions.push(interaction_of(&s.performed)),
            Subject::Achievement(s) => export.achievements.push(achievement_of(s)),
            Subject::TrackRecord(_) => {}
        }
    }
    export
}

fn interaction_of(g: &Gig) -> Interaction {
    let review = g.review.as_ref();
    let additional = AdditionalData {
        location: g.location.as_ref().map(|p| p.name.clone()),
        title: g.name.clone(),
        description: g.description.clone(),
        images: g
            .image
            .iter()
            .map(|i| Image {
                uri: i.content_url.clone(),
                caption: i.caption.clone().unwrap_or_default(),
            })
            .collect(),
        no_of_hours: g.hours_worked,
        income: g.earnings.as_ref().map(|m| Income {
            amount: m.value,
            currency: m.currency.clone(),
        }),
    };
    Interaction {
        id: g.identifier.clone(),
        period: Period {
            start: g.start_time.clone(),
            end: g.end_time.clone(),
        },
        client: g.participant.as_ref().map(|p| Client {
            id: p.identifier.clone(),
            name: p.name.clone().unwrap_or_default(),
            photo_uri: p
                .image
                .as_ref()
                .map(|i| i.content_url.clone())
                .unwrap_or_default(),
        }),
        kind: g.service_type.clone(),
        outcome: Outcome {
            review: review
                .filter(|r| r.name.is_some() || r.review_body.is_some())
                .map(|r| Review {
                    title: r.name.clone().unwrap_or_default(),
                    text: r.review_body.clone().unwrap_or_default(),
                }),
            ratings: review
                .map(|r| {
                    r.review_rating
                        .iter()
                        .map(|n| Rating {
                            name: n.name.clone(),
                            value: n.rating_value.get(),
                            min: n.worst_rating.get(),
                            max: n.best_rating.get(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            success: g.successful,
        },
        additional_data: (additional != AdditionalData::default()).then_some(additional),
    }
}

fn achievement_of(s: &AchievementSubject) -> Achievement {
    let a = &s.achievement;
    Achievement {
        id: a.identifier.clone(),
        time_stamp: s.awarded_date.clone(),
        kind: a
            .achievement_type
            .strip_prefix("ext:")
            .unwrap_or(&a.achievement_type)
            .to_owned(),
        name: a.name.clone(),
        description: a.description.clone(),
        score: s.result.as_ref().map(|r| Score {
            value: match (&r.value, r.decimal_value) {
                (Some(t), _) => ScoreValue::Text(t.clone()),
                (None, d) => ScoreValue::Number(d.unwrap_or(Decimal::ZERO).get()),
            },
            label: r.unit_text.clone(),
        }),
        badge_icon_uri: a.image.as_ref().map(|i| i.content_url.clone()),
    }
}
