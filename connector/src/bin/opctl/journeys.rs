//! `opctl platform …` and `opctl matcher …`: linking a worker, pushing records, asking for
//! consent, fetching and verifying — the connector library driven from the command line.
//!
//! Settings come from flags, then the environment (`OP_HUB_URL`, `OP_CLIENT_ID`,
//! `OP_CLIENT_SECRET`, `OP_REDIRECT_URI`, `OP_TOKENS`), then a TOML file (`--config` or
//! `OPCTL_CONFIG`) with the same keys in lower case (`hub_url`, `client_id`, ...).

// Printing results is what these commands are for.
#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use clap::{Args, Subcommand, ValueEnum};
use op_connector::error::ConnectorError;
use op_connector::oauth::{HubClient, Pending, Request};
use op_connector::session::Session;
use op_connector::tokens::{FileTokenStore, TokenStore};
use op_protocol::authorization::{Action, GIG_DATA, GigData, Level};
use op_protocol::clock::Clock;
use op_protocol::proof::KeyFile;
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
struct FileSettings {
    hub_url: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    redirect_uri: Option<String>,
    tokens: Option<PathBuf>,
}

struct Resolved {
    hub: String,
    client_id: String,
    secret: Option<String>,
    redirect_uri: String,
    tokens: PathBuf,
    json: bool,
}

