//! `op-document`: reading a JSON document over HTTP — one GET, the status checked, the body
//! parsed, and an error that names the URL.
//!
//! The connector's verification, the hub's backpack and the pod server's issuer discovery all
//! fetch through it. It is a crate of its own so that the two servers share it without depending
//! on the connector (and the OAuth client and command line that come with it), and so that
//! `op-protocol` stays free of I/O.
#![deny(missing_docs)]

use serde_json::Value;

/// GETs `url` (with `bearer` as the access token, if given, accepting JSON-LD or JSON) and
/// parses the body; a failure to connect, a non-2xx status or a body that is not JSON is an
/// error naming `url`.
pub async fn get_json(
    http: &reqwest::Client,
    url: &str,
    bearer: Option<&str>,
) -> Result<Value, String> {
    let mut req = http
        .get(url)
        .header("Accept", "application/ld+json, application/json;q=0.9");
    if let Some(token) = bearer {
        req = req.bearer_auth(token);
    }
    let res = req
        .send()
        .await
        .map_err(|e| format!("cannot reach {url}: {e}"))?;
    if !res.status().is_success() {
        return Err(format!("{url} answered HTTP {}", res.status()));
    }
    res.json().await.map_err(|e| format!("{url}: {e}"))
}
