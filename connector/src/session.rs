//! A worker's session with one client: tokens from the store, refreshed before they expire (the
//! refresh token rotates and is saved at once), and a typed "reconnect" when the grant is gone.

use crate::error::ConnectorError;
use crate::oauth::HubClient;
use crate::tokens::{TokenStore, Tokens};

/// Refresh when the access token has less than this left, seconds.
const MARGIN_SECS: u64 = 30;

/// One worker's tokens at one hub client.
pub struct Session<'a> {
    /// The client.
    pub client: &'a HubClient,
    /// Where the tokens live.
    pub store: &'a dyn TokenStore,
    /// The key they live under.
    pub key: String,
}

impl std::fmt::Debug for Session<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("client", &self.client.client_id)
            .field("key", &self.key)
            .finish()
    }
}

impl Session<'_> {
    /// The stored tokens.
    pub fn tokens(&self) -> Result<Tokens, ConnectorError> {
        self.store
            .load(&self.key)?
            .ok_or_else(|| ConnectorError::NotLinked(self.key.clone()))
    }

    /// A usable access token and its pod: the stored one, or a fresh one when it is about to
    /// expire or when it is `rejected` (the token a pod just answered 401 to). Refreshes of one
    /// key take turns, and a task that waited for another's refresh uses its result: refresh
    /// tokens rotate, and presenting one twice would revoke the whole grant.
    pub async fn access_token(
        &self,
        rejected: Option<&str>,
    ) -> Result<(String, String), ConnectorError> {
        let now = self.client.clock().now_secs();
        let usable =
            |t: &Tokens| !t.expiring(now, MARGIN_SECS) && rejected != Some(t.access_token.as_str());
        let tokens = self.tokens()?;
        if usable(&tokens) {
            return Ok((tokens.access_token, tokens.pod));
        }
        let _turn = self.client.refresh_turns().of(&self.key).lock().await;
        let tokens = self.tokens()?;
        if usable(&tokens) {
            return Ok((tokens.access_token, tokens.pod));
        }
        match self.client.refresh(&tokens).await {
            Ok(fresh) => {
                self.store.save(&self.key, &fresh)?;
                Ok((fresh.access_token, fresh.pod))
            }
            Err(ConnectorError::Reconnect(why)) => {
                self.store.remove(&self.key)?;
                Err(ConnectorError::Reconnect(why))
            }
            Err(e) => Err(e),
        }
    }
}

/// The claims of a client's own access token (read, not verified: the client received it from
/// the hub itself over TLS).
pub fn claims_of(token: &str) -> Option<serde_json::Value> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .ok()?,
    )
    .ok()
}

/// The worker's WebID from a client's own access token.
pub fn webid_of(token: &str) -> Option<String> {
    claims_of(token)?.get("webid")?.as_str().map(str::to_owned)
}

/// The platforms a matcher's own access token may read: `None` when a grant covers every
/// platform, else the union of the platforms its `gig_data` details name.
pub fn granted_platforms(token: &str) -> Option<Vec<String>> {
    let claims = claims_of(token)?;
    let mut platforms = std::collections::BTreeSet::new();
    for detail in claims.get("authorization_details")?.as_array()? {
        let named = detail.get("platforms").and_then(|p| p.as_array());
        match named {
            Some(named) if !named.is_empty() => {
                platforms.extend(named.iter().filter_map(|p| p.as_str().map(str::to_owned)));
            }
            _ => return None,
        }
    }
    Some(platforms.into_iter().collect())
}
