//! Verifying a record as a matcher: proof, issuer = key controller, validity period, status.
//!
//! Each step refuses rather than guesses: a term the contexts do not define, a key its controller
//! did not authorise, a status list that cannot be obtained (unless the caller explicitly skips
//! the status check) all make verification fail with the reason.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

use super::RecordError;
use super::model::Credential;
use crate::clock::Clock;
use crate::datetime::DateTime;
use crate::proof::{MethodResolver, VerificationMethodId, verify_proofs};
use crate::status::{StatusEntry, StatusList, StatusListSource, StatusPurpose};

/// How many records a thread of [`Verifier::verify_all`] takes at a time: enough to make the
/// shared counter negligible, few enough to keep the threads evenly loaded.
pub const BATCH: usize = 16;

/// Whether and how to check revocation.
#[derive(Clone, Copy)]
pub enum StatusCheck<'a> {
    /// Obtain each record's status list and read its bit; fail if it cannot be obtained.
    Required(&'a dyn StatusListSource),
    /// Do not check (the result says [`RecordStatus::NotChecked`]).
    Skip,
}

impl std::fmt::Debug for StatusCheck<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StatusCheck::Required(_) => "StatusCheck::Required",
            StatusCheck::Skip => "StatusCheck::Skip",
        })
    }
}

/// A verified record's revocation status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordStatus {
    /// Not revoked or suspended.
    Active,
    /// The issuer revoked it.
    Revoked,
    /// The issuer suspended it.
    Suspended,
    /// The verifier chose not to check.
    NotChecked,
}

/// A record whose proof, issuer and validity period checked out.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedRecord {
    /// The record.
    pub record: Credential,
    /// Its issuer, the controller of the signing key.
    pub issuer: String,
    /// The key that signed it.
    pub method: VerificationMethodId,
    /// Revocation status.
    pub status: RecordStatus,
}

impl VerifiedRecord {
    /// Whether a matcher may rely on it: verified, and neither revoked nor suspended.
    pub fn is_valid(&self) -> bool {
        matches!(self.status, RecordStatus::Active | RecordStatus::NotChecked)
    }
}

/// What a verifier trusts: how to resolve keys, how to get status lists, what time it is.
#[derive(Debug, Clone, Copy)]
pub struct Verifier<'a> {
    /// Resolves verification methods (`did:key` and the controller documents the caller trusts).
    pub methods: &'a dyn MethodResolver,
    /// Revocation checking.
    pub status: StatusCheck<'a>,
    /// The time.
    pub clock: &'a Clock,
}

impl std::fmt::Debug for dyn MethodResolver + '_ {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MethodResolver")
    }
}

impl<'a> Verifier<'a> {
    /// Verifies a record given as JSON.
    pub fn verify(&self, json: &Value) -> Result<VerifiedRecord, RecordError> {
        let now = DateTime::from_unix_millis(self.clock.now_millis());
        let issuer = json
            .get("issuer")
            .and_then(Value::as_str)
            .ok_or(RecordError::MissingIssuer)?
            .to_owned();
        let method = self.check_proofs(json, &issuer, &now)?;
        let record = Credential::from_json(json)?;
        check_period(
            record.valid_from.as_deref(),
            record.valid_until.as_deref(),
            &now,
        )?;
        let status = match (self.status, &record.credential_status) {
            (StatusCheck::Skip, _) => RecordStatus::NotChecked,
            (StatusCheck::Required(_), None) => return Err(RecordError::MissingStatus),
            (StatusCheck::Required(source), Some(entry)) => {
                self.status_of(source, entry, &issuer, &now)?
            }
        };
        Ok(VerifiedRecord {
            record,
            issuer,
            method,
            status,
        })
    }

