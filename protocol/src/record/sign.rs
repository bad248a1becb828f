//! Signing records and status lists as a platform: the signer's issuer is its key's controller.

use serde_json::Value;

use super::RecordError;
use super::model::Credential;
use crate::clock::Clock;
use crate::datetime::DateTime;
use crate::iri::AbsoluteIri;
use crate::proof::{DidKey, KeyPair, ProofOptions, VerificationMethodId, add_proof};

/// A platform's signing identity: a key, the issuer it signs as, and the method naming the key.
#[derive(Debug, Clone)]
pub struct Signer {
    key: KeyPair,
    issuer: AbsoluteIri,
    method: VerificationMethodId,
}

impl Signer {
    /// Signs as the key's own `did:key`, which any verifier resolves offline.
    pub fn did_key(key: KeyPair) -> Self {
        let did = DidKey::new(key.public());
        Signer {
            issuer: AbsoluteIri::parse("issuer", &did.did())
                .unwrap_or_else(|_| unreachable!("a did:key is an absolute IRI")),
            method: did.verification_method(),
            key,
        }
    }

    /// Signs as `issuer` with the key its controller document lists as `method`.
    pub fn new(key: KeyPair, issuer: AbsoluteIri, method: VerificationMethodId) -> Self {
        Signer {
            key,
            issuer,
            method,
        }
    }

    /// The issuer records are signed as.
    pub fn issuer(&self) -> &str {
        self.issuer.as_str()
    }

    /// The verification method proofs name.
    pub fn method(&self) -> &VerificationMethodId {
        &self.method
    }

    /// Signs an unsigned record: sets `issuer` (refusing a different one already there), sets
    /// `validFrom` to now if absent, and adds the proof.
    pub fn sign(&self, record: &Credential, clock: &Clock) -> Result<Value, RecordError> {
        if record.proof.is_some() {
            return Err(RecordError::AlreadySigned);
        }
        let now = DateTime::from_unix_millis(clock.now_millis());
        let mut record = record.clone();
        match &record.issuer {
            Some(existing) if existing != self.issuer.as_str() => {
                return Err(RecordError::IssuerMismatch {
                    issuer: existing.clone(),
                    controller: self.issuer.to_string(),
                });
            }
            _ => record.issuer = Some(self.issuer.to_string()),
        }
        if record.valid_from.is_none() {
            record.valid_from = Some(now.as_str().to_owned());
        }
        let options = ProofOptions::new(self.method.clone(), now);
        Ok(add_proof(&record.to_json(), &options, &self.key)?)
    }

    /// Signs a status list credential (from [`crate::status::status_list_credential`]).
    pub fn sign_status_list(
        &self,
        credential: &Value,
        clock: &Clock,
    ) -> Result<Value, RecordError> {
        let now = DateTime::from_unix_millis(clock.now_millis());
        let mut credential = credential.clone();
        let object = credential.as_object_mut().ok_or_else(|| {
            RecordError::NotARecord("a status list credential is a JSON object".into())
        })?;
        object.remove("proof");
        object.insert("issuer".into(), self.issuer.as_str().into());
        object.insert("validFrom".into(), now.as_str().into());
        let options = ProofOptions::new(self.method.clone(), now);
        Ok(add_proof(&credential, &options, &self.key)?)
    }
}
