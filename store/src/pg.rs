//! The PostgreSQL backend: the same ordered key space in one table, shared by many processes.
//!
//! Keys and values live in `op_store_kv (key BYTEA PRIMARY KEY, value BYTEA NOT NULL)`; `BYTEA`
//! compares byte by byte, so the table's order is the embedded engines' order. Reads outside a
//! write take a connection from a small pool. A write group (see [`crate::writer`]) runs in one
//! transaction on the writer's own connection that first locks the one row of `op_store_lock`:
//! only one group, across every process on the database, runs at a time, so a job's
//! read-then-write stays consistent exactly as it does with one embedded writer. The reasons,
//! and what this rules out on distributed engines, are in `docs/decisions/0002-postgresql.md`.
//!
//! The driver is async (`tokio-postgres`); the store's interface is synchronous and is called
//! from async handlers, so every backend owns a small runtime of its own and callers wait for
//! their query on a plain channel (blocking the caller's thread, as a redb read does).

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, mpsc};

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Statement};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::kv::{Change, Entry, KvError, ScanFrom};
use super::schema;

mod sql;
mod url;

use sql::{DELETE, GET, LOCK, SCANS, ScanQuery, UPSERT};
pub use url::DatabaseUrl;
use url::with_causes;

/// Connections for reads outside write groups, per process.
const READ_POOL_SIZE: usize = 16;

/// How often a group retries taking the write lock after a serialisation failure or deadlock
/// (no job has run yet then, so a retry is safe).
const LOCK_ATTEMPTS: usize = 5;

impl From<tokio_postgres::Error> for KvError {
    fn from(e: tokio_postgres::Error) -> Self {
        // The driver's Display says only "db error"; the server's message is in the source.
        match e.as_db_error() {
            Some(db) => KvError(format!(
                "PostgreSQL: {}: {}",
                db.code().code(),
                db.message()
            )),
            None => KvError(format!("PostgreSQL: {}", with_causes(&e))),
        }
    }
}

/// An open PostgreSQL backend.
pub struct Postgres {
    /// Taken on drop and shut down in the background, which is allowed inside async code.
    runtime: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
    url: DatabaseUrl,
    tls: MakeRustlsConnect,
    pool: Pool,
    writer: Mutex<Option<WriterConnection>>,
}

impl fmt::Debug for Postgres {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Postgres({})", self.url)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn tls_connector() -> Result<MakeRustlsConnect, KvError> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_platform_verifier())
        .map_err(|e| KvError(format!("TLS set-up for the database failed: {e}")))?
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

impl Postgres {
    /// Connects, runs the schema migrations, and checks that the schema is not newer than ours.
    pub fn open(url: &DatabaseUrl) -> Result<Postgres, KvError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("op-store-pg")
            .enable_all()
            .build()
            .map_err(|e| KvError(format!("cannot start the database runtime: {e}")))?;
        let tls = tls_connector()?;
        let manager = Manager::from_config(
            url.config.clone(),
            tls.clone(),
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(READ_POOL_SIZE)
            .build()
            .map_err(|e| KvError(format!("database pool: {e}")))?;
        let pg = Postgres {
            handle: runtime.handle().clone(),
            runtime: Some(runtime),
            url: url.clone(),
            tls,
            pool,
            writer: Mutex::new(None),
        };
        let config = url.config.clone();
        let tls = pg.tls.clone();
        let shown = url.to_string();
        pg.run(async move {
            let (mut client, connection) = config.connect(tls).await.map_err(|e| {
                KvError(format!("cannot connect to {shown}: {}", KvError::from(e).0))
            })?;
            tokio::spawn(connection);
            schema::migrate(&mut client).await
        })??;
        Ok(pg)
    }

    /// Runs `fut` on this backend's runtime and waits for it on the calling thread, which may be
    /// an async worker: the wait is a plain channel, never a nested runtime.
    fn run<T: Send + 'static>(
        &self,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, KvError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.handle.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv()
            .map_err(|_| KvError("the database runtime stopped".into()))
    }

