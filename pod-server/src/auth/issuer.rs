//! A trusted issuer as the pod sees it: its signing keys (from a JWKS file, or discovered over
//! HTTP and refreshed on an unknown `kid`), its endpoints, and the pod's credentials there.
//!
//! Discovered keys and endpoints are cached in the pod's store, so a pod restarted while its hub
//! is down still verifies tokens signed with keys it has seen.

use op_document::get_json;
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use op_protocol::clock::Clock;

use jsonwebtoken::DecodingKey;
use op_store::{Store, StoreError};
use serde::{Deserialize, Serialize};

use super::revocation::FeedStatus;

/// The least time between two JWKS fetches for one issuer, so unknown `kid`s cannot be used to
/// make the pod hammer its hub.
const REFETCH_MS: u64 = 1000;
/// How long a request waits for a fetch in progress before giving up.
const WAIT_MS: u64 = 2500;

pub use super::credentials::Credentials;
use super::credentials::FeedCredentials;

/// Where an issuer's keys come from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// A JWKS file read at start-up.
    Static,
    /// Discovery at `{issuer}/.well-known/openid-configuration`, then its `jwks_uri`.
    Discovered,
}

/// Endpoints learnt from discovery.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Endpoints {
    /// JWKS.
    pub jwks_uri: Option<String>,
    /// RFC 7662 introspection.
    pub introspection_endpoint: Option<String>,
    /// The revocation feed (JSON, `?after=N`).
    pub revocation_feed_endpoint: Option<String>,
    /// The revocation feed as server-sent events.
    pub revocation_feed_stream_endpoint: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Cached {
    jwks: serde_json::Value,
    endpoints: Endpoints,
}

/// One trusted issuer.
pub struct TrustedIssuer {
    /// The issuer identifier, exactly as in `iss`.
    pub issuer: String,
    /// Where keys come from.
    pub source: KeySource,
    /// The pod's credentials there, for the feed and introspection.
    pub credentials: FeedCredentials,
    keys: RwLock<HashMap<String, DecodingKey>>,
    endpoints: RwLock<Endpoints>,
    /// When keys were last fetched (ms); the async lock also makes concurrent refreshes share one fetch.
    last_fetch: tokio::sync::Mutex<u64>,
    /// Health of the revocation feed from this issuer.
    pub feed: FeedStatus,
}

impl std::fmt::Debug for TrustedIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustedIssuer")
            .field("issuer", &self.issuer)
            .field("source", &self.source)
            .finish()
    }
}

/// Parses the signing keys of a JWKS document: Ed25519, P-256/P-384 and RSA.
pub fn parse_jwks(jwks: &serde_json::Value) -> Result<HashMap<String, DecodingKey>, String> {
    let keys = jwks
        .get("keys")
        .and_then(|k| k.as_array())
        .ok_or("the JWKS has no \"keys\" array")?;
    let mut map = HashMap::new();
    for (i, key) in keys.iter().enumerate() {
        let field = |name: &str| key.get(name).and_then(|v| v.as_str());
        let need = |name: &str| field(name).ok_or_else(|| format!("key {i} has no {name:?}"));
        // Ed25519 for the protocol's tokens; P-256 and RSA for Solid-OIDC providers' tokens.
        // A malformed Ed25519 key fails the whole set; other keys are skipped if unusable.
        let decoding = match (field("kty"), field("crv")) {
            (Some("OKP"), Some("Ed25519")) => DecodingKey::from_ed_components(need("x")?)
                .map_err(|e| format!("key {i} is not a valid Ed25519 key: {e}"))?,
            (Some("EC"), Some("P-256" | "P-384")) => {
                match DecodingKey::from_ec_components(need("x")?, need("y")?) {
                    Ok(key) => key,
                    Err(_) => continue,
                }
            }
            (Some("RSA"), _) => match DecodingKey::from_rsa_components(need("n")?, need("e")?) {
                Ok(key) => key,
                Err(_) => continue,
            },
            _ => continue,
        };
        map.insert(field("kid").unwrap_or("").to_owned(), decoding);
    }
    Ok(map)
}

fn cache_key(issuer: &str) -> Vec<u8> {
    [b"i".as_slice(), issuer.as_bytes()].concat()
}

impl TrustedIssuer {
    /// An issuer whose keys come from a JWKS document given at start-up.
    pub fn from_jwks(
        issuer: &str,
        jwks: &serde_json::Value,
        credentials: Option<Credentials>,
    ) -> Result<Self, String> {
        let keys = parse_jwks(jwks)?;
        if keys.is_empty() {
            return Err(format!("the JWKS for {issuer} has no usable keys"));
        }
        Ok(Self::new(issuer, KeySource::Static, keys, credentials))
    }

