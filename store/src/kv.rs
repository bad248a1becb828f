//! The ordered key-value backends under the store: in-memory, redb (default), sled and
//! PostgreSQL ([`crate::pg`]).
//!
//! Each backend offers the same operations — point read, prefix scan from a key, and a write
//! [`Group`]: reads as the group sees them, then one atomic, durable apply — so everything above
//! them is written once. Only one group runs at a time (one writer thread; with PostgreSQL, one
//! lock across processes), which is what makes read-then-write consistent.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Bound;
use std::path::Path;
use std::sync::RwLock;

use crate::pg::{PgGroup, Postgres};

/// A key and its value, as scans return them.
pub type Entry = (Vec<u8>, Vec<u8>);

/// A change to one key: `Some(value)` writes it, `None` removes it.
pub type Change = (Vec<u8>, Option<Vec<u8>>);

mod error;
mod redb_store;

pub use error::KvError;

/// Which engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// In memory: fast tests, nothing survives the process.
    Memory,
    /// redb: the embedded default; fdatasync on every commit.
    Redb,
    /// sled 0.34: survives process crashes, not power loss (see docs/decisions/0001-storage.md).
    Sled,
    /// PostgreSQL at a database URL, shared by any number of processes
    /// (see docs/decisions/0002-postgresql.md).
    Postgres,
}

impl std::fmt::Display for BackendKind {
    /// The name the configuration uses (`redb`, `sled`, `memory`, `postgres`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BackendKind::Memory => "memory",
            BackendKind::Redb => "redb",
            BackendKind::Sled => "sled",
            BackendKind::Postgres => "postgres",
        })
    }
}

impl std::str::FromStr for BackendKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "memory" => Ok(BackendKind::Memory),
            "redb" => Ok(BackendKind::Redb),
            "sled" => Ok(BackendKind::Sled),
            "postgres" => Ok(BackendKind::Postgres),
            other => Err(format!(
                "unknown storage backend {other:?}: use redb, sled, memory or postgres"
            )),
        }
    }
}

/// An open backend.
pub enum Backend {
    /// See [`BackendKind::Memory`].
    Memory(RwLock<BTreeMap<Vec<u8>, Vec<u8>>>),
    /// See [`BackendKind::Redb`].
    Redb(redb_store::RedbStore),
    /// See [`BackendKind::Sled`].
    Sled(sled::Db),
    /// See [`BackendKind::Postgres`].
    Postgres(Box<Postgres>),
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Memory(_) => "Backend::Memory",
            Backend::Redb(_) => "Backend::Redb",
            Backend::Sled(_) => "Backend::Sled",
            Backend::Postgres(_) => "Backend::Postgres",
        })
    }
}

impl Backend {
    /// Opens (creating if needed) an embedded backend; `dir` is ignored for memory. PostgreSQL
    /// needs a URL: see [`Backend::open_postgres`].
    pub fn open(kind: BackendKind, dir: &Path) -> Result<Self, KvError> {
        match kind {
            BackendKind::Postgres => Err(KvError(
                "the postgres backend needs a database URL (database_url)".into(),
            )),
            BackendKind::Memory => Ok(Backend::Memory(RwLock::new(BTreeMap::new()))),
            BackendKind::Redb => Ok(Backend::Redb(redb_store::RedbStore::open(dir)?)),
            BackendKind::Sled => Ok(Backend::Sled(open_sled(&dir.join("data.sled"))?)),
        }
    }

    /// Connects to PostgreSQL and brings its schema up to date.
    pub fn open_postgres(url: &crate::pg::DatabaseUrl) -> Result<Self, KvError> {
        Ok(Backend::Postgres(Box::new(Postgres::open(url)?)))
    }

