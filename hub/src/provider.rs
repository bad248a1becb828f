//! The pod provider: the pod server whose admin API creates hosted pods for new workers.

use serde::Deserialize;

/// A pod server this hub provisions pods on.
#[derive(Debug, Clone)]
pub struct PodProvider {
    /// The pod server's base URL.
    pub base: String,
    /// Its admin bearer token.
    pub admin_token: String,
    /// HTTP client (rustls).
    pub http: reqwest::Client,
}

/// What the pod server answers when it creates a pod.
#[derive(Debug, Clone, Deserialize)]
pub struct CreatedPod {
    /// The pod root URL.
    pub root: String,
    /// The owner's WebID.
    pub webid: String,
}

/// Provisioning failed.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// The name is taken on the pod server.
    #[error("a pod with that name already exists")]
    Taken,
    /// The pod server failed or could not be reached.
    #[error("the pod server could not create the pod: {0}")]
    Failed(String),
}

impl PodProvider {
    /// Creates a pod named `name`.
    pub async fn create(&self, name: &str) -> Result<CreatedPod, ProvisionError> {
        let url = format!("{}{}", self.base, op_protocol::routes::POD_ADMIN_PODS);
        let res = self
            .http
            .post(&url)
            .bearer_auth(&self.admin_token)
            .json(&serde_json::json!({ "name": name }))
            .send()
            .await
            .map_err(|e| ProvisionError::Failed(e.to_string()))?;
        match res.status().as_u16() {
            201 => res
                .json::<CreatedPod>()
                .await
                .map_err(|e| ProvisionError::Failed(e.to_string())),
            409 => Err(ProvisionError::Taken),
            status => Err(ProvisionError::Failed(format!(
                "HTTP {status}: {}",
                res.text().await.unwrap_or_default()
            ))),
        }
    }
}
