//! Clients identified by a Client ID Document (Solid-OIDC §5.1): the `client_id` is an `https`
//! URL that dereferences to the client's registration as JSON-LD, so a Solid app needs no
//! registration at each hub. The document is fetched at every authorization request (through
//! [`crate::outbound`]: public addresses only, no redirects, bounded time and size) and nothing of
//! it is stored but what a grant records; such a client is a public worker app (PKCE, no secret)
//! and never shown as certified.

use serde::Deserialize;

use crate::client::{Client, ClientAuth, ClientId, ClientKind, RedirectUri};
use crate::state::Hub;

/// Longest client name shown on the consent screen.
const MAX_NAME: usize = 100;

/// A Client ID Document as clients write it (RFC 7591 metadata names).
#[derive(Debug, Deserialize)]
struct Document {
    client_id: String,
    redirect_uris: Vec<String>,
    #[serde(default)]
    client_name: Option<String>,
    #[serde(default)]
    client_uri: Option<String>,
    #[serde(default)]
    grant_types: Option<Vec<String>>,
    #[serde(default)]
    response_types: Option<Vec<String>>,
    #[serde(default)]
    token_endpoint_auth_method: Option<String>,
}

/// Whether `id` names a Client ID Document rather than a registered client: an `https` URL, or
/// plain `http` on a loopback host while the hub itself runs on one (development).
pub fn is_document_id(hub: &Hub, id: &str) -> bool {
    let Ok(url) = url::Url::parse(id) else {
        return false;
    };
    let hub_on_loopback =
        url::Url::parse(&hub.issuer).is_ok_and(|u| crate::client::is_loopback(&u));
    match url.scheme() {
        "https" => url.has_host(),
        "http" => hub_on_loopback && crate::client::is_loopback(&url),
        _ => false,
    }
}

/// The client a document describes, at the token, revocation and refresh endpoints: a public
/// worker app. (Its redirect URI was checked against the document when the code was issued.)
pub fn public_client(id: &str) -> Client {
    Client {
        id: ClientId::document(id),
        kind: ClientKind::WorkerApp,
        name: id.to_owned(),
        homepage: None,
        logo: None,
        purpose: None,
        redirect_uris: Vec::new(),
        auth: ClientAuth::None,
        certified: false,
        created: 0,
        owner: None,
    }
}

/// Fetches and checks the document at `id`; the error says what is wrong, for the page the
/// browser is shown (never a redirect: nothing in the document can be trusted yet).
pub async fn fetch(hub: &Hub, id: &str) -> Result<Client, String> {
    let url = url::Url::parse(id).map_err(|e| format!("client_id {id:?} is not a URL: {e}"))?;
    let refused = |why: String| format!("the Client ID Document at {id} cannot be used: {why}");
    let request = hub
        .outbound
        .request(reqwest::Method::GET, &url)
        .map_err(|e| refused(e.to_string()))?
        .header("Accept", "application/ld+json, application/json;q=0.9");
    let (status, _, body) = hub
        .outbound
        .send(request)
        .await
        .map_err(|e| refused(e.to_string()))?;
    if !status.is_success() {
        return Err(refused(format!("it answered HTTP {status}")));
    }
    let document: Document = serde_json::from_slice(&body)
        .map_err(|e| refused(format!("it is not a client registration document: {e}")))?;
    client_of(id, &url, document).map_err(refused)
}

/// The client a fetched document describes, if it describes one this hub can serve.
fn client_of(id: &str, url: &url::Url, document: Document) -> Result<Client, String> {
    if document.client_id != id {
        return Err(format!(
            "it names another client_id ({:?}); a document must name its own URL",
            document.client_id
        ));
    }
    if document.redirect_uris.is_empty() {
        return Err("it lists no redirect_uris".into());
    }
    let redirect_uris = document
        .redirect_uris
        .iter()
        .map(|u| RedirectUri::parse(u).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(method) = document.token_endpoint_auth_method.filter(|m| m != "none") {
        return Err(format!(
            "token_endpoint_auth_method {method:?}: a client known by its document is public \
             (\"none\", with PKCE)"
        ));
    }
    let unsupported = |list: Option<Vec<String>>, allowed: &[&str]| {
        list.unwrap_or_default()
            .into_iter()
            .find(|g| !allowed.contains(&g.as_str()))
    };
    if let Some(grant) = unsupported(
        document.grant_types,
        &["authorization_code", "refresh_token"],
    ) {
        return Err(format!(
            "grant type {grant:?} is not offered to such clients"
        ));
    }
    if let Some(response) = unsupported(document.response_types, &["code"]) {
        return Err(format!("response type {response:?} is not supported"));
    }
    let host = url.host_str().unwrap_or(id);
    let name = match document.client_name.map(|n| n.trim().to_owned()) {
        Some(n) if !n.is_empty() && n.chars().count() <= MAX_NAME => format!("{n} ({host})"),
        _ => host.to_owned(),
    };
    Ok(Client {
        name,
        homepage: document
            .client_uri
            .filter(|u| url::Url::parse(u).is_ok_and(|u| u.scheme() == "https")),
        redirect_uris,
        ..public_client(id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "https://app.example/id";

    fn document(value: serde_json::Value) -> Result<Client, String> {
        let url = url::Url::parse(ID).unwrap();
        client_of(ID, &url, serde_json::from_value(value).unwrap())
    }

    #[test]
    fn a_document_naming_itself_is_a_public_worker_app_named_with_its_host() {
        let client = document(serde_json::json!({
            "@context": ["https://www.w3.org/ns/solid/oidc-context.jsonld"],
            "client_id": ID, "client_name": "Notes", "redirect_uris": ["https://app.example/cb"],
            "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
            "token_endpoint_auth_method": "none", "client_uri": "https://app.example/",
        }))
        .unwrap();
        assert_eq!(client.kind, ClientKind::WorkerApp);
        assert_eq!(client.auth, ClientAuth::None);
        assert_eq!(client.name, "Notes (app.example)");
        assert!(!client.certified);
        assert!(client.redirect_uri("https://app.example/cb").is_some());
    }

    #[test]
    fn documents_that_cannot_be_served_say_why() {
        let base =
            serde_json::json!({ "client_id": ID, "redirect_uris": ["https://app.example/cb"] });
        let with = |key: &str, value: serde_json::Value| {
            let mut d = base.clone();
            d[key] = value;
            document(d).unwrap_err()
        };
        assert!(with("client_id", "https://evil.example/id".into()).contains("another client_id"));
        assert!(with("redirect_uris", serde_json::json!([])).contains("no redirect_uris"));
        assert!(
            with("redirect_uris", serde_json::json!(["javascript:alert(1)"])).contains("https")
        );
        assert!(
            with("token_endpoint_auth_method", "client_secret_basic".into()).contains("public")
        );
        assert!(with("grant_types", serde_json::json!(["implicit"])).contains("implicit"));
        assert!(with("response_types", serde_json::json!(["token"])).contains("token"));
    }
}
