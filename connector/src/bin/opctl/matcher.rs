//! `opctl matcher …`: asking a worker for consent, fetching what they granted and verifying
//! it, or verifying records from a file.

// Printing results is what these commands are for.
#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use clap::{Subcommand, ValueEnum};
use op_connector::error::ConnectorError;
use op_connector::oauth::Request;
use op_connector::session::Session;
use op_connector::tokens::FileTokenStore;
use op_protocol::authorization::{Action, GIG_DATA, GigData, Level};
use op_protocol::clock::Clock;

use crate::Failure;
use crate::link::{authorize, client, failed, runtime};
use crate::report::report;
use crate::settings::{ClientSettings, Needs, Resolved, pod_root};

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
pub(crate) async fn verify_file(
    settings: Resolved,
    input: &Path,
    clock: &Clock,
) -> Result<(), Failure> {
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

pub(crate) async fn fetch(
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
    let (token, _) = session.access_token(None).await.map_err(failed)?;
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
