//! `op-store`: durable storage — one ordered key space with group-committed writes, embedded
//! (redb, sled, memory) or in PostgreSQL.
//!
//! Reads go straight to the engine; writes are jobs run by one writer thread (see [`writer`]) and
//! acknowledged only after their batch is durable. The hub and the pod server each define their
//! own key layout on top. See `docs/decisions/0001-storage.md` and `0002-postgresql.md`.

pub mod kv;
pub mod pg;
mod schema;
pub mod writer;

#[cfg(test)]
mod contract;
#[cfg(test)]
mod pg_server;
#[cfg(test)]
mod pg_tests;

use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

use thiserror::Error;

pub use kv::{BackendKind, KvError, ScanFrom};
pub use pg::DatabaseUrl;
pub use writer::Tx;
use writer::{Job, Outcome};

/// Storage failed: the engine reported an error, or the store is shutting down.
#[derive(Debug, Error, Clone)]
pub enum StoreError {
    /// The engine failed; the write was not applied.
    #[error("{0}")]
    Engine(Arc<KvError>),
    /// The store was closed before the write could run.
    #[error("storage is shutting down")]
    Closed,
}

impl StoreError {
    /// Whether the write failed for lack of disk space: nothing was stored, and the same write
    /// can succeed once space returns (a server answers 507).
    pub fn is_storage_full(&self) -> bool {
        matches!(self, StoreError::Engine(e) if e.is_storage_full())
    }
}

impl From<KvError> for StoreError {
    fn from(e: KvError) -> Self {
        StoreError::Engine(Arc::new(e))
    }
}

/// A handle to an open store; cheap to clone, shared by every request.
#[derive(Clone, Debug)]
pub struct Store {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Taken out on close, so the engine (and its file lock) goes away with the last read.
    backend: std::sync::RwLock<Option<Arc<kv::Backend>>>,
    kind: BackendKind,
    sender: Mutex<Option<mpsc::Sender<Job>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

impl Store {
    /// Opens a store of `kind` in `dir` (ignored for memory) and starts its writer. PostgreSQL
    /// needs a URL: see [`Store::open_configured`].
    pub fn open(kind: BackendKind, dir: &Path) -> Result<Store, StoreError> {
        Ok(Store::start(kind, kv::Backend::open(kind, dir)?))
    }

    /// Opens the store a server's configuration names: an embedded `kind` in `dir`, or PostgreSQL
    /// at `database_url` (required for that kind, and only for it).
    pub fn open_configured(
        kind: BackendKind,
        dir: &Path,
        database_url: Option<&DatabaseUrl>,
    ) -> Result<Store, StoreError> {
        match (kind, database_url) {
            (BackendKind::Postgres, Some(url)) => Store::open_postgres(url),
            (BackendKind::Postgres, None) => Err(KvError(
                "storage postgres needs database_url (or --database-url, OP_DATABASE_URL)".into(),
            )
            .into()),
            (other, Some(_)) => Err(KvError(format!(
                "database_url is set but storage is {other}: set storage = \"postgres\" or drop database_url"
            ))
            .into()),
            (other, None) => Store::open(other, dir),
        }
    }

    /// Connects to PostgreSQL at `url`, migrates its schema, and starts the writer.
    pub fn open_postgres(url: &DatabaseUrl) -> Result<Store, StoreError> {
        Ok(Store::start(
            BackendKind::Postgres,
            kv::Backend::open_postgres(url)?,
        ))
    }

    fn start(kind: BackendKind, backend: kv::Backend) -> Store {
        let backend = Arc::new(backend);
        let (sender, handle) = writer::spawn(backend.clone());
        Store {
            inner: Arc::new(Inner {
                backend: std::sync::RwLock::new(Some(backend)),
                kind,
                sender: Mutex::new(Some(sender)),
                writer: Mutex::new(Some(handle)),
            }),
        }
    }

    /// The engine this store runs on.
    pub fn kind(&self) -> BackendKind {
        self.inner.kind
    }

    fn backend(&self) -> Result<Arc<kv::Backend>, StoreError> {
        self.inner
            .backend
            .read()
            .expect("store backend lock")
            .clone()
            .ok_or(StoreError::Closed)
    }

    /// Reads one key from the committed state.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.backend()?.get(key)?)
    }

    /// Up to `limit` committed entries under `prefix`, in key order.
    pub fn scan(
        &self,
        prefix: &[u8],
        from: ScanFrom<'_>,
        limit: usize,
    ) -> Result<Vec<kv::Entry>, StoreError> {
        Ok(self.backend()?.scan(prefix, from, limit)?)
    }

    /// Runs `op` atomically on the writer thread; resolves once its changes are durable.
    /// If `op` returns an error, none of its changes are kept.
    pub async fn write<T, E>(
        &self,
        op: impl FnOnce(&mut Tx<'_>) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.submit(op, move |r| {
            let _ = tx.send(r);
        })?;
        rx.await.unwrap_or(Err(E::from(StoreError::Closed)))
    }

    /// Like [`Store::write`], for callers outside an async runtime (the CLI, start-up).
    pub fn write_blocking<T, E>(
        &self,
        op: impl FnOnce(&mut Tx<'_>) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel();
        self.submit(op, move |r| {
            let _ = tx.send(r);
        })?;
        rx.recv().unwrap_or(Err(E::from(StoreError::Closed)))
    }

    fn submit<T, E>(
        &self,
        op: impl FnOnce(&mut Tx<'_>) -> Result<T, E> + Send + 'static,
        deliver: impl FnOnce(Result<T, E>) + Send + 'static,
    ) -> Result<(), E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let job: Job = Box::new(move |tx| {
            let result = op(tx);
            let outcome = if result.is_ok() {
                Outcome::Commit
            } else {
                Outcome::Discard
            };
            let reply: writer::Reply = Box::new(move |committed| match committed {
                Ok(()) => deliver(result),
                Err(e) => deliver(Err(E::from(StoreError::Engine(e)))),
            });
            (outcome, reply)
        });
        let sender = self.inner.sender.lock().expect("store sender lock");
        match sender.as_ref() {
            Some(s) => s.send(job).map_err(|_| E::from(StoreError::Closed)),
            None => Err(E::from(StoreError::Closed)),
        }
    }

    /// Stops accepting writes, waits for queued writes to become durable, and stops the writer.
    pub fn close(&self) {
        self.inner.sender.lock().expect("store sender lock").take();
        if let Some(handle) = self.inner.writer.lock().expect("store writer lock").take() {
            let _ = handle.join();
        }
        self.inner
            .backend
            .write()
            .expect("store backend lock")
            .take();
    }
}
