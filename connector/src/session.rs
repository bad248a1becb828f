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
            .ok_or_else(|| ConnectorError::Reconnect(format!("no tokens stored for {}", self.key)))
    }

    /// A usable access token, refreshing first when it is about to expire (or `force`d after a 401).
    pub async fn access_token(&self, force: bool) -> Result<(String, String), ConnectorError> {
        let tokens = self.tokens()?;
        let now = op_protocol::clock::Clock::system().now_secs();
        if !force && !tokens.expiring(now, MARGIN_SECS) {
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
