//! Requests to addresses a user gave the hub (a self-hosted pod's URL, its WebID profile).
//!
//! Such a URL must not turn the hub into a proxy into its own network: only `http(s)`, only to
//! public addresses unless the operator allows private ones (development, or a hub on loopback),
//! checked on every address a name resolves to, never following redirects, with a bounded answer.
//! Callers never show a foreign server's body to a user: they describe its answer in their own
//! words.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use op_protocol::net::AddressPolicy;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// The most bytes read from a foreign answer.
pub const MAX_ANSWER: usize = 256 * 1024;

/// Why an outbound request was not made or failed.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    /// The URL itself is not allowed.
    #[error("{0}")]
    Refused(String),
    /// The server could not be reached or answered too much.
    #[error("{0}")]
    Failed(String),
}

/// An HTTP client for user-given URLs.
#[derive(Debug, Clone)]
pub struct Outbound {
    client: reqwest::Client,
    policy: AddressPolicy,
}

#[derive(Debug)]
struct CheckedResolver(AddressPolicy);

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| policy.allows(a.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(format!(
                    "{host} resolves only to private or reserved addresses, which this hub does not call"
                )
                .into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

impl Outbound {
    /// A client that follows `policy`.
    pub fn new(policy: AddressPolicy) -> Outbound {
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(CheckedResolver(policy)))
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .build()
            .expect("an HTTP client with the ring provider");
        Outbound { client, policy }
    }

    /// Checks a URL before any request: scheme, and the address when the host is a literal IP
    /// (names are checked by the resolver, on every address they resolve to).
    pub fn check(&self, url: &url::Url) -> Result<(), OutboundError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(OutboundError::Refused(format!(
                "{url} is not an http(s) URL"
            )));
        }
        let ip = match url.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
            Some(url::Host::Domain(_)) => return Ok(()),
            None => return Err(OutboundError::Refused(format!("{url} has no host"))),
        };
        if self.policy.allows(ip) {
            Ok(())
        } else {
            Err(OutboundError::Refused(format!(
                "{ip} is a private or reserved address, which this hub does not call"
            )))
        }
    }

    /// A request builder for `url`, after [`Outbound::check`].
    pub fn request(
        &self,
        method: reqwest::Method,
        url: &url::Url,
    ) -> Result<reqwest::RequestBuilder, OutboundError> {
        self.check(url)?;
        Ok(self.client.request(method, url.as_str()))
    }

    /// Sends `request` and reads at most [`MAX_ANSWER`] bytes of the answer.
    pub async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<(reqwest::StatusCode, reqwest::header::HeaderMap, Vec<u8>), OutboundError> {
        let res = request.send().await.map_err(|e| {
            // reqwest's own text names the URL and the resolver's reason; it holds no foreign body.
            OutboundError::Failed(format!("cannot reach it: {}", error_chain(&e)))
        })?;
        let (status, headers) = (res.status(), res.headers().clone());
        let mut body = Vec::new();
        let mut stream = res.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| OutboundError::Failed(error_chain(&e)))?;
            if body.len() + chunk.len() > MAX_ANSWER {
                return Err(OutboundError::Failed(format!(
                    "its answer is larger than {} KiB",
                    MAX_ANSWER / 1024
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, headers, body))
    }
}

/// An error with its sources, for messages that say why (e.g. the resolver's refusal).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
