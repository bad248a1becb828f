//! Starting and stopping a pod server: open storage, bind, serve, and shut down without losing writes.

use std::net::{SocketAddr, TcpListener};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer};
use op_protocol::clock::Clock;
use thiserror::Error;

use crate::config::Config;
use crate::http::{self, AppState};
use crate::pod::{error::PodError, pods};
use crate::store::StoreError;

/// The server could not start.
#[derive(Debug, Error)]
pub enum StartError {
    /// Storage could not be opened.
    #[error("cannot open storage in {dir}: {source}")]
    Storage {
        /// The data directory.
        dir: String,
        /// Why.
        source: StoreError,
    },
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Preparing pods failed (resuming deletions, creating the single pod).
    #[error("cannot prepare pods: {0}")]
    Pods(String),
}

/// A running pod server.
#[derive(Debug)]
pub struct RunningPod {
    /// The bound address (the real port when 0 was asked for).
    pub addr: SocketAddr,
    /// The public base URL, without a trailing slash.
    pub base_url: String,
    /// The shared state, for callers that assemble more (the all-in-one binary, tests).
    pub state: AppState,
    /// In single-pod mode, until a hub links the pod: the one-time code to link it with.
    pub link_code: Option<String>,
    handle: ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    followers: Vec<tokio::task::JoinHandle<()>>,
}

impl RunningPod {
    /// Stops accepting requests, lets in-flight requests finish, then closes storage after its
    /// queued writes are durable.
    pub async fn stop(self) {
        self.handle.stop(true).await;
        let _ = self.task.await;
        for f in &self.followers {
            f.abort();
        }
        self.state.store.close();
    }

    /// Waits until the server stops by itself (it does not, unless an error ends it).
    pub async fn wait(self) -> std::io::Result<()> {
        let result = self.task.await.unwrap_or(Ok(()));
        for f in &self.followers {
            f.abort();
        }
        self.state.store.close();
        result
    }

    /// The handle, to stop the server from elsewhere (a signal handler).
    pub fn handle(&self) -> ServerHandle {
        self.handle.clone()
    }
}

/// Opens storage, binds `config.listen` and starts serving; must be called inside a Tokio runtime.
pub async fn start(config: Config, clock: Clock) -> Result<RunningPod, StartError> {
    let listener = TcpListener::bind(config.listen).map_err(|source| StartError::Bind {
        addr: config.listen,
        source,
    })?;
    start_on(config, listener, clock).await
}

/// Like [`start`], on a listener the caller bound already (to know the address beforehand).
pub async fn start_on(
    config: Config,
    listener: TcpListener,
    clock: Clock,
) -> Result<RunningPod, StartError> {
    let store = config.open_store().map_err(|source| StartError::Storage {
        dir: config.storage_place(),
        source,
    })?;
    let pods_err = |e: PodError| StartError::Pods(e.to_string());
    for pod in pods::pods_being_deleted(&store).map_err(pods_err)? {
        tracing::info!(%pod, "resuming deletion of a pod left half-deleted");
        pods::purge_pod(&store, &pod).await.map_err(pods_err)?;
    }
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: config.listen,
        source,
    })?;
    let base_url = match &config.public_url {
        Some(url) => url.as_str().trim_end_matches('/').to_owned(),
        None => format!("http://{addr}"),
    };
    let state = AppState::new(&config, store.clone(), base_url.clone(), clock.clone()).map_err(
        |source| StartError::Storage {
            dir: config.data_dir.display().to_string(),
            source,
        },
    )?;
    let limits = config.limits;
    let owner_of = |pod: &_| {
        let record = pods::pod_record(&store, pod).ok().flatten()?;
        Some(state.owner_webid(pod, &record))
    };
    let moved = crate::pod::log::migrate(
        &store,
        limits.access_log_events,
        limits.access_log_field_bytes,
        owner_of,
    )
    .await
    .map_err(|e| StartError::Pods(format!("cannot move the access log: {e}")))?;
    if moved > 0 {
        tracing::info!(moved, "moved access log events to the bounded layout");
    }
    let followers = crate::auth::spawn_followers(&state);
    if let Some(pod) = &config.single_pod
        && pods::pod_record(&store, pod).map_err(pods_err)?.is_none()
    {
        state
            .create_pod(pod.clone(), None, None)
            .await
            .map_err(|e| StartError::Pods(e.to_string()))?;
        tracing::info!(%pod, "created the single pod");
    }
    let link_code = match &config.single_pod {
        Some(pod)
            if pods::pod_record(&store, pod)
                .map_err(pods_err)?
                .is_some_and(|r| r.linked_by.is_none()) =>
        {
            Some(
                crate::pod::link::new_code(&store, pod, state.clock.now_millis())
                    .await
                    .map_err(|e| StartError::Pods(e.to_string()))?,
            )
        }
        _ => None,
    };
    let app_state = state.clone();
    let server = HttpServer::new(move || {
        App::new().configure(|cfg| http::configure(cfg, app_state.clone()))
    })
    .disable_signals()
    // Streamed answers (container listings) must not wait for the client's delayed ACK.
    .tcp_nodelay(true)
    .shutdown_timeout(10)
    .listen(listener)
    .map_err(|source| StartError::Bind {
        addr: config.listen,
        source,
    })?
    .run();
    let handle = server.handle();
    let task = tokio::spawn(server);
    Ok(RunningPod {
        addr,
        base_url,
        state,
        link_code,
        handle,
        task,
        followers,
    })
}