/// A pod's root URL as given on the command line: http(s), and ending in `/` (added when missing,
/// so `https://pods.example/alice` works too) — checked before anything is sent.
fn pod_root(arg: &str) -> Result<String, String> {
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
enum Needs {
    /// Only the hub (verifying a file).
    Hub,
    /// The hub and the client id (and the secret where the client has one).
    Client,
    /// All that, and the redirect URI (starting an authorization).
    Redirect,
}

impl ClientSettings {
    fn resolve(self, needs: Needs) -> Result<Resolved, Failure> {
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

/// `opctl keys register`: registers the key file's public half at the hub for the platform;
/// prints the issuer and the verification method to sign with.
pub fn register_key(client: ClientSettings, key: &Path) -> Result<(), Failure> {
    let settings = client.resolve(Needs::Client)?;
    let secret = settings.secret.clone().ok_or_else(|| {
        Failure::Usage(anyhow!(
            "registering a key needs the platform's client secret: pass --client-secret, set \
             OP_CLIENT_SECRET, or put client_secret in the --config file"
        ))
    })?;
    let file: KeyFile = serde_json::from_str(&crate::read(key)?)
        .with_context(|| format!("{} is not a key file", key.display()))
        .map_err(Failure::Usage)?;
    let http = op_connector::hub::http_client();
    let method = runtime()?
        .block_on(op_connector::hub::register_key(
            &http,
            &settings.hub,
            &settings.client_id,
            &secret,
            &file.public_key_multibase,
        ))
        .map_err(|e| Failure::Failed(anyhow!("{e}")))?;
    let issuer = method.split('#').next().unwrap_or_default().to_owned();
    println!(
        "{}",
        serde_json::json!({ "issuer": issuer, "method": method })
    );
    Ok(())
}

/// Platform commands.
#[derive(Debug, Subcommand)]
pub enum PlatformCommand {
    /// Link a worker: without --callback, print the URL to send them to; with it, finish.
    Link {
        /// The worker's pod root URL.
        #[arg(long, value_parser = pod_root)]
        pod: String,
        /// The URL the worker's browser was sent back to.
        #[arg(long)]
        callback: Option<String>,
        #[command(flatten)]
        client: ClientSettings,
    },
    /// Convert, sign and push a worker's export into the platform's folder in their pod.
    Push {
        /// The worker's pod root URL (linked before).
        #[arg(long, value_parser = pod_root)]
        pod: String,
        /// The platform's signing key file (registered at the hub on first use).
        #[arg(long)]
        key: PathBuf,
        /// Requests in flight at once.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        /// The Gig Data Standard export.
        export: PathBuf,
        #[command(flatten)]
        client: ClientSettings,
    },
    /// Withdraw records: delete them from the worker's pod and flag them revoked in the
    /// platform's status list (re-signed with KEY and published at the hub).
    Withdraw {
        /// The worker's pod root URL.
        #[arg(long, value_parser = pod_root)]
        pod: String,
        /// The platform's signing key file.
        #[arg(long)]
        key: PathBuf,
        /// Names of the records in the platform's folder (as `push` wrote them).
        #[arg(required = true)]
        names: Vec<String>,
        #[command(flatten)]
        client: ClientSettings,
    },
    /// Show the link to a worker's pod: token lifetime, scopes, records in the folder.
    Status {
        /// The worker's pod root URL.
        #[arg(long, value_parser = pod_root)]
        pod: String,
        #[command(flatten)]
        client: ClientSettings,
    },
}

/// Summary or full read.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReadLevel {
    /// Only each platform's track-record summary.
    Summary,
    /// Every record.
    Full,
}

/// Matcher commands.
#[derive(Debug, Subcommand)]
pub enum MatcherCommand {
    /// Ask for consent: without --callback, print the URL; with it, finish.
    Authorize {
        /// The worker's pod root URL.
        #[arg(long, value_parser = pod_root)]
        pod: String,
        /// Platforms whose data to read (repeatable; none: every platform).
        #[arg(long = "platform")]
        platforms: Vec<String>,
        /// Summary or full.
        #[arg(long, value_enum, default_value = "summary")]
        level: ReadLevel,
        /// Why, in your words (shown to the worker).
        #[arg(long)]
        purpose: Option<String>,
        /// For how many days.
        #[arg(long)]
        days: Option<u64>,
        /// The URL the worker's browser was sent back to.
        #[arg(long)]
        callback: Option<String>,
        #[command(flatten)]
        client: ClientSettings,
    },
    /// Verify records saved earlier (a JSON array of records, or `fetch --json` output) against
    /// the hub: signature, issuer registered and certified, key, status (exit 1 if any failed).
    Verify {
        /// The file.
        input: PathBuf,
        #[command(flatten)]
        client: ClientSettings,
    },
    /// Read the granted records and verify each; prints the verified ones (exit 1 if any failed).
    Fetch {
        /// The worker's pod root URL.
        #[arg(long, value_parser = pod_root)]
        pod: String,
        /// Platforms to read (repeatable; none: every platform the grant covers).
        #[arg(long = "platform")]
        platforms: Vec<String>,
        #[command(flatten)]
        client: ClientSettings,
    },
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Failed(anyhow!("cannot start the async runtime: {e}")))
}

fn failed(e: ConnectorError) -> Failure {
    Failure::Failed(anyhow!("{e}"))
}

fn pending_path(tokens: &Path) -> PathBuf {
    tokens.with_extension("pending.json")
}

async fn client(settings: &Resolved, clock: &Clock) -> Result<HubClient, Failure> {
    HubClient::discover(
        op_connector::hub::http_client(),
        &settings.hub,
        &settings.client_id,
        settings.secret.as_deref(),
        &settings.redirect_uri,
        clock.clone(),
    )
    .await
    .map_err(failed)
}

/// Starts or finishes the authorization flow; tokens are stored under the pod URL.
async fn authorize(
    settings: &Resolved,
    request: Request,
    callback: Option<String>,
    clock: &Clock,
) -> Result<(), Failure> {
    let hub = client(settings, clock).await?;
    let pending_file = pending_path(&settings.tokens);
    match callback {
        None => {
            let (url, pending) = hub.authorization_url(&request).map_err(failed)?;
            let text = serde_json::to_vec(&pending).map_err(|e| Failure::Failed(e.into()))?;
            crate::write_private(&pending_file, &text)?;
            if settings.json {
                println!("{}", serde_json::json!({ "authorization_url": url }));
            } else {
                println!(
                    "Send the worker to:\n{url}\nthen run this command again with --callback '<the URL they were sent back to>'."
                );
            }
            Ok(())
        }
        Some(callback) => {
            let pending: Pending = serde_json::from_slice(
                &std::fs::read(&pending_file)
                    .with_context(|| {
                        format!(
                            "no pending authorization in {}; start without --callback",
                            pending_file.display()
                        )
                    })
                    .map_err(Failure::Usage)?,
            )
            .map_err(|e| Failure::Failed(e.into()))?;
            let query = callback.split_once('?').map_or("", |(_, q)| q);
            let tokens = hub.callback(&pending, query).await.map_err(failed)?;
            FileTokenStore::new(&settings.tokens)
                .save(&pending.pod, &tokens)
                .map_err(failed)?;
            let _ = std::fs::remove_file(&pending_file);
            if settings.json {
                println!(
                    "{}",
                    serde_json::json!({ "pod": pending.pod, "scope": tokens.scope, "expires_at": tokens.expires_at })
                );
            } else {
                println!("Linked {} (scope: {}).", pending.pod, tokens.scope);
            }
            Ok(())
        }
    }
}

/// Runs a platform command.
pub fn platform(command: PlatformCommand, clock: &Clock) -> Result<(), Failure> {
    runtime()?.block_on(async {
        match command {
            PlatformCommand::Link {
                pod,
                callback,
                client,
            } => {
                let request = Request {
                    scopes: vec!["gig:write".into(), "offline_access".into()],
                    pod,
                    details: Vec::new(),
                };
                authorize(&client.resolve(Needs::Redirect)?, request, callback, clock).await
            }
            PlatformCommand::Push {
                pod,
                key,
                concurrency,
                export,
                client,
            } => {
                push(
                    client.resolve(Needs::Client)?,
                    &pod,
                    &key,
                    concurrency,
                    &export,
                    clock,
                )
                .await
            }
            PlatformCommand::Status { pod, client } => {
                status(client.resolve(Needs::Client)?, &pod, clock).await
            }
            PlatformCommand::Withdraw {
                pod,
                key,
                names,
                client,
            } => withdraw(client.resolve(Needs::Client)?, &pod, &key, &names, clock).await,
        }
    })
}

/// What a platform command needs: its hub client, tokens, secret, key, and signer.
struct Platform {
    hub: HubClient,
    store: FileTokenStore,
    secret: String,
    http: reqwest::Client,
    signer: op_protocol::record::Signer,
    issuer: op_connector::platform::Issuer,
}

impl Platform {
    /// Loads the key, registers it at the hub (idempotent) and builds the signer.
    async fn load(settings: &Resolved, key: &Path, clock: &Clock) -> Result<Platform, Failure> {
        let fail = |e: &dyn std::fmt::Display| Failure::Failed(anyhow!("{e}"));
        let secret = settings.secret.clone().ok_or_else(|| {
            Failure::Usage(anyhow!(
                "platform commands need the client secret (--client-secret)"
            ))
        })?;
        let file: KeyFile = serde_json::from_str(&crate::read(key)?)
            .with_context(|| format!("{} is not a key file", key.display()))
            .map_err(Failure::Usage)?;
        let keypair = file
            .key_pair()
            .map_err(|e| Failure::Usage(anyhow!("{}: {e}", key.display())))?;
        let http = op_connector::hub::http_client();
        let method = op_connector::hub::register_key(
            &http,
            &settings.hub,
            &settings.client_id,
            &secret,
            &file.public_key_multibase,
        )
        .await
        .map_err(|e| fail(&e))?;
        let url = method.split('#').next().unwrap_or_default().to_owned();
        let issuer = op_connector::platform::Issuer { url, method };
        let signer = issuer.signer(keypair).map_err(|e| fail(&e))?;
        Ok(Platform {
            hub: client(settings, clock).await?,
            store: FileTokenStore::new(&settings.tokens),
            secret,
            http,
            signer,
            issuer,
        })
    }

    fn session(&self, pod: &str) -> Session<'_> {
        Session {
            client: &self.hub,
            store: &self.store,
            key: pod.to_owned(),
        }
    }

    fn credentials<'a>(&'a self, settings: &'a Resolved) -> op_connector::hub::Credentials<'a> {
        op_connector::hub::Credentials {
            hub: &settings.hub,
            client_id: &settings.client_id,
            client_secret: &self.secret,
        }
    }

    fn sync<'a>(
        &'a self,
        settings: &'a Resolved,
        session: &'a Session<'a>,
        clock: &'a Clock,
    ) -> op_connector::sync::PlatformSync<'a> {
        op_connector::sync::PlatformSync {
            session,
            http: &self.http,
            hub: self.credentials(settings),
            issuer: &self.issuer,
            signer: &self.signer,
            clock,
        }
    }
}

