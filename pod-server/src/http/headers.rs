//! Request header parsing (Accept, conditions, Link, Authorization) and response header building.

use actix_web::HttpRequest;
use actix_web::http::header;
use op_protocol::media::RdfFormat;
use op_protocol::vocab::{ldp, pim};

use super::error::HttpError;
use crate::auth::token::{Presented, TokenError};
use crate::pod::conditions::{Conditions, EtagList};
use crate::pod::model::{Kind, Meta};

/// `Allow` on documents.
pub const ALLOW_DOCUMENT: &str = "OPTIONS, HEAD, GET, PUT, PATCH, DELETE";
/// `Allow` on containers.
pub const ALLOW_CONTAINER: &str = "OPTIONS, HEAD, GET, POST, PUT, DELETE";
/// `Allow` on the storage root, which cannot be deleted.
pub const ALLOW_ROOT: &str = "OPTIONS, HEAD, GET, POST, PUT";

/// Headers a browser app may read (CORS).
const EXPOSE: &str = "Accept-Patch, Accept-Post, Accept-Put, Allow, Content-Disposition, Content-Type, ETag, Last-Modified, Link, Location, Vary, WAC-Allow, WWW-Authenticate";

/// Picks the best of `candidates` (media types, in server preference order) for an `Accept`
/// header; `None` when nothing is acceptable. A missing or empty header accepts the first.
pub fn negotiate(accept: Option<&str>, candidates: &[&str]) -> Option<usize> {
    let accept = match accept.map(str::trim) {
        None | Some("") => return Some(0),
        Some(a) => a,
    };
    let ranges: Vec<(String, f32)> = accept
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.split(';');
            let range = pieces.next()?.trim().to_ascii_lowercase();
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            Some((range, q))
        })
        .collect();
    let quality = |media: &str| -> f32 {
        let (ty, _) = media.split_once('/').unwrap_or((media, ""));
        let mut best: Option<(u8, f32)> = None;
        for (range, q) in &ranges {
            let specificity = if range == media {
                3
            } else if range.strip_suffix("/*") == Some(ty) {
                2
            } else if range == "*/*" {
                1
            } else {
                continue;
            };
            if best.is_none_or(|(s, _)| specificity > s) {
                best = Some((specificity, *q));
            }
        }
        best.map_or(0.0, |(_, q)| q)
    };
    let mut chosen: Option<(usize, f32)> = None;
    for (i, c) in candidates.iter().enumerate() {
        let q = quality(c);
        if q > 0.0 && chosen.is_none_or(|(_, best)| q > best) {
            chosen = Some((i, q));
        }
    }
    chosen.map(|(i, _)| i)
}

/// Plain JSON, which a JSON-LD document also is: offered last, for clients that ask for JSON.
pub const JSON: &str = "application/json";

/// The candidate media types for an RDF document stored as `stored`: itself first, then the
/// other RDF syntaxes, then plain JSON (served as JSON-LD).
pub fn rdf_candidates(stored: &str) -> Vec<&str> {
    let mut out = vec![stored];
    out.extend(
        RdfFormat::ALL
            .iter()
            .map(|f| f.media_type())
            .filter(|m| *m != stored),
    );
    out.push(JSON);
    out
}

/// The RDF syntax a candidate of [`rdf_candidates`] is written in.
pub fn rdf_format(candidate: &str) -> Option<RdfFormat> {
    if candidate == JSON {
        return Some(RdfFormat::JsonLd);
    }
    RdfFormat::from_media_type(candidate)
}

/// How entity tags compare (RFC 9110 §8.8.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    /// `If-Match`: a weak tag matches nothing, since our tags are strong.
    Strong,
    /// `If-None-Match`: `W/"x"` matches `"x"`.
    Weak,
}

fn etag_list(value: &str, comparison: Comparison) -> EtagList {
    if value.trim() == "*" {
        return EtagList::Any;
    }
    EtagList::Tags(
        value
            .split(',')
            .filter_map(|t| {
                let t = t.trim();
                match (t.strip_prefix("W/"), comparison) {
                    (Some(_), Comparison::Strong) => None,
                    (Some(weak), Comparison::Weak) => Some(weak),
                    (None, _) => Some(t),
                }
            })
            .map(|t| t.trim_matches('"').to_owned())
            .filter(|t| !t.is_empty())
            .collect(),
    )
}

/// `If-Match` and `If-None-Match`.
pub fn conditions(req: &HttpRequest) -> Conditions {
    let get = |name: header::HeaderName, comparison| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| etag_list(v, comparison))
    };
    Conditions {
        if_match: get(header::IF_MATCH, Comparison::Strong),
        if_none_match: get(header::IF_NONE_MATCH, Comparison::Weak),
        ..Conditions::default()
    }
}

/// Whether a `Link` header declares `rel="type"` with `type_iri`.
pub fn has_link_type(req: &HttpRequest, type_iri: &str) -> bool {
    req.headers()
        .get_all(header::LINK)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|link| {
            link.contains(&format!("<{type_iri}>"))
                && link.split(';').any(|p| {
                    matches!(
                        p.trim().replace(' ', "").as_str(),
                        "rel=\"type\"" | "rel=type"
                    )
                })
        })
}

