//! An `oauth2`/`openidconnect` HTTP client over our reqwest + rustls stack: the crates' own glue
//! would pull a second, older reqwest, so this small adapter stands in for it.

use std::future::Future;
use std::pin::Pin;

/// Why an HTTP call made for the OAuth crates failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

type Call = Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, HttpError>>>>;

/// A function the OAuth crates accept as their async HTTP client.
pub fn http_client(client: reqwest::Client) -> impl Fn(oauth2::HttpRequest) -> Call {
    move |request: oauth2::HttpRequest| {
        let client = client.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let mut req = client
                .request(parts.method, parts.uri.to_string())
                .body(body);
            for (name, value) in &parts.headers {
                req = req.header(name, value);
            }
            let res = req.send().await.map_err(|e| HttpError(e.to_string()))?;
            let mut builder = http::Response::builder().status(res.status());
            for (name, value) in res.headers() {
                builder = builder.header(name, value);
            }
            let bytes = res.bytes().await.map_err(|e| HttpError(e.to_string()))?;
            builder
                .body(bytes.to_vec())
                .map_err(|e| HttpError(e.to_string()))
        }) as Call
    }
}
