//! `did:key` for Ed25519: an identifier that is its own public key, resolvable offline.

use std::fmt;

use super::ProofError;
use super::controller::{ControllerDocument, ResolvedMethod, VerificationMethodId};
use super::multikey::Multikey;

/// A `did:key:z6Mk…` identifier of an Ed25519 key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DidKey(Multikey);

impl DidKey {
    /// The `did:key` of `key`.
    pub fn new(key: Multikey) -> Self {
        DidKey(key)
    }

    /// Parses `did:key:z6Mk…`.
    pub fn parse(did: &str) -> Result<Self, ProofError> {
        let multibase = did.strip_prefix("did:key:").ok_or_else(|| {
            ProofError::InvalidVerificationMethod(format!("`{did}` is not a did:key"))
        })?;
        Ok(DidKey(Multikey::from_multibase(multibase)?))
    }

    /// The DID: `did:key:z6Mk…`.
    pub fn did(&self) -> String {
        format!("did:key:{}", self.0.to_multibase())
    }

    /// Its one verification method: `did:key:z6Mk…#z6Mk…`.
    pub fn verification_method(&self) -> VerificationMethodId {
        let mb = self.0.to_multibase();
        VerificationMethodId::parse(&format!("did:key:{mb}#{mb}"))
            .unwrap_or_else(|_| unreachable!("a did:key method id is always well formed"))
    }

    /// The key.
    pub fn key(&self) -> Multikey {
        self.0
    }

    /// The DID document, as `did:key` resolution produces it.
    pub fn controller_document(&self) -> ControllerDocument {
        ControllerDocument::with_assertion_key(&self.did(), &self.0.to_multibase(), &self.0)
    }

    /// Resolves a `did:key` method id: the fragment must be the key itself.
    pub fn resolve(id: &VerificationMethodId) -> Result<ResolvedMethod, ProofError> {
        let did = DidKey::parse(id.document())?;
        if did.verification_method() != *id {
            return Err(ProofError::UnresolvedVerificationMethod(format!(
                "`{id}`: a did:key has one method, `{}`",
                did.verification_method()
            )));
        }
        Ok(ResolvedMethod {
            id: id.clone(),
            controller: did.did(),
            key: did.0,
            assertion_method: true,
        })
    }
}

impl fmt::Debug for DidKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DidKey({})", self.did())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VM: &str = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";

    #[test]
    fn did_key_methods_resolve_to_their_key_and_did() {
        let id = VerificationMethodId::parse(VM).unwrap();
        let resolved = DidKey::resolve(&id).unwrap();
        assert_eq!(
            resolved.controller,
            "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
        );
        assert_eq!(DidKey::new(resolved.key).verification_method(), id);
    }

    #[test]
    fn a_did_key_with_a_foreign_fragment_does_not_resolve() {
        let id = VerificationMethodId::parse(
            "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MktgKTsu1QhX6QPbyqG6geXdw6FQCZBPq7uQpieWbiQiG7",
        )
        .unwrap();
        assert!(DidKey::resolve(&id).is_err());
    }
}
