//! JSON-LD to RDF with the pinned contexts only, and RDFC-1.0 canonical N-Quads.
//!
//! Expansion runs with `Policy::Strictest` and no base IRI, so a key the contexts do not define is
//! an error. JSON-LD still turns an undefined `type` or a relative `id` into an IRI relative to the
//! document, so every IRI of the result is checked to be absolute and outside the sentinel base
//! and the VC "issuer-dependent" namespace: a term the contexts do not define is refused, never
//! silently dropped or given a meaning the issuer did not publish.

use std::collections::{BTreeMap, HashSet};

use sha2::{Digest, Sha256};
use sophia_api::quad::{Quad as _, Spog};
use sophia_api::source::QuadSource;
use sophia_api::term::SimpleTerm;
use sophia_jsonld::options::Policy;
use sophia_jsonld::{JsonLdOptions, JsonLdParser};

use super::ProofError;

/// One RDF statement, owned; the graph name is `None` for the default graph.
pub type Quad = Spog<SimpleTerm<'static>>;

/// The base sophia_jsonld falls back to when none is given; any IRI under it came from a
/// relative reference and means the document used something its contexts do not define.
const SENTINEL_BASE: &str = "x-string:";

/// VC 2.0's catch-all namespace for undefined terms (`@vocab` in some context versions).
const ISSUER_DEPENDENT: &str = "https://www.w3.org/ns/credentials/issuer-dependent#";

/// RDFC-1.0 canonical N-Quads: sorted lines, canonical blank node labels, each ending in `\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalNQuads(String);

impl CanonicalNQuads {
    /// The N-Quads text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// SHA-256 of the UTF-8 text.
    pub fn sha256(&self) -> [u8; 32] {
        Sha256::digest(self.0.as_bytes()).into()
    }
}

/// Expands `document` with the pinned contexts into an RDF dataset (duplicates merged).
///
/// The direct conversion ([`super::direct`]) runs first and gives the same dataset for the
/// documents it handles; anything else goes through the general JSON-LD processor
/// ([`to_rdf_general`]). Either way every IRI is checked as below.
pub fn to_rdf(document: &serde_json::Value) -> Result<HashSet<Quad>, ProofError> {
    let Some(quads) = super::direct::to_rdf(document) else {
        return to_rdf_general(document);
    };
    check_terms(&quads)?;
    Ok(quads)
}

/// [`to_rdf`] through the general JSON-LD processor only (sophia_jsonld over `json-ld`), with
/// the strictest expansion policy: what the direct conversion must agree with.
pub fn to_rdf_general(document: &serde_json::Value) -> Result<HashSet<Quad>, ProofError> {
    let text = document.to_string();
    // serde_json stops at 128 levels, but sophia's expansion recurses further per level.
    crate::bounded::check_depth(
        &text,
        crate::bounded::Syntax::Json,
        crate::bounded::MAX_DEPTH,
    )
    .map_err(|e| ProofError::InvalidDocument(e.to_string()))?;
    let options = JsonLdOptions::new()
        .with_no_base()
        .with_expansion_policy(Policy::Strictest)
        .with_document_loader_closure(crate::contexts::loader);
    let parser = JsonLdParser::new_with_options(options);
    let source = crate::contexts::complete(parser.async_parse_str(&text)).ok_or_else(|| {
        ProofError::Expansion("JSON-LD expansion waited on I/O, which records never need".into())
    })?;
    let quads: HashSet<Quad> = source
        .collect_quads()
        .map_err(|e| ProofError::Expansion(e.to_string()))?;
    check_terms(&quads)?;
    Ok(quads)
}

fn check_terms(quads: &HashSet<Quad>) -> Result<(), ProofError> {
    for quad in quads {
        let (spo, g) = quad.spog();
        for term in spo.iter().chain(g.iter()) {
            check_term(term)?;
        }
    }
    Ok(())
}

/// The hash function RDFC-1.0 runs with. Records are signed with SHA-256 (`eddsa-rdfc-2022`);
/// SHA-384 is the other one the specification defines, kept so the whole W3C suite runs through
/// this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CanonHash {
    /// SHA-256, the hash of `eddsa-rdfc-2022`.
    Sha256,
    /// SHA-384.
    Sha384,
}

/// RDFC-1.0 (SHA-256) of a dataset: what records are signed over.
pub fn canonicalize_quads(quads: &HashSet<Quad>) -> Result<CanonicalNQuads, ProofError> {
    canonicalize_quads_with(quads, CanonHash::Sha256)
}

