//! The OAuth error table: every error code the hub returns, with its HTTP status (RFC 6749 §5.2,
//! RFC 6750 §3.1, RFC 7009, RFC 8707, RFC 9396, RFC 9449).

/// An OAuth error with a description that says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {description}")]
pub struct OAuthError {
    /// The RFC error code.
    pub code: &'static str,
    /// What went wrong, for the developer.
    pub description: String,
}

macro_rules! codes {
    ($($fn:ident => $code:literal, $status:literal;)*) => {
        impl OAuthError {
            $(
                #[doc = concat!("`", $code, "`")]
                pub fn $fn(description: impl Into<String>) -> Self {
                    OAuthError { code: $code, description: description.into() }
                }
            )*

            /// The HTTP status for this error code.
            pub fn status(&self) -> u16 {
                match self.code {
                    $($code => $status,)*
                    _ => 400,
                }
            }
        }
    };
}

codes! {
    invalid_request => "invalid_request", 400;
    invalid_client => "invalid_client", 401;
    invalid_grant => "invalid_grant", 400;
    unauthorized_client => "unauthorized_client", 400;
    unsupported_grant_type => "unsupported_grant_type", 400;
    invalid_scope => "invalid_scope", 400;
    invalid_target => "invalid_target", 400;
    invalid_dpop_proof => "invalid_dpop_proof", 400;
    invalid_token => "invalid_token", 401;
    insufficient_scope => "insufficient_scope", 403;
    unsupported_token_type => "unsupported_token_type", 400;
    server_error => "server_error", 500;
    temporarily_unavailable => "temporarily_unavailable", 507;
}

impl From<op_store::StoreError> for OAuthError {
    fn from(e: op_store::StoreError) -> Self {
        tracing::error!(error = %e, "storage failed");
        if e.is_storage_full() {
            // 507, as the pod server answers: nothing was written, and it is worth a retry later.
            return OAuthError::temporarily_unavailable(
                "the hub's disk is full: nothing was changed; try again later",
            );
        }
        OAuthError::server_error("the authorization server could not complete the request")
    }
}
