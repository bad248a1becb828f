//! Hub configuration: a raw form from TOML, environment and flags, validated once into [`Config`].

use std::net::SocketAddr;
use std::path::PathBuf;

use op_store::{BackendKind, DatabaseUrl};
use serde::Deserialize;

/// The pod server that hosts pods for workers who sign up here.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPodProvider {
    /// The pod server's base URL.
    pub url: String,
    /// Its admin API bearer token; without one the hub signs a service token for each call,
    /// which the pod server accepts when it trusts this hub.
    #[serde(default)]
    pub admin_token: Option<String>,
}

/// The config file as written (see `hub/config.example.toml`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Address to listen on.
    pub listen: Option<String>,
    /// The issuer identifier: the hub's public URL. Defaults to `http://{listen}`.
    pub issuer: Option<String>,
    /// Data directory.
    pub data_dir: Option<PathBuf>,
    /// Storage engine.
    pub storage: Option<BackendKind>,
    /// PostgreSQL connection URL, for `storage = "postgres"` only.
    pub database_url: Option<String>,
    /// Admin API bearer token (at least 32 characters).
    pub admin_token: Option<String>,
    /// Access token lifetime, seconds (default 300).
    pub access_token_secs: Option<u64>,
    /// Refresh token lifetime, seconds (default 30 days).
    pub refresh_token_secs: Option<u64>,
    /// Where hosted pods are created.
    pub pod_provider: Option<RawPodProvider>,
    /// Whether the hub may call private, loopback and link-local addresses that users give it
    /// (self-hosted pods). Defaults to true only when the issuer is on loopback (development).
    pub outbound_private: Option<bool>,
    /// Reverse proxies (addresses or CIDR ranges) whose `Forwarded` / `X-Forwarded-For` headers
    /// name the client's address for login throttling. Empty by default: the peer's address.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// Upstream OpenID Connect providers workers may log in with, alongside passwords.
    #[serde(default)]
    pub upstream_login: Vec<crate::upstream::Provider>,
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Bind address (port 0 picks one).
    pub listen: SocketAddr,
    /// Issuer URL without a trailing slash, or `None` to derive it from the bound address.
    pub issuer: Option<String>,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Storage engine.
    pub storage: BackendKind,
    /// The PostgreSQL database, exactly when `storage` is `postgres`.
    pub database_url: Option<DatabaseUrl>,
    /// Admin API token.
    pub admin_token: Option<String>,
    /// Token lifetimes.
    pub lifetimes: crate::state::Lifetimes,
    /// Pod provider.
    pub pod_provider: Option<RawPodProvider>,
    /// Whether user-given URLs may reach private addresses; `None`: only when the issuer is on
    /// loopback.
    pub outbound_private: Option<bool>,
    /// Reverse proxies whose forwarding headers are believed.
    pub trusted_proxies: crate::proxy::TrustedProxies,
    /// Upstream login providers, checked.
    pub upstream: Vec<crate::upstream::Provider>,
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
    pub fn open_store(&self) -> Result<op_store::Store, op_store::StoreError> {
        op_store::Store::open_configured(self.storage, &self.data_dir, self.database_url.as_ref())
    }
}

impl RawConfig {
    /// Reads a TOML file.
    pub fn from_file(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("config file {}: {e}", path.display()))
    }

    /// Validates; every error names the key to fix.
    pub fn validate(self) -> Result<Config, String> {
        let listen = self.listen.as_deref().unwrap_or("127.0.0.1:8080");
        let listen: SocketAddr = listen.parse().map_err(|e| {
            format!("listen = {listen:?} is not an address like 127.0.0.1:8080: {e}")
        })?;
        let issuer = match self.issuer {
            None => None,
            Some(i) => {
                let url = url::Url::parse(&i).map_err(|e| format!("issuer = {i:?}: {e}"))?;
                let loopback = crate::client::is_loopback(&url);
                if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
                    return Err(format!(
                        "issuer = {i:?} must use https (plain http only on loopback)"
                    ));
                }
                if url.query().is_some() || url.fragment().is_some() {
                    return Err(format!("issuer = {i:?} may not have a query or fragment"));
                }
                Some(i.trim_end_matches('/').to_owned())
            }
        };
        if self.admin_token.as_ref().is_some_and(|t| t.len() < 32) {
            return Err("admin_token must be at least 32 characters".into());
        }
        let defaults = crate::state::Lifetimes::default();
        let lifetimes = crate::state::Lifetimes {
            access_secs: self.access_token_secs.unwrap_or(defaults.access_secs),
            refresh_secs: self.refresh_token_secs.unwrap_or(defaults.refresh_secs),
            id_secs: defaults.id_secs,
        };
        if !(10..=3600).contains(&lifetimes.access_secs) {
            return Err("access_token_secs must be between 10 and 3600".into());
        }
        let storage = self.storage.unwrap_or(BackendKind::Redb);
        let database_url = DatabaseUrl::for_storage(storage, self.database_url.as_deref())?;
        Ok(Config {
            listen,
            issuer,
            data_dir: self.data_dir.unwrap_or_else(|| PathBuf::from("data/hub")),
            storage,
            database_url,
            admin_token: self.admin_token,
            lifetimes,
            pod_provider: self.pod_provider,
            outbound_private: self.outbound_private,
            trusted_proxies: crate::proxy::TrustedProxies::parse(&self.trusted_proxies)?,
            upstream: self
                .upstream_login
                .into_iter()
                .map(crate::upstream::Provider::validate)
                .collect::<Result<_, _>>()?,
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
        let e = with(BackendKind::Redb, Some("postgres://h@db/hub"))
            .validate()
            .unwrap_err();
        assert!(e.contains("database_url is set but storage is redb"), "{e}");
        let e = with(
            BackendKind::Postgres,
            Some("postgres://h@db/hub?sslmode=verify-full"),
        )
        .validate()
        .unwrap_err();
        assert!(e.starts_with("database_url: "), "{e}");
        let ok = with(BackendKind::Postgres, Some("postgres://h:pw@db/hub"))
            .validate()
            .unwrap();
        assert_eq!(ok.storage_place(), "postgres://h:***@db/hub");
    }
}
