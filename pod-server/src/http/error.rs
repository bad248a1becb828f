//! The one place where failures become HTTP responses: status, headers and a message to act on.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use op_protocol::path::PathError;

use crate::auth::token::TokenError;
use crate::pod::error::PodError;
use crate::pod::patch::PatchError;
use crate::pod::rdf::RdfError;

/// A request failed.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// A domain failure.
    #[error(transparent)]
    Pod(#[from] PodError),
    /// The URL path is malformed or tries to escape.
    #[error("bad path: {0}")]
    Path(#[from] PathError),
    /// No credentials, but the resource needs them.
    #[error("{0}")]
    Unauthenticated(String),
    /// Credentials were sent but refused.
    #[error("invalid token: {0}")]
    InvalidToken(#[from] TokenError),
    /// Authenticated, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// Nothing here.
    #[error("{0}")]
    NotFound(String),
    /// The body is larger than allowed.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// Malformed request.
    #[error("{0}")]
    BadRequest(String),
    /// The method is not supported on this resource.
    #[error("{message}")]
    MethodNotAllowed {
        /// Why.
        message: String,
        /// What is allowed instead.
        allow: &'static str,
    },
}

const REALM: &str = "op-pod";

impl ResponseError for HttpError {
    fn status_code(&self) -> StatusCode {
        match self {
            HttpError::Pod(e) => match e {
                PodError::PodNotFound(_) | PodError::NotFound(_) => StatusCode::NOT_FOUND,
                PodError::PodExists(_) | PodError::Conflict(_) | PodError::Contended => {
                    StatusCode::CONFLICT
                }
                PodError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
                PodError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
                PodError::QuotaExceeded { .. } => StatusCode::INSUFFICIENT_STORAGE,
                PodError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
                PodError::BadRequest(_) => StatusCode::BAD_REQUEST,
                PodError::Rdf(RdfError::NamedGraphsLost(_)) => StatusCode::NOT_ACCEPTABLE,
                PodError::Rdf(RdfError::Serialize(..)) => StatusCode::INTERNAL_SERVER_ERROR,
                PodError::Rdf(RdfError::TooLarge(_)) => StatusCode::PAYLOAD_TOO_LARGE,
                PodError::Rdf(_) => StatusCode::BAD_REQUEST,
                PodError::Patch(
                    PatchError::Invalid(_)
                    | PatchError::InvalidSparql(_)
                    | PatchError::TooComplex(_),
                ) => StatusCode::BAD_REQUEST,
                PodError::Patch(_) => StatusCode::CONFLICT,
                PodError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                PodError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
                PodError::Storage(e) if e.is_storage_full() => StatusCode::INSUFFICIENT_STORAGE,
                PodError::Storage(_) | PodError::Worker(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            HttpError::Path(_) | HttpError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HttpError::InvalidToken(TokenError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            HttpError::Unauthenticated(_) | HttpError::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            HttpError::Forbidden(_) => StatusCode::FORBIDDEN,
            HttpError::NotFound(_) => StatusCode::NOT_FOUND,
            HttpError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            HttpError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, "request failed");
            "internal server error; the operator's log has the cause".to_owned()
        } else if matches!(self, HttpError::Pod(PodError::Storage(_))) {
            tracing::error!(error = %self, "the server's disk is full");
            "the server's disk is full: nothing was stored; reads go on, and the same write will \
             succeed once its operator frees space"
                .to_owned()
        } else {
            self.to_string()
        };
        let mut res = HttpResponse::build(status);
        res.insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"));
        match self {
            HttpError::Unauthenticated(_) => {
                res.insert_header((
                    header::WWW_AUTHENTICATE,
                    format!("Bearer realm=\"{REALM}\""),
                ));
            }
            HttpError::InvalidToken(TokenError::Unavailable(_)) => {
                res.insert_header((header::RETRY_AFTER, "2"));
            }
            HttpError::InvalidToken(TokenError::Dpop(e)) => {
                let value = format!(
                    "DPoP algs=\"EdDSA ES256\", error=\"invalid_dpop_proof\", error_description=\"{}\"",
                    e.replace(['"', '\\'], "'")
                );
                if let Ok(v) = HeaderValue::from_str(&value) {
                    res.insert_header((header::WWW_AUTHENTICATE, v));
                }
            }
            HttpError::InvalidToken(e) => {
                let description = e.to_string().replace(['"', '\\'], "'");
                let value = format!(
                    "Bearer realm=\"{REALM}\", error=\"invalid_token\", error_description=\"{description}\""
                );
                if let Ok(v) = HeaderValue::from_str(&value) {
                    res.insert_header((header::WWW_AUTHENTICATE, v));
                }
            }
            HttpError::Forbidden(_) => {
                res.insert_header((
                    header::WWW_AUTHENTICATE,
                    format!("Bearer realm=\"{REALM}\", error=\"insufficient_scope\""),
                ));
            }
            HttpError::MethodNotAllowed { allow, .. } => {
                res.insert_header((header::ALLOW, *allow));
            }
            HttpError::Pod(PodError::MethodNotAllowed(_)) => {
                res.insert_header((header::ALLOW, super::headers::ALLOW_ROOT));
            }
            HttpError::Pod(PodError::UnsupportedMediaType(_)) => {
                res.insert_header(("Accept-Patch", op_protocol::media::ACCEPT_PATCH));
            }
            _ => {}
        }
        res.body(format!("{message}\n"))
    }
}
