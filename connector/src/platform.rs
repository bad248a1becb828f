//! What a platform does with a worker's export: convert it to records, sign each with its
//! registered key, and name each for its folder in the pod (the track record is `summary`).

use op_protocol::clock::Clock;
use op_protocol::datetime::DateTime;
use op_protocol::iri::AbsoluteIri;
use op_protocol::proof::{KeyPair, VerificationMethodId};
use op_protocol::record::{GigExport, Issuance, Signer, StatusAllocation, convert};
use serde_json::Value;

use crate::error::ConnectorError;
use crate::pod::Outgoing;

/// The name of a signed record in the platform's folder: `summary` for the track record (the
/// one resource a summary-only grant may read), else the record id's UUID.
pub fn resource_name(record: &Value) -> String {
    let is_summary = record["type"]
        .as_array()
        .is_some_and(|t| t.iter().any(|v| v == "TrackRecordCredential"));
    if is_summary {
        return op_protocol::routes::POD_SUMMARY.to_owned();
    }
    record["id"]
        .as_str()
        .and_then(|id| id.rsplit(':').next())
        .unwrap_or("record")
        .to_owned()
}

/// Everything needed to sign as a platform registered at a hub.
#[derive(Debug)]
pub struct Issuer {
    /// `{hub}/platforms/{client id}`.
    pub url: String,
    /// The verification method the hub lists for the key (`{url}#key-n`).
    pub method: String,
    /// The status list records point into (`{url}/status/{name}`).
    pub status_list: String,
}

/// Converts an export (Gig Data Standard JSON) for the worker `subject` (their WebID) and signs
/// every record; returns them ready to push.
pub fn prepare(
    export: &str,
    key: KeyPair,
    issuer: &Issuer,
    subject: &str,
    clock: &Clock,
) -> Result<Vec<Outgoing>, ConnectorError> {
    let invalid = |e: op_protocol::record::RecordError| ConnectorError::Record(e);
    let export = GigExport::from_json(export).map_err(invalid)?;
    let iri = |what: &'static str, v: &str| {
        AbsoluteIri::parse(what, v).map_err(|e| ConnectorError::Invalid(e.to_string()))
    };
    let now = DateTime::from_unix_millis(clock.now_millis());
    let mut issuance = Issuance::new(
        &issuer.url,
        now,
        StatusAllocation {
            list: iri("status list", &issuer.status_list)?,
            first_index: 0,
        },
    );
    issuance.subject = Some(iri("subject", subject)?);
    let method = VerificationMethodId::parse(&issuer.method)
        .map_err(|e| ConnectorError::Invalid(e.to_string()))?;
    let signer = Signer::new(key, iri("issuer", &issuer.url)?, method);
    convert(&export, &issuance)
        .map_err(invalid)?
        .iter()
        .map(|record| {
            let signed = signer.sign(record, clock).map_err(invalid)?;
            let body = serde_json::to_string_pretty(&signed)
                .map_err(|e| ConnectorError::Invalid(e.to_string()))?;
            Ok(Outgoing {
                name: resource_name(&signed),
                body,
            })
        })
        .collect()
}