    /// Verifies `records` on up to `threads` threads and returns each one's result, in the order
    /// of `records`: the same results as [`Verifier::verify`] on each, in a fraction of the time
    /// on a machine with several cores (pass `std::thread::available_parallelism()`).
    ///
    /// Records are verified independently and CPU-bound, so threads take batches of
    /// [`BATCH`] records from a shared counter until none are left; fewer than two batches
    /// are verified on the calling thread.
    pub fn verify_all(
        &self,
        records: &[Value],
        threads: NonZeroUsize,
    ) -> Vec<Result<VerifiedRecord, RecordError>> {
        let threads = threads.get().min(records.len().div_ceil(BATCH));
        if threads < 2 {
            return records.iter().map(|r| self.verify(r)).collect();
        }
        let next = AtomicUsize::new(0);
        let work = || {
            let mut done = Vec::new();
            loop {
                let start = next.fetch_add(BATCH, Ordering::Relaxed);
                if start >= records.len() {
                    return done;
                }
                let end = (start + BATCH).min(records.len());
                done.extend((start..end).map(|i| (i, self.verify(&records[i]))));
            }
        };
        let mut results: Vec<Option<Result<VerifiedRecord, RecordError>>> =
            std::iter::repeat_with(|| None)
                .take(records.len())
                .collect();
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
            for worker in workers {
                let done = worker
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                for (i, result) in done {
                    results[i] = Some(result);
                }
            }
        });
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| unreachable!("every index is taken by one worker")))
            .collect()
    }

    /// Verifies every proof and returns the method of one whose controller is `issuer`.
    fn check_proofs(
        &self,
        json: &Value,
        issuer: &str,
        now: &DateTime,
    ) -> Result<VerificationMethodId, RecordError> {
        let proofs = verify_proofs(json, self.methods, Some(now))?;
        proofs
            .iter()
            .find(|p| p.method.controller == issuer)
            .map(|p| p.method.id.clone())
            .ok_or_else(|| RecordError::IssuerMismatch {
                issuer: issuer.to_owned(),
                controller: proofs
                    .iter()
                    .map(|p| p.method.controller.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    fn status_of(
        &self,
        source: &dyn StatusListSource,
        entry: &StatusEntry,
        issuer: &str,
        now: &DateTime,
    ) -> Result<RecordStatus, RecordError> {
        let url = entry.status_list_credential.as_str();
        let index = entry.index()?;
        let list = source.status_list(url)?;
        let bad = |reason: String| RecordError::StatusList {
            url: url.to_owned(),
            reason,
        };
        let list_issuer = list
            .get("issuer")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if list_issuer != issuer {
            return Err(bad(format!(
                "issued by `{list_issuer}`, not by the record's issuer `{issuer}`"
            )));
        }
        self.check_proofs(&list, issuer, now)
            .map_err(|e| bad(e.to_string()))?;
        if list.get("id").and_then(Value::as_str) != Some(url) {
            return Err(bad("its id is not the URL the record names".into()));
        }
        let types = list
            .get("type")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if !types.iter().any(|t| t == "BitstringStatusListCredential") {
            return Err(bad("not a BitstringStatusListCredential".into()));
        }
        let field = |name: &str| list.get(name).and_then(Value::as_str);
        check_period(field("validFrom"), field("validUntil"), now)
            .map_err(|e| bad(e.to_string()))?;
        let subject = list.get("credentialSubject").cloned().unwrap_or_default();
        let purpose = subject
            .get("statusPurpose")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if purpose != entry.status_purpose.as_str() {
            return Err(bad(format!(
                "its purpose is `{purpose}`, the record's `{}`",
                entry.status_purpose.as_str()
            )));
        }
        let encoded = subject
            .get("encodedList")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("no encodedList".into()))?;
        let set = StatusList::decode(url, encoded)?.get(index)?;
        Ok(match (set, entry.status_purpose) {
            (false, _) => RecordStatus::Active,
            (true, StatusPurpose::Revocation) => RecordStatus::Revoked,
            (true, StatusPurpose::Suspension) => RecordStatus::Suspended,
        })
    }
}

fn check_period(
    valid_from: Option<&str>,
    valid_until: Option<&str>,
    now: &DateTime,
) -> Result<(), RecordError> {
    if let Some(from) = valid_from
        && DateTime::parse(from)?.unix_millis() > now.unix_millis()
    {
        return Err(RecordError::NotYetValid(from.to_owned()));
    }
    if let Some(until) = valid_until
        && DateTime::parse(until)?.unix_millis() < now.unix_millis()
    {
        return Err(RecordError::Expired(until.to_owned()));
    }
    Ok(())
}
