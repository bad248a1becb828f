//! Verification methods and the controller documents that list them, resolved without I/O.
//!
//! A proof names a verification method; resolving it yields the key and its controller, and a
//! record is only valid when that controller is the record's `issuer`. `did:key` resolves from the
//! identifier itself; any other controller (a platform's document served by the hub, a `did:web`)
//! is handed to [`Controllers`] by the caller, who fetched and cached it.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ProofError;
use super::did_key::DidKey;
use super::multikey::Multikey;

/// The id of a verification method: an absolute IRI with a fragment (`did:key:z6Mk…#z6Mk…`,
/// `https://platform.example/issuer#key-1`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VerificationMethodId(String);

impl VerificationMethodId {
    /// Parses a verification method id.
    pub fn parse(text: &str) -> Result<Self, ProofError> {
        let bad =
            |reason: &str| ProofError::InvalidVerificationMethod(format!("`{text}`: {reason}"));
        let scheme_end = text.find(':').ok_or_else(|| bad("not an absolute IRI"))?;
        let scheme = &text[..scheme_end];
        let scheme_ok = scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !scheme_ok {
            return Err(bad("not an absolute IRI"));
        }
        if text.chars().any(|c| {
            c.is_whitespace() || matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`')
        }) {
            return Err(bad("contains characters not allowed in an IRI"));
        }
        match text.split_once('#') {
            Some((doc, fragment))
                if !doc.is_empty() && !fragment.is_empty() && !fragment.contains('#') =>
            {
                Ok(VerificationMethodId(text.to_owned()))
            }
            _ => Err(bad("needs exactly one non-empty #fragment naming the key")),
        }
    }

    /// The IRI.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The IRI without its fragment: the document that defines this method.
    pub fn document(&self) -> &str {
        self.0.split_once('#').map_or(self.0.as_str(), |(d, _)| d)
    }
}

impl fmt::Display for VerificationMethodId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for VerificationMethodId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerificationMethodId({})", self.0)
    }
}

/// What a verification method resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedMethod {
    /// The method's id.
    pub id: VerificationMethodId,
    /// Who controls the key: the only `issuer` whose records this key may sign.
    pub controller: String,
    /// The public key.
    pub key: Multikey,
    /// Whether the controller lists the method under `assertionMethod`, i.e. allows it to issue credentials.
    pub assertion_method: bool,
}

/// Resolves verification methods to keys; implemented over whatever the caller trusts and caches.
///
/// `Sync`, so that one resolver serves every thread of [`crate::record::Verifier::verify_all`].
pub trait MethodResolver: Sync {
    /// The key and controller of `id`, or why it cannot be resolved.
    fn resolve(&self, id: &VerificationMethodId) -> Result<ResolvedMethod, ProofError>;
}

/// One entry of `verificationMethod` in a controller document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationMethod {
    /// Its id (`…#key-1`).
    pub id: String,
    /// `Multikey`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The controller's id.
    pub controller: String,
    /// The Ed25519 public key.
    pub public_key_multibase: String,
}

/// An entry of `assertionMethod`: a reference to a listed method, or one embedded in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MethodReference {
    /// The id of a method listed under `verificationMethod`.
    Id(String),
    /// A method defined in place.
    Embedded(VerificationMethod),
}

/// A controller document (W3C Controlled Identifiers), the subset records need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ControllerDocument {
    /// JSON-LD context; not interpreted, the document is read as plain JSON.
    #[serde(rename = "@context", default, skip_serializing_if = "Option::is_none")]
    pub context: Option<serde_json::Value>,
    /// The controller's id: what records name as `issuer`.
    pub id: String,
    /// Keys the controller publishes.
    #[serde(default)]
    pub verification_method: Vec<VerificationMethod>,
    /// The keys allowed to issue credentials.
    #[serde(default)]
    pub assertion_method: Vec<MethodReference>,
}

impl ControllerDocument {
    /// A document for `controller` with one Ed25519 key allowed to issue credentials.
    pub fn with_assertion_key(controller: &str, fragment: &str, key: &Multikey) -> Self {
        let id = format!("{controller}#{fragment}");
        ControllerDocument {
            context: Some(serde_json::json!([
                "https://www.w3.org/ns/did/v1",
                "https://w3id.org/security/multikey/v1"
            ])),
            id: controller.to_owned(),
            verification_method: vec![VerificationMethod {
                id: id.clone(),
                kind: "Multikey".into(),
                controller: controller.to_owned(),
                public_key_multibase: key.to_multibase(),
            }],
            assertion_method: vec![MethodReference::Id(id)],
        }
    }