async fn push(
    settings: Resolved,
    pod: &str,
    key: &Path,
    concurrency: usize,
    export: &Path,
    clock: &Clock,
) -> Result<(), Failure> {
    let platform = Platform::load(&settings, key, clock).await?;
    let session = platform.session(pod);
    let (token, _) = session.access_token(false).await.map_err(failed)?;
    let subject = op_connector::session::webid_of(&token).ok_or_else(|| {
        Failure::Failed(anyhow!(
            "the access token names no WebID; link the worker again"
        ))
    })?;
    let export = crate::read(export)?;
    let total = op_protocol::record::GigExport::from_json(&export)
        .map(|e| e.interactions.len() + e.achievements.len())
        .map_err(|e| Failure::Failed(e.into()))?;
    // A progress line only for a person at a terminal; logs and pipes get the result alone.
    let live = !settings.json && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let progress = |n: usize| {
        if live {
            eprint!("\rpushing records: {n}/{total}");
        }
    };
    let summary = platform
        .sync(&settings, &session, clock)
        .push(&export, &subject, concurrency, &progress)
        .await;
    if live {
        eprintln!();
    }
    let summary = summary.map_err(failed)?;
    if settings.json {
        println!(
            "{}",
            serde_json::to_string(&summary).map_err(|e| Failure::Failed(e.into()))?
        );
    } else {
        println!(
            "created {}, updated {}, unchanged {}, failed {}",
            summary.created.len(),
            summary.updated.len(),
            summary.unchanged.len(),
            summary.failed.len()
        );
        for (name, why) in &summary.failed {
            println!("  failed {name}: {why}");
        }
    }
    if summary.failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::Failed(anyhow!("some records were not written")))
    }
}