    /// Starts a write group. An embedded backend's group reads the committed state directly (only
    /// the one writer thread ever changes it); PostgreSQL's is a transaction holding the write
    /// lock. A group that cannot start still runs its jobs: their reads and commit fail.
    pub fn begin_group(&self) -> Group<'_> {
        match self {
            Backend::Postgres(pg) => match pg.begin() {
                Ok(group) => Group::Postgres(group),
                Err(e) => Group::Failed(e.0),
            },
            other => Group::Direct(other),
        }
    }

    /// Reads one key.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        match self {
            Backend::Postgres(pg) => pg.get(key),
            Backend::Memory(map) => Ok(map.read().expect("memory store lock").get(key).cloned()),
            Backend::Redb(db) => db.get(key),
            Backend::Sled(db) => Ok(db.get(key)?.map(|v| v.to_vec())),
        }
    }

    /// Up to `limit` entries whose key starts with `prefix`, in key order, from `start` (inclusive)
    /// or, with `after`, strictly after it.
    pub fn scan(
        &self,
        prefix: &[u8],
        from: ScanFrom<'_>,
        limit: usize,
    ) -> Result<Vec<Entry>, KvError> {
        let lower = match from {
            ScanFrom::Start => Bound::Included(prefix.to_vec()),
            ScanFrom::After(key) => Bound::Excluded(key.to_vec()),
        };
        let upper = match prefix_end(prefix) {
            Some(end) => Bound::Excluded(end),
            None => Bound::Unbounded,
        };
        let mut out = Vec::new();
        match self {
            Backend::Postgres(pg) => return pg.scan(prefix, from, limit),
            Backend::Memory(map) => {
                let map = map.read().expect("memory store lock");
                for (k, v) in map.range((lower, upper)).take(limit) {
                    out.push((k.clone(), v.clone()));
                }
            }
            Backend::Redb(db) => {
                out = db.scan(as_slice_bound(&lower), as_slice_bound(&upper), limit)?;
            }
            Backend::Sled(db) => {
                for entry in db.range((lower, upper)).take(limit) {
                    let (k, v) = entry?;
                    out.push((k.to_vec(), v.to_vec()));
                }
            }
        }
        Ok(out)
    }

    /// Applies every change atomically and returns only once they are durable (embedded
    /// backends; PostgreSQL commits through its [`Group`]).
    fn apply(&self, changes: Vec<Change>) -> Result<(), KvError> {
        if changes.is_empty() {
            return Ok(());
        }
        match self {
            Backend::Postgres(_) => {
                return Err(KvError("PostgreSQL writes go through a write group".into()));
            }
            Backend::Memory(map) => {
                let mut map = map.write().expect("memory store lock");
                for (k, v) in changes {
                    match v {
                        Some(v) => map.insert(k, v),
                        None => map.remove(&k),
                    };
                }
            }
            Backend::Redb(db) => db.apply(&changes)?,
            Backend::Sled(db) => {
                let mut batch = sled::Batch::default();
                for (k, v) in changes {
                    match v {
                        Some(v) => batch.insert(k, v),
                        None => batch.remove(k),
                    }
                }
                db.apply_batch(batch)?;
                db.flush()?;
            }
        }
        Ok(())
    }
}

/// Opens sled, waiting briefly for a previous handle's background flusher to release the file
/// lock (it outlives `drop` by a few milliseconds, so a quick restart can otherwise fail).
fn open_sled(path: &Path) -> Result<sled::Db, KvError> {
    let mut attempt = 0;
    loop {
        match sled::open(path) {
            Ok(db) => return Ok(db),
            Err(sled::Error::Io(e)) if attempt < 40 => {
                tracing::debug!(error = %e, "sled is still locked; retrying");
                attempt += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Where a scan starts.
#[derive(Debug, Clone, Copy)]
pub enum ScanFrom<'a> {
    /// At the first key with the prefix.
    Start,
    /// Strictly after this key (for paging).
    After(&'a [u8]),
}

fn as_slice_bound(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(v) => Bound::Included(v.as_slice()),
        Bound::Excluded(v) => Bound::Excluded(v.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// The smallest key greater than every key starting with `prefix`, if any.
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// One write group's access to the backend: reads inside the group, then one commit.
pub enum Group<'a> {
    /// An embedded backend: reads see the committed state; commit applies one batch.
    Direct(&'a Backend),
    /// PostgreSQL: a transaction holding the write lock.
    Postgres(PgGroup<'a>),
    /// The group could not start (the database is unreachable): every read and the commit fail.
    Failed(String),
}

impl fmt::Debug for Group<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Group::Direct(_) => "Group::Direct",
            Group::Postgres(_) => "Group::Postgres",
            Group::Failed(_) => "Group::Failed",
        })
    }
}

impl Group<'_> {
    /// Reads one key as the group's transaction sees it.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        match self {
            Group::Direct(backend) => backend.get(key),
            Group::Postgres(group) => group.get(key),
            Group::Failed(e) => Err(KvError(e.clone())),
        }
    }

    /// Scans as the group's transaction sees it (see [`Backend::scan`]).
    pub fn scan(
        &self,
        prefix: &[u8],
        from: ScanFrom<'_>,
        limit: usize,
    ) -> Result<Vec<Entry>, KvError> {
        match self {
            Group::Direct(backend) => backend.scan(prefix, from, limit),
            Group::Postgres(group) => group.scan(prefix, from, limit),
            Group::Failed(e) => Err(KvError(e.clone())),
        }
    }

    /// Applies every change atomically and returns only once they are durable.
    pub fn commit(self, changes: Vec<Change>) -> Result<(), KvError> {
        match self {
            Group::Direct(backend) => backend.apply(changes),
            Group::Postgres(group) => group.commit(changes),
            Group::Failed(e) => Err(KvError(e)),
        }
    }
}
