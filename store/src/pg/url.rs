//! The PostgreSQL connection URL a configuration gives: parsed and checked once, shown only
//! with its password hidden.

use std::fmt;
use std::str::FromStr;

use crate::kv::{BackendKind, KvError};

/// A validated PostgreSQL connection URL (`postgres://user:password@host:port/database`).
///
/// `sslmode` may be `disable`, `prefer` (the default) or `require`; TLS always verifies the
/// server's certificate against the system's roots (`SSL_CERT_FILE` adds a CA file).
#[derive(Clone)]
pub struct DatabaseUrl {
    pub(super) config: tokio_postgres::Config,
    shown: String,
}

impl FromStr for DatabaseUrl {
    type Err = KvError;
    fn from_str(s: &str) -> Result<Self, KvError> {
        let s = s.trim();
        if !(s.starts_with("postgres://") || s.starts_with("postgresql://")) {
            return Err(KvError(
                "a database URL starts with postgres:// (postgres://user:password@host:5432/database)"
                    .into(),
            ));
        }
        let config = tokio_postgres::Config::from_str(s).map_err(|e| {
            KvError(format!(
                "invalid database URL: {} (sslmode may be disable, prefer or require; \
                 require verifies the server's certificate)",
                with_causes(&e)
            ))
        })?;
        if config.get_hosts().is_empty() {
            return Err(KvError("the database URL names no host".into()));
        }
        if config.get_dbname().is_none() {
            return Err(KvError("the database URL names no database".into()));
        }
        Ok(DatabaseUrl {
            shown: redact(s),
            config,
        })
    }
}

/// The URL with its password (if any) replaced, for logs and errors.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
    let mut shown = format!("{scheme}://{user}");
    if userinfo.contains(':') {
        shown.push_str(":***");
    }
    shown.push('@');
    shown.push_str(host);
    // A password can also arrive as a query parameter.
    match tail.split_once('?') {
        Some((path, query)) => {
            let params: Vec<String> = query
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some(("password", _)) => "password=***".to_owned(),
                    _ => p.to_owned(),
                })
                .collect();
            shown.push_str(path);
            shown.push('?');
            shown.push_str(&params.join("&"));
        }
        None => shown.push_str(tail),
    }
    shown
}

impl DatabaseUrl {
    /// Checks a configuration's `database_url` against its `storage`: required for `postgres`,
    /// refused for the embedded kinds (a URL that is silently unused hides a mistake).
    pub fn for_storage(
        kind: BackendKind,
        raw: Option<&str>,
    ) -> Result<Option<DatabaseUrl>, String> {
        match (kind, raw) {
            (BackendKind::Postgres, Some(raw)) => raw
                .parse()
                .map(Some)
                .map_err(|e: KvError| format!("database_url: {}", e.0)),
            (BackendKind::Postgres, None) => Err(
                "storage = \"postgres\" needs database_url (postgres://user:password@host:5432/database)"
                    .into(),
            ),
            (other, Some(_)) => Err(format!(
                "database_url is set but storage is {other}: set storage = \"postgres\" or remove database_url"
            )),
            (_, None) => Ok(None),
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.shown)
    }
}

impl PartialEq for DatabaseUrl {
    fn eq(&self, other: &Self) -> bool {
        self.shown == other.shown && self.config.get_password() == other.config.get_password()
    }
}

/// An error and its causes, `a: b: c` (the driver's own text is often only the first).
pub(super) fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}