async fn withdraw(
    settings: Resolved,
    pod: &str,
    key: &Path,
    names: &[String],
    clock: &Clock,
) -> Result<(), Failure> {
    let platform = Platform::load(&settings, key, clock).await?;
    let session = platform.session(pod);
    let flagged = op_connector::platform::withdraw(
        &session,
        &platform.http,
        &platform.credentials(&settings),
        &platform.signer,
        names,
        clock,
    )
    .await
    .map_err(failed)?;
    // The track record must no longer count what was withdrawn.
    let (token, _) = session.access_token(false).await.map_err(failed)?;
    if let Some(subject) = op_connector::session::webid_of(&token) {
        platform
            .sync(&settings, &session, clock)
            .refresh_after_withdrawal(&subject)
            .await
            .map_err(failed)?;
    }
    if settings.json {
        println!(
            "{}",
            serde_json::json!({ "withdrawn": names, "revoked_indexes": flagged })
        );
    } else {
        println!(
            "withdrew {} records; {} flagged revoked in the status list",
            names.len(),
            flagged.len()
        );
    }
    Ok(())
}

async fn status(settings: Resolved, pod: &str, clock: &Clock) -> Result<(), Failure> {
    let hub = client(&settings, clock).await?;
    let store = FileTokenStore::new(&settings.tokens);
    let session = Session {
        client: &hub,
        store: &store,
        key: pod.to_owned(),
    };
    let http = op_connector::hub::http_client();
    let folder = format!(
        "{pod}{}{}/",
        op_protocol::routes::POD_GIGS,
        settings.client_id
    );
    let records = op_connector::pod::list(&session, &http, &folder).await;
    let tokens = store.load(pod).map_err(failed)?;
    let expires = tokens.as_ref().map(|t| {
        op_protocol::datetime::DateTime::from_unix_millis(t.expires_at.saturating_mul(1000))
            .as_str()
            .to_owned()
    });
    let report = serde_json::json!({
        "pod": pod,
        "linked": tokens.is_some(),
        "scope": tokens.as_ref().map(|t| t.scope.clone()),
        "access_token_expires_at": expires,
        "records": records.as_ref().map(Vec::len).ok(),
        "problem": records.err().map(|e| e.to_string()),
    });
    if settings.json {
        println!("{report}");
    } else {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| Failure::Failed(e.into()))?
        );
    }
    if tokens.is_none() {
        return Err(Failure::Failed(anyhow!(
            "not linked to {pod}: run `opctl platform link --pod {pod}` and send the worker to the URL it prints"
        )));
    }
    Ok(())
}

