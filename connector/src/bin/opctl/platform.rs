//! `opctl platform …`: linking a worker, pushing signed records, withdrawing them, and the
//! status of a worker's folder — the connector library driven from the command line.

// Printing results is what these commands are for.
#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use clap::Subcommand;
use op_connector::oauth::{HubClient, Request};
use op_connector::session::Session;
use op_connector::tokens::{FileTokenStore, TokenStore};
use op_protocol::clock::Clock;
use op_protocol::proof::KeyFile;

use crate::Failure;
use crate::link::{authorize, client, failed, runtime};
use crate::settings::{ClientSettings, Needs, Resolved, pod_root};

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
pub(crate) struct Platform {
    hub: HubClient,
    store: FileTokenStore,
    secret: String,
    http: reqwest::Client,
    signer: op_protocol::record::Signer,
    issuer: op_connector::platform::Issuer,
}

impl Platform {
    /// Loads the key, registers it at the hub (idempotent) and builds the signer.
    pub(crate) async fn load(
        settings: &Resolved,
        key: &Path,
        clock: &Clock,
    ) -> Result<Platform, Failure> {
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

    pub(crate) fn session(&self, pod: &str) -> Session<'_> {
        Session {
            client: &self.hub,
            store: &self.store,
            key: pod.to_owned(),
        }
    }

    pub(crate) fn credentials<'a>(
        &'a self,
        settings: &'a Resolved,
    ) -> op_connector::hub::Credentials<'a> {
        op_connector::hub::Credentials {
            hub: &settings.hub,
            client_id: &settings.client_id,
            client_secret: &self.secret,
        }
    }

    pub(crate) fn sync<'a>(
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

pub(crate) async fn push(
    settings: Resolved,
    pod: &str,
    key: &Path,
    concurrency: usize,
    export: &Path,
    clock: &Clock,
) -> Result<(), Failure> {
    let platform = Platform::load(&settings, key, clock).await?;
    let session = platform.session(pod);
    let (token, _) = session.access_token(None).await.map_err(failed)?;
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

pub(crate) async fn withdraw(
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
    let (token, _) = session.access_token(None).await.map_err(failed)?;
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

pub(crate) async fn status(settings: Resolved, pod: &str, clock: &Clock) -> Result<(), Failure> {
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
