//! Status lists the hub holds for platforms: it allocates each record's entry, once and for good,
//! and hosts the lists the platform signs.
//!
//! A record's entry (list and index) is allocated here, durably, the first time a platform asks
//! for that record id, and the same record id always gets the same entry back: no two records
//! share a bit, whichever worker or push they came from. Lists hold [`LIST_BITS`] entries each;
//! when one is full the next list (`1`, `2`, …) starts. A hosted list only ever gains set bits —
//! revocation is permanent — so a withdrawn record can never verify again, and asking for the entry
//! of a withdrawn record is answered as withdrawn instead of with an entry to sign into a new copy.

use op_protocol::status::{MIN_BITS, StatusList};
use op_store::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::{Client, ClientKind};
use crate::platform::controller_url;
use crate::state::Hub;
use crate::table::Table;

/// Entries per allocated list: the minimum length the Bitstring Status List spec recommends, so
/// that a list is large enough to hide which record a verifier is checking.
pub const LIST_BITS: u64 = MIN_BITS as u64;

/// Record ids one allocation request may name.
pub const MAX_RECORDS_PER_REQUEST: usize = 1_000;

/// Status list credentials hosted for platforms, by `{client id}\0{list name}`.
pub const STATUS_LISTS: Table<Value> = Table::new(b'b');

/// Allocated entries, by `{client id}\0{record id}`.
pub const ALLOCATIONS: Table<Entry> = Table::new(b'l');

/// The next free entry of each platform, by client id.
pub const CURSORS: Table<Entry> = Table::new(b'o');

/// One entry: list number and index in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The list (`1`, `2`, …), named by its number.
    pub list: u32,
    /// The index in that list.
    pub index: u64,
}

impl Entry {
    const FIRST: Entry = Entry { list: 1, index: 0 };

    fn next(self) -> Entry {
        if self.index + 1 < LIST_BITS {
            Entry {
                list: self.list,
                index: self.index + 1,
            }
        } else {
            Entry {
                list: self.list + 1,
                index: 0,
            }
        }
    }
}

/// A record's entry, as a platform puts it in the record's `credentialStatus`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Allocated {
    /// The record id it belongs to.
    pub record: String,
    /// The hosted list's URL.
    pub status_list_credential: String,
    /// The index, as a decimal string (as in the record).
    pub status_list_index: String,
}

/// What an allocation request got: entries to sign with, and records already withdrawn.
#[derive(Debug, Default, Serialize)]
pub struct Allocation {
    /// Entries for records that may be issued (new or unchanged).
    pub allocations: Vec<Allocated>,
    /// Records whose entry is set in the platform's list: withdrawn for good.
    pub withdrawn: Vec<Allocated>,
}