/// Runs a matcher command.
pub fn matcher(command: MatcherCommand, clock: &Clock) -> Result<(), Failure> {
    runtime()?.block_on(async {
        match command {
            MatcherCommand::Authorize {
                pod,
                platforms,
                level,
                purpose,
                days,
                callback,
                client,
            } => {
                let expires =
                    days.map(|d| op_protocol::clock::rfc3339(clock.now_millis() + d * 86_400_000));
                let (scope, level) = match level {
                    ReadLevel::Summary => ("gig:read:summary", Level::Summary),
                    ReadLevel::Full => ("gig:read", Level::Full),
                };
                let details = vec![GigData {
                    kind: GIG_DATA.into(),
                    actions: vec![Action::Read],
                    locations: Vec::new(),
                    platforms,
                    level,
                    purpose,
                    expires,
                }];
                let request = Request {
                    scopes: vec![scope.into(), "offline_access".into()],
                    pod,
                    details,
                };
                authorize(&client.resolve(Needs::Redirect)?, request, callback, clock).await
            }
            MatcherCommand::Fetch {
                pod,
                platforms,
                client,
            } => fetch(client.resolve(Needs::Client)?, &pod, platforms, clock).await,
            MatcherCommand::Verify { input, client } => {
                verify_file(client.resolve(Needs::Hub)?, &input, clock).await
            }
        }
    })
}

/// Verifies records from a file: `fetch --json` output (`{accepted: [{url, record}]}`) or a
/// JSON array of records (or one record).
async fn verify_file(settings: Resolved, input: &Path, clock: &Clock) -> Result<(), Failure> {
    let text = crate::read(input)?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not JSON", input.display()))
        .map_err(Failure::Usage)?;
    let records: Vec<(String, String)> = match json.get("accepted").and_then(|a| a.as_array()) {
        Some(accepted) => accepted
            .iter()
            .map(|a| {
                (
                    a["url"].as_str().unwrap_or("").to_owned(),
                    a["record"].to_string(),
                )
            })
            .collect(),
        None => json
            .as_array()
            .cloned()
            .unwrap_or_else(|| vec![json.clone()])
            .iter()
            .enumerate()
            .map(|(i, r)| (format!("{}#{}", input.display(), i + 1), r.to_string()))
            .collect(),
    };
    let http = op_connector::hub::http_client();
    report(
        &settings,
        &op_connector::verify::check(&http, &settings.hub, &records, None, clock).await,
    )
}

