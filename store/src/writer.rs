//! The single writer thread: runs write jobs against an overlay and commits them in groups.
//!
//! Every write is a job, a closure over a [`Tx`]. The writer drains the jobs waiting in its queue,
//! runs each against its own overlay (so a job that fails changes nothing and later jobs see
//! earlier jobs' changes), applies the whole group in one atomic, durable batch, and only then
//! answers every job. Concurrent writers thus share one fsync (group commit), and a caller is
//! answered only once its write is durable. The group's reads and its commit go through a
//! [`Group`]: with PostgreSQL that is one transaction holding a lock that every process's writer
//! takes, so "only one writer" holds across processes too.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

use super::kv::{Backend, Change, Group, KvError, ScanFrom};

/// Most jobs committed in one batch; bounds the latency a long queue adds to its first job.
const MAX_GROUP: usize = 256;

type Overlay = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// A write job's view of the store: reads see the committed state plus every earlier change.
#[allow(missing_debug_implementations)]
pub struct Tx<'a> {
    backend: &'a Group<'a>,
    group: &'a Overlay,
    local: Overlay,
}

impl Tx<'_> {
    /// Reads a key as this job sees it.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        if let Some(v) = self.local.get(key) {
            return Ok(v.clone());
        }
        if let Some(v) = self.group.get(key) {
            return Ok(v.clone());
        }
        self.backend.get(key)
    }

    /// Writes a key.
    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.local.insert(key, Some(value));
    }

    /// Removes a key.
    pub fn remove(&mut self, key: Vec<u8>) {
        self.local.insert(key, None);
    }

    /// Up to `limit` keys with `prefix` as this job sees them (committed, group and own changes).
    pub fn keys_with_prefix(&self, prefix: &[u8], limit: usize) -> Result<Vec<Vec<u8>>, KvError> {
        const PAGE: usize = 256;
        let mut live = BTreeSet::new();
        let mut after: Option<Vec<u8>> = None;
        loop {
            let from = after.as_deref().map_or(ScanFrom::Start, ScanFrom::After);
            let page = self.backend.scan(prefix, from, PAGE)?;
            for (k, _) in &page {
                if self.overlay_value(k) != Some(false) {
                    live.insert(k.clone());
                }
            }
            if page.len() < PAGE || live.len() >= limit {
                break;
            }
            after = page.last().map(|(k, _)| k.clone());
        }
        for overlay in [self.group, &self.local] {
            let added = overlay
                .range(prefix.to_vec()..)
                .take_while(|(k, _)| k.starts_with(prefix))
                .filter(|(k, _)| self.overlay_value(k) == Some(true));
            live.extend(added.map(|(k, _)| k.clone()));
        }
        Ok(live.into_iter().take(limit).collect())
    }

    /// Whether the overlays say a key is present (`Some(true)`), removed (`Some(false)`), or nothing.
    fn overlay_value(&self, key: &[u8]) -> Option<bool> {
        self.local
            .get(key)
            .or_else(|| self.group.get(key))
            .map(Option::is_some)
    }
}

/// Whether a job's changes are kept.
#[derive(Debug)]
pub enum Outcome {
    /// Keep the job's changes and commit them with the group.
    Commit,
    /// Discard the job's changes; the job has failed with a domain error.
    Discard,
}

/// A queued write: runs once against a [`Tx`], then is told whether the commit succeeded.
pub type Job = Box<dyn FnOnce(&mut Tx<'_>) -> (Outcome, Reply) + Send>;

/// What to do once the group's commit is known: deliver the job's result or the commit error.
pub type Reply = Box<dyn FnOnce(Result<(), Arc<KvError>>) + Send>;

/// Starts the writer thread; it ends when every sender is dropped, after finishing queued jobs.
pub fn spawn(backend: Arc<Backend>) -> (mpsc::Sender<Job>, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel::<Job>();
    let handle = std::thread::Builder::new()
        .name("op-pod-writer".into())
        .spawn(move || run(&backend, &rx))
        .expect("spawn the storage writer thread");
    (tx, handle)
}

fn run(backend: &Backend, rx: &mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let reads = backend.begin_group();
        let mut group = Overlay::new();
        let mut replies = Vec::new();
        let mut next = Some(first);
        while let Some(job) = next.take() {
            let mut tx = Tx {
                backend: &reads,
                group: &group,
                local: Overlay::new(),
            };
            let (outcome, reply) = job(&mut tx);
            let local = tx.local;
            if let Outcome::Commit = outcome {
                group.extend(local);
            }
            replies.push(reply);
            if replies.len() < MAX_GROUP {
                next = rx.try_recv().ok();
            }
        }
        let changes: Vec<Change> = group.into_iter().collect();
        let result = reads.commit(changes).map_err(Arc::new);
        if let Err(e) = &result {
            tracing::error!(error = %e, "storage commit failed; {} writes refused", replies.len());
        }
        for reply in replies {
            reply(result.clone());
        }
    }
}