/// The media type of the request body, lower-cased without parameters.
pub fn content_type(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(op_protocol::media::essence)
        .filter(|m| !m.is_empty())
}

/// The access token and how it was presented, if any; refuses tokens in the query string and
/// unknown schemes.
pub fn presented_token(req: &HttpRequest) -> Result<Option<Presented>, HttpError> {
    let invalid = |m: &str| HttpError::InvalidToken(TokenError::Invalid(m.to_owned()));
    if req
        .query_string()
        .split('&')
        .any(|p| p.starts_with("access_token="))
    {
        return Err(invalid(
            "tokens in URLs are refused (they leak into logs); send them in the Authorization header",
        ));
    }
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or("");
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    let token = token.trim().to_owned();
    if token.is_empty() {
        return Err(invalid(
            "the Authorization header must be 'Bearer <token>' or 'DPoP <token>'",
        ));
    }
    let proof = req
        .headers()
        .get("DPoP")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    match scheme.to_ascii_lowercase().as_str() {
        "bearer" => Ok(Some(Presented { token, proof: None })),
        "dpop" => match proof {
            Some(proof) => Ok(Some(Presented {
                token,
                proof: Some(proof),
            })),
            None => Err(invalid("the DPoP scheme needs a DPoP proof header")),
        },
        _ => Err(invalid(
            "the Authorization header must be 'Bearer <token>' or 'DPoP <token>'",
        )),
    }
}

/// The `Link` header value with the resource's types.
pub fn link_types(meta: &Meta, is_root: bool) -> String {
    let mut types = vec![ldp::RESOURCE];
    match meta.kind {
        Kind::Container => types.extend([ldp::CONTAINER, ldp::BASIC_CONTAINER]),
        Kind::Rdf => types.push(ldp::RDF_SOURCE),
        Kind::NonRdf => types.push(ldp::NON_RDF_SOURCE),
    }
    if is_root {
        types.push(pim::STORAGE);
    }
    types
        .iter()
        .map(|t| format!("<{t}>; rel=\"type\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Media types a browser would run script in, or render as a page, if opened directly.
const ACTIVE_TYPES: &[&str] = &[
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/xml",
    "application/xml",
    "text/javascript",
    "application/javascript",
    "application/ecmascript",
    "text/ecmascript",
    "application/wasm",
    "text/xsl",
    "application/pdf",
];

/// Makes a stored body inert in the pod's origin: whatever an owner or platform uploaded, a
/// browser neither sniffs it into something else nor runs script from it with the pod's
/// origin, and active types download instead of rendering.
pub fn inert(media_type: &str, res: &mut actix_web::HttpResponseBuilder) {
    res.insert_header((
        header::CONTENT_SECURITY_POLICY,
        "sandbox; default-src 'none'",
    ))
    .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    let essence = op_protocol::media::essence(media_type);
    if ACTIVE_TYPES.contains(&essence.as_str()) || essence.ends_with("+xml") {
        res.insert_header((header::CONTENT_DISPOSITION, "attachment"));
    }
}

/// Adds CORS headers when the request comes from a browser origin.
pub fn cors(req: &HttpRequest, res: &mut actix_web::HttpResponseBuilder) {
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        res.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone()));
        res.insert_header((header::ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSE));
    }
}

/// Adds the CORS preflight answer to an OPTIONS response.
pub fn cors_preflight(req: &HttpRequest, res: &mut actix_web::HttpResponseBuilder, allow: &str) {
    if req.headers().contains_key(header::ORIGIN) {
        res.insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, allow));
        if let Some(h) = req.headers().get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
            res.insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, h.clone()));
        }
        res.insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_follows_quality_then_server_order() {
        let c = [
            "text/turtle",
            "application/ld+json",
            "application/n-triples",
        ];
        assert_eq!(negotiate(None, &c), Some(0));
        assert_eq!(negotiate(Some("application/ld+json"), &c), Some(1));
        assert_eq!(
            negotiate(Some("text/turtle;q=0.5, application/n-triples"), &c),
            Some(2)
        );
        assert_eq!(negotiate(Some("*/*"), &c), Some(0));
        assert_eq!(negotiate(Some("application/*"), &c), Some(1));
        assert_eq!(negotiate(Some("image/png"), &c), None);
        assert_eq!(negotiate(Some("text/turtle;q=0, */*;q=0.1"), &c), Some(1));
    }

    #[test]
    fn etag_lists_parse_quotes_weak_tags_and_stars() {
        assert_eq!(etag_list("*", Comparison::Weak), EtagList::Any);
        assert_eq!(
            etag_list("\"a\", W/\"b\"", Comparison::Weak),
            EtagList::Tags(vec!["a".into(), "b".into()])
        );
    }

    #[test]
    fn if_match_compares_strongly_so_weak_tags_never_match() {
        assert_eq!(
            etag_list("W/\"a\", \"b\"", Comparison::Strong),
            EtagList::Tags(vec!["b".into()])
        );
        assert_eq!(
            etag_list("W/\"a\"", Comparison::Strong),
            EtagList::Tags(vec![])
        );
    }
}
