//! Revoked grants: followed from each hub's revocation feed (server-sent events, resumed from the
//! last sequence number), kept durably in the pod's store, and checked on every request. When a
//! feed has been out of reach for longer than the grace period, tokens are checked by
//! introspection instead (cached briefly) — never trusted blindly.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use futures_util::StreamExt;
use op_protocol::clock::Clock;
use op_store::{ScanFrom, Store, StoreError};
use serde::Deserialize;

use super::issuer::TrustedIssuer;

/// How long the feed may stay silent before the connection counts as dead: well above the hub's
/// keep-alive comment every 15 s.
pub const FEED_IDLE: Duration = Duration::from_secs(40);

/// Whether the feed from one issuer is live.
#[derive(Debug, Default)]
pub struct FeedStatus {
    connected: AtomicBool,
    changed_ms: AtomicU64,
    connections: AtomicU64,
}

impl FeedStatus {
    /// Records the state; the time is kept only when the state changes, so repeated failed
    /// reconnection attempts do not keep extending the grace period.
    fn set(&self, connected: bool, now_ms: u64) {
        let was = self.connected.swap(connected, Ordering::SeqCst);
        if was != connected || self.changed_ms.load(Ordering::SeqCst) == 0 {
            self.changed_ms.store(now_ms, Ordering::SeqCst);
        }
    }

    /// How many times the feed has connected since start (a healthy feed connects once).
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }

    /// Whether revocations from this issuer are known to be current: the feed is connected, or
    /// dropped less than `grace_ms` ago.
    pub fn fresh(&self, now_ms: u64, grace_ms: u64) -> bool {
        self.connected.load(Ordering::SeqCst)
            || now_ms < self.changed_ms.load(Ordering::SeqCst) + grace_ms
    }
}

/// One entry of a hub's feed.
#[derive(Debug, Clone, Deserialize)]
pub struct FeedEntry {
    /// Sequence number.
    pub seq: u64,
    /// What it revokes (see `op_protocol::revocation`).
    pub grant_id: String,
    /// When, Unix seconds: a moved grant's tokens for the old pod issued by then are refused.
    /// Unknown (an older hub) counts as forever.
    #[serde(default = "forever")]
    pub revoked_at: u64,
}

fn forever() -> u64 {
    u64::MAX
}

fn revoked_key(issuer: &str, grant: &str) -> Vec<u8> {
    [b"x".as_slice(), issuer.as_bytes(), &[0], grant.as_bytes()].concat()
}

fn cursor_key(issuer: &str) -> Vec<u8> {
    [b"f".as_slice(), issuer.as_bytes()].concat()
}

/// What this pod knows of each issuer's feed: revoked ids and when each was revoked.
#[derive(Debug)]
pub struct Revocations {
    set: RwLock<HashMap<(String, String), u64>>,
    store: Store,
}

impl Revocations {
    /// Loads every revoked grant recorded by earlier runs.
    pub fn load(store: &Store) -> Result<Revocations, StoreError> {
        let mut set = HashMap::new();
        let mut after: Option<Vec<u8>> = None;
        loop {
            let from = after.as_deref().map_or(ScanFrom::Start, ScanFrom::After);
            let page = store.scan(b"x", from, 1000)?;
            for (k, v) in &page {
                if let Some(i) = k.iter().position(|b| *b == 0) {
                    let issuer = String::from_utf8_lossy(&k[1..i]).into_owned();
                    let grant = String::from_utf8_lossy(&k[i + 1..]).into_owned();
                    // Entries stored before times were kept hold no value: forever.
                    let at = v.as_slice().try_into().map_or(u64::MAX, u64::from_le_bytes);
                    set.insert((issuer, grant), at);
                }
            }
            if page.len() < 1000 {
                break;
            }
            after = page.last().map(|(k, _)| k.clone());
        }
        Ok(Revocations {
            set: RwLock::new(set),
            store: store.clone(),
        })
    }

    /// Whether `grant` of `issuer` is revoked.
    pub fn is_revoked(&self, issuer: &str, grant: &str) -> bool {
        self.revoked_at(issuer, grant).is_some()
    }

    /// When `id` of `issuer` was revoked, if it was.
    pub fn revoked_at(&self, issuer: &str, id: &str) -> Option<u64> {
        self.set
            .read()
            .expect("revocations lock")
            .get(&(issuer.to_owned(), id.to_owned()))
            .copied()
    }

    /// The last feed position applied for `issuer`.
    pub fn cursor(&self, issuer: &str) -> u64 {
        self.store
            .get(&cursor_key(issuer))
            .ok()
            .flatten()
            .and_then(|b| b.try_into().ok().map(u64::from_le_bytes))
            .unwrap_or(0)
    }

    /// Records entries durably, then makes them visible to requests.
    pub async fn apply(&self, issuer: &str, entries: Vec<FeedEntry>) -> Result<(), StoreError> {
        let Some(last) = entries.iter().map(|e| e.seq).max() else {
            return Ok(());
        };
        let (iss, batch) = (issuer.to_owned(), entries.clone());
        self.store
            .write(move |tx| {
                for e in &batch {
                    tx.put(
                        revoked_key(&iss, &e.grant_id),
                        e.revoked_at.to_le_bytes().to_vec(),
                    );
                }
                tx.put(cursor_key(&iss), last.to_le_bytes().to_vec());
                Ok::<_, StoreError>(())
            })
            .await?;
        let mut set = self.set.write().expect("revocations lock");
        for e in entries {
            set.insert((issuer.to_owned(), e.grant_id), e.revoked_at);
        }
        Ok(())
    }
}

