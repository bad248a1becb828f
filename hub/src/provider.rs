//! The pod provider: the pod server whose admin API creates hosted pods for new workers.

pub use op_protocol::access::AccessEvent;
use serde::Deserialize;

/// A pod server this hub provisions pods on.
#[derive(Debug, Clone)]
pub struct PodProvider {
    /// The pod server's base URL.
    pub base: String,
    /// Its admin bearer token, when the operator configured one; otherwise the hub signs a
    /// one-minute service token for itself (`sub` = `iss`, `aud` = the pod server's root).
    pub admin_token: Option<String>,
    /// HTTP client (rustls).
    pub http: reqwest::Client,
}

/// How long a service token lives, seconds.
const SERVICE_TOKEN_SECS: u64 = 60;

/// A one-minute owner token for the worker's own pod, for the hub's dashboard (the worker's own
/// app): read the pod's access log.
pub fn dashboard_token(hub: &crate::state::Hub, webid: &str, pod_root: &str) -> String {
    let owner = op_protocol::scope::Scope::PodOwner.as_str();
    hub_token(hub, webid, pod_root, owner, None, Some(webid))
}

/// A one-minute token of `grant_id` for the pod at `pod_root`, with no scope: it can do nothing
/// but show whether that pod still accepts the grant's tokens there (a move waits for a 401).
pub fn grant_probe_token(
    hub: &crate::state::Hub,
    webid: &str,
    pod_root: &str,
    grant_id: &str,
) -> String {
    hub_token(hub, webid, pod_root, "", Some(grant_id), None)
}

/// The latest entries of the worker's pod's access log; `None` when the pod cannot be reached.
pub async fn access_log(
    hub: &crate::state::Hub,
    webid: &str,
    pod_root: &str,
) -> Option<Vec<AccessEvent>> {
    let url = format!("{pod_root}{}", op_protocol::routes::POD_ACCESS_LOG);
    let res = hub
        .http
        .get(&url)
        .bearer_auth(dashboard_token(hub, webid, pod_root))
        .header("Accept", "application/json")
        .timeout(std::time::Duration::from_secs(3))
        .send()
        .await
        .ok()?;
    if !res.status().is_success() {
        tracing::warn!(status = %res.status(), %url, "cannot read the pod's access log");
        return None;
    }
    res.json().await.ok()
}

/// A token the hub signs for itself to call a pod server's admin API.
pub fn service_token(hub: &crate::state::Hub, audience: &str) -> String {
    hub_token(hub, &hub.issuer, audience, "", None, None)
}

/// A one-minute access token the hub issues to itself (`client_id` = its issuer URL).
fn hub_token(
    hub: &crate::state::Hub,
    sub: &str,
    aud: &str,
    scope: &str,
    grant_id: Option<&str>,
    webid: Option<&str>,
) -> String {
    let now = hub.now();
    let claims = op_protocol::token::AccessClaims {
        iss: hub.issuer.clone(),
        sub: sub.to_owned(),
        aud: aud.to_owned(),
        client_id: hub.issuer.clone(),
        scope: scope.to_owned(),
        authorization_details: Vec::new(),
        jti: crate::secret::random_id(),
        iat: now,
        exp: now + SERVICE_TOKEN_SECS,
        nbf: None,
        grant_id: grant_id.map(str::to_owned),
        webid: webid.map(str::to_owned),
        cnf: None,
    };
    hub.keys()
        .sign(op_protocol::token::ACCESS_TOKEN_TYP, &claims)
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
    /// Creates a pod named `name` owned by `owner` (the worker's WebID at this hub).
    pub async fn create(
        &self,
        hub: &crate::state::Hub,
        name: &str,
        owner: &str,
    ) -> Result<CreatedPod, ProvisionError> {
        let url = format!("{}{}", self.base, op_protocol::routes::POD_ADMIN_PODS);
        let credential = match &self.admin_token {
            Some(token) => token.clone(),
            None => service_token(hub, &format!("{}/", self.base)),
        };
        let res = self
            .http
            .post(&url)
            .bearer_auth(credential)
            .json(&serde_json::json!({ "name": name, "owner": owner }))
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

impl PodProvider {
    /// Deletes a hosted pod and everything in it.
    pub async fn delete(&self, hub: &crate::state::Hub, name: &str) -> Result<(), ProvisionError> {
        let url = format!(
            "{}{}/{name}",
            self.base,
            op_protocol::routes::POD_ADMIN_PODS
        );
        let credential = match &self.admin_token {
            Some(token) => token.clone(),
            None => service_token(hub, &format!("{}/", self.base)),
        };
        let res = self
            .http
            .delete(&url)
            .bearer_auth(credential)
            .send()
            .await
            .map_err(|e| ProvisionError::Failed(e.to_string()))?;
        match res.status().as_u16() {
            204 | 404 => Ok(()),
            status => Err(ProvisionError::Failed(format!("HTTP {status}"))),
        }
    }
}