    fn resolve(&self, id: &VerificationMethodId) -> Option<Result<ResolvedMethod, ProofError>> {
        let embedded = self.assertion_method.iter().find_map(|m| match m {
            MethodReference::Embedded(vm) if vm.id == id.as_str() => Some(vm),
            _ => None,
        });
        let listed = self
            .verification_method
            .iter()
            .find(|vm| vm.id == id.as_str());
        let method = embedded.or(listed)?;
        let assertion_method = embedded.is_some()
            || self
                .assertion_method
                .iter()
                .any(|m| matches!(m, MethodReference::Id(r) if r == id.as_str()));
        Some(resolve_entry(self, method, id, assertion_method))
    }
}

fn resolve_entry(
    doc: &ControllerDocument,
    method: &VerificationMethod,
    id: &VerificationMethodId,
    assertion_method: bool,
) -> Result<ResolvedMethod, ProofError> {
    if method.kind != "Multikey" {
        return Err(ProofError::InvalidVerificationMethod(format!(
            "`{id}` has type `{}`; only Multikey is supported",
            method.kind
        )));
    }
    // A document may only speak for keys it controls: a method whose controller is someone
    // else must be resolved from that controller's own document.
    if method.controller != doc.id {
        return Err(ProofError::InvalidVerificationMethod(format!(
            "`{id}` is listed in `{}` but names `{}` as its controller",
            doc.id, method.controller
        )));
    }
    Ok(ResolvedMethod {
        id: id.clone(),
        controller: method.controller.clone(),
        key: Multikey::from_multibase(&method.public_key_multibase)?,
        assertion_method,
    })
}

/// Resolves `did:key` methods from the identifier and every other method from the controller
/// documents it was given.
#[derive(Debug, Clone, Default)]
pub struct Controllers {
    documents: Vec<ControllerDocument>,
}

impl Controllers {
    /// Only `did:key`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a controller document the caller trusts to be the controller's own (fetched over
    /// HTTPS from the controller's id, or taken from the hub's registry of platforms).
    pub fn with(mut self, document: ControllerDocument) -> Self {
        self.documents.push(document);
        self
    }
}

impl MethodResolver for Controllers {
    fn resolve(&self, id: &VerificationMethodId) -> Result<ResolvedMethod, ProofError> {
        if id.as_str().starts_with("did:key:") {
            return DidKey::resolve(id);
        }
        self.documents
            .iter()
            .filter(|d| d.id == id.document())
            .find_map(|d| d.resolve(id))
            .unwrap_or_else(|| {
                Err(ProofError::UnresolvedVerificationMethod(format!(
                    "no controller document for `{id}` was supplied"
                )))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proof::multikey::KeyPair;

    #[test]
    fn method_ids_need_a_scheme_and_one_fragment() {
        assert!(VerificationMethodId::parse("https://p.example/issuer#key-1").is_ok());
        for bad in [
            "p.example#k",
            "https://p.example/issuer",
            "https://p.example/i#",
            "https://p.example/i#a#b",
            "https://p .example/#k",
        ] {
            assert!(VerificationMethodId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn controller_documents_resolve_their_own_assertion_keys_only() {
        let key = KeyPair::from_seed(rand::random()).public();
        let doc = ControllerDocument::with_assertion_key("https://p.example/issuer", "key-1", &key);
        let controllers = Controllers::new().with(doc.clone());
        let id = VerificationMethodId::parse("https://p.example/issuer#key-1").unwrap();
        let resolved = controllers.resolve(&id).unwrap();
        assert_eq!(resolved.controller, "https://p.example/issuer");
        assert!(resolved.assertion_method);
        assert_eq!(resolved.key, key);

        let other = VerificationMethodId::parse("https://p.example/issuer#key-2").unwrap();
        assert!(controllers.resolve(&other).is_err());

        let mut foreign = doc;
        foreign.verification_method[0].controller = "https://evil.example/".into();
        let controllers = Controllers::new().with(foreign);
        assert!(controllers.resolve(&id).is_err());
    }
}
