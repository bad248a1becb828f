//! Deleting what expires: logged-in sessions, parked authorization requests, authorization codes
//! and logins parked at an upstream provider. A task runs [`run`] every minute on the hub's clock; each pass walks the tables in
//! bounded batches (one short write per batch), so a large backlog never holds the writer for
//! long. Tests advance a manual clock and call [`run`] themselves.

use std::time::Duration;

use op_store::{ScanFrom, Store, StoreError};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::authorize::{self, AuthCode, AuthRequest, CODES, PENDING};
use crate::session::{SESSIONS, Session};
use crate::state::Hub;
use crate::table::Table;
use crate::upstream::{PENDING_LOGINS, PendingLogin};

/// Records looked at per batch (and so at most deleted per write).
pub const BATCH: usize = 256;
/// How often the purge task runs.
pub const EVERY: Duration = Duration::from_secs(60);

/// How many records, per table: deleted by a pass, or stored.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Logged-in sessions.
    pub sessions: usize,
    /// Parked authorization requests.
    pub requests: usize,
    /// Authorization codes.
    pub codes: usize,
    /// Logins parked while the worker is at an upstream provider.
    pub upstream_logins: usize,
}

fn session_expired(s: &Session, now: u64) -> bool {
    s.expires <= now
}

fn request_expired(r: &AuthRequest, now: u64) -> bool {
    r.created + authorize::PENDING_SECS <= now
}

fn login_expired(l: &PendingLogin, now: u64) -> bool {
    l.created + crate::upstream::PENDING_SECS <= now
}

fn code_expired(c: &AuthCode, now: u64) -> bool {
    c.expires + authorize::CODE_KEEP_SECS <= now
}

/// One pass over the three tables at the hub's current time; returns what it deleted.
pub async fn run(hub: &Hub) -> Result<Counts, StoreError> {
    let now = hub.now();
    Ok(Counts {
        sessions: purge(&hub.store, &SESSIONS, session_expired, now).await?,
        requests: purge(&hub.store, &PENDING, request_expired, now).await?,
        codes: purge(&hub.store, &CODES, code_expired, now).await?,
        upstream_logins: purge(&hub.store, &PENDING_LOGINS, login_expired, now).await?,
    })
}

/// Runs [`run`] every `period` until the hub stops; a failed pass is logged and retried next time.
pub async fn every(hub: Hub, period: Duration) {
    let mut stopping = hub.stopping.clone();
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stopping.wait_for(|s| *s) => return,
        }
        match run(&hub).await {
            Ok(n) if n != Counts::default() => tracing::debug!(
                sessions = n.sessions,
                requests = n.requests,
                codes = n.codes,
                "purged expired records"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "purging expired records failed"),
        }
    }
}

/// How many records each table holds (for tests and operators; walks the tables).
pub fn counts(store: &Store) -> Result<Counts, StoreError> {
    let count = |prefix: Vec<u8>| -> Result<usize, StoreError> {
        let (mut n, mut after) = (0, None::<Vec<u8>>);
        loop {
            let from = after.as_deref().map_or(ScanFrom::Start, ScanFrom::After);
            let batch = store.scan(&prefix, from, BATCH)?;
            n += batch.len();
            match batch.last() {
                Some((k, _)) if batch.len() == BATCH => after = Some(k.clone()),
                _ => return Ok(n),
            }
        }
    };
    Ok(Counts {
        sessions: count(SESSIONS.key(""))?,
        requests: count(PENDING.key(""))?,
        codes: count(CODES.key(""))?,
        upstream_logins: count(PENDING_LOGINS.key(""))?,
    })
}

/// Deletes the records of `table` that are expired at `now`, or that no longer decode (records
/// from an older version, which nothing can read). Each batch is re-checked inside its write, so
/// a record changed since the scan is judged on what it is now.
async fn purge<T: Serialize + DeserializeOwned + 'static>(
    store: &Store,
    table: &Table<T>,
    expired: fn(&T, u64) -> bool,
    now: u64,
) -> Result<usize, StoreError> {
    let doomed =
        move |bytes: &[u8]| serde_json::from_slice::<T>(bytes).map_or(true, |r| expired(&r, now));
    let prefix = table.key("");
    let (mut deleted, mut after) = (0, None::<Vec<u8>>);
    loop {
        let from = after.as_deref().map_or(ScanFrom::Start, ScanFrom::After);
        let batch = store.scan(&prefix, from, BATCH)?;
        let full = batch.len() == BATCH;
        after = batch.last().map(|(k, _)| k.clone());
        let keys: Vec<Vec<u8>> = batch
            .into_iter()
            .filter(|(_, v)| doomed(v))
            .map(|(k, _)| k)
            .collect();
        if !keys.is_empty() {
            deleted += store
                .write(move |tx| {
                    let mut n = 0;
                    for key in keys {
                        if tx.get(&key)?.is_some_and(|v| doomed(&v)) {
                            tx.remove(key);
                            n += 1;
                        }
                    }
                    Ok::<_, StoreError>(n)
                })
                .await?;
        }
        if !full {
            return Ok(deleted);
        }
        tokio::task::yield_now().await;
    }
}
