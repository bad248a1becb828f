//! A matcher's check of the records it read, by the same rules as the hub's backpack
//! ([`op_protocol::record::Rules`]): each must be signed by a platform registered at the hub and
//! certified there, with a key the hub lists for it, within its validity period, not revoked in
//! the platform's status list, about the pod's owner and in that platform's folder. Results are
//! typed: accepted records, and rejected ones with the reason.

use std::collections::{BTreeMap, BTreeSet};

use op_protocol::clock::Clock;
use op_protocol::proof::Controllers;
use op_protocol::record::verdict::platform_of;
use op_protocol::record::{Place, Rules, Standing, StatusCheck, Verdict, Verifier};
use op_protocol::status::StatusLists;
use serde::Serialize;
use serde_json::Value;

use crate::hub::controller_document;

/// A record that passed every check.
#[derive(Debug, Clone, Serialize)]
pub struct Accepted {
    /// Where it was read.
    pub url: String,
    /// The platform that issued it (its issuer URL).
    pub issuer: String,
    /// That platform's client id at the hub.
    pub platform: String,
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

/// Whether the hub certified the platform at `issuer`; `None` if the hub does not know it.
async fn registration(http: &reqwest::Client, issuer: &str) -> Result<Option<bool>, String> {
    let url = op_protocol::routes::issuer_registration(issuer);
    let res = http
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("cannot reach {url}: {e}"))?;
    if res.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    if !res.status().is_success() {
        return Err(format!("{url} answered HTTP {}", res.status()));
    }
    let body: Value = res.json().await.map_err(|e| format!("{url}: {e}"))?;
    Ok(Some(body["certified"] == true))
}

/// The pod the records were read from: its root URL and its owner's WebID. Each record must be
/// about the owner and sit in the folder of the platform that signed it.
#[derive(Debug, Clone, Copy)]
pub struct Pod<'a> {
    /// The pod's root URL (`https://pods.example/alice/`).
    pub root: &'a str,
    /// The owner's WebID (the access token's `webid` claim).
    pub owner: &'a str,
}

/// Verifies `(url, body)` pairs against the hub at `hub` with the same rules as the hub's
/// backpack ([`op_protocol::record::Rules`]): accepted only when [`Verdict::Verified`].
pub async fn check(
    http: &reqwest::Client,
    hub: &str,
    records: &[(String, String)],
    pod: Option<Pod<'_>>,
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
    // Each issuing platform of this hub: its standing and controller document, fetched once.
    let platforms: BTreeSet<String> = parsed
        .iter()
        .filter_map(|(_, v)| v.get("issuer").and_then(Value::as_str))
        .filter_map(|issuer| platform_of(hub, issuer).map(|_| issuer.to_owned()))
        .collect();
    let mut methods = Controllers::new();
    let mut standing: BTreeMap<String, Standing> = BTreeMap::new();
    let mut unreachable: BTreeMap<String, String> = BTreeMap::new();
    for issuer in platforms {
        let id = platform_of(hub, &issuer).unwrap_or_default().to_owned();
        let (of, doc) = match registration(http, &issuer).await {
            Ok(Some(true)) => (
                Standing::Certified,
                controller_document(http, &issuer).await,
            ),
            Ok(Some(false)) => (
                Standing::Registered,
                controller_document(http, &issuer).await,
            ),
            Ok(None) => {
                standing.insert(id, Standing::Unknown);
                continue;
            }
            Err(e) => {
                unreachable.insert(issuer, e);
                continue;
            }
        };
        match doc {
            Ok(doc) => {
                methods = methods.with(doc);
                standing.insert(id, of);
            }
            Err(e) => {
                unreachable.insert(issuer, e.to_string());
            }
        }
    }
    // Status lists, each fetched once, and only from where the hub hosts the issuer's lists: a
    // record cannot make a matcher call an address of its choosing.
    let lists: BTreeSet<String> = parsed
        .iter()
        .filter_map(|(_, v)| {
            let issuer = v.get("issuer").and_then(Value::as_str)?;
            platform_of(hub, issuer)?;
            v.pointer("/credentialStatus/statusListCredential")
                .and_then(Value::as_str)
                .filter(|url| is_hosted_list(issuer, url))
                .map(str::to_owned)
        })
        .collect();
    let mut status = StatusLists::new();
    for url in lists {
        if let Ok(list) = op_document::get_json(http, &url, None).await {
            status = status.with(list);
        }
    }
    // Verifying is CPU work: it runs on a blocking thread, not on the caller's async workers.
    let (hub, pod, clock) = (
        hub.to_owned(),
        pod.map(|p| (p.root.to_owned(), p.owner.to_owned())),
        clock.clone(),
    );
    let fetched = Fetched {
        methods,
        status,
        standing,
        unreachable,
    };
    let judged = tokio::task::spawn_blocking(move || {
        let place = pod.as_ref().map(|(root, owner)| Pod { root, owner });
        judge(&hub, parsed, place, &fetched, &clock)
    })
    .await;
    match judged {
        Ok(judged) => {
            out.accepted.extend(judged.accepted);
            out.rejected.extend(judged.rejected);
        }
        Err(e) => out.rejected.push(Rejected {
            url: String::new(),
            reason: format!("verification stopped: {e}"),
        }),
    }
    out
}

