//! The `op-pod` command line: `serve`, and `pod create|delete|list` for operators.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use op_protocol::clock::Clock;
use op_protocol::path::PodName;

use crate::config::{RawConfig, RawIssuer};
use crate::http::AppState;
use crate::pod::pods;
use crate::store::BackendKind;

/// A Solid-like personal data pod server.
#[derive(Debug, Parser)]
#[command(name = "op-pod", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve pods over HTTP until Ctrl-C.
    Serve(Settings),
    /// Manage pods in the data directory (stop the server first, or use the admin API).
    Pod {
        #[command(subcommand)]
        action: PodAction,
    },
}

#[derive(Debug, Subcommand)]
enum PodAction {
    /// Create a pod with its storage root, WebID profile and gigs/ container.
    Create {
        /// Pod name: lower-case letters, digits and '-'.
        name: String,
        /// Owner WebID (default: the pod's own profile/card#me).
        #[arg(long)]
        owner: Option<String>,
        #[command(flatten)]
        storage: StoreSettings,
    },
    /// Delete a pod and everything in it.
    Delete {
        /// Pod name.
        name: String,
        #[command(flatten)]
        storage: StoreSettings,
    },
    /// Print a one-time code that links the pod to a worker's hub account (valid 24 hours).
    LinkCode {
        /// Pod name.
        name: String,
        #[command(flatten)]
        storage: StoreSettings,
    },
    /// List pods with their usage.
    List {
        #[command(flatten)]
        storage: StoreSettings,
    },
}

/// Where the pods' data is: all that the `pod` commands need (a config file also gives them the
/// server's public URL). Flags override the environment, which overrides the file.
#[derive(Debug, Args)]
struct StoreSettings {
    /// TOML config file (see pod-server/config.example.toml).
    #[arg(long, env = "OP_POD_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory.
    #[arg(long = "data", env = "OP_POD_DATA")]
    data_dir: Option<PathBuf>,
    /// Storage engine: redb (default), sled, memory or postgres.
    #[arg(long, env = "OP_POD_STORAGE")]
    storage: Option<BackendKind>,
    /// PostgreSQL connection URL, with --storage postgres.
    #[arg(long, env = "OP_POD_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
}

impl StoreSettings {
    fn raw(self) -> Result<RawConfig, String> {
        let mut raw = match &self.config {
            Some(path) => RawConfig::from_file(path)?,
            None => RawConfig::default(),
        };
        raw.data_dir = self.data_dir.or(raw.data_dir);
        raw.storage = self.storage.or(raw.storage);
        raw.database_url = self.database_url.or(raw.database_url);
        Ok(raw)
    }
}

/// The server's settings; flags override the environment, which overrides the file.
#[derive(Debug, Args)]
struct Settings {
    #[command(flatten)]
    store: StoreSettings,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "OP_POD_LISTEN")]
    listen: Option<String>,
    /// Public base URL when behind a proxy.
    #[arg(long, env = "OP_POD_PUBLIC_URL")]
    public_url: Option<String>,
    /// Serve this one pod at the server root (self-hosting).
    #[arg(long, env = "OP_POD_SINGLE_POD")]
    single_pod: Option<String>,
    /// Admin API bearer token (at least 32 characters); the admin API is off without one.
    #[arg(long, env = "OP_POD_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Trust an issuer's access tokens: ISSUER (keys discovered over HTTP) or ISSUER=JWKS_FILE
    /// (repeatable).
    #[arg(long = "trust", value_name = "ISSUER[=JWKS_FILE]")]
    trust: Vec<String>,
    /// This pod server's client id at the issuers given with --trust (a resource_server client),
    /// for the revocation feed and introspection.
    #[arg(long, env = "OP_POD_HUB_CLIENT_ID")]
    hub_client_id: Option<String>,
    /// Its client secret.
    #[arg(long, env = "OP_POD_HUB_CLIENT_SECRET", hide_env_values = true)]
    hub_client_secret: Option<String>,
}

impl Settings {
    fn resolve(self) -> Result<crate::config::Config, String> {
        let mut raw = self.store.raw()?;
        raw.listen = self.listen.or(raw.listen);
        raw.public_url = self.public_url.or(raw.public_url);
        raw.single_pod = self.single_pod.or(raw.single_pod);
        raw.admin_token = self.admin_token.or(raw.admin_token);
        for t in self.trust {
            let (issuer, file) = match t.split_once('=') {
                Some((issuer, file)) => (issuer.to_owned(), Some(file.into())),
                None => (t.clone(), None),
            };
            raw.trusted_issuer.push(RawIssuer {
                issuer,
                jwks_file: file,
                client_id: self.hub_client_id.clone(),
                client_secret: self.hub_client_secret.clone(),
            });
        }
        raw.validate()
    }
}

/// Runs the command line; the whole of `op-pod`'s `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    op_cli::run("op-pod", "info", async {
        match cli.command {
            Command::Serve(settings) => serve(settings.resolve()?).await,
            Command::Pod { action } => pod_command(action).await,
        }
    })
}

