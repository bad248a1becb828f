//! Configuration: a raw form read from TOML and the environment, validated once into [`Config`].

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;
use url::Url;

use crate::auth::issuer::{Credentials, TrustedIssuer};
use crate::pod::pods::Quota;
use crate::store::BackendKind;

/// Limits on requests and pods.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest request body, in bytes (413 beyond).
    pub max_body_bytes: usize,
    /// Most triples in one RDF resource (413 beyond).
    pub max_triples: usize,
    /// Most bytes of term text one request's RDF may spell out once prefixes are expanded,
    /// counted while parsing (413 beyond).
    pub max_expanded_bytes: usize,
    /// Most patterns in an N3 Patch's `solid:where` (400 beyond).
    pub max_patch_patterns: usize,
    /// Most matching steps one N3 Patch may take to solve its `solid:where` (400 beyond).
    pub max_patch_steps: u64,
    /// How many requests may parse or serialise RDF at once; the rest wait.
    pub cpu_jobs: usize,
    /// How many events each pod's access log keeps; older ones are dropped.
    pub access_log_events: u64,
    /// Longest path or agent kept in an access log entry, in bytes (ids: at most 128); longer
    /// ones are cut, ending in `…`.
    pub access_log_field_bytes: usize,
    /// Default per-pod quota in bytes of bodies (507 beyond).
    pub quota_bytes: u64,
    /// Default per-pod quota in number of resources (507 beyond).
    pub quota_resources: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 10 * 1024 * 1024,
            max_triples: 100_000,
            max_expanded_bytes: 64 * 1024 * 1024,
            max_patch_patterns: 16,
            max_patch_steps: 1_000_000,
            cpu_jobs: 4,
            access_log_events: 10_000,
            access_log_field_bytes: 256,
            quota_bytes: 1024 * 1024 * 1024,
            quota_resources: 1_000_000,
        }
    }
}

impl Limits {
    /// What one request's RDF may build.
    pub fn rdf_budget(&self) -> crate::pod::rdf::Budget {
        crate::pod::rdf::Budget {
            max_triples: self.max_triples,
            max_bytes: self.max_expanded_bytes,
        }
    }

    /// The quota a new pod gets.
    pub fn quota(&self) -> Quota {
        Quota {
            bytes: self.quota_bytes,
            resources: self.quota_resources,
        }
    }
}

/// One trusted issuer as written in the config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIssuer {
    /// The issuer identifier (`iss`): the hub's URL.
    pub issuer: String,
    /// A JWKS file with the issuer's keys; without it, keys are discovered over HTTP.
    #[serde(default)]
    pub jwks_file: Option<PathBuf>,
    /// This pod server's client id at the hub (a `resource_server` client), for the
    /// revocation feed and introspection.
    #[serde(default)]
    pub client_id: Option<String>,
    /// Its client secret.
    #[serde(default)]
    pub client_secret: Option<String>,
}

/// The config file, as written (`config.example.toml` documents every key).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Address to listen on.
    pub listen: Option<String>,
    /// Public base URL, when behind a proxy; defaults to `http://{listen}`.
    pub public_url: Option<String>,
    /// Where data lives.
    pub data_dir: Option<PathBuf>,
    /// Storage engine: `redb` (default), `sled`, `memory` or `postgres`.
    pub storage: Option<BackendKind>,
    /// PostgreSQL connection URL, for `storage = "postgres"` only.
    pub database_url: Option<String>,
    /// Serve one pod at the server root instead of many under `/{pod}/`.
    pub single_pod: Option<String>,
    /// Bearer token for the admin API; the admin API is off without one.
    pub admin_token: Option<String>,
    /// Limits and default quotas.
    #[serde(default)]
    pub limits: Limits,
    /// Issuers whose access tokens this pod accepts.
    #[serde(default)]
    pub trusted_issuer: Vec<RawIssuer>,
    /// How long a dropped revocation feed is tolerated before tokens are introspected (seconds).
    pub feed_grace_secs: Option<u64>,
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to bind (port 0 picks a free port).
    pub listen: SocketAddr,
    /// Public base URL; `None` means "derive from the bound address".
    pub public_url: Option<Url>,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Storage engine.
    pub storage: BackendKind,
    /// The PostgreSQL database, exactly when `storage` is `postgres`.
    pub database_url: Option<crate::store::DatabaseUrl>,
    /// The one pod served at the root, in single-pod mode.
    pub single_pod: Option<op_protocol::path::PodName>,
    /// Admin API bearer token.
    pub admin_token: Option<String>,
    /// Limits.
    pub limits: Limits,
    /// Trusted token issuers.
    pub trusted_issuers: Vec<std::sync::Arc<TrustedIssuer>>,
    /// Grace period for a dropped revocation feed, milliseconds.
    pub feed_grace_ms: u64,
}

