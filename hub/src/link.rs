//! Linking a self-hosted pod: the worker gives the pod's URL and the one-time code its pod
//! server printed; the hub presents the code to that pod server with its own service token and
//! the worker's WebID (the one this hub anchors for them); the pod server makes that WebID the
//! pod's owner, and its answer (the pod's root and owner) proves the worker controls the pod.
//! Once linked, the hub gives the pod server credentials to follow the revocation feed with, so
//! a revoked grant stops working there too. Moving a worker's data between a pod hosted here and
//! their own is in [`moving`].
//!
//! Every request goes through [`crate::outbound`]: no private addresses (unless allowed), no
//! redirects, bounded answers, and no foreign body is ever shown to the worker.

use serde::Deserialize;
use sha2::{Digest, Sha256};
use url::Url;

use crate::account::{ACCOUNTS, PodLink};
use crate::client::{CLIENTS, ClientKind, NewClient};
use crate::grant::{self, AuditEvent};
use crate::outbound::OutboundError;
use crate::state::Hub;

pub mod moving;

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

/// Links `pod_url` to `username`'s account, which has no pod yet, if the pod server accepts
/// `code`.
pub async fn link(
    hub: &Hub,
    username: &str,
    pod_url: &str,
    code: &str,
) -> Result<PodLink, LinkError> {
    let account = ACCOUNTS
        .get(&hub.store, username)?
        .ok_or_else(|| LinkError::Refused("no such account".into()))?;
    if account.pod.is_some() {
        return Err(LinkError::Refused(
            "you already have a pod; to use another one, move your data there".into(),
        ));
    }
    let url = pod_root(hub, pod_url)?;
    claim(hub, &url, code, &account.webid).await?;
    hand_feed_credentials(hub, &url, username).await?;
    let link = PodLink {
        root: url.to_string(),
        hosted: false,
        since: hub.now(),
    };
    let (user, stored, now) = (username.to_owned(), link.clone(), hub.now());
    hub.store
        .write(move |tx| {
            let Some(mut account) = ACCOUNTS.get_tx(tx, &user)? else {
                return Ok(());
            };
            account.pod = Some(stored);
            ACCOUNTS.put(tx, &user, &account);
            grant::audit(tx, &user, AuditEvent::of(now, "pod_linked"));
            Ok::<_, op_store::StoreError>(())
        })
        .await?;
    Ok(link)
}

/// Presents `code` to the pod server at `root` with `webid` as the owner to be; succeeds when
/// the pod server answers that this very pod is now owned by that WebID.
async fn claim(hub: &Hub, root: &Url, code: &str, webid: &str) -> Result<(), LinkError> {
    let linked = redeem(hub, root, code, webid).await?;
    if linked.webid != webid {
        return Err(LinkError::Refused(format!(
            "the pod server at {} did not make your WebID ({webid}) the pod's owner; update \
             op-pod and print a new code",
            root.origin().ascii_serialization()
        )));
    }
    Ok(())
}

/// The pod's root URL as the worker typed it, checked: https (plain http only on loopback), a
/// path ending in `/`, no query or fragment, and an address this hub may call.
fn pod_root(hub: &Hub, pod_url: &str) -> Result<Url, LinkError> {
    let url = Url::parse(pod_url.trim()).map_err(|_| {
        LinkError::BadUrl(format!(
            "{pod_url:?} is not a URL; enter your pod's address, like https://pod.example/"
        ))
    })?;
    let secure =
        url.scheme() == "https" || (url.scheme() == "http" && crate::client::is_loopback(&url));
    if !secure || url.query().is_some() || url.fragment().is_some() {
        return Err(LinkError::BadUrl(
            "the pod's address must be an https URL (plain http only on this machine)".into(),
        ));
    }
    if !url.path().ends_with('/') {
        return Err(LinkError::BadUrl(format!(
            "the pod's address must end with '/': {url}/"
        )));
    }
    hub.outbound
        .check(&url)
        .map_err(|e| LinkError::BadUrl(format!("this hub cannot link a pod at {url}: {e}")))?;
    Ok(url)
}