#[allow(clippy::print_stdout)] // Printing where to go is this command's job.
async fn serve(config: crate::config::Config) -> Result<(), String> {
    let mode = match &config.single_pod {
        Some(pod) => format!("single pod {pod} at the root"),
        None => "hosted: pods at /{pod}/".to_owned(),
    };
    let storage = config.storage;
    let running = crate::start(config, Clock::system())
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "op-pod listening on {} ({mode}; storage {storage})",
        running.base_url
    );
    if let Some(code) = &running.link_code {
        println!(
            "Link this pod to your account: on your hub's dashboard enter {}/ and the code {code} (valid 24 hours, once).",
            running.base_url
        );
    }
    let handle = running.handle();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("stopping: finishing in-flight requests");
        handle.stop(true).await;
    });
    running.wait().await.map_err(|e| e.to_string())
}

enum PodOp {
    Create(String, Option<String>),
    Delete(String),
    LinkCode(String),
    List,
}

async fn pod_command(action: PodAction) -> Result<(), String> {
    let (storage, op) = match action {
        PodAction::Create {
            name,
            owner,
            storage,
        } => (storage, PodOp::Create(name, owner)),
        PodAction::Delete { name, storage } => (storage, PodOp::Delete(name)),
        PodAction::LinkCode { name, storage } => (storage, PodOp::LinkCode(name)),
        PodAction::List { storage } => (storage, PodOp::List),
    };
    let config = storage.raw()?.validate()?;
    // Operating on pods means operating on a server's data: never make up an empty one.
    if config.storage == BackendKind::Memory {
        return Err(
            "pod commands work on a server's stored data: use --storage redb, sled or postgres"
                .into(),
        );
    }
    // Creating a pod may start a new server's data; every other command needs existing data.
    if config.database_url.is_none()
        && !matches!(op, PodOp::Create(..))
        && !config.data_dir.is_dir()
    {
        return Err(format!(
            "no pod server data in {}: give the data directory the server runs with (--data or OP_POD_DATA)",
            config.data_dir.display()
        ));
    }
    let store = config.open_store().map_err(|e| {
        format!(
            "cannot open storage in {}: {e} (if the server is running, stop it or use the admin API)",
            config.storage_place()
        )
    })?;
    let base = match &config.public_url {
        Some(u) => u.as_str().trim_end_matches('/').to_owned(),
        None => format!("http://{}", config.listen),
    };
    let state =
        AppState::new(&config, store.clone(), base, Clock::system()).map_err(|e| e.to_string())?;
    let result = run_pod_op(&state, op, config.public_url.is_some()).await;
    store.close();
    result
}

#[allow(clippy::print_stdout)] // Reporting the outcome is this command's job.
/// `known_url`: the configuration names the server's public URL, so pod URLs can be printed.
async fn run_pod_op(state: &AppState, op: PodOp, known_url: bool) -> Result<(), String> {
    match op {
        PodOp::Create(name, owner) => {
            let name = PodName::parse(&name).map_err(|e| e.to_string())?;
            let record = state
                .create_pod(name.clone(), owner, None)
                .await
                .map_err(|e| e.to_string())?;
            if known_url {
                println!(
                    "created pod {} at {} (WebID {})",
                    record.name,
                    state.pod_root(&name),
                    state.owner_webid(&name, &record)
                );
            } else {
                println!(
                    "created pod {} (its address is under the one `op-pod serve` prints)",
                    record.name
                );
            }
        }
        PodOp::Delete(name) => {
            let name = PodName::parse(&name).map_err(|e| e.to_string())?;
            pods::active_pod(&state.store, &name).map_err(|e| e.to_string())?;
            pods::delete_pod(&state.store, &name)
                .await
                .map_err(|e| e.to_string())?;
            println!("deleted pod {name} and everything in it");
        }
        PodOp::LinkCode(name) => {
            let name = PodName::parse(&name).map_err(|e| e.to_string())?;
            pods::active_pod(&state.store, &name).map_err(|e| e.to_string())?;
            let code = crate::pod::link::new_code(&state.store, &name, state.clock.now_millis())
                .await
                .map_err(|e| e.to_string())?;
            // The URL depends on how the server is served (--single-pod, --public-url), which
            // this command may not have been told: name the pod, and let the worker use the
            // address `op-pod serve` printed.
            println!(
                "Link code for pod {name}: {code} (valid 24 hours, once). On your hub's dashboard, enter the pod's address as `op-pod serve` printed it, and this code."
            );
        }
        PodOp::List => {
            for rec in pods::pods(&state.store).map_err(|e| e.to_string())? {
                let owner = rec.owner.as_deref().unwrap_or("its own profile");
                println!(
                    "{}\t{:?}\t{} resources\t{} bytes\towner {owner}",
                    rec.name, rec.state, rec.resources_used, rec.bytes_used
                );
            }
        }
    }
    Ok(())
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM (what service managers send).
pub async fn shutdown_signal() {
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
