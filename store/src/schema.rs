//! The PostgreSQL schema and its versioned migrations, run when a store opens.
//!
//! `op_store_schema` holds one row with the schema version. Opening a store applies every
//! migration above that version, in order, each in the transaction that records its number;
//! a database whose version is newer than the newest migration this program knows is refused,
//! because an older program could misread what a newer one wrote.

use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

use super::kv::KvError;

/// The migrations, in order: migration `i + 1` brings the schema from version `i` to `i + 1`.
/// Only append; never edit one that has shipped.
pub const MIGRATIONS: &[&str] = &[
    // 1: the key space, and the row every write group locks first.
    "CREATE TABLE op_store_kv (key BYTEA PRIMARY KEY, value BYTEA NOT NULL);
     CREATE TABLE op_store_lock (id INT PRIMARY KEY, n BIGINT NOT NULL);
     INSERT INTO op_store_lock (id, n) VALUES (1, 0);",
];

/// The schema version this program writes.
pub fn latest() -> i32 {
    i32::try_from(MIGRATIONS.len()).expect("fewer than 2^31 migrations")
}

/// Brings the database to [`latest`], or refuses a newer schema.
pub async fn migrate(client: &mut Client) -> Result<(), KvError> {
    // Two processes starting at once can race on creating the version table (PostgreSQL reports
    // a unique violation on its catalogue, or that the table's type exists); the loser simply
    // tries again and finds the table.
    let mut attempt = 0;
    loop {
        attempt += 1;
        match try_migrate(client).await {
            Err(Failure::Db(e)) if attempt < 5 && is_race(&e) => {
                tracing::debug!(error = %e, "schema migration raced another process; again");
            }
            Err(Failure::Db(e)) => return Err(e.into()),
            Err(Failure::Refused(e)) => return Err(e),
            Ok(()) => return Ok(()),
        }
    }
}

enum Failure {
    Db(tokio_postgres::Error),
    Refused(KvError),
}

impl From<tokio_postgres::Error> for Failure {
    fn from(e: tokio_postgres::Error) -> Self {
        Failure::Db(e)
    }
}

fn is_race(e: &tokio_postgres::Error) -> bool {
    e.code().is_some_and(|c| {
        [
            SqlState::UNIQUE_VIOLATION,
            SqlState::DUPLICATE_TABLE,
            SqlState::DUPLICATE_OBJECT,
            SqlState::T_R_SERIALIZATION_FAILURE,
            SqlState::T_R_DEADLOCK_DETECTED,
        ]
        .contains(c)
    })
}

async fn try_migrate(client: &mut Client) -> Result<(), Failure> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS op_store_schema (id INT PRIMARY KEY, version INT NOT NULL);
             INSERT INTO op_store_schema (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;",
        )
        .await?;
    let latest = latest();
    loop {
        let tx = client.transaction().await?;
        // The row lock makes concurrent starts apply each migration once.
        let version: i32 = tx
            .query_one(
                "SELECT version FROM op_store_schema WHERE id = 1 FOR UPDATE",
                &[],
            )
            .await?
            .get(0);
        if version > latest {
            return Err(Failure::Refused(KvError(format!(
                "the database's op-store schema is version {version}, newer than this program's \
                 {latest}: run a newer release of this program (or restore a backup taken before \
                 the upgrade)"
            ))));
        }
        if version == latest {
            tx.commit().await?;
            return Ok(());
        }
        let next = version + 1;
        let index = usize::try_from(version).map_err(|_| {
            Failure::Refused(KvError(format!(
                "invalid op-store schema version {version}"
            )))
        })?;
        tx.batch_execute(MIGRATIONS[index]).await?;
        tx.execute(
            "UPDATE op_store_schema SET version = $1 WHERE id = 1",
            &[&next],
        )
        .await?;
        tx.commit().await?;
        tracing::info!(version = next, "op-store schema migrated");
    }
}
