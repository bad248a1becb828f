//! Starting and stopping the hub.

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, RwLock};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer};
use op_protocol::clock::Clock;
use op_store::{Store, StoreError};

use crate::config::Config;
use crate::keys::KeySet;
use crate::provider::PodProvider;
use crate::secret::SecretKey;
use crate::state::Hub;
use crate::table::Table;

/// Hub-wide secrets by name (the hashing key).
const META: Table<String> = Table::new(b'm');

/// The hub could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Storage failed.
    #[error("cannot open storage in {0}: {1}")]
    Storage(String, StoreError),
    /// Binding failed.
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
}

/// A running hub.
#[derive(Debug)]
pub struct RunningHub {
    /// Bound address.
    pub addr: SocketAddr,
    /// The issuer URL.
    pub issuer: String,
    /// Shared state (for tests and the all-in-one binary).
    pub hub: Hub,
    handle: ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    purge: tokio::task::JoinHandle<()>,
    stopping: tokio::sync::watch::Sender<bool>,
}

impl RunningHub {
    /// Stops gracefully and closes storage.
    pub async fn stop(self) {
        let _ = self.stopping.send(true);
        self.handle.stop(true).await;
        let _ = self.task.await;
        let _ = self.purge.await;
        self.hub.store.close();
    }

    /// Waits until the server ends.
    pub async fn wait(self) -> std::io::Result<()> {
        let r = self.task.await.unwrap_or(Ok(()));
        let _ = self.stopping.send(true);
        let _ = self.purge.await;
        self.hub.store.close();
        r
    }

    /// A function that stops the hub gracefully: long-lived streams end at once, in-flight
    /// requests finish. For signal handlers.
    pub fn stopper(&self) -> impl Future<Output = ()> + Send + 'static {
        let (handle, stopping) = (self.handle.clone(), self.stopping.clone());
        async move {
            let _ = stopping.send(true);
            handle.stop(true).await;
        }
    }
}

/// Loads (or creates) the key for hashing secrets at rest.
pub fn secret_key(store: &Store) -> Result<SecretKey, StoreError> {
    let parse = |hex: &str| -> Option<[u8; 32]> {
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
            .collect();
        bytes.try_into().ok()
    };
    if let Some(bytes) = META.get(store, "hmac")?.as_deref().and_then(parse) {
        return Ok(SecretKey::new(bytes));
    }
    let bytes: [u8; 32] = rand::random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    store.write_blocking(move |tx| {
        META.put(tx, "hmac", &hex);
        Ok::<_, StoreError>(())
    })?;
    Ok(SecretKey::new(bytes))
}

/// Builds the hub's state on an open store.
pub fn hub_state(
    config: &Config,
    store: Store,
    issuer: String,
    clock: Clock,
    stopping: tokio::sync::watch::Receiver<bool>,
) -> Result<Hub, StoreError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let keys = KeySet::load_or_create(
        &store,
        clock.now_secs(),
        config.lifetimes.signing_key_keep_secs(),
    )?;
    let secret = secret_key(&store)?;
    // Never follows redirects: a pod or a platform's document answers where it was asked.
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client with the ring provider");
    let pods = config.pod_provider.as_ref().map(|p| PodProvider {
        base: p.url.trim_end_matches('/').to_owned(),
        admin_token: p.admin_token.clone(),
        http: http.clone(),
    });
    let on_loopback = url::Url::parse(&issuer).is_ok_and(|u| crate::client::is_loopback(&u));
    let secure_cookies = url::Url::parse(&issuer)
        .is_ok_and(|u| u.scheme() == "https" || !crate::client::is_loopback(&u));
    let outbound =
        crate::outbound::Outbound::new(if config.outbound_private.unwrap_or(on_loopback) {
            op_protocol::net::AddressPolicy::AllowPrivate
        } else {
            op_protocol::net::AddressPolicy::PublicOnly
        });
    Ok(Hub {
        store,
        issuer,
        keys: Arc::new(RwLock::new(keys)),
        secret,
        clock,
        throttle: Arc::default(),
        password_slots: Arc::new(tokio::sync::Semaphore::new(
            std::thread::available_parallelism().map_or(1, |n| n.get()),
        )),
        trusted_proxies: config.trusted_proxies.clone(),
        replay: Arc::default(),
        ttl: config.lifetimes,
        revocations: tokio::sync::broadcast::channel(1024).0,
        pods,
        admin_token: config.admin_token.clone(),
        secure_cookies,
        upstream: Arc::new(config.upstream.clone()),
        http,
        outbound,
        stopping,
    })
}

/// Opens storage, binds and serves; call inside a Tokio runtime.
pub async fn start(config: Config, clock: Clock) -> Result<RunningHub, StartError> {
    let store = config
        .open_store()
        .map_err(|e| StartError::Storage(config.storage_place(), e))?;
    let listener =
        TcpListener::bind(config.listen).map_err(|e| StartError::Bind(config.listen, e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| StartError::Bind(config.listen, e))?;
    let issuer = config
        .issuer
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let hub = hub_state(&config, store, issuer.clone(), clock, stop_rx)
        .map_err(|e| StartError::Storage(config.storage_place(), e))?;
    let app_hub = hub.clone();
    let server = HttpServer::new(move || {
        App::new().configure(|cfg| crate::http::configure(cfg, app_hub.clone()))
    })
    .disable_signals()
    // Streamed answers (container listings) must not wait for the client's delayed ACK.
    .tcp_nodelay(true)
    .shutdown_timeout(10)
    .listen(listener)
    .map_err(|e| StartError::Bind(config.listen, e))?
    .run();
    let handle = server.handle();
    let task = tokio::spawn(server);
    let purge = tokio::spawn(crate::purge::every(hub.clone(), crate::purge::EVERY));
    Ok(RunningHub {
        addr,
        issuer,
        hub,
        handle,
        task,
        purge,
        stopping: stop_tx,
    })
}
