//! Keeping a worker's tokens between runs: a small store trait with an in-memory and a file
//! implementation, and refreshing before expiry.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::error::ConnectorError;

/// A worker's tokens for one pod.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Tokens {
    /// The access token (JWT, short-lived).
    pub access_token: String,
    /// The refresh token (rotated on every use).
    pub refresh_token: Option<String>,
    /// When the access token expires, Unix seconds.
    pub expires_at: u64,
    /// The pod root the tokens are for.
    pub pod: String,
    /// Granted scopes.
    pub scope: String,
    /// The pod the worker's data was at before they last moved it, if they did since these
    /// tokens were first issued: URLs built on it are followed to [`Tokens::pod`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<String>,
}

impl Tokens {
    /// `url` at the pod the tokens are for now: a URL under the pod the worker moved from is
    /// the same resource under the new one.
    pub fn locate(&self, url: &str) -> String {
        match self
            .moved_from
            .as_deref()
            .and_then(|old| url.strip_prefix(old))
        {
            Some(path) if self.moved_from.as_deref() != Some(self.pod.as_str()) => {
                format!("{}{path}", self.pod)
            }
            _ => url.to_owned(),
        }
    }

    /// Whether the access token expires within `margin` seconds of `now`.
    pub fn expiring(&self, now: u64, margin: u64) -> bool {
        now + margin >= self.expires_at
    }
}

/// Where tokens are kept, by a key the caller chooses (a worker id, a pod URL).
pub trait TokenStore: Send + Sync {
    /// The tokens stored under `key`.
    fn load(&self, key: &str) -> Result<Option<Tokens>, ConnectorError>;
    /// Stores tokens under `key` (replacing the previous ones: refresh tokens rotate).
    fn save(&self, key: &str, tokens: &Tokens) -> Result<(), ConnectorError>;
    /// Forgets `key` (after a revoked grant).
    fn remove(&self, key: &str) -> Result<(), ConnectorError>;
}

/// Tokens in memory, for tests and short-lived processes.
#[derive(Debug, Default)]
pub struct MemoryTokenStore(Mutex<HashMap<String, Tokens>>);

impl TokenStore for MemoryTokenStore {
    fn load(&self, key: &str) -> Result<Option<Tokens>, ConnectorError> {
        Ok(self.0.lock().expect("token store lock").get(key).cloned())
    }
    fn save(&self, key: &str, tokens: &Tokens) -> Result<(), ConnectorError> {
        self.0
            .lock()
            .expect("token store lock")
            .insert(key.to_owned(), tokens.clone());
        Ok(())
    }
    fn remove(&self, key: &str) -> Result<(), ConnectorError> {
        self.0.lock().expect("token store lock").remove(key);
        Ok(())
    }
}

/// Tokens in one JSON file (mode 0600), replaced atomically on every save.
#[derive(Debug)]
pub struct FileTokenStore {
    path: PathBuf,
    lock: Mutex<()>,
}

impl FileTokenStore {
    /// A store in `path` (created on first save).
    pub fn new(path: &Path) -> Self {
        FileTokenStore {
            path: path.to_owned(),
            lock: Mutex::new(()),
        }
    }

    fn read_all(&self) -> Result<HashMap<String, Tokens>, ConnectorError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                ConnectorError::TokenStore(format!("{} is corrupt: {e}", self.path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(HashMap::new()),
            Err(e) => Err(ConnectorError::TokenStore(format!(
                "cannot read {}: {e}",
                self.path.display()
            ))),
        }
    }

    fn write_all(&self, all: &HashMap<String, Tokens>) -> Result<(), ConnectorError> {
        use std::io::Write;
        let fail = |e: std::io::Error| {
            ConnectorError::TokenStore(format!("cannot write {}: {e}", self.path.display()))
        };
        let tmp = self.path.with_extension("tmp");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).map_err(fail)?;
        file.write_all(&serde_json::to_vec_pretty(all).expect("tokens serialise"))
            .map_err(fail)?;
        file.sync_all().map_err(fail)?;
        std::fs::rename(&tmp, &self.path).map_err(fail)
    }
}

impl TokenStore for FileTokenStore {
    fn load(&self, key: &str) -> Result<Option<Tokens>, ConnectorError> {
        let _guard = self.lock.lock().expect("token file lock");
        Ok(self.read_all()?.remove(key))
    }
    fn save(&self, key: &str, tokens: &Tokens) -> Result<(), ConnectorError> {
        let _guard = self.lock.lock().expect("token file lock");
        let mut all = self.read_all()?;
        all.insert(key.to_owned(), tokens.clone());
        self.write_all(&all)
    }
    fn remove(&self, key: &str) -> Result<(), ConnectorError> {
        let _guard = self.lock.lock().expect("token file lock");
        let mut all = self.read_all()?;
        all.remove(key);
        self.write_all(&all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(n: u64) -> Tokens {
        Tokens {
            access_token: format!("a{n}"),
            refresh_token: Some(format!("r{n}")),
            expires_at: n,
            pod: "https://pod/".into(),
            scope: "gig:write".into(),
            moved_from: None,
        }
    }

    #[test]
    fn a_url_at_the_pod_moved_from_is_located_at_the_new_pod() {
        let mut t = tokens(1);
        assert_eq!(
            t.locate("https://old/alice/gigs/x"),
            "https://old/alice/gigs/x"
        );
        t.moved_from = Some("https://old/alice/".into());
        assert_eq!(t.locate("https://old/alice/gigs/x"), "https://pod/gigs/x");
        assert_eq!(t.locate("https://pod/gigs/x"), "https://pod/gigs/x");
        assert_eq!(t.locate("https://other/gigs/x"), "https://other/gigs/x");
    }

    #[test]
    fn file_store_keeps_tokens_across_instances_and_forgets_on_remove() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        FileTokenStore::new(&path)
            .save("alice", &tokens(1))
            .unwrap();
        FileTokenStore::new(&path).save("bob", &tokens(2)).unwrap();
        let store = FileTokenStore::new(&path);
        assert_eq!(store.load("alice").unwrap(), Some(tokens(1)));
        store.remove("alice").unwrap();
        assert_eq!(store.load("alice").unwrap(), None);
        assert_eq!(store.load("bob").unwrap(), Some(tokens(2)));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    #[test]
    fn a_token_expiring_within_the_margin_needs_refreshing() {
        assert!(tokens(100).expiring(80, 30));
        assert!(!tokens(100).expiring(60, 30));
    }
}
