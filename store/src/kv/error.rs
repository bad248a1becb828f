//! What a storage engine's failure is, and whether it is the disk being full.

use thiserror::Error;

/// A failure of the storage engine itself (I/O, corruption); never a client's fault.
#[derive(Debug, Error)]
#[error("storage engine error: {0}")]
pub struct KvError(pub String);

/// How a failure for lack of disk space begins its message ([`KvError::is_storage_full`]).
const STORAGE_FULL: &str = "the disk is full";

impl KvError {
    /// Whether the engine failed for lack of disk space (`ENOSPC`, or a quota): nothing was
    /// written, and writes can succeed again once space returns.
    pub fn is_storage_full(&self) -> bool {
        self.0.starts_with(STORAGE_FULL)
    }

    fn io(e: &std::io::Error, message: String) -> KvError {
        let full = matches!(
            e.kind(),
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
        );
        KvError(if full {
            format!("{STORAGE_FULL}: {message}")
        } else {
            message
        })
    }
}

impl From<redb::Error> for KvError {
    fn from(e: redb::Error) -> Self {
        match &e {
            redb::Error::Io(io) => KvError::io(io, e.to_string()),
            _ => KvError(e.to_string()),
        }
    }
}

impl From<sled::Error> for KvError {
    fn from(e: sled::Error) -> Self {
        match &e {
            sled::Error::Io(io) => KvError::io(io, e.to_string()),
            _ => KvError(e.to_string()),
        }
    }
}

pub(super) fn redb_err(e: impl Into<redb::Error>) -> KvError {
    KvError::from(e.into())
}
