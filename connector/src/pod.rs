//! Talking to a worker's pod: a platform pushes records into its own folder (idempotent by record
//! id, conditional so a concurrent change is not overwritten blindly, bounded concurrency, retries
//! with backoff); a matcher lists and fetches what its grant names.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use serde::Serialize;

use crate::error::ConnectorError;
use crate::session::Session;

/// Attempts per request on 429, 5xx and timeouts.
const ATTEMPTS: u32 = 5;

/// What a push did with each record.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct PushSummary {
    /// Newly created.
    pub created: Vec<String>,
    /// Replaced (the content changed).
    pub updated: Vec<String>,
    /// Already there with the same content (only the signing time would differ).
    pub unchanged: Vec<String>,
    /// Not written, with the reason.
    pub failed: Vec<(String, String)>,
}

impl PushSummary {
    /// Adds what `other` did.
    pub fn merge(&mut self, other: PushSummary) {
        self.created.extend(other.created);
        self.updated.extend(other.updated);
        self.unchanged.extend(other.unchanged);
        self.failed.extend(other.failed);
        self.sort();
    }

    /// Names in order, so a summary reads (and compares) the same however the pushes interleaved.
    pub fn sort(&mut self) {
        for list in [&mut self.created, &mut self.updated, &mut self.unchanged] {
            list.sort();
        }
    }
}

/// One record to push: its name in the platform's folder and its exact JSON-LD bytes.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The resource name (`summary` for the track record, else a stable id).
    pub name: String,
    /// The signed record as it will be stored.
    pub body: String,
}

enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// Sends a request with the session's token, refreshing once on 401 (and following the worker's
/// data to their new pod when the fresh token names another one) and retrying with backoff on
/// 429, 5xx and network failures.
pub async fn send(
    session: &Session<'_>,
    http: &reqwest::Client,
    method: Method,
    url: &str,
    headers: &[(&str, String)],
    body: Option<&str>,
) -> Result<reqwest::Response, ConnectorError> {
    let mut refreshed = false;
    let mut delay = Duration::from_millis(100);
    let mut attempt = 0;
    let mut url = url.to_owned();
    loop {
        attempt += 1;
        let (token, _) = session.access_token(None).await?;
        // After a move, a URL built on the old pod names the same resource in the new one.
        url = session.tokens()?.locate(&url);
        let mut req = http.request(method.clone(), &url).bearer_auth(&token);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        if let Some(b) = body {
            req = req.body(b.to_owned());
        }
        let retry_after = |res: &reqwest::Response| {
            res.headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .map(Duration::from_secs)
        };
        match req.send().await {
            Ok(res) if res.status() == StatusCode::UNAUTHORIZED && !refreshed => {
                refreshed = true;
                session.access_token(Some(&token)).await?;
            }
            Ok(res) if res.status() == StatusCode::UNAUTHORIZED => {
                let body = res.text().await.unwrap_or_default();
                return Err(ConnectorError::Reconnect(body.trim().to_owned()));
            }
            Ok(res)
                if (res.status() == StatusCode::TOO_MANY_REQUESTS
                    || res.status().is_server_error())
                    && attempt < ATTEMPTS =>
            {
                tokio::time::sleep(
                    retry_after(&res)
                        .unwrap_or(delay)
                        .min(Duration::from_secs(10)),
                )
                .await;
                delay *= 2;
            }
            Ok(res) => return Ok(res),
            Err(e)
                if attempt < ATTEMPTS && (e.is_timeout() || e.is_connect() || e.is_request()) =>
            {
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            Err(e) => {
                return Err(ConnectorError::Unreachable {
                    url: url.clone(),
                    reason: e.to_string(),
                });
            }
        }
    }
}

async fn unexpected(method: &str, url: &str, res: reqwest::Response) -> ConnectorError {
    let status = res.status().as_u16();
    let body = res.text().await.unwrap_or_default();
    ConnectorError::Http {
        method: method.into(),
        url: url.into(),
        status,
        body: body.trim().chars().take(300).collect(),
    }
}

/// Whether two signed records say the same thing: equal apart from when they were signed
/// (`proof`, `validFrom`), so re-running a sync on unchanged data writes nothing.
fn same_record(stored: &str, new: &str) -> bool {
    let content = |text: &str| {
        let mut v: serde_json::Value = serde_json::from_str(text).ok()?;
        let map = v.as_object_mut()?;
        map.remove("proof");
        map.remove("validFrom");
        Some(v)
    };
    stored == new || content(stored).is_some_and(|a| Some(a) == content(new))
}

async fn push_one(
    session: &Session<'_>,
    http: &reqwest::Client,
    url: &str,
    body: &str,
) -> Result<Outcome, ConnectorError> {
    let json = ("Content-Type", "application/ld+json".to_owned());
    let create = [json.clone(), ("If-None-Match", "*".to_owned())];
    let res = send(session, http, Method::PUT, url, &create, Some(body)).await?;
    match res.status() {
        StatusCode::CREATED => return Ok(Outcome::Created),
        StatusCode::PRECONDITION_FAILED => {}
        _ => return Err(unexpected("PUT", url, res).await),
    }
    // It exists: unchanged if byte for byte the same, else replace exactly that version.
    let accept = [("Accept", "application/ld+json".to_owned())];
    let current = send(session, http, Method::GET, url, &accept, None).await?;
    if !current.status().is_success() {
        return Err(unexpected("GET", url, current).await);
    }
    let etag = current
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if same_record(&current.text().await.unwrap_or_default(), body) {
        return Ok(Outcome::Unchanged);
    }
    let replace = [json, ("If-Match", etag)];
    let res = send(session, http, Method::PUT, url, &replace, Some(body)).await?;
    match res.status() {
        StatusCode::NO_CONTENT | StatusCode::OK => Ok(Outcome::Updated),
        StatusCode::PRECONDITION_FAILED => Err(ConnectorError::Invalid(
            "the record changed in the pod while this sync ran; run the sync again".into(),
        )),
        _ => Err(unexpected("PUT", url, res).await),
    }
}

/// Pushes records into `/gigs/{platform}/` of the session's pod, `concurrency` at a time;
/// `progress` is called after each record. A revoked grant stops the push with `Reconnect`.
pub async fn push(
    session: &Session<'_>,
    http: &reqwest::Client,
    platform: &str,
    records: Vec<Outgoing>,
    concurrency: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<PushSummary, ConnectorError> {
    let (_, pod) = session.access_token(None).await?;
    let folder = format!("{pod}{}{platform}/", op_protocol::routes::POD_GIGS);
    let results: Vec<(String, Result<Outcome, ConnectorError>)> =
        futures_util::stream::iter(records)
            .map(|r| {
                let url = format!("{folder}{}", r.name);
                async move { (r.name, push_one(session, http, &url, &r.body).await) }
            })
            .buffer_unordered(concurrency.max(1))
            .enumerate()
            .map(|(i, item)| {
                progress(i + 1);
                item
            })
            .collect()
            .await;
    let mut summary = PushSummary::default();
    for (name, result) in results {
        match result {
            Ok(Outcome::Created) => summary.created.push(name),
            Ok(Outcome::Updated) => summary.updated.push(name),
            Ok(Outcome::Unchanged) => summary.unchanged.push(name),
            Err(ConnectorError::Reconnect(why)) => return Err(ConnectorError::Reconnect(why)),
            Err(e) => summary.failed.push((name, e.to_string())),
        }
    }
    summary.sort();
    Ok(summary)
}

/// Deletes withdrawn records from the platform's folder (already gone counts as done).
pub async fn withdraw(
    session: &Session<'_>,
    http: &reqwest::Client,
    platform: &str,
    names: &[String],
) -> Result<(), ConnectorError> {
    let (_, pod) = session.access_token(None).await?;
    for name in names {
        let url = format!("{pod}{}{platform}/{name}", op_protocol::routes::POD_GIGS);
        let res = send(session, http, Method::DELETE, &url, &[], None).await?;
        if !(res.status().is_success() || res.status() == StatusCode::NOT_FOUND) {
            return Err(unexpected("DELETE", &url, res).await);
        }
    }
    Ok(())
}

/// The resources a container lists (absolute URLs), read as JSON-LD.
pub async fn list(
    session: &Session<'_>,
    http: &reqwest::Client,
    container: &str,
) -> Result<Vec<String>, ConnectorError> {
    let accept = [("Accept", "application/ld+json".to_owned())];
    let res = send(session, http, Method::GET, container, &accept, None).await?;
    if !res.status().is_success() {
        return Err(unexpected("GET", container, res).await);
    }
    let doc: serde_json::Value = res
        .json()
        .await
        .map_err(|e| ConnectorError::Invalid(format!("{container}: {e}")))?;
    Ok(op_protocol::container::contained(&doc))
}

/// Fetches a record exactly as stored (JSON-LD).
pub async fn fetch(
    session: &Session<'_>,
    http: &reqwest::Client,
    url: &str,
) -> Result<String, ConnectorError> {
    let accept = [("Accept", "application/ld+json".to_owned())];
    let res = send(session, http, Method::GET, url, &accept, None).await?;
    if !res.status().is_success() {
        return Err(unexpected("GET", url, res).await);
    }
    res.text().await.map_err(|e| ConnectorError::Unreachable {
        url: url.into(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::same_record;

    #[test]
    fn a_record_signed_again_with_the_same_content_is_the_same_record() {
        let a = r#"{"id":"urn:uuid:1","validFrom":"2026-01-01T00:00:00Z","credentialSubject":{"n":1},"proof":{"created":"2026-01-01T00:00:00Z"}}"#;
        let b = r#"{"id":"urn:uuid:1","validFrom":"2026-02-01T00:00:00Z","credentialSubject":{"n":1},"proof":{"created":"2026-02-01T00:00:00Z"}}"#;
        let c = r#"{"id":"urn:uuid:1","validFrom":"2026-02-01T00:00:00Z","credentialSubject":{"n":2},"proof":{"created":"2026-02-01T00:00:00Z"}}"#;
        assert!(same_record(a, b));
        assert!(!same_record(a, c));
        assert!(!same_record("not json", c));
    }
}