impl RawIssuer {
    fn build(self) -> Result<TrustedIssuer, String> {
        let name = &self.issuer;
        let url = Url::parse(name).map_err(|e| format!("trusted_issuer {name:?}: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("trusted_issuer {name:?} must be an http(s) URL"));
        }
        let credentials = match (self.client_id, self.client_secret) {
            (Some(client_id), Some(client_secret)) => Some(Credentials {
                client_id,
                client_secret,
            }),
            (None, None) => None,
            _ => {
                return Err(format!(
                    "trusted_issuer {name}: client_id and client_secret go together"
                ));
            }
        };
        match self.jwks_file {
            Some(file) => {
                let text = std::fs::read_to_string(&file).map_err(|e| {
                    format!("trusted_issuer {name}: cannot read {}: {e}", file.display())
                })?;
                let jwks: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                    format!("trusted_issuer {name}: {} is not JSON: {e}", file.display())
                })?;
                TrustedIssuer::from_jwks(name, &jwks, credentials)
                    .map_err(|e| format!("trusted_issuer {name}: {e}"))
            }
            None => Ok(TrustedIssuer::discovered(name, credentials)),
        }
    }
}

impl Config {
    /// Where the data is, for messages: the database (password hidden) or the data directory.
    pub fn storage_place(&self) -> String {
        match &self.database_url {
            Some(url) => url.to_string(),
            None => self.data_dir.display().to_string(),
        }
    }

    /// Opens the configured store.
    pub fn open_store(&self) -> Result<crate::store::Store, crate::store::StoreError> {
        crate::store::Store::open_configured(
            self.storage,
            &self.data_dir,
            self.database_url.as_ref(),
        )
    }
}

impl RawConfig {
    /// Reads a TOML config file.
    pub fn from_file(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("config file {}: {e}", path.display()))
    }

    /// Validates everything once; every error names the key to fix.
    pub fn validate(self) -> Result<Config, String> {
        let listen = self.listen.as_deref().unwrap_or("127.0.0.1:8081");
        let listen: SocketAddr = listen.parse().map_err(|e| {
            format!("listen = {listen:?} is not an address like 127.0.0.1:8081: {e}")
        })?;
        let public_url = match self.public_url {
            None => None,
            Some(u) => {
                let url = Url::parse(&u).map_err(|e| format!("public_url = {u:?}: {e}"))?;
                if !matches!(url.scheme(), "http" | "https") {
                    return Err(format!("public_url = {u:?} must be http or https"));
                }
                Some(url)
            }
        };
        let single_pod = self
            .single_pod
            .map(|n| op_protocol::path::PodName::parse(&n).map_err(|e| format!("single_pod: {e}")))
            .transpose()?;
        if self.admin_token.as_ref().is_some_and(|t| t.len() < 32) {
            return Err("admin_token must be at least 32 characters".into());
        }
        let mut trusted_issuers = Vec::new();
        for raw in self.trusted_issuer {
            trusted_issuers.push(std::sync::Arc::new(raw.build()?));
        }
        let storage = self.storage.unwrap_or(BackendKind::Redb);
        let database_url =
            crate::store::DatabaseUrl::for_storage(storage, self.database_url.as_deref())?;
        Ok(Config {
            listen,
            public_url,
            data_dir: self.data_dir.unwrap_or_else(|| PathBuf::from("data/pod")),
            storage,
            database_url,
            single_pod,
            admin_token: self.admin_token,
            limits: self.limits,
            trusted_issuers,
            feed_grace_ms: self.feed_grace_secs.unwrap_or(5) * 1000,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_storage_needs_a_database_url_and_only_it_takes_one() {
        let with = |storage, url: Option<&str>| RawConfig {
            storage: Some(storage),
            database_url: url.map(str::to_owned),
            ..RawConfig::default()
        };
        let e = with(BackendKind::Postgres, None).validate().unwrap_err();
        assert!(e.contains("needs database_url"), "{e}");
        let e = with(BackendKind::Sled, Some("postgres://p@db/pod"))
            .validate()
            .unwrap_err();
        assert!(e.contains("database_url is set but storage is sled"), "{e}");
        let ok = with(BackendKind::Postgres, Some("postgres://p:pw@db/pod"))
            .validate()
            .unwrap();
        assert_eq!(ok.storage_place(), "postgres://p:***@db/pod");
    }
}
