//! A platform's sync of one worker's export into their pod: idempotent, and honest about what the
//! folder holds.
//!
//! Each record gets its status list entry from the hub (the same entry every time for the same
//! record id), records the platform withdrew are refused rather than re-created, a record whose
//! content did not change is left as it is (the signing time is not content), and the track-record
//! summary is recomputed over every gig record in the platform's folder — this export's and
//! earlier ones' — so it never describes only the last export.

use std::collections::{BTreeSet, HashMap};

use op_protocol::clock::Clock;
use op_protocol::datetime::DateTime;
use op_protocol::proof::Controllers;
use op_protocol::record::gigdata::Interaction;
use op_protocol::record::{Credential, Signer, StatusCheck, Subject, Verifier, summary_record};
use op_protocol::status::{StatusList, StatusPurpose, status_list_credential};
use serde_json::Value;

use crate::error::ConnectorError;
use crate::hub::Credentials;
use crate::platform::{Issuer, resource_name, sign_with_entry, unsigned_records};
use crate::pod::{Outgoing, PushSummary};
use crate::session::Session;

/// Everything a sync needs: the worker's session, the platform at its hub, and how it signs.
#[derive(Debug)]
pub struct PlatformSync<'a> {
    /// The platform's session with the worker's pod.
    pub session: &'a Session<'a>,
    /// The HTTP client.
    pub http: &'a reqwest::Client,
    /// The platform's credentials at the hub.
    pub hub: Credentials<'a>,
    /// The platform as an issuer.
    pub issuer: &'a Issuer,
    /// Its signer (a registered key).
    pub signer: &'a Signer,
    /// The clock signatures are dated by.
    pub clock: &'a Clock,
}

/// Why a withdrawn record is not pushed again.
pub const WITHDRAWN: &str = "withdrawn earlier: its status list entry is set for good, so it \
                             is not issued again; issue the gig under a new id if it should return";

