//! The one place where hub failures become responses: OAuth errors as JSON with their status,
//! page errors as HTML, and no token ever cached.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};

use crate::oauth_error::OAuthError;

/// A failed hub request.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// An OAuth protocol error (JSON body, RFC 6749 §5.2).
    #[error(transparent)]
    OAuth(#[from] OAuthError),
    /// A browser-facing error, shown as a page.
    #[error("{message}")]
    Page {
        /// Status code.
        status: u16,
        /// Rendered HTML.
        html: String,
        /// Plain message (for logs).
        message: String,
    },
    /// A JSON API error (admin API) with a status and message.
    #[error("{1}")]
    Api(u16, String),
    /// A worker's page or form reached without being logged in: 303 to the login page.
    #[error("log in first")]
    LoginRequired,
}

impl From<op_store::StoreError> for HubError {
    fn from(e: op_store::StoreError) -> Self {
        HubError::OAuth(OAuthError::from(e))
    }
}

impl ResponseError for HubError {
    fn status_code(&self) -> StatusCode {
        let code = match self {
            HubError::OAuth(e) => e.status(),
            HubError::Page { status, .. } => *status,
            HubError::Api(status, _) => *status,
            HubError::LoginRequired => 303,
        };
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CACHE_CONTROL, "no-store"));
        match self {
            HubError::OAuth(e) => {
                match e.code {
                    "invalid_client" => {
                        res.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"op-hub\""));
                    }
                    "invalid_token" | "insufficient_scope" => {
                        let value = format!(
                            "Bearer realm=\"op-hub\", error=\"{}\", error_description=\"{}\"",
                            e.code,
                            e.description.replace(['"', '\\'], "'")
                        );
                        if let Ok(v) = HeaderValue::from_str(&value) {
                            res.insert_header((header::WWW_AUTHENTICATE, v));
                        }
                    }
                    _ => {}
                }
                res.json(serde_json::json!({ "error": e.code, "error_description": e.description }))
            }
            HubError::Page { html, .. } => {
                super::secure_html_headers(&mut res);
                res.content_type("text/html; charset=utf-8")
                    .body(html.clone())
            }
            HubError::Api(_, message) => res.json(serde_json::json!({ "error": message })),
            HubError::LoginRequired => res
                .insert_header((header::LOCATION, op_protocol::routes::HUB_LOGIN))
                .finish(),
        }
    }
}

/// A form that cannot be read (a field missing, a value of the wrong kind, too large): a page
/// that says so and what to do, never the parser's own words alone.
pub fn form_error(e: &actix_web::error::UrlencodedError) -> HubError {
    let detail = match e {
        actix_web::error::UrlencodedError::Overflow { .. } => "it is too large".to_owned(),
        actix_web::error::UrlencodedError::Parse(e) => e.to_string(),
        other => other.to_string(),
    };
    let lang = crate::i18n::Lang::En;
    let t = lang.t();
    let message =
        format!("This form could not be read ({detail}). Go back, reload the page and try again.");
    HubError::Page {
        status: 400,
        html: super::pages::layout(lang, t.error_title, "/", super::pages::error(t, &message)),
        message,
    }
}
