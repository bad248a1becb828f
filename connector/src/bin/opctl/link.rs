//! The hub client `opctl` talks through: discovery, the authorization flow a platform or a
//! matcher starts and finishes (`--callback`), and registering a platform's key.

// Printing results is what these commands are for.
#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use op_connector::error::ConnectorError;
use op_connector::oauth::{HubClient, Pending, Request};
use op_connector::tokens::{FileTokenStore, TokenStore};
use op_protocol::clock::Clock;
use op_protocol::proof::KeyFile;

use crate::Failure;
use crate::settings::{ClientSettings, Needs, Resolved};

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

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Failed(anyhow!("cannot start the async runtime: {e}")))
}

pub(crate) fn failed(e: ConnectorError) -> Failure {
    Failure::Failed(anyhow!("{e}"))
}

pub(crate) fn pending_path(tokens: &Path) -> PathBuf {
    tokens.with_extension("pending.json")
}

pub(crate) async fn client(settings: &Resolved, clock: &Clock) -> Result<HubClient, Failure> {
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
pub(crate) async fn authorize(
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
