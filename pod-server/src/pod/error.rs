//! Why a pod operation failed; `crate::http::error` maps each case to one HTTP status.

use thiserror::Error;

use super::patch::PatchError;
use super::rdf::RdfError;
use crate::store::StoreError;

/// A pod operation failed.
#[derive(Debug, Error)]
pub enum PodError {
    /// No pod of that name is in service.
    #[error("no pod named {0:?} on this server")]
    PodNotFound(String),
    /// The resource does not exist.
    #[error("no resource at {0}")]
    NotFound(String),
    /// A pod of that name already exists.
    #[error("a pod named {0:?} already exists")]
    PodExists(String),
    /// The request conflicts with the current state (non-empty container, name clash...).
    #[error("{0}")]
    Conflict(String),
    /// An `If-Match` / `If-None-Match` condition did not hold.
    #[error("{0}")]
    PreconditionFailed(String),
    /// The method is not allowed on this resource.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// The pod's quota would be exceeded.
    #[error(
        "pod quota exceeded: the pod holds {bytes_used} of {quota_bytes} bytes and {resources_used} of {quota_resources} resources, and this write needs more"
    )]
    QuotaExceeded {
        /// Bytes held now.
        bytes_used: u64,
        /// Byte quota.
        quota_bytes: u64,
        /// Resources held now.
        resources_used: u64,
        /// Resource quota.
        quota_resources: u64,
    },
    /// The body or its triples exceed a limit.
    #[error("{0}")]
    TooLarge(String),
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// The body is not the RDF it claims to be.
    #[error(transparent)]
    Rdf(#[from] RdfError),
    /// The N3 Patch is malformed or does not apply.
    #[error(transparent)]
    Patch(#[from] PatchError),
    /// The body's media type cannot be taken here.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// None of the accepted media types can be produced.
    #[error("{0}")]
    NotAcceptable(String),
    /// Concurrent changes kept a read-modify-write from completing.
    #[error("the resource kept changing while this request was applied; retry")]
    Contended,
    /// A blocking job failed (it panicked).
    #[error("a background job failed: {0}")]
    Worker(String),
    /// The storage engine failed.
    #[error(transparent)]
    Storage(#[from] StoreError),
}
