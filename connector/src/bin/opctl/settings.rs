//! Who `opctl` is at which hub: client settings from flags, then the environment
//! (`OP_HUB_URL`, `OP_CLIENT_ID`, `OP_CLIENT_SECRET`, `OP_REDIRECT_URI`, `OP_TOKENS`), then a TOML
//! file (`--config` or `OPCTL_CONFIG`) with the same keys in lower case (`hub_url`, `client_id`,
//! ...), resolved once into what a command needs.

// Printing results is what these commands are for.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;

use anyhow::{Context, anyhow};
use clap::Args;
use serde::Deserialize;

use crate::Failure;

/// Who this client is at which hub.
#[derive(Debug, Args)]
pub struct ClientSettings {
    /// TOML file with hub_url, client_id, client_secret, redirect_uri, tokens.
    #[arg(long, env = "OPCTL_CONFIG")]
    config: Option<PathBuf>,
    /// The hub's URL.
    #[arg(long, env = "OP_HUB_URL")]
    hub: Option<String>,
    /// This client's id at the hub.
    #[arg(long, env = "OP_CLIENT_ID")]
    client_id: Option<String>,
    /// This client's secret.
    #[arg(long, env = "OP_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
    /// The registered redirect URI the worker comes back to.
    #[arg(long, env = "OP_REDIRECT_URI")]
    redirect_uri: Option<String>,
    /// Where tokens are kept (mode 0600).
    #[arg(long, env = "OP_TOKENS")]
    tokens: Option<PathBuf>,
    /// Print JSON for scripts.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileSettings {
    hub_url: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    redirect_uri: Option<String>,
    tokens: Option<PathBuf>,
}

pub(crate) struct Resolved {
    pub(crate) hub: String,
    pub(crate) client_id: String,
    pub(crate) secret: Option<String>,
    pub(crate) redirect_uri: String,
    pub(crate) tokens: PathBuf,
    pub(crate) json: bool,
}

/// A pod's root URL as given on the command line: http(s), and ending in `/` (added when missing,
/// so `https://pods.example/alice` works too) — checked before anything is sent.
pub(crate) fn pod_root(arg: &str) -> Result<String, String> {
    let url = url::Url::parse(arg).map_err(|e| {
        format!("{arg:?} is not a URL ({e}); give the pod's root, like https://pods.example/alice/")
    })?;
    if !matches!(url.scheme(), "https" | "http")
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(format!(
            "{arg:?} is not a pod root: use an http(s) URL without query or fragment, like https://pods.example/alice/"
        ));
    }
    let mut root = url.to_string();
    if !root.ends_with('/') {
        root.push('/');
    }
    Ok(root)
}

/// What a command needs of the client settings: nothing is asked for that a command does not use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Needs {
    /// Only the hub (verifying a file).
    Hub,
    /// The hub and the client id (and the secret where the client has one).
    Client,
    /// All that, and the redirect URI (starting an authorization).
    Redirect,
}

impl ClientSettings {
    pub(crate) fn resolve(self, needs: Needs) -> Result<Resolved, Failure> {
        let file: FileSettings = match &self.config {
            Some(path) => toml::from_str(
                &std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))
                    .map_err(Failure::Usage)?,
            )
            .with_context(|| format!("{} is not a valid opctl config", path.display()))
            .map_err(Failure::Usage)?,
            None => FileSettings::default(),
        };
        let need = |v: Option<String>, level: Needs, what: &str, flag: &str, env: &str| match v {
            Some(v) => Ok(v),
            None if needs < level => Ok(String::new()),
            None => Err(Failure::Usage(anyhow!(
                "{what} is missing: pass {flag}, set {env}, or put it in the --config file"
            ))),
        };
        Ok(Resolved {
            hub: need(
                self.hub.or(file.hub_url),
                Needs::Hub,
                "the hub URL",
                "--hub",
                "OP_HUB_URL",
            )?,
            client_id: need(
                self.client_id.or(file.client_id),
                Needs::Client,
                "the client id",
                "--client-id",
                "OP_CLIENT_ID",
            )?,
            secret: self.client_secret.or(file.client_secret),
            redirect_uri: need(
                self.redirect_uri.or(file.redirect_uri),
                Needs::Redirect,
                "the redirect URI",
                "--redirect-uri",
                "OP_REDIRECT_URI",
            )?,
            tokens: self
                .tokens
                .or(file.tokens)
                .unwrap_or_else(|| PathBuf::from("opctl-tokens.json")),
            json: self.json,
        })
    }
}