/// RDFC-1.0 of a dataset with `hash`. A dataset whose blank nodes would take too long to label
/// (the specification's "poison" graphs) is refused.
pub fn canonicalize_quads_with(
    quads: &HashSet<Quad>,
    hash: CanonHash,
) -> Result<CanonicalNQuads, ProofError> {
    let mut out = Vec::new();
    match hash {
        CanonHash::Sha256 => sophia_c14n::rdfc10::normalize(quads, &mut out),
        CanonHash::Sha384 => sophia_c14n::rdfc10::normalize_sha384(quads, &mut out),
    }
    .map_err(|e| ProofError::Canonicalization(e.to_string()))?;
    String::from_utf8(out)
        .map(CanonicalNQuads)
        .map_err(|e| ProofError::Canonicalization(e.to_string()))
}

/// The canonical blank node labels RDFC-1.0 issues with `hash`: each input label (as parsed) to
/// its canonical label (`c14n0`, `c14n1`, ...).
pub fn canonical_labels(
    quads: &HashSet<Quad>,
    hash: CanonHash,
) -> Result<BTreeMap<String, String>, ProofError> {
    let (_, map) = match hash {
        CanonHash::Sha256 => sophia_c14n::rdfc10::relabel(quads),
        CanonHash::Sha384 => sophia_c14n::rdfc10::relabel_sha384(quads),
    }
    .map_err(|e| ProofError::Canonicalization(e.to_string()))?;
    Ok(map
        .iter()
        .map(|(k, v)| (k.to_string(), v.as_str().to_owned()))
        .collect())
}

/// Expands `document` and canonicalises the result.
pub fn canonicalize(document: &serde_json::Value) -> Result<CanonicalNQuads, ProofError> {
    canonicalize_quads(&to_rdf(document)?)
}

fn check_term(term: &SimpleTerm<'static>) -> Result<(), ProofError> {
    let iri: &str = match term {
        SimpleTerm::Iri(iri) => iri.as_str(),
        SimpleTerm::LiteralDatatype(_, datatype) => datatype.as_str(),
        _ => return Ok(()),
    };
    if let Some(relative) = iri.strip_prefix(SENTINEL_BASE) {
        let relative = relative.trim_start_matches('/');
        return Err(ProofError::UndefinedTerm(format!(
            "`{relative}` is neither defined by the contexts nor an absolute IRI"
        )));
    }
    if let Some(term) = iri.strip_prefix(ISSUER_DEPENDENT) {
        return Err(ProofError::UndefinedTerm(format!(
            "`{term}` is not defined by the contexts (it fell into the issuer-dependent vocabulary)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(extra: serde_json::Value) -> serde_json::Value {
        let mut d = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
            "type": ["VerifiableCredential"],
            "issuer": "https://vc.example/issuers/5678",
            "credentialSubject": {"id": "did:example:abc"}
        });
        for (k, v) in extra.as_object().unwrap() {
            d[k] = v.clone();
        }
        d
    }

    #[test]
    fn a_defined_document_canonicalises() {
        let c = canonicalize(&doc(json!({"name": "x"}))).unwrap();
        assert!(
            c.as_str().contains("<https://schema.org/name> \"x\" ."),
            "{}",
            c.as_str()
        );
        assert!(c.as_str().ends_with(".\n"));
    }

    #[test]
    fn a_deeply_nested_document_is_refused_before_expansion() {
        let mut deep = json!("x");
        for _ in 0..100 {
            deep = json!([deep]);
        }
        let err = to_rdf(&doc(json!({ "name": deep }))).unwrap_err();
        assert!(
            matches!(&err, ProofError::InvalidDocument(m) if m.contains("nests deeper")),
            "{err}"
        );
    }

    #[test]
    fn an_undefined_property_is_an_error() {
        let err = canonicalize(&doc(json!({"alumniOf": "x"}))).unwrap_err();
        assert!(matches!(err, ProofError::Expansion(_)), "{err:?}");
    }

    #[test]
    fn an_undefined_type_is_an_error() {
        let err = canonicalize(&doc(
            json!({"type": ["VerifiableCredential", "AlumniCredential"]}),
        ))
        .unwrap_err();
        assert!(
            matches!(err, ProofError::UndefinedTerm(ref m) if m.contains("AlumniCredential")),
            "{err:?}"
        );
    }

    #[test]
    fn a_relative_id_is_an_error() {
        let err = canonicalize(&doc(json!({"id": "record-1"}))).unwrap_err();
        assert!(matches!(err, ProofError::UndefinedTerm(_)), "{err:?}");
    }

    #[test]
    fn an_unpinned_context_is_never_fetched() {
        let mut d = doc(json!({}));
        d["@context"] = json!([
            "https://www.w3.org/ns/credentials/v2",
            "https://schema.org/"
        ]);
        let err = canonicalize(&d).unwrap_err();
        assert!(
            matches!(err, ProofError::Expansion(ref m) if m.contains("not pinned")),
            "{err:?}"
        );
    }
}
