//! Pinned JSON-LD contexts, compiled into the binary: nothing is fetched at run time.
//!
//! The files live in `protocol/contexts/` with an `index.json` mapping each context URL to its
//! file and SHA-256, so that independent verifiers can load the same bytes.

/// `(context URL, file path under protocol/contexts/, document)` for every pinned context.
pub const PINNED: &[(&str, &str, &str)] = &[
    (
        "https://www.w3.org/ns/credentials/v2",
        "www.w3.org/ns/credentials/v2.jsonld",
        include_str!("../contexts/www.w3.org/ns/credentials/v2.jsonld"),
    ),
    (
        "https://www.w3.org/ns/credentials/examples/v2",
        "www.w3.org/ns/credentials/examples/v2.jsonld",
        include_str!("../contexts/www.w3.org/ns/credentials/examples/v2.jsonld"),
    ),
    (
        "https://w3id.org/security/data-integrity/v2",
        "w3id.org/security/data-integrity/v2.jsonld",
        include_str!("../contexts/w3id.org/security/data-integrity/v2.jsonld"),
    ),
    (
        "https://w3id.org/security/multikey/v1",
        "w3id.org/security/multikey/v1.jsonld",
        include_str!("../contexts/w3id.org/security/multikey/v1.jsonld"),
    ),
    (
        GIG_V1,
        "w3id.org/openplatforms/gig/v1.jsonld",
        include_str!("../contexts/w3id.org/openplatforms/gig/v1.jsonld"),
    ),
];

/// The W3C Verifiable Credentials 2.0 context, first in every record's `@context`.
pub const CREDENTIALS_V2: &str = "https://www.w3.org/ns/credentials/v2";

/// Open Platforms' own context for gig records (schema.org, Open Badges 3.0 and `gig:` terms).
pub const GIG_V1: &str = "https://w3id.org/openplatforms/gig/v1";

/// The pinned document for a context URL, if this build ships it.
pub fn pinned(url: &str) -> Option<&'static str> {
    PINNED
        .iter()
        .find(|(u, _, _)| *u == url)
        .map(|(_, _, doc)| *doc)
}

/// The URLs of every pinned context, for error messages.
pub fn pinned_urls() -> Vec<&'static str> {
    PINNED.iter().map(|(u, _, _)| *u).collect()
}

/// The pinned context a server serves at `path` (a request path under
/// [`crate::routes::CONTEXTS`]).
pub fn served_at(path: &str) -> Option<&'static str> {
    PINNED
        .iter()
        .find(|(url, _, _)| crate::routes::context_path(url).as_deref() == Some(path))
        .map(|(_, _, doc)| *doc)
}

/// The index a server serves at [`crate::routes::CONTEXTS`]: each pinned context's URL with the
/// path it is served at and the SHA-256 of its bytes, so a client can check what it loads.
pub fn served_index() -> serde_json::Value {
    use sha2::{Digest, Sha256};
    let entries = PINNED.iter().filter_map(|(url, _, doc)| {
        let path = crate::routes::context_path(url)?;
        let sha256: String = Sha256::digest(doc.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Some((
            url.to_string(),
            serde_json::json!({ "path": path, "sha256": sha256 }),
        ))
    });
    serde_json::Value::Object(entries.collect())
}

/// What a server answers for a GET of `path` under [`crate::routes::CONTEXTS`]: status, media
/// type and body (the index, a context, or a 404 saying where the index is). The servers add
/// the caching and CORS headers.
pub fn answer(path: &str) -> (u16, &'static str, String) {
    if path == crate::routes::CONTEXTS {
        return (200, "application/json", served_index().to_string());
    }
    match served_at(path) {
        Some(doc) => (200, "application/ld+json", doc.to_owned()),
        None => (
            404,
            "text/plain; charset=utf-8",
            format!(
                "no pinned context is served at {path}; the index of those served is at {}",
                crate::routes::CONTEXTS
            ),
        ),
    }
}

/// A JSON-LD document loader that serves only the pinned contexts (every JSON-LD parser of
/// ours uses it: the signer, the verifier and the pod).
pub fn loader() -> sophia_jsonld::loader::ClosureLoader<
    impl Send
    + FnMut(
        sophia_iri::Iri<String>,
    ) -> sophia_jsonld::loader::BoxFuture<'static, Result<String, String>>,
> {
    use sophia_jsonld::loader::FutureExt;
    sophia_jsonld::loader::ClosureLoader::new(|iri: sophia_iri::Iri<String>| {
        let url = iri.as_str().to_owned();
        async move {
            pinned(&url).map(str::to_owned).ok_or_else(|| {
                format!(
                    "context {url} is not pinned and nothing is fetched at run time; pinned contexts: {}",
                    pinned_urls().join(", ")
                )
            })
        }
        .boxed()
    })
}

/// Polls a future that never waits on I/O — JSON-LD expansion over [`loader`] — to completion on
/// this thread; `None` if it keeps waiting.
///
/// Contexts come from memory, so expansion never actually suspends. Driving it here keeps this
/// crate free of an async runtime, and avoids sophia_jsonld's synchronous parser, which builds a
/// tokio runtime of its own and panics inside another one (DESIGN §6).
pub fn complete<F: std::future::Future>(future: F) -> Option<F::Output> {
    use std::task::{Context, Poll, Waker};
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1_000 {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return Some(output);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pinned_context_is_served_at_its_path_with_the_indexed_hash() {
        let index = served_index();
        let files: serde_json::Value =
            serde_json::from_str(include_str!("../contexts/index.json")).unwrap();
        for (url, _, doc) in PINNED {
            let entry = &index[*url];
            let path = entry["path"].as_str().unwrap();
            assert_eq!(served_at(path), Some(*doc), "{url}");
            assert_eq!(entry["sha256"], files[*url]["sha256"], "{url}");
        }
        let elsewhere = crate::routes::context_path("https://example.org/x").unwrap();
        assert_eq!(served_at(&elsewhere), None);
    }

    #[test]
    fn every_indexed_context_is_pinned_and_parses_as_json() {
        let index: serde_json::Value =
            serde_json::from_str(include_str!("../contexts/index.json")).unwrap();
        let index = index.as_object().unwrap();
        assert_eq!(index.len(), PINNED.len());
        for (url, file, doc) in PINNED {
            assert_eq!(index[*url]["file"], *file);
            let json: serde_json::Value = serde_json::from_str(doc).unwrap();
            assert!(json.get("@context").is_some(), "{url}");
        }
        assert!(pinned("https://example.org/unknown").is_none());
    }
}
