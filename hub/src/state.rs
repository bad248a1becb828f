//! The hub's shared state, built once at start-up and passed to every handler.

use std::sync::{Arc, RwLock};

use op_protocol::clock::Clock;
use op_store::Store;
use tokio::sync::broadcast;

use crate::dpop::ReplayCache;
use crate::grant::Revocation;
use crate::keys::KeySet;
use crate::provider::PodProvider;
use crate::proxy::TrustedProxies;
use crate::secret::SecretKey;
use crate::throttle::Throttle;

/// Token lifetimes.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    /// Access tokens, seconds (RFC 9068 JWTs; 5 minutes by default).
    pub access_secs: u64,
    /// Refresh tokens, seconds.
    pub refresh_secs: u64,
    /// ID tokens, seconds.
    pub id_secs: u64,
}

impl Lifetimes {
    /// How long a retired signing key stays published: until the last token it signed — access
    /// or ID token, whichever lives longer — has expired, plus a minute of clock skew.
    pub fn signing_key_keep_secs(&self) -> u64 {
        self.access_secs.max(self.id_secs) + 60
    }
}

impl Default for Lifetimes {
    fn default() -> Self {
        Lifetimes {
            access_secs: 300,
            refresh_secs: 30 * 24 * 3600,
            id_secs: 3600,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Lifetimes;

    #[test]
    fn a_retired_key_outlives_every_token_it_signed() {
        let lifetimes = Lifetimes::default();
        assert!(lifetimes.signing_key_keep_secs() > lifetimes.access_secs);
        assert!(lifetimes.signing_key_keep_secs() > lifetimes.id_secs);
    }
}

/// Everything the hub's domain code needs.
#[derive(Debug, Clone)]
pub struct Hub {
    /// Storage.
    pub store: Store,
    /// The issuer identifier: the hub's public URL without a trailing slash.
    pub issuer: String,
    /// Signing keys (replaced on rotation).
    pub keys: Arc<RwLock<KeySet>>,
    /// Key for hashing secrets and tokens at rest.
    pub secret: SecretKey,
    /// The clock.
    pub clock: Clock,
    /// Login throttling.
    pub throttle: Arc<Throttle>,
    /// Slots for argon2 work (each check holds 19 MiB): at most one per core at a time, so a burst
    /// of log-ins queues instead of growing memory (docs/RELIABILITY.md, the soak run).
    pub password_slots: Arc<tokio::sync::Semaphore>,
    /// Reverse proxies whose forwarding headers name the client's address.
    pub trusted_proxies: TrustedProxies,
    /// DPoP proof replay cache.
    pub replay: Arc<ReplayCache>,
    /// Token lifetimes.
    pub ttl: Lifetimes,
    /// Wakes revocation-feed streams.
    pub revocations: broadcast::Sender<Revocation>,
    /// Where hosted pods are created, if this hub has a pod provider.
    pub pods: Option<PodProvider>,
    /// Admin API bearer token.
    pub admin_token: Option<String>,
    /// Whether cookies are marked `Secure` (everywhere except loopback HTTP).
    pub secure_cookies: bool,
    /// Upstream OpenID Connect providers workers may log in with.
    pub upstream: Arc<Vec<crate::upstream::Provider>>,
    /// The HTTP client for calling pod servers the operator configured (rustls).
    pub http: reqwest::Client,
    /// The HTTP client for addresses users give the hub (self-hosted pods, WebID profiles).
    pub outbound: crate::outbound::Outbound,
    /// Becomes `true` when the hub is stopping, so long-lived streams end at once.
    pub stopping: tokio::sync::watch::Receiver<bool>,
}

impl Hub {
    /// Runs argon2 work (hashing or checking a password) on a blocking thread once a slot is free.
    pub async fn password_work<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, String> {
        let _slot = self
            .password_slots
            .acquire()
            .await
            .map_err(|e| e.to_string())?;
        tokio::task::spawn_blocking(job)
            .await
            .map_err(|e| e.to_string())
    }

    /// The current key set.
    pub fn keys(&self) -> KeySet {
        self.keys.read().expect("key set lock").clone()
    }

    /// Seconds since the epoch.
    pub fn now(&self) -> u64 {
        self.clock.now_secs()
    }

    /// An absolute URL on this hub.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }
}
