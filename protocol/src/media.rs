//! Media types of the RDF syntaxes the pod speaks, and of N3 Patch.

use std::fmt;

/// `text/n3`: the media type of a Solid N3 Patch.
pub const N3: &str = "text/n3";

/// SPARQL Update, the other patch format the pod takes (the subset Solid clients send).
pub const SPARQL_UPDATE: &str = "application/sparql-update";

/// What a pod's `Accept-Patch` header lists.
pub const ACCEPT_PATCH: &str = "text/n3, application/sparql-update";

/// An RDF syntax the pod can parse and serialise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RdfFormat {
    /// `text/turtle`.
    Turtle,
    /// `application/n-triples`.
    NTriples,
    /// `application/ld+json`.
    JsonLd,
    /// `application/trig`: Turtle with named graphs.
    TriG,
    /// `application/n-quads`: N-Triples with named graphs.
    NQuads,
}

impl RdfFormat {
    /// Every format, in the server's order of preference when a client accepts several equally.
    pub const ALL: [RdfFormat; 5] = [
        RdfFormat::Turtle,
        RdfFormat::JsonLd,
        RdfFormat::NTriples,
        RdfFormat::TriG,
        RdfFormat::NQuads,
    ];

    /// The formats that can carry named graphs.
    pub fn has_named_graphs(self) -> bool {
        matches!(
            self,
            RdfFormat::JsonLd | RdfFormat::TriG | RdfFormat::NQuads
        )
    }

    /// The canonical media type.
    pub fn media_type(self) -> &'static str {
        match self {
            RdfFormat::Turtle => "text/turtle",
            RdfFormat::NTriples => "application/n-triples",
            RdfFormat::JsonLd => "application/ld+json",
            RdfFormat::TriG => "application/trig",
            RdfFormat::NQuads => "application/n-quads",
        }
    }

    /// Recognises a media type (parameters and case ignored), including common aliases.
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        let essence = essence(media_type);
        Some(match essence.as_str() {
            "text/turtle" | "application/x-turtle" => RdfFormat::Turtle,
            "application/n-triples" | "text/plain+ntriples" => RdfFormat::NTriples,
            "application/ld+json" => RdfFormat::JsonLd,
            "application/trig" | "application/x-trig" => RdfFormat::TriG,
            "application/n-quads" | "text/x-nquads" => RdfFormat::NQuads,
            _ => return None,
        })
    }

    /// The `Accept-Post` / `Accept-Put` list: every RDF media type the pod takes.
    pub fn accept_list() -> String {
        Self::ALL.map(RdfFormat::media_type).join(", ")
    }
}

impl fmt::Display for RdfFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.media_type())
    }
}

/// The lower-cased `type/subtype` of a media type, without parameters.
pub fn essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_are_recognised_without_parameters_or_case() {
        assert_eq!(
            RdfFormat::from_media_type("Text/Turtle; charset=utf-8"),
            Some(RdfFormat::Turtle)
        );
        assert_eq!(
            RdfFormat::from_media_type("application/ld+json;profile=x"),
            Some(RdfFormat::JsonLd)
        );
        assert_eq!(RdfFormat::from_media_type("image/png"), None);
        for f in RdfFormat::ALL {
            assert_eq!(RdfFormat::from_media_type(f.media_type()), Some(f));
        }
    }
}
