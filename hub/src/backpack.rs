//! The worker's backpack: every record in their pod, read with their owner rights, judged by the
//! hub in-process — by the same [`Rules`] the connector's matcher check applies — against the keys
//! and status lists it holds for its platforms, and grouped by platform with what they say.

use op_protocol::container::contained;
use std::collections::{BTreeMap, BTreeSet};

use op_protocol::proof::Controllers;
use op_protocol::record::verdict::platform_of;
use op_protocol::record::{Place, Rules, Standing, StatusCheck, Verdict, Verifier};
use op_protocol::status::StatusLists;
use serde_json::Value;

use crate::client::{CLIENTS, ClientKind};
use crate::state::Hub;

/// Most records read for one view.
const MAX_RECORDS: usize = 500;

/// One record as the backpack shows it.
#[derive(Debug, Clone)]
pub struct Item {
    /// Its URL in the pod.
    pub url: String,
    /// gig, achievement or track record.
    pub kind: String,
    /// A title for people.
    pub title: String,
    /// When the gig started (or the achievement was awarded), as written.
    pub when: Option<String>,
    /// Ratings.
    pub ratings: Vec<Rating>,
    /// The verdict, by the same rules a matcher applies.
    pub verdict: Verdict,
}

/// A rating as `(dimension, value, worst, best)`.
pub type Rating = (String, f64, f64, f64);

/// One platform's folder.
#[derive(Debug, Clone)]
pub struct Folder {
    /// The folder name (the platform's client id).
    pub platform: String,
    /// Its records.
    pub items: Vec<Item>,
}

/// A document of the worker's pod, or `None` (logged) when it cannot be read.
async fn get_json(hub: &Hub, token: &str, url: &str) -> Option<Value> {
    op_document::get_json(&hub.http, url, Some(token))
        .await
        .inspect_err(|e| tracing::debug!("backpack: {e}"))
        .ok()
}

fn number(v: &Value) -> Option<f64> {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// What a record says; the verdict comes separately.
fn describe(url: String, record: &Value, verdict: Verdict) -> Item {
    let subject = &record["credentialSubject"];
    let (kind, title, when, ratings) =
        if record["type"].to_string().contains("TrackRecordCredential") {
            (
                "track record",
                "Track record summary".to_owned(),
                None,
                Vec::new(),
            )
        } else if let Some(performed) = subject.get("performed") {
            let title = performed["name"]
                .as_str()
                .or(performed["serviceType"].as_str())
                .unwrap_or("Gig")
                .to_owned();
            let ratings = performed["review"]["reviewRating"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| {
                    Some((
                        r["name"].as_str().unwrap_or("overall").to_owned(),
                        number(&r["ratingValue"])?,
                        number(&r["worstRating"])?,
                        number(&r["bestRating"])?,
                    ))
                })
                .collect();
            (
                "gig",
                title,
                performed["startTime"].as_str().map(str::to_owned),
                ratings,
            )
        } else {
            let name = subject["achievement"]["name"]
                .as_str()
                .unwrap_or("Achievement")
                .to_owned();
            (
                "achievement",
                name,
                subject["awardedDate"].as_str().map(str::to_owned),
                Vec::new(),
            )
        };
    Item {
        url,
        kind: kind.into(),
        title,
        when,
        ratings,
        verdict,
    }
}

/// The hub's standing of a platform (by client id), from its own registry.
pub fn standing(hub: &Hub, platform: &str) -> Standing {
    match CLIENTS.get(&hub.store, platform) {
        Ok(Some(c)) if c.kind == ClientKind::Platform && c.certified => Standing::Certified,
        Ok(Some(c)) if c.kind == ClientKind::Platform => Standing::Registered,
        _ => Standing::Unknown,
    }
}

/// Reads every record in the worker's pod and judges each by [`Rules`] — the rules a matcher
/// applies — against the keys and status lists the hub holds (`None` if the pod cannot be read).
pub async fn load(hub: &Hub, webid: &str, pod_root: &str) -> Option<Vec<Folder>> {
    let token = crate::provider::dashboard_token(hub, webid, pod_root);
    let gigs = format!("{pod_root}{}", op_protocol::routes::POD_GIGS);
    let folders = contained(&get_json(hub, &token, &gigs).await?);
    let mut read: Vec<(String, Vec<(String, Value)>)> = Vec::new();
    let mut budget = MAX_RECORDS;
    for folder in folders {
        let platform = folder
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("")
            .to_owned();
        let urls = get_json(hub, &token, &folder)
            .await
            .map(|d| contained(&d))
            .unwrap_or_default();
        let mut records = Vec::new();
        for url in urls.into_iter().take(budget) {
            budget -= 1;
            if let Some(record) = get_json(hub, &token, &url).await {
                records.push((url, record));
            }
        }
        read.push((platform, records));
    }
    // Verifying is CPU work: it runs off the async workers.
    let hub = hub.clone();
    let (webid, pod_root) = (webid.to_owned(), pod_root.to_owned());
    tokio::task::spawn_blocking(move || judge(&hub, &webid, &pod_root, read))
        .await
        .ok()
}

/// Judges every record read, per platform folder, newest first.
fn judge(
    hub: &Hub,
    webid: &str,
    pod_root: &str,
    read: Vec<(String, Vec<(String, Value)>)>,
) -> Vec<Folder> {
    // Keys and status lists of every issuing platform of this hub, straight from its store.
    let issuers: BTreeSet<&str> = read
        .iter()
        .flat_map(|(_, records)| records)
        .filter_map(|(_, r)| r.get("issuer").and_then(Value::as_str))
        .filter_map(|issuer| platform_of(&hub.issuer, issuer))
        .collect();
    let mut methods = Controllers::new();
    let mut lists = StatusLists::new();
    for platform in issuers {
        if let Ok(keys) = crate::platform::keys_of(hub, platform) {
            methods = methods.with(crate::platform::controller_document(hub, platform, &keys));
        }
        for list in crate::status_lists::status_lists_of(hub, platform).unwrap_or_default() {
            lists = lists.with(list);
        }
    }
    let standing = |platform: &str| standing(hub, platform);
    let rules = Rules {
        hub: &hub.issuer,
        verifier: Verifier {
            methods: &methods,
            status: StatusCheck::Required(&lists),
            clock: &hub.clock,
        },
        standing: &standing,
    };
    let mut out = Vec::new();
    for (platform, records) in read {
        let mut items: Vec<Item> = records
            .into_iter()
            .map(|(url, record)| {
                let verdict = match Place::of(&url, pod_root, webid) {
                    Some(place) => rules.judge(&record, Some(place)),
                    None => Verdict::Invalid("not in a platform's folder".into()),
                };
                describe(url, &record, verdict)
            })
            .collect();
        items.sort_by(|a, b| b.when.cmp(&a.when));
        out.push(Folder { platform, items });
    }
    out
}

/// Gigs per month (`YYYY-MM` → count) over every folder.
pub fn gigs_per_month(folders: &[Folder]) -> BTreeMap<String, usize> {
    let mut months = BTreeMap::new();
    for item in folders
        .iter()
        .flat_map(|f| &f.items)
        .filter(|i| i.kind == "gig")
    {
        if let Some(month) = item.when.as_deref().and_then(|w| w.get(..7)) {
            *months.entry(month.to_owned()).or_insert(0) += 1;
        }
    }
    months
}