/// What `check` fetched for the records: the issuers' keys, the status lists, each platform's
/// standing at the hub, and why an issuer could not be read.
struct Fetched {
    methods: Controllers,
    status: StatusLists,
    standing: BTreeMap<String, Standing>,
    unreachable: BTreeMap<String, String>,
}

/// Judges each parsed record by the hub's rules against what was fetched for it.
fn judge(
    hub: &str,
    parsed: Vec<(String, Value)>,
    pod: Option<Pod<'_>>,
    fetched: &Fetched,
    clock: &Clock,
) -> Checked {
    let Fetched {
        methods,
        status,
        standing,
        unreachable,
    } = fetched;
    let mut out = Checked::default();
    let standing_of = |id: &str| standing.get(id).copied().unwrap_or(Standing::Unknown);
    let rules = Rules {
        hub,
        verifier: Verifier {
            methods,
            status: StatusCheck::Required(status),
            clock,
        },
        standing: &standing_of,
    };
    for (url, json) in parsed {
        let issuer = json.get("issuer").and_then(Value::as_str).unwrap_or("");
        if let Some(reason) = unreachable.get(issuer) {
            out.rejected.push(Rejected {
                url,
                reason: reason.clone(),
            });
            continue;
        }
        let place = match pod {
            Some(pod) => match Place::of(&url, pod.root, pod.owner) {
                Some(place) => Some(place),
                None => {
                    out.rejected.push(Rejected {
                        reason: format!("{url} is not in a platform's folder of {}", pod.root),
                        url,
                    });
                    continue;
                }
            },
            None => None,
        };
        match rules.judge(&json, place) {
            Verdict::Verified { platform } => out.accepted.push(Accepted {
                url,
                issuer: issuer.to_owned(),
                kind: kind_of(&json).into(),
                record: json,
                platform,
            }),
            verdict => out.rejected.push(Rejected {
                url,
                reason: verdict.to_string(),
            }),
        }
    }
    out
}

/// Whether `url` is one of the lists the hub hosts for `issuer` (`{issuer}/status/{name}`).
pub fn is_hosted_list(issuer: &str, url: &str) -> bool {
    url.strip_prefix(&op_protocol::routes::issuer_status_lists(issuer))
        .is_some_and(|name| {
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn kind_of(json: &Value) -> &'static str {
    let types = json["type"].to_string();
    if types.contains("TrackRecordCredential") {
        "track record"
    } else if types.contains("AchievementCredential") {
        "achievement"
    } else {
        "gig"
    }
}

#[cfg(test)]
mod tests {
    use super::is_hosted_list;

    #[test]
    fn status_lists_are_fetched_only_where_the_hub_hosts_the_issuers_lists() {
        let issuer = "https://hub.example/platforms/acme";
        assert!(is_hosted_list(
            issuer,
            "https://hub.example/platforms/acme/status/1"
        ));
        assert!(!is_hosted_list(
            issuer,
            "https://hub.example/platforms/acme/status/"
        ));
        assert!(!is_hosted_list(
            issuer,
            "https://hub.example/platforms/acmex/status/1"
        ));
        assert!(!is_hosted_list(
            issuer,
            "https://hub.example/platforms/acme/status/1/../../x"
        ));
        assert!(!is_hosted_list(
            issuer,
            "http://169.254.169.254/latest/meta-data"
        ));
        assert!(!is_hosted_list(
            issuer,
            "https://hub.example/platforms/acme/status/1?x=y"
        ));
    }
}
