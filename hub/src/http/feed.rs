//! The revocation feed for resource servers: `GET /revocations?after=N` (JSON, resumable) and
//! `GET /revocations/stream?after=N` (server-sent events: the backlog, then live entries).

use std::collections::HashMap;
use std::time::Duration;

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::error::HubError;
use crate::client::ClientKind;
use crate::grant::{self, Revocation};
use crate::oauth_error::OAuthError;
use crate::state::Hub;

#[derive(Debug, Deserialize)]
pub struct After {
    #[serde(default)]
    after: u64,
}

fn resource_server(hub: &Hub, req: &HttpRequest) -> Result<(), HubError> {
    let client = super::oauth::authenticate_client(hub, req, &HashMap::new())?;
    if client.kind != ClientKind::ResourceServer {
        return Err(OAuthError::unauthorized_client(
            "only resource servers may read the revocation feed",
        )
        .into());
    }
    Ok(())
}

/// `GET /revocations?after=N`.
pub async fn list(
    req: HttpRequest,
    hub: web::Data<Hub>,
    q: web::Query<After>,
) -> Result<HttpResponse, HubError> {
    resource_server(&hub, &req)?;
    let entries = grant::feed_after(&hub.store, q.after, 1000)?;
    let last = entries.last().map_or(q.after, |e| e.seq);
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({ "revocations": entries, "last": last })))
}

fn event(entry: &Revocation) -> Bytes {
    let data = serde_json::to_string(entry).unwrap_or_default();
    Bytes::from(format!(
        "id: {}\nevent: revocation\ndata: {data}\n\n",
        entry.seq
    ))
}

/// `GET /revocations/stream?after=N`: backlog first, then each new revocation as it happens,
/// with a comment every 15 seconds to keep proxies from closing the connection.
pub async fn stream(
    req: HttpRequest,
    hub: web::Data<Hub>,
    q: web::Query<After>,
) -> Result<HttpResponse, HubError> {
    resource_server(&hub, &req)?;
    let after = req
        .headers()
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(q.after);
    // Subscribe before reading the backlog so nothing falls between the two.
    let live = hub.revocations.subscribe();
    let backlog = grant::feed_after(&hub.store, after, 10_000)?;
    let last = backlog.last().map_or(after, |e| e.seq);
    let head: Vec<Result<Bytes, actix_web::Error>> =
        std::iter::once(Ok(Bytes::from_static(b": op-hub revocation feed\n\n")))
            .chain(backlog.iter().map(|e| Ok(event(e))))
            .collect();
    let store = hub.store.clone();
    let tail = futures_util::stream::unfold(
        (live, last, store, hub.stopping.clone()),
        |(mut live, mut last, store, mut stopping)| async move {
            loop {
                let next = tokio::select! {
                    next = tokio::time::timeout(Duration::from_secs(15), live.recv()) => next,
                    _ = stopping.wait_for(|stop| *stop) => return None,
                };
                let chunk = match next {
                    Err(_) => Bytes::from_static(b": keep-alive\n\n"),
                    Ok(Ok(entry)) if entry.seq <= last => continue,
                    Ok(Ok(entry)) => {
                        last = entry.seq;
                        event(&entry)
                    }
                    Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {
                        // Fell behind the channel: catch up from storage.
                        let missed = grant::feed_after(&store, last, 10_000).unwrap_or_default();
                        let mut out = String::new();
                        for e in &missed {
                            out.push_str(std::str::from_utf8(&event(e)).unwrap_or(""));
                        }
                        last = missed.last().map_or(last, |e| e.seq);
                        Bytes::from(out)
                    }
                    Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) => return None,
                };
                return Some((
                    Ok::<_, actix_web::Error>(chunk),
                    (live, last, store, stopping),
                ));
            }
        },
    );
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(futures_util::StreamExt::chain(
            futures_util::stream::iter(head),
            tail,
        )))
}
