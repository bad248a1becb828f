//! Logged-in sessions: a random cookie, stored hashed, with a CSRF token bound to it.
//!
//! Only logging in creates a session: anonymous visitors are never written to the store (their
//! forms' CSRF tokens come from the binding cookie, see `http::browser`). Each login gets a new
//! id, so a planted cookie cannot be promoted; expired sessions are deleted by `purge`.

use serde::{Deserialize, Serialize};

use crate::secret::{self, SecretKey};
use crate::table::Table;

/// Sessions by the keyed hash of their cookie value.
pub const SESSIONS: Table<Session> = Table::new(b's');

/// The session cookie's name.
pub const COOKIE: &str = "op_session";

/// How long a session lasts without activity, seconds.
pub const SESSION_SECS: u64 = 8 * 3600;

/// A browser session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    /// The logged-in worker.
    pub username: String,
    /// The CSRF token every form in this session must carry.
    pub csrf: String,
    /// Expiry, Unix seconds.
    pub expires: u64,
}

impl Session {
    /// A fresh session and its cookie value.
    pub fn new(username: String, now: u64) -> (String, Session) {
        (
            secret::random_token(),
            Session {
                username,
                csrf: secret::random_token(),
                expires: now + SESSION_SECS,
            },
        )
    }

    /// Whether a submitted CSRF token matches, in constant time.
    pub fn csrf_ok(&self, submitted: &str) -> bool {
        secret::ct_eq(&self.csrf, submitted)
    }
}

/// The storage id of a cookie value.
pub fn id_of(key: &SecretKey, cookie: &str) -> String {
    key.hash(cookie)
}