    /// Reads one key from the committed state.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        let pool = self.pool.clone();
        let key = key.to_vec();
        self.run(async move {
            let client = pool.get().await.map_err(pool_error)?;
            let statement = client.prepare_cached(GET).await?;
            let row = client.query_opt(&statement, &[&key]).await?;
            Ok(row.map(|r| r.get::<_, Vec<u8>>(0)))
        })?
    }

    /// See [`crate::kv::Backend::scan`].
    pub fn scan(
        &self,
        prefix: &[u8],
        from: ScanFrom<'_>,
        limit: usize,
    ) -> Result<Vec<Entry>, KvError> {
        let pool = self.pool.clone();
        let query = ScanQuery::new(prefix, from, limit);
        self.run(async move {
            let client = pool.get().await.map_err(pool_error)?;
            let statement = client.prepare_cached(query.sql()).await?;
            query.run(&client, &statement).await
        })?
    }

    /// Starts a write group: a transaction on the writer's connection holding the write lock.
    pub fn begin(&self) -> Result<PgGroup<'_>, KvError> {
        let mut writer = self.writer.lock().expect("postgres writer lock");
        let mut attempt = 0;
        loop {
            attempt += 1;
            if writer.as_ref().is_none_or(|w| w.client.is_closed()) {
                *writer = None;
                *writer = Some(self.handle.block_on(self.connect_writer())?);
            }
            let conn = writer.as_ref().expect("connected above");
            let locked = self.handle.block_on(async {
                conn.client
                    .batch_execute("BEGIN ISOLATION LEVEL READ COMMITTED")
                    .await?;
                conn.client.execute(&conn.lock, &[]).await
            });
            match locked {
                Ok(1) => {
                    return Ok(PgGroup {
                        pg: self,
                        writer,
                        open: true,
                    });
                }
                Ok(n) => {
                    let _ = self.handle.block_on(conn.client.batch_execute("ROLLBACK"));
                    return Err(KvError(format!(
                        "the write lock row of op_store_lock is missing ({n} rows locked)"
                    )));
                }
                Err(e) => {
                    let _ = self.handle.block_on(conn.client.batch_execute("ROLLBACK"));
                    let retry = e.code().is_some_and(|c| {
                        *c == SqlState::T_R_SERIALIZATION_FAILURE
                            || *c == SqlState::T_R_DEADLOCK_DETECTED
                    });
                    if !retry || attempt >= LOCK_ATTEMPTS {
                        return Err(e.into());
                    }
                    tracing::debug!(error = %e, attempt, "taking the write lock again");
                }
            }
        }
    }

    async fn connect_writer(&self) -> Result<WriterConnection, KvError> {
        let (client, connection) = self.url.config.connect(self.tls.clone()).await?;
        self.handle.spawn(connection);
        let lock = client.prepare(LOCK).await?;
        let get = client.prepare(GET).await?;
        let upsert = client.prepare(UPSERT).await?;
        let delete = client.prepare(DELETE).await?;
        let mut scans = Vec::new();
        for sql in SCANS {
            scans.push(client.prepare(sql).await?);
        }
        Ok(WriterConnection {
            scans,
            client,
            lock,
            get,
            upsert,
            delete,
        })
    }
}

fn pool_error(e: deadpool_postgres::PoolError) -> KvError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => e.into(),
        other => KvError(format!("database pool: {other}")),
    }
}

/// The writer's own connection and its prepared statements.
struct WriterConnection {
    client: Client,
    lock: Statement,
    get: Statement,
    upsert: Statement,
    delete: Statement,
    scans: Vec<Statement>,
}

/// A write group in progress: one transaction holding the write lock, rolled back if dropped
/// before [`PgGroup::commit`].
pub struct PgGroup<'a> {
    pg: &'a Postgres,
    writer: MutexGuard<'a, Option<WriterConnection>>,
    open: bool,
}

impl fmt::Debug for PgGroup<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PgGroup({})", self.pg.url)
    }
}

impl PgGroup<'_> {
    fn conn(&self) -> &WriterConnection {
        self.writer.as_ref().expect("a group has a connection")
    }

    /// Reads one key inside the group's transaction.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        let conn = self.conn();
        let row = self
            .pg
            .handle
            .block_on(conn.client.query_opt(&conn.get, &[&key]))?;
        Ok(row.map(|r| r.get::<_, Vec<u8>>(0)))
    }

    /// Scans inside the group's transaction.
    pub fn scan(
        &self,
        prefix: &[u8],
        from: ScanFrom<'_>,
        limit: usize,
    ) -> Result<Vec<Entry>, KvError> {
        let conn = self.conn();
        let query = ScanQuery::new(prefix, from, limit);
        self.pg
            .handle
            .block_on(query.run(&conn.client, &conn.scans[query.variant()]))
    }

    /// Writes the group's changes and commits; returns once PostgreSQL reports them durable.
    pub fn commit(mut self, changes: Vec<Change>) -> Result<(), KvError> {
        let (mut put_keys, mut put_values, mut removed) = (Vec::new(), Vec::new(), Vec::new());
        for (k, v) in changes {
            match v {
                Some(v) => {
                    put_keys.push(k);
                    put_values.push(v);
                }
                None => removed.push(k),
            }
        }
        let conn = self.conn();
        let result = self.pg.handle.block_on(async {
            if !put_keys.is_empty() {
                conn.client
                    .execute(&conn.upsert, &[&put_keys, &put_values])
                    .await?;
            }
            if !removed.is_empty() {
                conn.client.execute(&conn.delete, &[&removed]).await?;
            }
            conn.client.batch_execute("COMMIT").await
        });
        // COMMIT ends the transaction even when it fails; a failed statement before it leaves it
        // open, and dropping the group rolls it back.
        if result.is_ok() {
            self.open = false;
        }
        Ok(result?)
    }
}

impl Drop for PgGroup<'_> {
    fn drop(&mut self) {
        if self.open
            && let Some(conn) = self.writer.as_ref()
            && self
                .pg
                .handle
                .block_on(conn.client.batch_execute("ROLLBACK"))
                .is_err()
        {
            // A connection that cannot roll back is not reused.
            *self.writer = None;
        }
    }
}