/// Presents the code; the pod server answers with the pod's root and its owner's WebID.
async fn redeem(hub: &Hub, root: &Url, code: &str, webid: &str) -> Result<Linked, LinkError> {
    let origin = root.origin().ascii_serialization();
    let endpoint = pod_endpoint(root, op_protocol::routes::POD_LINK);
    let token = crate::provider::service_token(hub, &format!("{origin}/"));
    let request = hub
        .outbound
        .request(reqwest::Method::POST, &endpoint)
        .map_err(refused)?
        .bearer_auth(token)
        .json(&serde_json::json!({ "code": code.trim(), "owner": webid }));
    let (status, _, body) =
        hub.outbound.send(request).await.map_err(|e| {
            LinkError::Refused(format!("cannot link the pod server at {origin}: {e}"))
        })?;
    if !status.is_success() {
        return Err(LinkError::Refused(refusal(status, &origin, &hub.issuer)));
    }
    let linked: Linked = serde_json::from_slice(&body).map_err(|_| {
        LinkError::Refused(format!(
            "the server at {origin} answered, but not as an Open Platforms pod server does"
        ))
    })?;
    if linked.root != root.as_str() {
        return Err(LinkError::Refused(format!(
            "the code belongs to the pod at {}, not {root}; enter that address",
            linked.root
        )));
    }
    Ok(linked)
}

/// Our own words for a refused link: the pod server's body is never shown.
fn refusal(status: reqwest::StatusCode, origin: &str, issuer: &str) -> String {
    match status.as_u16() {
        401 | 403 => format!(
            "the pod server at {origin} refused the code: it is unknown, used or expired, or the \
             pod server does not trust this hub ({issuer}). Print a new code with \
             `op-pod pod link-code`, and start the pod server with `--trust {issuer}`."
        ),
        404 | 405 => format!(
            "{origin} has no Open Platforms pod server (no link endpoint there); check the address"
        ),
        code => format!(
            "the pod server at {origin} could not link the pod (HTTP {code}); try again later"
        ),
    }
}

fn refused(e: OutboundError) -> LinkError {
    LinkError::Refused(e.to_string())
}

fn pod_endpoint(root: &Url, path: &str) -> Url {
    let mut url = root.clone();
    url.set_path(path);
    url
}

/// Registers (or renews) the pod server's `resource_server` client and hands its secret to the
/// pod server, which then follows this hub's revocation feed. One client per pod root: linking
/// again rotates its secret.
async fn hand_feed_credentials(hub: &Hub, root: &Url, username: &str) -> Result<(), LinkError> {
    let digest = Sha256::digest(root.as_str().as_bytes());
    let id: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let new = NewClient {
        id: format!("linked-pod-{id}"),
        kind: ClientKind::ResourceServer,
        name: format!("Pod server at {}", root.origin().ascii_serialization()),
        homepage: None,
        logo: None,
        purpose: None,
        redirect_uris: Vec::new(),
        public: false,
        jwks: None,
        certified: true,
    };
    let (mut client, secret) = new
        .validate(&hub.secret, hub.now())
        .map_err(|e| LinkError::Refused(format!("cannot register the pod server: {e}")))?;
    client.owner = Some(username.to_owned());
    let secret = secret.expect("a confidential client has a secret");
    let stored = client.clone();
    hub.store
        .write(move |tx| {
            CLIENTS.put(tx, &stored.id.to_string(), &stored);
            Ok::<_, op_store::StoreError>(())
        })
        .await?;
    let origin = root.origin().ascii_serialization();
    let token = crate::provider::service_token(hub, &format!("{origin}/"));
    let request = hub
        .outbound
        .request(
            reqwest::Method::POST,
            &pod_endpoint(root, op_protocol::routes::POD_FEED_CREDENTIALS),
        )
        .map_err(refused)?
        .bearer_auth(token)
        .json(&serde_json::json!({ "client_id": client.id.as_str(), "client_secret": secret }));
    let (status, _, _) = hub.outbound.send(request).await.map_err(|e| {
        LinkError::Refused(format!(
            "cannot give the pod server at {origin} its feed credentials: {e}"
        ))
    })?;
    match status.as_u16() {
        200..=299 => Ok(()),
        409 => Ok(()), // The pod server's own configuration names its credentials here already.
        code => Err(LinkError::Refused(format!(
            "the pod server at {origin} did not take the credentials it needs to follow this \
             hub's revocations (HTTP {code}); update op-pod and link again with a new code"
        ))),
    }
}
