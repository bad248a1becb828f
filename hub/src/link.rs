//! Linking a self-hosted pod: the worker gives the pod's URL and the one-time code its pod
//! server printed; the hub presents the code to that pod server with its own service token; the
//! answer (the pod's root and WebID) proves the worker controls the pod.

use serde::Deserialize;

use crate::account::{ACCOUNTS, PodLink};
use crate::grant::{self, AuditEvent};
use crate::state::Hub;

/// Linking failed; the message says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The URL is not a pod root.
    #[error("{0}")]
    BadUrl(String),
    /// The pod server refused or could not be reached.
    #[error("{0}")]
    Refused(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] op_store::StoreError),
}

#[derive(Debug, Deserialize)]
struct Linked {
    root: String,
    webid: String,
}

/// Links `pod_url` to `username`'s account if the pod server accepts `code`.
pub async fn link(
    hub: &Hub,
    username: &str,
    pod_url: &str,
    code: &str,
) -> Result<PodLink, LinkError> {
    let url = url::Url::parse(pod_url.trim()).map_err(|_| {
        LinkError::BadUrl(format!(
            "{pod_url:?} is not a URL; enter your pod's address, like https://pod.example/"
        ))
    })?;
    let secure =
        url.scheme() == "https" || (url.scheme() == "http" && crate::client::is_loopback(&url));
    if !secure || !url.path().ends_with('/') || url.query().is_some() || url.fragment().is_some() {
        return Err(LinkError::BadUrl(
            "the pod's address must be an https URL ending with '/' (plain http only on this machine)".into(),
        ));
    }
    let origin = url.origin().ascii_serialization();
    let endpoint = format!("{origin}{}", op_protocol::routes::POD_LINK);
    let token = crate::provider::service_token(hub, &format!("{origin}/"));
    let res = hub
        .http
        .post(&endpoint)
        .bearer_auth(token)
        .json(&serde_json::json!({ "code": code.trim() }))
        .send()
        .await
        .map_err(|e| LinkError::Refused(format!("cannot reach the pod server at {origin}: {e}")))?;
    if !res.status().is_success() {
        let status = res.status();
        let why = res.text().await.unwrap_or_default();
        return Err(LinkError::Refused(format!(
            "the pod server refused the link ({status}): {}. Check the code, and that the pod server trusts this hub ({}).",
            why.trim(),
            hub.issuer
        )));
    }
    let linked: Linked = res.json().await.map_err(|e| {
        LinkError::Refused(format!("the pod server answered something unexpected: {e}"))
    })?;
    if linked.root != url.as_str() {
        return Err(LinkError::Refused(format!(
            "the code belongs to the pod at {}, not {}",
            linked.root,
            url.as_str()
        )));
    }
    let link = PodLink {
        root: linked.root,
        hosted: false,
    };
    let (user, stored, webid, now) = (username.to_owned(), link.clone(), linked.webid, hub.now());
    hub.store
        .write(move |tx| {
            let Some(mut account) = ACCOUNTS.get_tx(tx, &user)? else {
                return Ok(());
            };
            account.pod = Some(stored);
            account.webid = webid;
            ACCOUNTS.put(tx, &user, &account);
            grant::audit(
                tx,
                &user,
                AuditEvent {
                    at: now,
                    event: "pod_linked".into(),
                    client_id: String::new(),
                    grant_id: None,
                },
            );
            Ok::<_, op_store::StoreError>(())
        })
        .await?;
    Ok(link)
}
