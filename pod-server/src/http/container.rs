//! Container representations, generated from the listing and streamed page by page, so a
//! container with hundreds of thousands of children is never held in memory whole.

use actix_web::web::Bytes;
use futures_util::Stream;
use op_protocol::clock::rfc3339;
use op_protocol::media::RdfFormat;
use op_protocol::path::{PodName, ResourcePath, encode_segment};
use op_protocol::vocab::{RDF_TYPE, dcterms, ldp, pim, xsd};

use crate::pod::model::Meta;
use crate::pod::ops;
use crate::store::Store;

/// Children fetched per page.
const PAGE: usize = 1000;

/// The formats a container can be written in; Turtle and N-Triples are also valid TriG and N-Quads.
pub const FORMATS: [RdfFormat; 5] = RdfFormat::ALL;

struct Listing {
    store: Store,
    pod: PodName,
    path: ResourcePath,
    url: String,
    format: RdfFormat,
    after: Option<String>,
    stage: Stage,
    first_child: bool,
}

enum Stage {
    Head(String),
    Children,
    Done,
}

/// Streams the representation of the container at `path` (whose absolute URL is `url`):
/// `description` is the container's own description already in `format` (for JSON-LD, node
/// objects without the enclosing brackets), then the generated types, time and listing.
pub fn stream(
    store: Store,
    pod: PodName,
    path: ResourcePath,
    url: String,
    meta: &Meta,
    format: RdfFormat,
    description: String,
) -> impl Stream<Item = Result<Bytes, actix_web::Error>> + 'static {
    let head = head(&url, meta, path.is_root(), format, &description);
    let listing = Listing {
        store,
        pod,
        path,
        url,
        format,
        after: None,
        stage: Stage::Head(head),
        first_child: true,
    };
    futures_util::stream::unfold(listing, |mut l| async move {
        match std::mem::replace(&mut l.stage, Stage::Children) {
            Stage::Head(text) => Some((Ok(Bytes::from(text)), l)),
            Stage::Children => {
                let page = match ops::children(&l.store, &l.pod, &l.path, l.after.as_deref(), PAGE)
                {
                    Ok(page) => page,
                    Err(e) => {
                        tracing::error!(error = %e, "container listing failed mid-stream");
                        l.stage = Stage::Done;
                        return Some((
                            Err(actix_web::error::ErrorInternalServerError("listing failed")),
                            l,
                        ));
                    }
                };
                let last = page.len() < PAGE;
                let mut out = String::new();
                for name in &page {
                    write_child(&mut out, &l.url, name, l.format, l.first_child);
                    l.first_child = false;
                }
                l.after = page.last().cloned();
                if last {
                    out.push_str(tail(l.format));
                    l.stage = Stage::Done;
                }
                Some((Ok(Bytes::from(out)), l))
            }
            Stage::Done => None,
        }
    })
}

fn types(is_root: bool) -> Vec<&'static str> {
    let mut t = vec![ldp::CONTAINER, ldp::BASIC_CONTAINER, ldp::RESOURCE];
    if is_root {
        t.push(pim::STORAGE);
    }
    t
}

fn head(url: &str, meta: &Meta, is_root: bool, format: RdfFormat, description: &str) -> String {
    let modified = rfc3339(meta.modified);
    match format {
        RdfFormat::Turtle | RdfFormat::TriG => {
            let types: Vec<String> = types(is_root).iter().map(|t| format!("<{t}>")).collect();
            format!(
                "<> a {};\n    <{}> \"{modified}\"^^<{}> .\n{description}",
                types.join(", "),
                dcterms::MODIFIED,
                xsd::DATE_TIME
            )
        }
        RdfFormat::NTriples | RdfFormat::NQuads => {
            let mut out = String::new();
            for t in types(is_root) {
                out.push_str(&format!("<{url}> <{RDF_TYPE}> <{t}> .\n"));
            }
            out.push_str(&format!(
                "<{url}> <{}> \"{modified}\"^^<{}> .\n",
                dcterms::MODIFIED,
                xsd::DATE_TIME
            ));
            out.push_str(description);
            out
        }
        RdfFormat::JsonLd => {
            let doc = serde_json::json!({
                "@id": url,
                "@type": types(is_root),
                dcterms::MODIFIED: [{"@value": modified, "@type": xsd::DATE_TIME}],
            });
            let text = doc.to_string();
            // The description's node objects first; then re-open the container's object to
            // append the streamed containment list.
            let described = if description.is_empty() {
                String::new()
            } else {
                format!("{description},")
            };
            format!(
                "[{described}{},\"{}\":[",
                &text[..text.len() - 1],
                ldp::CONTAINS
            )
        }
    }
}

fn write_child(out: &mut String, url: &str, name: &str, format: RdfFormat, first: bool) {
    let (segment, slash) = match name.strip_suffix('/') {
        Some(s) => (s, "/"),
        None => (name, ""),
    };
    let relative = format!("{}{slash}", encode_segment(segment));
    match format {
        RdfFormat::Turtle | RdfFormat::TriG => {
            out.push_str(&format!("<> <{}> <{relative}> .\n", ldp::CONTAINS));
        }
        RdfFormat::NTriples | RdfFormat::NQuads => {
            out.push_str(&format!(
                "<{url}> <{}> <{url}{relative}> .\n",
                ldp::CONTAINS
            ));
        }
        RdfFormat::JsonLd => {
            if !first {
                out.push(',');
            }
            out.push_str(&serde_json::json!({"@id": format!("{url}{relative}")}).to_string());
        }
    }
}

fn tail(format: RdfFormat) -> &'static str {
    match format {
        RdfFormat::JsonLd => "]}]",
        _ => "",
    }
}