    /// An issuer discovered over HTTP; keys are fetched (or loaded from the cache) by [`TrustedIssuer::refresh`].
    pub fn discovered(issuer: &str, credentials: Option<Credentials>) -> Self {
        Self::new(issuer, KeySource::Discovered, HashMap::new(), credentials)
    }

    fn new(
        issuer: &str,
        source: KeySource,
        keys: HashMap<String, DecodingKey>,
        credentials: Option<Credentials>,
    ) -> Self {
        TrustedIssuer {
            issuer: issuer.trim_end_matches('/').to_owned(),
            source,
            credentials: FeedCredentials::new(credentials),
            keys: RwLock::new(keys),
            endpoints: RwLock::new(Endpoints::default()),
            last_fetch: tokio::sync::Mutex::new(0),
            feed: FeedStatus::default(),
        }
    }

    /// The key with `kid` (or the only key when the token names none).
    pub fn key(&self, kid: Option<&str>) -> Option<DecodingKey> {
        let keys = self.keys.read().expect("issuer keys lock");
        match kid {
            Some(kid) => keys.get(kid).cloned(),
            None if keys.len() == 1 => keys.values().next().cloned(),
            None => None,
        }
    }

    /// The endpoints learnt so far.
    pub fn endpoints(&self) -> Endpoints {
        self.endpoints
            .read()
            .expect("issuer endpoints lock")
            .clone()
    }

    /// Loads keys, endpoints and handed-over credentials kept by an earlier run.
    pub fn load_cache(&self, store: &Store) -> Result<(), StoreError> {
        self.credentials.load(store, &self.issuer)?;
        if let KeySource::Static = self.source {
            return Ok(());
        }
        if let Some(cached) = store
            .get(&cache_key(&self.issuer))?
            .and_then(|b| serde_json::from_slice::<Cached>(&b).ok())
        {
            if let Ok(keys) = parse_jwks(&cached.jwks) {
                *self.keys.write().expect("issuer keys lock") = keys;
            }
            *self.endpoints.write().expect("issuer endpoints lock") = cached.endpoints;
        }
        Ok(())
    }

    /// Fetches discovery and the JWKS again — at most once a second, one fetch at a time —
    /// unless `kid` turns up meanwhile. Returns whether `kid` (or, without one, any key) is known.
    pub async fn refresh(
        &self,
        http: &reqwest::Client,
        store: &Store,
        clock: &Clock,
        kid: Option<&str>,
    ) -> bool {
        if let KeySource::Static = self.source {
            return false;
        }
        let known = |me: &Self| {
            let keys = me.keys.read().expect("issuer keys lock");
            match kid {
                Some(kid) => keys.contains_key(kid),
                None => !keys.is_empty(),
            }
        };
        let wait = Duration::from_millis(WAIT_MS);
        let Ok(mut last) = tokio::time::timeout(wait, self.last_fetch.lock()).await else {
            return false;
        };
        if *last != 0 && known(self) {
            return true;
        }
        let now = clock.now_millis();
        if *last != 0 && now < *last + REFETCH_MS {
            tokio::time::sleep(Duration::from_millis(*last + REFETCH_MS - now)).await;
        }
        *last = clock.now_millis();
        match self.fetch(http).await {
            Ok((jwks, endpoints)) => {
                let Ok(keys) = parse_jwks(&jwks) else {
                    return false;
                };
                *self.keys.write().expect("issuer keys lock") = keys;
                *self.endpoints.write().expect("issuer endpoints lock") = endpoints.clone();
                let cached =
                    serde_json::to_vec(&Cached { jwks, endpoints }).expect("cache serialises");
                let key = cache_key(&self.issuer);
                let _ = store
                    .write(move |tx| {
                        tx.put(key, cached);
                        Ok::<_, StoreError>(())
                    })
                    .await;
            }
            Err(e) => {
                tracing::warn!(issuer = %self.issuer, error = %e, "cannot refresh the issuer's keys");
            }
        }
        known(self)
    }

    async fn fetch(
        &self,
        http: &reqwest::Client,
    ) -> Result<(serde_json::Value, Endpoints), String> {
        let url = format!("{}{}", self.issuer, op_protocol::routes::HUB_OIDC_DISCOVERY);
        let metadata: serde_json::Value = get_json(http, &url, None).await?;
        let named = metadata.get("issuer").and_then(|v| v.as_str());
        if named.map(|n| n.trim_end_matches('/')) != Some(self.issuer.as_str()) {
            return Err(format!(
                "the discovery document at {url} names another issuer"
            ));
        }
        let endpoints: Endpoints = serde_json::from_value(metadata).map_err(|e| e.to_string())?;
        let jwks_uri = endpoints
            .jwks_uri
            .clone()
            .ok_or("the discovery document has no jwks_uri")?;
        Ok((get_json(http, &jwks_uri, None).await?, endpoints))
    }
}
