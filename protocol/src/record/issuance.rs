//! What a platform decides when it issues records, besides the export itself: who the worker is,
//! from when the records hold, where their status bits live, how much of clients and income goes
//! in; and the stable id every record takes from that.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::model::{Credential, Subject};
use crate::datetime::DateTime;
use crate::iri::AbsoluteIri;
use crate::status::{StatusEntry, StatusPurpose};

/// How much of a gig's client goes into the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientData {
    /// Only the platform's opaque client id (the default: the client's name and photo are their
    /// personal data, not the worker's).
    #[default]
    IdOnly,
    /// Id, name and photo; for clients who agreed to be named.
    Full,
    /// Nothing about the client.
    Omit,
}

/// Whether a gig's income goes into the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Earnings {
    /// Copy `additionalData.income` (the default: the record is the worker's own data).
    #[default]
    Include,
    /// Leave it out.
    Omit,
}

/// Where records take their status bits: consecutive indexes of one revocation list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusAllocation {
    /// The URL where the platform publishes the status list credential.
    pub list: AbsoluteIri,
    /// The index of the first record's bit; the next records take the following ones.
    pub first_index: u64,
}

/// Everything the conversion needs besides the export.
#[derive(Debug, Clone)]
pub struct Issuance {
    /// The platform, as it names itself (its issuer id or URL); record ids derive from it.
    pub platform: String,
    /// The worker's WebID or DID, when known.
    pub subject: Option<AbsoluteIri>,
    /// When the records become valid (`validFrom`): an input, never read from a clock here.
    pub valid_from: DateTime,
    /// Status bits: consecutive indexes of one list, or none when the list's holder allocates
    /// each record's entry (a hub does, by record id) and the caller sets `credentialStatus`.
    pub status: Option<StatusAllocation>,
    /// Client personal data policy.
    pub clients: ClientData,
    /// Income policy.
    pub earnings: Earnings,
    /// ESCO skill or occupation IRIs for each gig `type` the platform can map.
    pub skills: BTreeMap<String, Vec<AbsoluteIri>>,
}

impl Issuance {
    /// Defaults: client id only, income included, no skills mapping; consecutive status indexes.
    pub fn new(platform: &str, valid_from: DateTime, status: StatusAllocation) -> Self {
        Issuance {
            status: Some(status),
            ..Issuance::unallocated(platform, valid_from)
        }
    }

    /// Like [`Issuance::new`], without status entries: the list's holder allocates them per record.
    pub fn unallocated(platform: &str, valid_from: DateTime) -> Self {
        Issuance {
            platform: platform.to_owned(),
            subject: None,
            valid_from,
            status: None,
            clients: ClientData::default(),
            earnings: Earnings::default(),
            skills: BTreeMap::new(),
        }
    }

    /// The `n`th record of this issuance: its id, `validFrom` and status entry around `subject`.
    pub(super) fn envelope(
        &self,
        kind: &str,
        source_id: &str,
        subject: Subject,
        n: u64,
    ) -> Credential {
        let worker = self.subject.as_ref().map_or("", |s| s.as_str());
        let mut c = Credential::new(record_id(&self.platform, worker, kind, source_id), subject);
        c.valid_from = Some(self.valid_from.as_str().to_owned());
        c.credential_status = self.status.as_ref().map(|s| {
            StatusEntry::new(
                s.list.as_str(),
                s.first_index + n,
                StatusPurpose::Revocation,
            )
        });
        c
    }
}

/// A stable `urn:uuid:` for a record: a name-based UUID (version 8) over SHA-256 of the platform,
/// the worker (their WebID, or empty when unknown), the record kind and the platform's id, so that
/// re-exporting a gig yields the same record id, and no two workers' records ever share one (two
/// exports may reuse a gig id; every worker has a track record of their own).
pub fn record_id(platform: &str, worker: &str, kind: &str, source_id: &str) -> String {
    let mut h = Sha256::new();
    for part in ["openplatforms-record", platform, worker, kind, source_id] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    let mut b: [u8; 16] = h.finalize()[..16].try_into().unwrap_or([0; 16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