impl PlatformSync<'_> {
    /// Converts, signs and pushes an export for the worker `subject`, `concurrency` records at
    /// a time, then brings the folder's track-record summary up to date.
    pub async fn push(
        &self,
        export: &str,
        subject: &str,
        concurrency: usize,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<PushSummary, ConnectorError> {
        let now = DateTime::from_unix_millis(self.clock.now_millis());
        let issuance = self.issuer.issuance(subject, now)?;
        let (records, _) = unsigned_records(export, &issuance)?;
        let summary_id = summary_record(&issuance, &[], 0).id;
        let mut ids: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
        ids.push(summary_id);
        let entries = crate::hub::allocate_status(self.http, &self.hub, &ids)
            .await
            .map_err(|e| ConnectorError::Invalid(e.to_string()))?;
        self.ensure_lists(&entries.allocated).await?;
        let withdrawn: BTreeSet<&String> = entries.withdrawn.iter().collect();
        let mut refused = Vec::new();
        let mut outgoing = Vec::new();
        let mut gigs = Vec::new();
        for record in records {
            if withdrawn.contains(&record.id) {
                refused.push((resource_name(&record.to_json()), WITHDRAWN.to_owned()));
                continue;
            }
            let Some(entry) = entries.allocated.get(&record.id) else {
                return Err(ConnectorError::Invalid(format!(
                    "the hub allocated no status entry for {}",
                    record.id
                )));
            };
            if let Subject::Gig(_) = record.credential_subject {
                gigs.push(record.clone());
            }
            outgoing.push(sign_with_entry(record, entry, self.signer, self.clock)?);
        }
        let names: BTreeSet<String> = outgoing.iter().map(|o| o.name.clone()).collect();
        let folder = crate::pod::push(
            self.session,
            self.http,
            self.hub.client_id,
            outgoing,
            concurrency,
            progress,
        )
        .await?;
        let mut summary = self
            .refresh_summary(&issuance, &entries, gigs, &names)
            .await?;
        summary.failed.extend(refused);
        summary.merge(folder);
        Ok(summary)
    }

    /// Recomputes the track record over every gig in the folder after records were withdrawn.
    pub async fn refresh_after_withdrawal(
        &self,
        subject: &str,
    ) -> Result<PushSummary, ConnectorError> {
        let now = DateTime::from_unix_millis(self.clock.now_millis());
        let issuance = self.issuer.issuance(subject, now)?;
        let summary_id = summary_record(&issuance, &[], 0).id;
        let entries = crate::hub::allocate_status(self.http, &self.hub, &[summary_id])
            .await
            .map_err(|e| ConnectorError::Invalid(e.to_string()))?;
        self.refresh_summary(&issuance, &entries, Vec::new(), &BTreeSet::new())
            .await
    }

    /// Publishes an empty signed list at the hub for each list an entry points into that the hub
    /// does not host yet.
    async fn ensure_lists(
        &self,
        entries: &HashMap<String, (String, u64)>,
    ) -> Result<(), ConnectorError> {
        let lists: BTreeSet<&String> = entries.values().map(|(l, _)| l).collect();
        for url in lists {
            let res = self.http.get(url).send().await;
            if !res.is_ok_and(|r| r.status() == reqwest::StatusCode::NOT_FOUND) {
                continue;
            }
            let empty = status_list_credential(url, StatusPurpose::Revocation, &StatusList::new(0));
            let signed = self
                .signer
                .sign_status_list(&empty, self.clock)
                .map_err(ConnectorError::Record)?;
            let name = url.rsplit('/').next().unwrap_or_default();
            crate::hub::publish_status_list(
                self.http,
                self.hub.hub,
                self.hub.client_id,
                self.hub.client_secret,
                name,
                &signed,
            )
            .await
            .map_err(|e| ConnectorError::Invalid(e.to_string()))?;
        }
        Ok(())
    }

    /// Signs and pushes the summary of `known` gig records plus every other gig record this
    /// platform signed about the worker in the folder (names in `skip` are already in `known`).
    async fn refresh_summary(
        &self,
        issuance: &op_protocol::record::Issuance,
        entries: &crate::hub::StatusEntries,
        mut known: Vec<Credential>,
        skip: &BTreeSet<String>,
    ) -> Result<PushSummary, ConnectorError> {
        let subject = issuance
            .subject
            .as_ref()
            .map(|s| s.as_str())
            .unwrap_or_default();
        known.extend(self.folder_gigs(subject, skip).await?);
        let interactions: Vec<Interaction> = op_protocol::record::to_gig_data(&known).interactions;
        let summary = summary_record(issuance, &interactions, 0);
        if entries.withdrawn.contains(&summary.id) {
            return Ok(PushSummary {
                failed: vec![(
                    crate::platform::resource_name(&summary.to_json()),
                    WITHDRAWN.into(),
                )],
                ..PushSummary::default()
            });
        }
        let Some(entry) = entries.allocated.get(&summary.id) else {
            return Err(ConnectorError::Invalid(
                "the hub allocated no status entry for the track record".into(),
            ));
        };
        let outgoing: Outgoing = sign_with_entry(summary, entry, self.signer, self.clock)?;
        crate::pod::push(
            self.session,
            self.http,
            self.hub.client_id,
            vec![outgoing],
            1,
            &|_| {},
        )
        .await
    }

    /// The gig records about `subject` in the platform's folder other than `skip`, each verified
    /// as signed by this platform (a record someone else put in the folder does not count).
    async fn folder_gigs(
        &self,
        subject: &str,
        skip: &BTreeSet<String>,
    ) -> Result<Vec<Credential>, ConnectorError> {
        let (_, pod) = self.session.access_token(None).await?;
        let folder = format!(
            "{pod}{}{}/",
            op_protocol::routes::POD_GIGS,
            self.hub.client_id
        );
        let urls = match crate::pod::list(self.session, self.http, &folder).await {
            Ok(urls) => urls,
            Err(ConnectorError::Http { status: 404, .. }) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let others: Vec<String> = urls
            .into_iter()
            .filter(|u| {
                let name = u.rsplit('/').next().unwrap_or_default();
                name != op_protocol::routes::POD_SUMMARY && !skip.contains(name)
            })
            .collect();
        if others.is_empty() {
            return Ok(Vec::new());
        }
        let doc = crate::hub::controller_document(self.http, &self.issuer.url)
            .await
            .map_err(|e| ConnectorError::Invalid(e.to_string()))?;
        let methods = Controllers::new().with(doc);
        let verifier = Verifier {
            methods: &methods,
            status: StatusCheck::Skip,
            clock: self.clock,
        };
        let mut gigs = Vec::new();
        for url in others {
            let body = crate::pod::fetch(self.session, self.http, &url).await?;
            let Ok(json) = serde_json::from_str::<Value>(&body) else {
                continue;
            };
            let about_subject = json
                .pointer("/credentialSubject/id")
                .and_then(Value::as_str)
                == Some(subject);
            match verifier.verify(&json) {
                Ok(v) if v.issuer == self.issuer.url && about_subject => {
                    if let Subject::Gig(_) = v.record.credential_subject {
                        gigs.push(v.record);
                    }
                }
                // Not a record this platform signed: it does not count.
                _ => {}
            }
        }
        Ok(gigs)
    }
}
