//! The SQL the PostgreSQL backend runs: the write lock, point reads, upserts and deletes, and
//! the four shapes of a prefix scan.

use tokio_postgres::{Client, Statement};

use crate::kv::{Entry, KvError, ScanFrom, prefix_end};

pub(super) const LOCK: &str = "UPDATE op_store_lock SET n = n + 1 WHERE id = 1";
pub(super) const GET: &str = "SELECT value FROM op_store_kv WHERE key = $1";
pub(super) const UPSERT: &str = "INSERT INTO op_store_kv (key, value) \
     SELECT k, v FROM unnest($1::BYTEA[], $2::BYTEA[]) AS c (k, v) \
     ON CONFLICT (key) DO UPDATE SET value = excluded.value";
pub(super) const DELETE: &str = "DELETE FROM op_store_kv WHERE key = ANY($1::BYTEA[])";

/// The four shapes of a scan, by [`ScanQuery::variant`]: from the prefix or after a key, with an
/// upper bound or (for an empty or all-0xFF prefix) without one.
pub(super) const SCANS: [&str; 4] = [
    "SELECT key, value FROM op_store_kv WHERE key >= $1 AND key < $2 ORDER BY key LIMIT $3",
    "SELECT key, value FROM op_store_kv WHERE key > $1 AND key < $2 ORDER BY key LIMIT $3",
    "SELECT key, value FROM op_store_kv WHERE key >= $1 ORDER BY key LIMIT $2",
    "SELECT key, value FROM op_store_kv WHERE key > $1 ORDER BY key LIMIT $2",
];

/// One prefix scan: the lower bound (inclusive at the prefix, exclusive after a key), the upper
/// bound (none when every key from the prefix on starts with it: an empty or all-0xFF prefix).
pub(super) struct ScanQuery {
    lower: Vec<u8>,
    after: bool,
    upper: Option<Vec<u8>>,
    limit: i64,
}

impl ScanQuery {
    pub(super) fn new(prefix: &[u8], from: ScanFrom<'_>, limit: usize) -> ScanQuery {
        let (lower, after) = match from {
            ScanFrom::Start => (prefix.to_vec(), false),
            ScanFrom::After(key) => (key.to_vec(), true),
        };
        ScanQuery {
            lower,
            after,
            upper: prefix_end(prefix),
            limit: i64::try_from(limit).unwrap_or(i64::MAX),
        }
    }

    /// Which of [`SCANS`] this scan runs.
    pub(super) fn variant(&self) -> usize {
        usize::from(self.after) + 2 * usize::from(self.upper.is_none())
    }

    pub(super) fn sql(&self) -> &'static str {
        SCANS[self.variant()]
    }

    pub(super) async fn run(
        &self,
        client: &Client,
        statement: &Statement,
    ) -> Result<Vec<Entry>, KvError> {
        let rows = match &self.upper {
            Some(upper) => {
                client
                    .query(statement, &[&self.lower, upper, &self.limit])
                    .await?
            }
            None => client.query(statement, &[&self.lower, &self.limit]).await?,
        };
        Ok(rows
            .into_iter()
            .map(|r| (r.get::<_, Vec<u8>>(0), r.get::<_, Vec<u8>>(1)))
            .collect())
    }
}
