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

/// A platform withdraws records: each is deleted from the worker's pod and flagged revoked in the
/// platform's status list (re-signed and published at the hub), so copies held elsewhere verify
/// as revoked too. Returns the status list indexes flagged.
pub async fn withdraw(
    session: &crate::session::Session<'_>,
    http: &reqwest::Client,
    hub: &crate::hub::Credentials<'_>,
    signer: &Signer,
    names: &[String],
    clock: &Clock,
) -> Result<Vec<u64>, ConnectorError> {
    use op_protocol::status::{StatusList, StatusPurpose, status_list_credential};
    let (_, pod) = session.access_token(false).await?;
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
    crate::pod::withdraw(session, http, hub.client_id, names).await?;
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
    Ok(flagged.into_iter().map(|(_, i)| i).collect())
}
