//! redb, the embedded default, and how it heals after a failed commit: once a commit fails (a full
//! disk), redb refuses every later write transaction until the database is opened again. The
//! store reopens it itself before the next write, so writes work again as soon as space returns,
//! without a restart; reads go on throughout.

use std::ops::Bound;
use std::path::PathBuf;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};

use redb::ReadableDatabase;

use super::error::redb_err;
use super::{Change, Entry, KvError};

const TABLE: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("kv");

/// redb's page cache, bytes.
const REDB_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// A redb database file, reopened after a failed commit.
#[derive(Debug)]
pub struct RedbStore {
    path: PathBuf,
    /// `None` only between dropping a poisoned instance and opening its successor.
    db: RwLock<Option<redb::Database>>,
    /// A commit failed: reopen before the next write.
    poisoned: AtomicBool,
}

impl RedbStore {
    /// Opens (creating if needed) the database in `dir`.
    pub fn open(dir: &std::path::Path) -> Result<RedbStore, KvError> {
        std::fs::create_dir_all(dir).map_err(|e| KvError(e.to_string()))?;
        let path = dir.join("data.redb");
        let db = create(&path)?;
        Ok(RedbStore {
            path,
            db: RwLock::new(Some(db)),
            poisoned: AtomicBool::new(false),
        })
    }

    fn read<T>(&self, f: impl FnOnce(&redb::Database) -> Result<T, KvError>) -> Result<T, KvError> {
        let guard = self.db.read().expect("redb lock");
        match guard.as_ref() {
            Some(db) => f(db),
            None => Err(KvError(
                "the database is being reopened after a failed write; try again".into(),
            )),
        }
    }

    /// Reads one key.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        self.read(|db| {
            let txn = db.begin_read().map_err(redb_err)?;
            let table = txn.open_table(TABLE).map_err(redb_err)?;
            Ok(table
                .get(key)
                .map_err(redb_err)?
                .map(|v| v.value().to_vec()))
        })
    }

    /// Up to `limit` entries between the bounds, in key order.
    pub fn scan(
        &self,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, KvError> {
        self.read(|db| {
            let txn = db.begin_read().map_err(redb_err)?;
            let table = txn.open_table(TABLE).map_err(redb_err)?;
            let mut out = Vec::new();
            for entry in table
                .range::<&[u8]>((lower, upper))
                .map_err(redb_err)?
                .take(limit)
            {
                let (k, v) = entry.map_err(redb_err)?;
                out.push((k.value().to_vec(), v.value().to_vec()));
            }
            Ok(out)
        })
    }

    /// Applies every change in one transaction, durable when this returns (redb's default
    /// durability, `Immediate`, commits after fdatasync).
    pub fn apply(&self, changes: &[Change]) -> Result<(), KvError> {
        if self.poisoned.load(Ordering::Acquire) {
            self.reopen()?;
        }
        let result = self.read(|db| {
            let txn = db.begin_write().map_err(redb_err)?;
            {
                let mut table = txn.open_table(TABLE).map_err(redb_err)?;
                for (k, v) in changes {
                    match v {
                        Some(v) => {
                            table.insert(k.as_slice(), v.as_slice()).map_err(redb_err)?;
                        }
                        None => {
                            table.remove(k.as_slice()).map_err(redb_err)?;
                        }
                    }
                }
            }
            txn.commit().map_err(redb_err)
        });
        if result.is_err() {
            // Whatever failed, the next write starts from a freshly opened database; if this
            // one was healthy, reopening costs one open.
            self.poisoned.store(true, Ordering::Release);
        }
        result
    }

    /// Drops the poisoned instance (releasing its file lock) and opens the file again; redb
    /// recovers the last committed state.
    fn reopen(&self) -> Result<(), KvError> {
        let mut guard = self.db.write().expect("redb lock");
        guard.take();
        let db = create(&self.path)?;
        *guard = Some(db);
        self.poisoned.store(false, Ordering::Release);
        tracing::warn!(path = %self.path.display(), "reopened the database after a failed write");
        Ok(())
    }
}

/// Opens or creates the file with a modest cache (redb's default is 1 GiB; the OS page cache
/// holds the file anyway) and makes sure the table exists, so reads never meet a missing table.
fn create(path: &std::path::Path) -> Result<redb::Database, KvError> {
    let db = redb::Builder::new()
        .set_cache_size(REDB_CACHE_BYTES)
        .create(path)
        .map_err(redb_err)?;
    let txn = db.begin_write().map_err(redb_err)?;
    txn.open_table(TABLE).map_err(redb_err)?;
    txn.commit().map_err(redb_err)?;
    Ok(db)
}
