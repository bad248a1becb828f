//! Talking to a hub: resolving platforms' controller documents and registering signing keys.

use op_protocol::proof::ControllerDocument;
use thiserror::Error;

/// A hub request failed.
#[derive(Debug, Error)]
pub enum HubError {
    /// The network request failed.
    #[error("cannot reach {url}: {reason}")]
    Unreachable {
        /// What was requested.
        url: String,
        /// Why it failed.
        reason: String,
    },
    /// The hub answered with an error.
    #[error("{url} answered HTTP {status}: {body}")]
    Refused {
        /// What was requested.
        url: String,
        /// Status code.
        status: u16,
        /// The hub's message.
        body: String,
    },
    /// The answer was not what the protocol says.
    #[error("{url} answered something that is not a {what}: {reason}")]
    Malformed {
        /// What was requested.
        url: String,
        /// What was expected.
        what: &'static str,
        /// Why it does not parse.
        reason: String,
    },
}

/// An HTTP client on our rustls + ring stack (installs the crypto provider once).
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        // Shorter than the usual 5 s server keep-alive (actix, Node): an idle connection is not
        // reused just as the server closes it, which would fail a request the server may have
        // carried out (a retried PUT then reports "unchanged" for a record it just updated).
        .pool_idle_timeout(std::time::Duration::from_secs(4))
        .build()
        .expect("an HTTP client with the ring provider")
}

/// Whether `issuer` is a platform registered at `hub` (`{hub}/platforms/{id}`).
pub fn is_hub_platform(hub: &str, issuer: &str) -> bool {
    op_protocol::record::verdict::platform_of(hub, issuer).is_some()
}

async fn send(req: reqwest::RequestBuilder, url: &str) -> Result<reqwest::Response, HubError> {
    let res = req.send().await.map_err(|e| HubError::Unreachable {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    if res.status().is_success() {
        return Ok(res);
    }
    Err(HubError::Refused {
        url: url.to_owned(),
        status: res.status().as_u16(),
        body: res.text().await.unwrap_or_default(),
    })
}

/// Fetches a platform's controller document from the hub that hosts it.
pub async fn controller_document(
    http: &reqwest::Client,
    issuer: &str,
) -> Result<ControllerDocument, HubError> {
    let res = send(
        http.get(issuer).header("Accept", "application/ld+json"),
        issuer,
    )
    .await?;
    let doc: ControllerDocument = res.json().await.map_err(|e| HubError::Malformed {
        url: issuer.to_owned(),
        what: "controller document",
        reason: e.to_string(),
    })?;
    if doc.id != issuer {
        return Err(HubError::Malformed {
            url: issuer.to_owned(),
            what: "controller document for this issuer",
            reason: format!("it describes {}", doc.id),
        });
    }
    Ok(doc)
}

/// Registers a platform's public signing key at the hub (authenticated as the platform);
/// returns the verification method id to sign with (`{hub}/platforms/{id}#key-n`).
pub async fn register_key(
    http: &reqwest::Client,
    hub: &str,
    client_id: &str,
    client_secret: &str,
    public_key_multibase: &str,
) -> Result<String, HubError> {
    let url = format!(
        "{}{}",
        hub.trim_end_matches('/'),
        op_protocol::routes::hub_platform_keys(client_id)
    );
    let req = http
        .post(&url)
        .basic_auth(client_id, Some(client_secret))
        .json(&serde_json::json!({ "publicKeyMultibase": public_key_multibase }));
    let body: serde_json::Value =
        send(req, &url)
            .await?
            .json()
            .await
            .map_err(|e| HubError::Malformed {
                url: url.clone(),
                what: "key registration",
                reason: e.to_string(),
            })?;
    body["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or(HubError::Malformed {
            url,
            what: "key registration",
            reason: "no id".into(),
        })
}

/// Publishes (or replaces) the platform's signed status list credential at the hub, which hosts
/// it at `{hub}/platforms/{client id}/status/{name}` on the platform's behalf.
pub async fn publish_status_list(
    http: &reqwest::Client,
    hub: &str,
    client_id: &str,
    client_secret: &str,
    name: &str,
    credential: &serde_json::Value,
) -> Result<(), HubError> {
    let url = format!(
        "{}{}",
        hub.trim_end_matches('/'),
        op_protocol::routes::hub_status_list(client_id, name)
    );
    let req = http
        .put(&url)
        .basic_auth(client_id, Some(client_secret))
        .json(credential);
    send(req, &url).await.map(|_| ())
}

/// Status list entries the hub allocated, by record id.
#[derive(Debug, Clone, Default)]
pub struct StatusEntries {
    /// `record id → (list URL, index)` for records that may be issued.
    pub allocated: std::collections::HashMap<String, (String, u64)>,
    /// Records whose entry is already set: withdrawn for good.
    pub withdrawn: Vec<String>,
}

/// Record ids per allocation request (the hub's bound).
const ALLOCATION_BATCH: usize = 1_000;

/// Asks the hub for the status list entry of each record id: the same entry every time for the
/// same id, never another record's (`POST {hub}/platforms/{id}/status-allocations`).
pub async fn allocate_status(
    http: &reqwest::Client,
    hub: &Credentials<'_>,
    records: &[String],
) -> Result<StatusEntries, HubError> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Entry {
        record: String,
        status_list_credential: String,
        status_list_index: String,
    }
    #[derive(serde::Deserialize)]
    struct Answer {
        allocations: Vec<Entry>,
        withdrawn: Vec<Entry>,
    }
    let url = format!(
        "{}{}",
        hub.hub.trim_end_matches('/'),
        op_protocol::routes::hub_status_allocations(hub.client_id)
    );
    let mut out = StatusEntries::default();
    for chunk in records.chunks(ALLOCATION_BATCH) {
        let req = http
            .post(&url)
            .basic_auth(hub.client_id, Some(hub.client_secret))
            .json(&serde_json::json!({ "records": chunk }));
        let malformed = |reason: String| HubError::Malformed {
            url: url.clone(),
            what: "status allocation",
            reason,
        };
        let answer: Answer = send(req, &url)
            .await?
            .json()
            .await
            .map_err(|e| malformed(e.to_string()))?;
        for e in answer.allocations {
            let index = e
                .status_list_index
                .parse()
                .map_err(|_| malformed(format!("index {:?}", e.status_list_index)))?;
            out.allocated
                .insert(e.record, (e.status_list_credential, index));
        }
        out.withdrawn
            .extend(answer.withdrawn.into_iter().map(|e| e.record));
    }
    Ok(out)
}

/// A platform's credentials at a hub, for the calls it makes as itself.
#[derive(Debug, Clone, Copy)]
pub struct Credentials<'a> {
    /// The hub's URL.
    pub hub: &'a str,
    /// The platform's client id.
    pub client_id: &'a str,
    /// Its client secret.
    pub client_secret: &'a str,
}
