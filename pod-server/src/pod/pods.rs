//! The pods themselves: creating one (record, storage root, profile and `gigs/` in one
//! transaction), listing them, and deleting one (at once for readers, its data purged in batches).

use op_protocol::path::{PodName, ResourcePath};

use super::conditions::Conditions;
use super::error::PodError;
use super::model::{self, Kind, PodRecord, PodState, Resource, pod_key, resource_key};
use super::ops::{Content, put_in_tx};
use crate::store::{ScanFrom, Store, StoreError, Tx};

/// Quotas given to a new pod.
#[derive(Debug, Clone, Copy)]
pub struct Quota {
    /// Bytes of bodies.
    pub bytes: u64,
    /// Number of resources.
    pub resources: u64,
}

/// A pod to create.
#[derive(Debug, Clone)]
pub struct NewPod {
    /// Its name.
    pub name: PodName,
    /// The owner's WebID when it is not the pod's own profile.
    pub owner: Option<String>,
    /// Issuers the profile names as `solid:oidcIssuer`.
    pub issuers: Vec<String>,
    /// Its quota.
    pub quota: Quota,
    /// The WebID profile document (Turtle, IRIs relative to the profile's URL).
    pub profile_turtle: String,
    /// The hub creating it, when a hub (not the operator) asked.
    pub provisioned_by: Option<String>,
}

/// Reads a pod record, in service or not.
pub fn pod_record(store: &Store, pod: &PodName) -> Result<Option<PodRecord>, PodError> {
    Ok(store
        .get(&pod_key(pod))?
        .and_then(|b| serde_json::from_slice(&b).ok()))
}

/// Reads a pod record that is in service, or fails with `PodNotFound`.
pub fn active_pod(store: &Store, pod: &PodName) -> Result<PodRecord, PodError> {
    match pod_record(store, pod)? {
        Some(rec) if rec.state == PodState::Active => Ok(rec),
        _ => Err(PodError::PodNotFound(pod.to_string())),
    }
}

/// Creates a pod: its record, storage root, `profile/card` and `gigs/`, in one transaction.
pub async fn create_pod(store: &Store, new: NewPod, now: u64) -> Result<PodRecord, PodError> {
    store
        .write(move |tx| {
            if tx.get(&pod_key(&new.name))?.is_some() {
                return Err(PodError::PodExists(new.name.to_string()));
            }
            if !tx
                .keys_with_prefix(&model::resource_prefix(&new.name), 1)?
                .is_empty()
            {
                return Err(PodError::Conflict(format!(
                    "pod {:?} is still being deleted; try again shortly",
                    new.name.as_str()
                )));
            }
            let mut rec = PodRecord {
                name: new.name.to_string(),
                owner: new.owner,
                issuers: new.issuers,
                created: now,
                state: PodState::Active,
                quota_bytes: new.quota.bytes,
                quota_resources: new.quota.resources,
                bytes_used: 0,
                resources_used: 1,
                linked_by: None,
                provisioned_by: new.provisioned_by,
            };
            let root = Resource::container(now);
            tx.put(
                resource_key(&new.name, &ResourcePath::root()),
                root.encode(),
            );
            put_record(tx, &new.name, &rec);
            let card = ResourcePath::parse(&format!("/{}", op_protocol::routes::POD_PROFILE_CARD))
                .expect("profile path is valid");
            let profile = Content::Document {
                kind: Kind::Rdf,
                media_type: "text/turtle".into(),
                body: new.profile_turtle.into_bytes(),
            };
            put_in_tx(tx, &new.name, &card, profile, &Conditions::default(), now)?;
            let gigs = ResourcePath::parse(&format!("/{}", op_protocol::routes::POD_GIGS))
                .expect("gigs path is valid");
            put_in_tx(
                tx,
                &new.name,
                &gigs,
                Content::Container {
                    description: Vec::new(),
                },
                &Conditions::default(),
                now,
            )?;
            rec = load_record(tx, &new.name)?;
            Ok(rec)
        })
        .await
}

/// Deletes a pod and every resource in it. The pod disappears at once; its data is removed in
/// batches, and removal resumes at start-up if the process stops midway.
pub async fn delete_pod(store: &Store, pod: &PodName) -> Result<(), PodError> {
    let name = pod.clone();
    store
        .write(move |tx| {
            let mut rec = load_record(tx, &name)?;
            rec.state = PodState::Deleting;
            put_record(tx, &name, &rec);
            Ok::<_, PodError>(())
        })
        .await?;
    purge_pod(store, pod).await
}

/// Removes the data of a pod marked `Deleting`, then its record.
pub async fn purge_pod(store: &Store, pod: &PodName) -> Result<(), PodError> {
    const BATCH: usize = 1000;
    for prefix in [model::resource_prefix(pod), model::child_pod_prefix(pod)] {
        loop {
            let keys: Vec<Vec<u8>> = store
                .scan(&prefix, ScanFrom::Start, BATCH)?
                .into_iter()
                .map(|(k, _)| k)
                .collect();
            if keys.is_empty() {
                break;
            }
            store
                .write(move |tx| {
                    for k in keys {
                        tx.remove(k);
                    }
                    Ok::<_, StoreError>(())
                })
                .await?;
        }
    }
    crate::pod::log::purge(store, pod).await?;
    let key = pod_key(pod);
    store
        .write(move |tx| {
            tx.remove(key);
            Ok::<_, StoreError>(())
        })
        .await?;
    Ok(())
}

/// Every pod record, in name order.
pub fn pods(store: &Store) -> Result<Vec<PodRecord>, PodError> {
    const PAGE: usize = 500;
    let mut out = Vec::new();
    let mut after: Option<Vec<u8>> = None;
    loop {
        let from = after.as_deref().map_or(ScanFrom::Start, ScanFrom::After);
        let page = store.scan(model::POD_PREFIX, from, PAGE)?;
        out.extend(
            page.iter()
                .filter_map(|(_, v)| serde_json::from_slice::<PodRecord>(v).ok()),
        );
        if page.len() < PAGE {
            return Ok(out);
        }
        after = page.last().map(|(k, _)| k.clone());
    }
}

/// Pods left half-deleted by an earlier process.
pub fn pods_being_deleted(store: &Store) -> Result<Vec<PodName>, PodError> {
    Ok(pods(store)?
        .into_iter()
        .filter(|rec| rec.state == PodState::Deleting)
        .filter_map(|rec| PodName::parse(&rec.name).ok())
        .collect())
}

pub(crate) fn load_record(tx: &Tx<'_>, pod: &PodName) -> Result<PodRecord, PodError> {
    tx.get(&pod_key(pod))?
        .and_then(|b| serde_json::from_slice::<PodRecord>(&b).ok())
        .filter(|r| r.state == PodState::Active)
        .ok_or_else(|| PodError::PodNotFound(pod.to_string()))
}

pub(crate) fn put_record(tx: &mut Tx<'_>, pod: &PodName, rec: &PodRecord) {
    tx.put(
        pod_key(pod),
        serde_json::to_vec(rec).expect("pod record serialises"),
    );
}
