//! A matcher's check of the records it read: each must be signed by a platform registered at the
//! hub, certified there, with a key the hub lists for it, within its validity period, and not
//! revoked in the platform's status list. Results are typed: accepted records, and rejected ones
//! with the reason.

use std::collections::{BTreeMap, BTreeSet};

use op_protocol::clock::Clock;
use op_protocol::proof::Controllers;
use op_protocol::record::{RecordKind, StatusCheck, Verifier};
use op_protocol::status::StatusLists;
use serde::Serialize;
use serde_json::Value;

use crate::hub::{controller_document, is_hub_platform};

/// A record that passed every check.
#[derive(Debug, Clone, Serialize)]
pub struct Accepted {
    /// Where it was read.
    pub url: String,
    /// The platform that issued it.
    pub issuer: String,
    /// What kind of record it is.
    pub kind: String,
    /// The record as JSON.
    pub record: Value,
}

/// A record that did not, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Rejected {
    /// Where it was read.
    pub url: String,
    /// Why it cannot be relied on.
    pub reason: String,
}

/// The outcome for a batch of records.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Checked {
    /// Verified records.
    pub accepted: Vec<Accepted>,
    /// Rejected records.
    pub rejected: Vec<Rejected>,
}

async fn registration(http: &reqwest::Client, issuer: &str) -> Result<bool, String> {
    let url = format!("{issuer}/registration");
    let res = http
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("cannot reach {url}: {e}"))?;
    if !res.status().is_success() {
        return Err(format!(
            "{issuer} is not a platform registered at the hub (HTTP {})",
            res.status()
        ));
    }
    let body: Value = res.json().await.map_err(|e| format!("{url}: {e}"))?;
    Ok(body["certified"] == true)
}

async fn fetch_json(http: &reqwest::Client, url: &str) -> Result<Value, String> {
    let res = http
        .get(url)
        .send()
        .await
        .map_err(|e| format!("cannot reach {url}: {e}"))?;
    if !res.status().is_success() {
        return Err(format!("{url} answered HTTP {}", res.status()));
    }
    res.json().await.map_err(|e| format!("{url}: {e}"))
}

/// Verifies `(url, body)` pairs against the hub at `hub`.
pub async fn check(
    http: &reqwest::Client,
    hub: &str,
    records: &[(String, String)],
    clock: &Clock,
) -> Checked {
    let mut out = Checked::default();
    let mut parsed = Vec::new();
    for (url, body) in records {
        match serde_json::from_str::<Value>(body) {
            Ok(v) => parsed.push((url.clone(), v)),
            Err(e) => out.rejected.push(Rejected {
                url: url.clone(),
                reason: format!("not JSON: {e}"),
            }),
        }
    }
    // Issuers: registered and certified at this hub, with their controller documents.
    let issuers: BTreeSet<String> = parsed
        .iter()
        .filter_map(|(_, v)| v.get("issuer").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let mut methods = Controllers::new();
    let mut refused: BTreeMap<String, String> = BTreeMap::new();
    for issuer in issuers {
        if !is_hub_platform(hub, &issuer) {
            refused.insert(
                issuer.clone(),
                format!("the issuer {issuer} is not a platform registered at {hub}"),
            );
            continue;
        }
        match registration(http, &issuer).await {
            Ok(true) => {}
            Ok(false) => {
                refused.insert(
                    issuer.clone(),
                    format!("the issuer {issuer} is registered but not certified at the hub"),
                );
                continue;
            }
            Err(e) => {
                refused.insert(issuer.clone(), e);
                continue;
            }
        }
        match controller_document(http, &issuer).await {
            Ok(doc) => methods = methods.with(doc),
            Err(e) => {
                refused.insert(issuer.clone(), e.to_string());
            }
        }
    }
    // Status lists, each fetched once.
    let lists: BTreeSet<String> = parsed
        .iter()
        .filter_map(|(_, v)| {
            v.pointer("/credentialStatus/statusListCredential")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect();
    let mut status = StatusLists::new();
    for url in lists {
        if let Ok(list) = fetch_json(http, &url).await {
            status = status.with(list);
        }
    }
    let verifier = Verifier {
        methods: &methods,
        status: StatusCheck::Required(&status),
        clock,
    };
    for (url, json) in parsed {
        let issuer = json
            .get("issuer")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        if let Some(reason) = refused.get(&issuer) {
            out.rejected.push(Rejected {
                url,
                reason: reason.clone(),
            });
            continue;
        }
        match verifier.verify(&json) {
            Ok(v) if v.is_valid() => out.accepted.push(Accepted {
                url,
                issuer: v.issuer.clone(),
                kind: match v.record.kind() {
                    RecordKind::Gig => "gig",
                    RecordKind::Achievement => "achievement",
                    RecordKind::TrackRecord => "track record",
                }
                .into(),
                record: json,
            }),
            Ok(v) => out.rejected.push(Rejected {
                url,
                reason: format!("{:?} by its issuer", v.status).to_lowercase(),
            }),
            Err(e) => out.rejected.push(Rejected {
                url,
                reason: e.to_string(),
            }),
        }
    }
    out
}
