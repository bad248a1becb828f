//! What can go wrong when a platform or matcher talks to a hub or a pod, typed so that callers can
//! act: show "reconnect" for a revoked grant, retry later for an unreachable server.

use thiserror::Error;

/// A connector operation failed.
#[derive(Debug, Error)]
pub enum ConnectorError {
    /// The worker revoked the grant (or it expired): ask them to connect again.
    #[error(
        "the worker's grant is no longer valid ({0}); send them through the authorization flow again"
    )]
    Reconnect(String),
    /// Nothing is stored for this worker: they were never linked (or were unlinked).
    #[error(
        "not linked to {0} yet: link the worker first (opctl: `platform link --pod {0}` or `matcher authorize --pod {0}`), then run this again"
    )]
    NotLinked(String),
    /// The worker said no on the consent screen.
    #[error("the worker denied the request")]
    AccessDenied,
    /// The authorization response did not match the request (`state` or `iss`): possibly an attack.
    #[error("the authorization response does not belong to this request: {0}")]
    ResponseMismatch(String),
    /// The hub refused a request; `code` is the OAuth error code.
    #[error("the hub refused: {code}: {description}")]
    Hub {
        /// OAuth error code.
        code: String,
        /// Its description.
        description: String,
    },
    /// A server answered with an unexpected status.
    #[error("{method} {url} answered HTTP {status}: {body}")]
    Http {
        /// Method.
        method: String,
        /// URL.
        url: String,
        /// Status.
        status: u16,
        /// Body (trimmed).
        body: String,
    },
    /// A server could not be reached (after retries).
    #[error("cannot reach {url}: {reason}")]
    Unreachable {
        /// URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// Stored tokens could not be read or written.
    #[error("token store: {0}")]
    TokenStore(String),
    /// A record could not be converted or signed.
    #[error(transparent)]
    Record(#[from] op_protocol::record::RecordError),
    /// Something the protocol forbids was asked for.
    #[error("{0}")]
    Invalid(String),
}
