//! The linked pod's WebID: it must lie under the pod's root, and its profile document must name
//! this hub as the WebID's `solid:oidcIssuer` — otherwise a pod server could hand the hub someone
//! else's identity, and the hub would issue tokens naming it.

use op_protocol::bounded::{MAX_DEPTH, Syntax, check_depth};
use op_protocol::vocab::solid;
use sophia_api::prelude::*;
use sophia_turtle::parser::turtle::TurtleParser;
use url::Url;

use super::{LinkError, refused};
use crate::state::Hub;

/// Checks `webid` against the pod at `root` and returns it.
pub async fn check_webid(hub: &Hub, root: &Url, webid: &str) -> Result<String, LinkError> {
    let id = Url::parse(webid).map_err(|_| {
        LinkError::Refused(format!(
            "the pod server named {webid:?} as the WebID, which is not a URL"
        ))
    })?;
    if !under(root, &id) {
        return Err(LinkError::Refused(format!(
            "the pod server named {webid} as the WebID, which is not inside the pod at {root}; \
             a pod can only link the identity it holds"
        )));
    }
    let mut document = id.clone();
    document.set_fragment(None);
    let request = hub
        .outbound
        .request(reqwest::Method::GET, &document)
        .map_err(refused)?
        .header(reqwest::header::ACCEPT, "text/turtle");
    let (status, headers, body) = hub.outbound.send(request).await.map_err(|e| {
        LinkError::Refused(format!("cannot read the WebID profile {document}: {e}"))
    })?;
    let turtle = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("text/turtle"));
    if !status.is_success() || !turtle {
        return Err(LinkError::Refused(format!(
            "the WebID profile {document} could not be read as Turtle (HTTP {})",
            status.as_u16()
        )));
    }
    let issuer = hub.issuer.clone();
    let names_us = names_issuer(&body, document.as_str(), &id, &issuer).map_err(|why| {
        LinkError::Refused(format!(
            "the WebID profile {document} is not valid Turtle: {why}"
        ))
    })?;
    if !names_us {
        return Err(LinkError::Refused(format!(
            "the WebID profile {document} does not name this hub ({issuer}) as its \
             solid:oidcIssuer; start the pod server with `--trust {issuer}` so its profile does"
        )));
    }
    Ok(webid.to_owned())
}

/// Whether `id` is the root itself or lies under it (same origin, path within the root's).
fn under(root: &Url, id: &Url) -> bool {
    id.origin() == root.origin() && id.path().starts_with(root.path())
}

/// Whether the profile says `<webid> solid:oidcIssuer <issuer>` (with or without a trailing `/`).
fn names_issuer(body: &[u8], base: &str, webid: &Url, issuer: &str) -> Result<bool, String> {
    let text = std::str::from_utf8(body).map_err(|_| "it is not UTF-8".to_owned())?;
    check_depth(text, Syntax::Turtle, MAX_DEPTH).map_err(|e| e.to_string())?;
    let base =
        sophia_iri::resolve::BaseIriRef::new(Box::<str>::from(base)).map_err(|e| e.to_string())?;
    let graph: Vec<[sophia_api::term::SimpleTerm<'static>; 3]> =
        op_protocol::bounded::guarded(|| {
            TurtleParser::new()
                .with_base(Some(base))
                .parse_str(text)
                .collect_triples()
        })?
        .map_err(|e| e.to_string())?;
    let wanted = |t: &sophia_api::term::SimpleTerm<'static>| {
        t.iri()
            .is_some_and(|i| i.as_str().trim_end_matches('/') == issuer.trim_end_matches('/'))
    };
    Ok(graph.iter().any(|[s, p, o]| {
        s.iri().is_some_and(|i| i.as_str() == webid.as_str())
            && p.iri().is_some_and(|i| i.as_str() == solid::OIDC_ISSUER)
            && wanted(o)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HUB: &str = "https://hub.example";

    fn profile(issuer: &str) -> String {
        format!(
            "<#me> a <http://xmlns.com/foaf/0.1/Person>;\n  <{}> <{issuer}>.\n",
            solid::OIDC_ISSUER
        )
    }

    #[test]
    fn a_profile_naming_this_hub_passes() {
        let webid = Url::parse("https://pod.example/alice/profile/card#me").unwrap();
        let doc = "https://pod.example/alice/profile/card";
        assert!(
            names_issuer(profile("https://hub.example/").as_bytes(), doc, &webid, HUB).unwrap()
        );
        assert!(
            !names_issuer(profile("https://evil.example").as_bytes(), doc, &webid, HUB).unwrap()
        );
    }

    #[test]
    fn another_subject_naming_this_hub_does_not_count() {
        let webid = Url::parse("https://pod.example/alice/profile/card#me").unwrap();
        let doc = "https://pod.example/alice/profile/card";
        let other = format!("<#other> <{}> <{HUB}>.", solid::OIDC_ISSUER);
        assert!(!names_issuer(other.as_bytes(), doc, &webid, HUB).unwrap());
    }

    #[test]
    fn deeply_nested_profiles_are_refused_before_parsing() {
        let webid = Url::parse("https://pod.example/card#me").unwrap();
        let deep = format!("<#me> <p> {}{}.", "[ <p> ".repeat(5000), "]".repeat(5000));
        let err = names_issuer(deep.as_bytes(), "https://pod.example/card", &webid, HUB);
        assert!(err.unwrap_err().contains("nests deeper"));
    }

    #[test]
    fn a_webid_must_lie_under_the_pod_root() {
        let root = Url::parse("https://pod.example/alice/").unwrap();
        let ok = Url::parse("https://pod.example/alice/profile/card#me").unwrap();
        assert!(under(&root, &ok));
        for other in [
            "https://pod.example/bob/profile/card#me",
            "https://evil.example/alice/profile/card#me",
            "http://pod.example/alice/profile/card#me",
            "https://pod.example/alicex/card#me",
        ] {
            assert!(!under(&root, &Url::parse(other).unwrap()), "{other}");
        }
    }
}