async fn fetch(
    settings: Resolved,
    pod: &str,
    platforms: Vec<String>,
    clock: &Clock,
) -> Result<(), Failure> {
    let hub = client(&settings, clock).await?;
    let store = FileTokenStore::new(&settings.tokens);
    let session = Session {
        client: &hub,
        store: &store,
        key: pod.to_owned(),
    };
    let http = op_connector::hub::http_client();
    let gigs = format!("{pod}{}", op_protocol::routes::POD_GIGS);
    // Without --platform: every platform the grant names (or all of them, when it names none).
    let (token, _) = session.access_token(false).await.map_err(failed)?;
    let platforms = match platforms.is_empty() {
        true => op_connector::session::granted_platforms(&token),
        false => Some(platforms),
    };
    let folders: Vec<String> = match platforms {
        Some(platforms) => platforms.iter().map(|p| format!("{gigs}{p}/")).collect(),
        None => op_connector::pod::list(&session, &http, &gigs)
            .await
            .map_err(failed)?,
    };
    let mut records = Vec::new();
    for folder in folders {
        let urls = match op_connector::pod::list(&session, &http, &folder).await {
            Ok(urls) => urls,
            // A summary-only grant cannot list the folder; its summary is all it may read.
            Err(ConnectorError::Http { status: 403, .. }) => {
                vec![format!("{folder}{}", op_protocol::routes::POD_SUMMARY)]
            }
            Err(e) => return Err(failed(e)),
        };
        for url in urls {
            match op_connector::pod::fetch(&session, &http, &url).await {
                Ok(body) => records.push((url, body)),
                Err(ConnectorError::Http { status: 404, .. }) => {}
                Err(e) => return Err(failed(e)),
            }
        }
    }
    // Records must be about the pod's owner: their WebID is in the access token.
    let owner = op_connector::session::webid_of(&token).ok_or_else(|| {
        Failure::Failed(anyhow!(
            "the access token names no WebID; ask the worker to grant access again"
        ))
    })?;
    let place = op_connector::verify::Pod {
        root: pod,
        owner: &owner,
    };
    let checked =
        op_connector::verify::check(&http, &settings.hub, &records, Some(place), clock).await;
    report(&settings, &checked)
}

fn report(settings: &Resolved, checked: &op_connector::verify::Checked) -> Result<(), Failure> {
    let track_records = op_connector::summary::track_records(&checked.accepted);
    if settings.json {
        let mut report = serde_json::to_value(checked).map_err(|e| Failure::Failed(e.into()))?;
        report["platforms"] =
            serde_json::to_value(op_connector::summary::summarise(&checked.accepted))
                .map_err(|e| Failure::Failed(e.into()))?;
        report["track_records"] =
            serde_json::to_value(&track_records).map_err(|e| Failure::Failed(e.into()))?;
        println!("{report}");
    } else {
        for a in &checked.accepted {
            println!("verified {} {} issued by {}", a.kind, a.url, a.issuer);
        }
        for r in &checked.rejected {
            println!("REJECTED {}: {}", r.url, r.reason);
        }
        println!(
            "{} verified, {} rejected",
            checked.accepted.len(),
            checked.rejected.len()
        );
        for p in op_connector::summary::summarise(&checked.accepted) {
            println!(
                "{}: {} gigs ({} successful), {} to {}",
                p.issuer,
                p.gigs,
                p.successful,
                p.first.as_deref().unwrap_or("?"),
                p.last.as_deref().unwrap_or("?")
            );
            for d in &p.ratings {
                println!(
                    "  {}: {:.0}% over {} ratings (scales {})",
                    d.name,
                    d.mean_normalised * 100.0,
                    d.count,
                    d.scales.join(", ")
                );
            }
        }
        for t in &track_records {
            println!(
                "{} (signed track record): {} gigs ({} successful), {} to {}",
                t.issuer,
                t.completed,
                t.successful,
                t.first.as_deref().unwrap_or("?"),
                t.last.as_deref().unwrap_or("?")
            );
            for r in &t.ratings {
                println!(
                    "  {}: {} on {}–{} over {} ratings",
                    r.name, r.mean, r.worst, r.best, r.count
                );
            }
        }
    }
    if checked.rejected.is_empty() {
        Ok(())
    } else {
        Err(Failure::Failed(anyhow!(
            "{} records failed verification",
            checked.rejected.len()
        )))
    }
}
