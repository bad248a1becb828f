//! What a platform does with a worker's export: convert it to records, sign each with its
//! registered key, and name each for its folder in the pod (the track record is `summary`).

use op_protocol::clock::Clock;
use op_protocol::datetime::DateTime;
use op_protocol::iri::AbsoluteIri;
use op_protocol::proof::{KeyPair, VerificationMethodId};
use op_protocol::record::gigdata::Interaction;
use op_protocol::record::{Credential, GigExport, Issuance, RecordKind, Signer, convert};
use op_protocol::status::{StatusEntry, StatusPurpose};
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
}

impl Issuer {
    /// The signer for this issuer with `key`.
    pub fn signer(&self, key: KeyPair) -> Result<Signer, ConnectorError> {
        let iri = AbsoluteIri::parse("issuer", &self.url)
            .map_err(|e| ConnectorError::Invalid(e.to_string()))?;
        let method = VerificationMethodId::parse(&self.method)
            .map_err(|e| ConnectorError::Invalid(e.to_string()))?;
        Ok(Signer::new(key, iri, method))
    }

    /// How this issuer's records for `subject` (the worker's WebID) are issued from `now` on;
    /// status entries are allocated by the hub per record, not numbered here.
    pub fn issuance(&self, subject: &str, now: DateTime) -> Result<Issuance, ConnectorError> {
        let mut issuance = Issuance::unallocated(&self.url, now);
        issuance.subject = Some(
            AbsoluteIri::parse("subject", subject)
                .map_err(|e| ConnectorError::Invalid(e.to_string()))?,
        );
        Ok(issuance)
    }
}

/// Converts an export (Gig Data Standard JSON) into unsigned records — gigs and achievements,
/// without the track record, which describes the whole folder — and the export's gigs.
pub fn unsigned_records(
    export: &str,
    issuance: &Issuance,
) -> Result<(Vec<Credential>, Vec<Interaction>), ConnectorError> {
    let export = GigExport::from_json(export).map_err(ConnectorError::Record)?;
    let mut records = convert(&export, issuance).map_err(ConnectorError::Record)?;
    records.retain(|r| r.kind() != RecordKind::TrackRecord);
    Ok((records, export.interactions))
}

/// Puts the hub-allocated status entry `(list URL, index)` into `record` and signs it.
pub fn sign_with_entry(
    mut record: Credential,
    (list, index): &(String, u64),
    signer: &Signer,
    clock: &Clock,
) -> Result<Outgoing, ConnectorError> {
    record.credential_status = Some(StatusEntry::new(list, *index, StatusPurpose::Revocation));
    let signed = signer
        .sign(&record, clock)
        .map_err(ConnectorError::Record)?;
    let body = serde_json::to_string_pretty(&signed)
        .map_err(|e| ConnectorError::Invalid(e.to_string()))?;
    Ok(Outgoing {
        name: resource_name(&signed),
        body,
    })
}

/// A platform withdraws records: each is flagged revoked in the platform's status list (re-signed
/// and published at the hub), so copies held elsewhere verify as revoked too, and then deleted
/// from the worker's pod. Returns the status list indexes flagged.
pub async fn withdraw(
    session: &crate::session::Session<'_>,
    http: &reqwest::Client,
    hub: &crate::hub::Credentials<'_>,
    signer: &Signer,
    names: &[String],
    clock: &Clock,
) -> Result<Vec<u64>, ConnectorError> {
    use op_protocol::status::{StatusList, status_list_credential};
    let (_, pod) = session.access_token(None).await?;
    let folder = format!("{pod}{}{}/", op_protocol::routes::POD_GIGS, hub.client_id);
    let mut flagged: Vec<(String, u64)> = Vec::new();
    for name in names {
        let url = format!("{folder}{name}");
        let body = match crate::pod::fetch(session, http, &url).await {
            Ok(body) => body,
            Err(ConnectorError::Http { status: 404, .. }) => continue,
            Err(e) => return Err(e),
        };
        let record: Value = serde_json::from_str(&body)
            .map_err(|e| ConnectorError::Invalid(format!("{url}: {e}")))?;
        if let (Some(list), Some(index)) = (
            record
                .pointer("/credentialStatus/statusListCredential")
                .and_then(Value::as_str),
            record
                .pointer("/credentialStatus/statusListIndex")
                .and_then(Value::as_str)
                .and_then(|i| i.parse().ok()),
        ) {
            flagged.push((list.to_owned(), index));
        }
    }
    let lists: std::collections::BTreeSet<String> =
        flagged.iter().map(|(l, _)| l.clone()).collect();
    for list_url in lists {
        let name = list_url.rsplit('/').next().unwrap_or("1").to_owned();
        let current: Value = http
            .get(&list_url)
            .send()
            .await
            .map_err(|e| ConnectorError::Unreachable {
                url: list_url.clone(),
                reason: e.to_string(),
            })?
            .json()
            .await
            .map_err(|e| ConnectorError::Invalid(format!("{list_url}: {e}")))?;
        let encoded = current
            .pointer("/credentialSubject/encodedList")
            .and_then(Value::as_str)
            .unwrap_or("");
        let mut list = StatusList::decode(&list_url, encoded)
            .map_err(|e| ConnectorError::Invalid(e.to_string()))?;
        for (_, index) in flagged.iter().filter(|(l, _)| *l == list_url) {
            list.set(*index, true)
                .map_err(|e| ConnectorError::Invalid(e.to_string()))?;
        }
        let signed = signer
            .sign_status_list(
                &status_list_credential(&list_url, StatusPurpose::Revocation, &list),
                clock,
            )
            .map_err(ConnectorError::Record)?;
        crate::hub::publish_status_list(
            http,
            hub.hub,
            hub.client_id,
            hub.client_secret,
            &name,
            &signed,
        )
        .await
        .map_err(|e| ConnectorError::Invalid(e.to_string()))?;
    }
    // Deleted only once revoked: a withdrawal cut short before this point finds the records
    // still there when it is repeated, and flags them again (a bit set twice stays set).
    crate::pod::withdraw(session, http, hub.client_id, names).await?;
    Ok(flagged.into_iter().map(|(_, i)| i).collect())
}
