//! The pod server's credentials at a trusted hub (a `resource_server` client there), which it needs
//! to follow the hub's revocation feed and to introspect tokens.
//!
//! They come from the config file, or — for a self-hosted pod — from the hub itself when the worker
//! links the pod (kept durably in the store, so a restart keeps following). Until a pod server has
//! them for a hub it discovers, it cannot know of revocations there, so it refuses that hub's
//! tokens (see `token.rs`) rather than trusting them blindly.

use std::sync::RwLock;

use op_store::{Store, StoreError};
use serde::{Deserialize, Serialize};

/// A client id and secret at one hub.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// Client id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: String,
}

impl std::fmt::Debug for Credentials {
    // The secret never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// Where an issuer's credentials came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialSource {
    /// The config file: the hub cannot replace them.
    Configured,
    /// Handed over by the hub when a worker linked this pod, or not yet known.
    Linked,
}

/// Why credentials could not be set.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// The config file names them; a hub cannot override the operator.
    #[error("this pod server's configuration sets its credentials at this hub")]
    Configured,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The credentials for one issuer, changeable at run time; followers wait for them.
#[derive(Debug)]
pub struct FeedCredentials {
    current: RwLock<Option<Credentials>>,
    source: CredentialSource,
    arrived: tokio::sync::Notify,
}

fn store_key(issuer: &str) -> Vec<u8> {
    [b"c".as_slice(), issuer.as_bytes()].concat()
}

impl FeedCredentials {
    /// Credentials from the config file, or none yet.
    pub fn new(configured: Option<Credentials>) -> Self {
        FeedCredentials {
            source: if configured.is_some() {
                CredentialSource::Configured
            } else {
                CredentialSource::Linked
            },
            current: RwLock::new(configured),
            arrived: tokio::sync::Notify::new(),
        }
    }

    /// The credentials now, if any.
    pub fn get(&self) -> Option<Credentials> {
        self.current.read().expect("credentials lock").clone()
    }

    /// Loads credentials a hub handed over in an earlier run (configured ones win).
    pub fn load(&self, store: &Store, issuer: &str) -> Result<(), StoreError> {
        if self.source == CredentialSource::Configured {
            return Ok(());
        }
        if let Some(saved) = store
            .get(&store_key(issuer))?
            .and_then(|b| serde_json::from_slice::<Credentials>(&b).ok())
        {
            *self.current.write().expect("credentials lock") = Some(saved);
        }
        Ok(())
    }

    /// Stores credentials the hub handed over, durably, then uses them and wakes the follower.
    pub async fn set(
        &self,
        store: &Store,
        issuer: &str,
        credentials: Credentials,
    ) -> Result<(), CredentialsError> {
        if self.source == CredentialSource::Configured {
            return Err(CredentialsError::Configured);
        }
        let (key, value) = (
            store_key(issuer),
            serde_json::to_vec(&credentials).expect("credentials serialise"),
        );
        store
            .write(move |tx| {
                tx.put(key, value);
                Ok::<_, StoreError>(())
            })
            .await?;
        *self.current.write().expect("credentials lock") = Some(credentials);
        self.arrived.notify_waiters();
        Ok(())
    }

    /// Waits until there are credentials, and returns them.
    pub async fn ready(&self) -> Credentials {
        loop {
            let arrived = self.arrived.notified();
            if let Some(c) = self.get() {
                return c;
            }
            arrived.await;
        }
    }
}