/// A request the hub refuses.
#[derive(Debug, thiserror::Error)]
pub enum StatusListError {
    /// Only platforms sign records.
    #[error("only platform clients hold status lists here")]
    NotAPlatform,
    /// The request is malformed.
    #[error("{0}")]
    Invalid(String),
    /// The change would un-revoke a record.
    #[error("{0}")]
    Conflict(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The URL of a hosted status list.
pub fn status_list_url(hub: &Hub, client_id: &str, name: &str) -> String {
    hub.url(&op_protocol::routes::hub_status_list(client_id, name))
}

/// A hosted status list credential.
pub fn status_list(hub: &Hub, client_id: &str, name: &str) -> Result<Option<Value>, StoreError> {
    STATUS_LISTS.get(&hub.store, &format!("{client_id}\0{name}"))
}

/// Every status list credential a platform has published here.
pub fn status_lists_of(hub: &Hub, client_id: &str) -> Result<Vec<Value>, StoreError> {
    Ok(STATUS_LISTS
        .scan(&hub.store, &format!("{client_id}\0"), None, 1_000)?
        .into_iter()
        .map(|(_, v)| v)
        .collect())
}

fn encoded_list(url: &str, credential: &Value) -> Result<StatusList, String> {
    let encoded = credential
        .pointer("/credentialSubject/encodedList")
        .and_then(Value::as_str)
        .ok_or("the status list credential has no credentialSubject.encodedList")?;
    StatusList::decode(url, encoded).map_err(|e| e.to_string())
}

fn valid_record_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 256
        && id.contains(':')
        && !id.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Allocates (or finds) the entry of each record id, in one atomic write; entries already
/// flagged in the platform's published list come back as withdrawn.
pub async fn allocate(
    hub: &Hub,
    client: &Client,
    records: Vec<String>,
) -> Result<Allocation, StatusListError> {
    if client.kind != ClientKind::Platform {
        return Err(StatusListError::NotAPlatform);
    }
    if records.len() > MAX_RECORDS_PER_REQUEST {
        return Err(StatusListError::Invalid(format!(
            "at most {MAX_RECORDS_PER_REQUEST} record ids per request; send the rest in further requests"
        )));
    }
    if let Some(bad) = records.iter().find(|r| !valid_record_id(r)) {
        return Err(StatusListError::Invalid(format!(
            "record ids are IRIs of at most 256 characters without spaces (like urn:uuid:…); got {bad:?}"
        )));
    }
    let id = client.id.to_string();
    let entries: Vec<(String, Entry)> = hub
        .store
        .write(move |tx| {
            let mut cursor = CURSORS.get_tx(tx, &id)?.unwrap_or(Entry::FIRST);
            let mut out = Vec::with_capacity(records.len());
            for record in records {
                let key = format!("{id}\0{record}");
                let entry = match ALLOCATIONS.get_tx(tx, &key)? {
                    Some(e) => e,
                    None => {
                        let e = cursor;
                        ALLOCATIONS.put(tx, &key, &e);
                        cursor = cursor.next();
                        e
                    }
                };
                out.push((record, entry));
            }
            CURSORS.put(tx, &id, &cursor);
            Ok::<_, StoreError>(out)
        })
        .await?;
    let mut lists: std::collections::HashMap<u32, Option<StatusList>> = Default::default();
    let mut result = Allocation::default();
    for (record, entry) in entries {
        let url = status_list_url(hub, client.id.as_str(), &entry.list.to_string());
        let list = match lists.get(&entry.list) {
            Some(l) => l,
            None => {
                let hosted = status_list(hub, client.id.as_str(), &entry.list.to_string())?;
                let decoded = hosted.and_then(|c| encoded_list(&url, &c).ok());
                lists.entry(entry.list).or_insert(decoded)
            }
        };
        let withdrawn = list
            .as_ref()
            .is_some_and(|l| l.get(entry.index).unwrap_or(false));
        let allocated = Allocated {
            record,
            status_list_credential: url,
            status_list_index: entry.index.to_string(),
        };
        if withdrawn {
            result.withdrawn.push(allocated);
        } else {
            result.allocations.push(allocated);
        }
    }
    Ok(result)
}

/// Refuses a new version of a list that clears a bit the current version sets.
fn check_only_gains(url: &str, current: &Value, new: &StatusList) -> Result<(), StatusListError> {
    let Ok(current) = encoded_list(url, current) else {
        return Ok(());
    };
    if new.len() < current.len() {
        return Err(StatusListError::Conflict(format!(
            "the new list has {} entries, fewer than the {} it replaces",
            new.len(),
            current.len()
        )));
    }
    for index in 0..current.len() as u64 {
        if current.get(index).unwrap_or(false) && !new.get(index).unwrap_or(false) {
            return Err(StatusListError::Conflict(format!(
                "the new list clears entry {index}, which is set: revocation is permanent, a \
                 withdrawn record cannot be reinstated (issue a new record instead)"
            )));
        }
    }
    Ok(())
}

/// Stores a platform's signed status list credential; its `id` must be the URL it is served at,
/// its `issuer` the platform, and it may only set more bits than the version it replaces. The
/// platform signs it; verifiers check that signature.
pub async fn put_status_list(
    hub: &Hub,
    client: &Client,
    name: &str,
    list: Value,
) -> Result<(), StatusListError> {
    if client.kind != ClientKind::Platform {
        return Err(StatusListError::NotAPlatform);
    }
    let invalid = |m: String| Err(StatusListError::Invalid(m));
    let ok_name = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !ok_name {
        return invalid("the list name must be 1 to 64 letters, digits and '-'".into());
    }
    let url = status_list_url(hub, client.id.as_str(), name);
    if list.get("id").and_then(Value::as_str) != Some(url.as_str()) {
        return invalid(format!("the status list credential's id must be {url}"));
    }
    let issuer = controller_url(hub, client.id.as_str());
    if list.get("issuer").and_then(Value::as_str) != Some(issuer.as_str()) {
        return invalid(format!(
            "the status list credential's issuer must be {issuer}"
        ));
    }
    if list.get("proof").is_none() {
        return invalid("the status list credential must be signed".into());
    }
    let bits = encoded_list(&url, &list).map_err(StatusListError::Invalid)?;
    let key = format!("{}\0{name}", client.id);
    hub.store
        .write(move |tx| {
            if let Some(current) = STATUS_LISTS.get_tx(tx, &key)?
                && let Err(e) = check_only_gains(&url, &current, &bits)
            {
                return Ok(Err(e));
            }
            STATUS_LISTS.put(tx, &key, &list);
            Ok::<_, StoreError>(Ok(()))
        })
        .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_fill_a_list_then_start_the_next() {
        let last = Entry {
            list: 1,
            index: LIST_BITS - 1,
        };
        assert_eq!(Entry::FIRST.next(), Entry { list: 1, index: 1 });
        assert_eq!(last.next(), Entry { list: 2, index: 0 });
    }

    #[test]
    fn a_list_may_gain_bits_but_never_lose_one() {
        let url = "https://hub.example/platforms/acme/status/1";
        let mut old = StatusList::new(0);
        old.set(7, true).unwrap();
        let credential = op_protocol::status::status_list_credential(
            url,
            op_protocol::status::StatusPurpose::Revocation,
            &old,
        );
        let mut more = old.clone();
        more.set(9, true).unwrap();
        assert!(check_only_gains(url, &credential, &more).is_ok());
        let cleared = StatusList::new(0);
        let err = check_only_gains(url, &credential, &cleared).unwrap_err();
        assert!(err.to_string().contains("clears entry 7"), "{err}");
    }

    #[test]
    fn record_ids_are_bounded_iris() {
        assert!(valid_record_id(
            "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e"
        ));
        assert!(!valid_record_id(""));
        assert!(!valid_record_id("no-colon"));
        assert!(!valid_record_id("urn:a b"));
        assert!(!valid_record_id(&format!("urn:{}", "x".repeat(300))));
    }
}