/// The client for feed streams: a connect timeout but no total timeout, which would cut a
/// long-lived stream; silence is caught by [`FEED_IDLE`] instead.
pub fn stream_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .read_timeout(FEED_IDLE)
        .build()
        .expect("an HTTP client with the ring provider")
}

/// Follows an issuer's revocation stream until aborted: once it has credentials there, it
/// reconnects at once when the hub ends a stream, and with backoff when the hub is out of reach.
pub async fn follow(
    issuer: Arc<TrustedIssuer>,
    revocations: Arc<Revocations>,
    http: reqwest::Client,
    store: Store,
    clock: Clock,
) {
    issuer.feed.set(false, clock.now_millis());
    if issuer.credentials.get().is_none() {
        tracing::warn!(
            issuer = %issuer.issuer,
            "this pod server has no credentials at this hub, so it cannot follow its revocations \
             and refuses its tokens: link the pod from the hub's dashboard, or set client_id and \
             client_secret for this trusted issuer"
        );
    }
    issuer.credentials.ready().await;
    let stream = stream_client();
    let mut backoff = Duration::from_millis(100);
    loop {
        match stream_once(&issuer, &revocations, &http, &stream, &store, &clock).await {
            Ok(()) => {
                backoff = Duration::from_millis(100);
                issuer.feed.set(false, clock.now_millis());
                continue;
            }
            Err(e) => {
                tracing::warn!(issuer = %issuer.issuer, error = %e, "revocation feed unavailable; retrying")
            }
        }
        issuer.feed.set(false, clock.now_millis());
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

async fn stream_once(
    issuer: &TrustedIssuer,
    revocations: &Revocations,
    http: &reqwest::Client,
    stream: &reqwest::Client,
    store: &Store,
    clock: &Clock,
) -> Result<(), String> {
    let creds = issuer
        .credentials
        .get()
        .ok_or("no client credentials for this issuer")?;
    let mut endpoints = issuer.endpoints();
    if endpoints.revocation_feed_stream_endpoint.is_none() {
        issuer.refresh(http, store, clock, None).await;
        endpoints = issuer.endpoints();
    }
    let feed = endpoints
        .revocation_feed_stream_endpoint
        .ok_or("the issuer publishes no revocation feed stream")?;
    let url = format!("{feed}?after={}", revocations.cursor(&issuer.issuer));
    let res = stream
        .get(&url)
        .basic_auth(&creds.client_id, Some(&creds.client_secret))
        .header("Accept", "text/event-stream")
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !res.status().is_success() {
        return Err(format!("GET {url}: HTTP {}", res.status()));
    }
    issuer.feed.set(true, clock.now_millis());
    issuer.feed.connections.fetch_add(1, Ordering::SeqCst);
    let mut body = res.bytes_stream();
    let mut buffer = String::new();
    loop {
        // The hub sends a comment every 15 s; silence for longer means the connection is dead.
        let chunk = tokio::time::timeout(FEED_IDLE, body.next())
            .await
            .map_err(|_| "the feed went silent".to_owned())?;
        let Some(chunk) = chunk else { return Ok(()) };
        buffer.push_str(&String::from_utf8_lossy(&chunk.map_err(|e| e.to_string())?));
        let mut entries = Vec::new();
        while let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: "))
                && let Ok(entry) = serde_json::from_str::<FeedEntry>(data)
            {
                entries.push(entry);
            }
        }
        revocations
            .apply(&issuer.issuer, entries)
            .await
            .map_err(|e| e.to_string())?;
    }
}

/// Introspection answers, cached briefly by token id.
#[derive(Debug, Default)]
pub struct IntrospectionCache {
    answers: Mutex<HashMap<String, (bool, u64)>>,
}

/// How long an introspection answer is reused.
const CACHE_MS: u64 = 5_000;

/// Why introspection could not answer.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct IntrospectionError(pub String);

impl IntrospectionCache {
    /// Whether the issuer says the token is active.
    pub async fn active(
        &self,
        issuer: &TrustedIssuer,
        http: &reqwest::Client,
        token: &str,
        jti: &str,
        now_ms: u64,
    ) -> Result<bool, IntrospectionError> {
        if let Some((active, until)) = self
            .answers
            .lock()
            .expect("introspection cache lock")
            .get(jti)
            && now_ms < *until
        {
            return Ok(*active);
        }
        let fail = |m: String| IntrospectionError(m);
        let creds = issuer
            .credentials
            .get()
            .ok_or_else(|| fail("no client credentials for introspection".into()))?;
        let endpoint = issuer
            .endpoints()
            .introspection_endpoint
            .ok_or_else(|| fail("the issuer publishes no introspection endpoint".into()))?;
        let res = http
            .post(&endpoint)
            .basic_auth(&creds.client_id, Some(&creds.client_secret))
            .form(&[("token", token)])
            .timeout(Duration::from_secs(3))
            .send()
            .await
            .map_err(|e| fail(e.to_string()))?;
        if !res.status().is_success() {
            return Err(fail(format!(
                "introspection answered HTTP {}",
                res.status()
            )));
        }
        let body: serde_json::Value = res.json().await.map_err(|e| fail(e.to_string()))?;
        let active = body
            .get("active")
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        let mut answers = self.answers.lock().expect("introspection cache lock");
        if answers.len() > 100_000 {
            answers.retain(|_, (_, until)| *until > now_ms);
        }
        answers.insert(jti.to_owned(), (active, now_ms + CACHE_MS));
        Ok(active)
    }
}
