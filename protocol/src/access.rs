//! The access-log entry: one request a pod server made under a grant of the pod's owner, as the
//! pod stores it and serves it in JSON (`/{pod}/log/`), and as the hub's dashboard reads it.

use serde::{Deserialize, Serialize};

/// The longest client or grant id kept in an entry, bytes.
pub const MAX_ID_BYTES: usize = 128;

/// The longest method kept in an entry, bytes.
const MAX_METHOD_BYTES: usize = 16;

/// The marker that ends a cut field.
pub const ELLIPSIS: &str = "…";

/// One logged request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessEvent {
    /// When, Unix milliseconds.
    pub at: u64,
    /// Who: the token's subject (WebID).
    pub agent: String,
    /// The OAuth client, if a token was sent.
    pub client_id: Option<String>,
    /// The grant the token was issued under.
    pub grant_id: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Path inside the pod.
    pub path: String,
    /// Response status.
    pub status: u16,
}

impl AccessEvent {
    /// The event with every field cut to its bound: path and agent to `field_bytes`, ids to
    /// [`MAX_ID_BYTES`]; a cut field ends with [`ELLIPSIS`] and stays within its bound.
    pub fn capped(self, field_bytes: usize) -> AccessEvent {
        let ids = field_bytes.min(MAX_ID_BYTES);
        AccessEvent {
            agent: cap(&self.agent, field_bytes),
            client_id: self.client_id.map(|c| cap(&c, ids)),
            grant_id: self.grant_id.map(|g| cap(&g, ids)),
            method: cap(&self.method, MAX_METHOD_BYTES),
            path: cap(&self.path, field_bytes),
            ..self
        }
    }
}

/// `text` if it fits in `max` bytes; otherwise its longest prefix (on a character boundary)
/// that fits together with [`ELLIPSIS`].
pub fn cap(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max.saturating_sub(ELLIPSIS.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{ELLIPSIS}", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(at: u64, path: &str) -> AccessEvent {
        AccessEvent {
            at,
            agent: "https://pod.test/alice/profile/card#me".into(),
            client_id: Some("matcher".into()),
            grant_id: Some("g1".into()),
            method: "GET".into(),
            path: path.into(),
            status: 200,
        }
    }

    #[test]
    fn long_fields_are_cut_on_a_character_boundary_with_a_marker() {
        assert_eq!(cap("short", 256), "short");
        let long = "é".repeat(300);
        let cut = cap(&long, 256);
        assert!(cut.len() <= 256 && cut.ends_with(ELLIPSIS), "{}", cut.len());
        let e = AccessEvent {
            client_id: Some("c".repeat(1000)),
            method: "X".repeat(100),
            ..event(1, &"/p".repeat(1000))
        }
        .capped(256);
        assert_eq!(e.path.len(), 256);
        assert_eq!(e.client_id.as_deref().map(str::len), Some(MAX_ID_BYTES));
        assert!(e.method.len() <= 16);
    }
}
