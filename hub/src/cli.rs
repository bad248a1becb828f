//! The `op-hub` command line: `serve`, `client add`, `keys rotate`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use op_protocol::clock::Clock;
use op_store::{BackendKind, Store};

use crate::client::{ClientKind, NewClient};
use crate::config::{RawConfig, RawPodProvider};
use crate::keys::KeySet;

/// The Open Platforms hub: accounts, consent, tokens.
#[derive(Debug, Parser)]
#[command(name = "op-hub", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve until Ctrl-C or SIGTERM.
    Serve(Settings),
    /// Manage registered clients (stop the server first, or use the admin API).
    Client {
        #[command(subcommand)]
        action: ClientAction,
    },
    /// Manage token-signing keys (stop the server first, or use the admin API).
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
}

#[derive(Debug, Subcommand)]
enum ClientAction {
    /// Register a client; prints its id and, for confidential clients, its secret (shown once).
    Add {
        /// Client id: a slug such as `acme-gigs` (a platform's id names its folder in pods).
        id: String,
        /// platform, matcher, worker_app or resource_server.
        #[arg(long)]
        kind: ClientKind,
        /// Display name for the consent screen.
        #[arg(long)]
        name: String,
        /// Exact redirect URI (repeatable).
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// A public client (no secret), e.g. a native or browser app.
        #[arg(long)]
        public: bool,
        /// Purpose text shown on the consent screen.
        #[arg(long)]
        purpose: Option<String>,
        /// Home page.
        #[arg(long)]
        homepage: Option<String>,
        /// Mark as certified (checked by the operator).
        #[arg(long)]
        certified: bool,
        #[command(flatten)]
        storage: StoreSettings,
    },
}

#[derive(Debug, Subcommand)]
enum KeysAction {
    /// Retire the active signing key and create a new one.
    Rotate {
        #[command(flatten)]
        storage: StoreSettings,
    },
}

/// Where the hub's data is: all that the offline commands need. Flags override the
/// environment, which overrides the file.
#[derive(Debug, Args)]
struct StoreSettings {
    /// TOML config file (see hub/config.example.toml).
    #[arg(long, env = "OP_HUB_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory.
    #[arg(long = "data", env = "OP_HUB_DATA")]
    data_dir: Option<PathBuf>,
    /// Storage engine: redb (default), sled, memory or postgres.
    #[arg(long, env = "OP_HUB_STORAGE")]
    storage: Option<BackendKind>,
    /// PostgreSQL connection URL, with --storage postgres.
    #[arg(long, env = "OP_HUB_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
}

impl StoreSettings {
    fn raw(self) -> Result<RawConfig, String> {
        let mut raw = match &self.config {
            Some(p) => RawConfig::from_file(p)?,
            None => RawConfig::default(),
        };
        raw.data_dir = self.data_dir.or(raw.data_dir);
        raw.storage = self.storage.or(raw.storage);
        raw.database_url = self.database_url.or(raw.database_url);
        Ok(raw)
    }

    fn resolve(self) -> Result<crate::config::Config, String> {
        self.raw()?.validate()
    }
}

/// The server's settings; flags override the environment, which overrides the file.
#[derive(Debug, Args)]
struct Settings {
    #[command(flatten)]
    store: StoreSettings,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "OP_HUB_LISTEN")]
    listen: Option<String>,
    /// Issuer URL (the hub's public URL).
    #[arg(long, env = "OP_HUB_ISSUER")]
    issuer: Option<String>,
    /// Admin API bearer token (≥ 32 characters).
    #[arg(long, env = "OP_HUB_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Pod server that hosts new workers' pods.
    #[arg(long, env = "OP_HUB_POD_PROVIDER")]
    pod_provider: Option<String>,
    /// The pod server's admin token (optional: without it the hub signs service tokens, which
    /// the pod server accepts when it trusts this hub).
    #[arg(long, env = "OP_HUB_POD_PROVIDER_TOKEN", hide_env_values = true)]
    pod_provider_token: Option<String>,
}

impl Settings {
    fn resolve(self) -> Result<crate::config::Config, String> {
        let mut raw = self.store.raw()?;
        raw.listen = self.listen.or(raw.listen);
        raw.issuer = self.issuer.or(raw.issuer);
        raw.admin_token = self.admin_token.or(raw.admin_token);
        match (self.pod_provider, self.pod_provider_token) {
            (Some(url), admin_token) => {
                raw.pod_provider = Some(RawPodProvider { url, admin_token })
            }
            (None, None) => {}
            (None, Some(_)) => return Err("--pod-provider-token needs --pod-provider".into()),
        }

        raw.validate()
    }
}

/// Runs the command line; the whole of `op-hub`'s `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    op_cli::run("op-hub", "info", async {
        match cli.command {
            Command::Serve(s) => serve(s.resolve()?).await,
            Command::Client { action } => client(action).await,
            Command::Keys {
                action: KeysAction::Rotate { storage },
            } => rotate(storage.resolve()?).await,
        }
    })
}

#[allow(clippy::print_stdout)] // Printing where to go is this command's job.
async fn serve(config: crate::config::Config) -> Result<(), String> {
    let running = crate::start(config, Clock::system())
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "op-hub listening on {} (issuer {})",
        running.addr, running.issuer
    );
    let stop = running.stopper();
    tokio::spawn(async move {
        shutdown_signal().await;
        stop.await;
    });
    running.wait().await.map_err(|e| e.to_string())
}

fn open(config: &crate::config::Config) -> Result<Store, String> {
    config.open_store().map_err(|e| {
        format!(
            "cannot open storage in {}: {e} (if the hub is running, stop it or use the admin API)",
            config.storage_place()
        )
    })
}

#[allow(clippy::print_stdout)]
async fn client(action: ClientAction) -> Result<(), String> {
    let ClientAction::Add {
        id,
        kind,
        name,
        redirect_uris,
        public,
        purpose,
        homepage,
        certified,
        storage,
    } = action;
    let config = storage.resolve()?;
    let store = open(&config)?;
    let issuer = config
        .issuer
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.listen));
    let hub = crate::server::hub_state(
        &config,
        store.clone(),
        issuer,
        Clock::system(),
        tokio::sync::watch::channel(false).1,
    )
    .map_err(|e| e.to_string())?;
    let new = NewClient {
        id,
        kind,
        name,
        homepage,
        logo: None,
        purpose,
        redirect_uris,
        public,
        jwks: None,
        certified,
    };
    let result = crate::http::admin::register(&hub, new)
        .await
        .map_err(|e| e.to_string());
    store.close();
    let (client, secret) = result?;
    println!("client_id: {}", client.id);
    match secret {
        Some(s) => println!(
            "client_secret: {s}\n(shown once: store it now; the hub keeps only a keyed hash)"
        ),
        None => println!("public client: no secret"),
    }
    Ok(())
}

#[allow(clippy::print_stdout)]
async fn rotate(config: crate::config::Config) -> Result<(), String> {
    let store = open(&config)?;
    let now = Clock::system().now_secs();
    KeySet::load_or_create(&store, now, config.lifetimes.signing_key_keep_secs())
        .map_err(|e| e.to_string())?;
    let result = KeySet::rotate(&store, now).await.map_err(|e| e.to_string());
    store.close();
    println!(
        "new signing key {}; the old one stays published until its tokens expire",
        result?
    );
    Ok(())
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
