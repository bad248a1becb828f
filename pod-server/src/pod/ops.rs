//! The operations that change a pod, each one atomic: resource and container listing change together.

use op_protocol::media::RdfFormat;
use op_protocol::path::{PodName, ResourcePath};

use super::error::PodError;
use super::model::{
    self, Kind, Meta, PodRecord, PodState, Resource, child_key, pod_key, resource_key,
};
use crate::store::{ScanFrom, Store, StoreError, Tx};

/// What to store at a path.
#[derive(Debug, Clone)]
pub enum Content {
    /// An empty container.
    Container,
    /// A document: RDF (already validated) or other bytes.
    Document {
        /// RDF or not.
        kind: Kind,
        /// Its media type.
        media_type: String,
        /// The exact bytes.
        body: Vec<u8>,
    },
}

/// An `If-Match` or `If-None-Match` header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EtagList {
    /// `*`.
    Any,
    /// One or more entity tags (without quotes or `W/`).
    Tags(Vec<String>),
}

impl EtagList {
    fn matches(&self, current: Option<&Meta>) -> bool {
        match (self, current) {
            (_, None) => false,
            (EtagList::Any, Some(_)) => true,
            (EtagList::Tags(tags), Some(m)) => tags.contains(&m.etag),
        }
    }
}

/// Conditions a write must meet (RFC 9110 §13).
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    /// `If-Match`.
    pub if_match: Option<EtagList>,
    /// `If-None-Match`.
    pub if_none_match: Option<EtagList>,
    /// Internal: the ETag a read-modify-write saw (`Some(None)`: it saw no resource).
    pub(crate) expect: Option<Option<String>>,
}

impl Conditions {
    fn check(&self, current: Option<&Meta>) -> Result<(), PodError> {
        if let Some(expected) = &self.expect
            && current.map(|m| &m.etag) != expected.as_ref()
        {
            return Err(PodError::Contended);
        }
        if let Some(list) = &self.if_match
            && !list.matches(current)
        {
            return Err(PodError::PreconditionFailed(match current {
                None => "If-Match failed: the resource does not exist".into(),
                Some(m) => format!("If-Match failed: the current ETag is \"{}\"", m.etag),
            }));
        }
        if let Some(list) = &self.if_none_match
            && list.matches(current)
        {
            return Err(PodError::PreconditionFailed(
                "If-None-Match failed: the resource already exists (in that version)".into(),
            ));
        }
        Ok(())
    }
}

/// The result of a successful write.
#[derive(Debug, Clone)]
pub enum Written {
    /// A new resource was created.
    Created(Meta),
    /// An existing resource was replaced.
    Replaced(Meta),
}

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

/// Reads a resource from the committed state.
pub fn resource(
    store: &Store,
    pod: &PodName,
    path: &ResourcePath,
) -> Result<Option<Resource>, PodError> {
    Ok(store
        .get(&resource_key(pod, path))?
        .and_then(|b| Resource::decode(&b)))
}

/// Up to `limit` child names (`name` or `name/`) of a container, strictly after `after`.
pub fn children(
    store: &Store,
    pod: &PodName,
    container: &ResourcePath,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<String>, PodError> {
    let prefix = model::children_prefix(pod, container);
    let after_key = after.map(|a| [prefix.as_slice(), a.as_bytes()].concat());
    let from = after_key
        .as_deref()
        .map_or(ScanFrom::Start, ScanFrom::After);
    Ok(store
        .scan(&prefix, from, limit)?
        .into_iter()
        .map(|(k, _)| String::from_utf8_lossy(model::child_name(&k)).into_owned())
        .collect())
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
                Content::Container,
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

/// Creates or replaces the resource at `path`.
pub async fn put(
    store: &Store,
    pod: &PodName,
    path: &ResourcePath,
    content: Content,
    conditions: Conditions,
    now: u64,
) -> Result<Written, PodError> {
    let (pod, path) = (pod.clone(), path.clone());
    store
        .write(move |tx| put_in_tx(tx, &pod, &path, content, &conditions, now))
        .await
}

/// Deletes the resource at `path`: not the storage root, not a non-empty container.
pub async fn delete(
    store: &Store,
    pod: &PodName,
    path: &ResourcePath,
    conditions: Conditions,
    now: u64,
) -> Result<(), PodError> {
    let (pod, path) = (pod.clone(), path.clone());
    store
        .write(move |tx| {
            let mut rec = load_record(tx, &pod)?;
            let current = load_resource(tx, &pod, &path)?;
            conditions.check(current.as_ref().map(|r| &r.meta))?;
            let current = current.ok_or_else(|| PodError::NotFound(path.to_string()))?;
            if path.is_root() {
                return Err(PodError::MethodNotAllowed(
                    "the storage root cannot be deleted; delete the pod instead".into(),
                ));
            }
            if current.meta.children > 0 {
                return Err(PodError::Conflict(format!(
                    "container {path} is not empty ({} children); delete its contents first",
                    current.meta.children
                )));
            }
            tx.remove(resource_key(&pod, &path));
            if let Some(k) = child_key(&pod, &path) {
                tx.remove(k);
            }
            let parent = path.parent().expect("non-root has a parent");
            update_container(tx, &pod, &parent, now, |m| m.children -= 1)?;
            rec.bytes_used = rec.bytes_used.saturating_sub(current.meta.size);
            rec.resources_used = rec.resources_used.saturating_sub(1);
            put_record(tx, &pod, &rec);
            Ok(())
        })
        .await
}

/// The write at the heart of PUT, POST and PATCH; runs inside one transaction.
pub(crate) fn put_in_tx(
    tx: &mut Tx<'_>,
    pod: &PodName,
    path: &ResourcePath,
    content: Content,
    conditions: &Conditions,
    now: u64,
) -> Result<Written, PodError> {
    if path.key() == op_protocol::routes::POD_PROFILE_CARD
        && !matches!(
            content,
            Content::Document {
                kind: Kind::Rdf,
                ..
            }
        )
    {
        return Err(PodError::UnsupportedMediaType(
            "the WebID profile document must stay RDF: send text/turtle or application/ld+json"
                .into(),
        ));
    }
    let mut rec = load_record(tx, pod)?;
    let current = load_resource(tx, pod, path)?;
    conditions.check(current.as_ref().map(|r| &r.meta))?;
    check_no_twin(tx, pod, path)?;
    let new = match (&content, path.is_container()) {
        (Content::Container, true) => {
            if current.is_some() {
                return Err(PodError::Conflict(format!(
                    "container {path} already exists; its contents are managed by the server"
                )));
            }
            Resource::container(now)
        }
        (Content::Document { .. }, true) => {
            return Err(PodError::Conflict(format!(
                "{path} is a container path (it ends with '/'); containers take no body"
            )));
        }
        (Content::Container, false) => {
            return Err(PodError::BadRequest(format!(
                "{path} does not end with '/', so it cannot be a container"
            )));
        }
        (
            Content::Document {
                kind,
                media_type,
                body,
            },
            false,
        ) => Resource::document(*kind, media_type.clone(), body.clone(), now),
    };
    let created_ancestors = ensure_ancestors(tx, pod, path, now)?;
    let old_size = current.as_ref().map_or(0, |r| r.meta.size);
    let new_resources = created_ancestors + u64::from(current.is_none());
    let bytes = rec.bytes_used - old_size + new.meta.size;
    let resources = rec.resources_used + new_resources;
    if bytes > rec.quota_bytes || resources > rec.quota_resources {
        return Err(PodError::QuotaExceeded {
            bytes_used: rec.bytes_used,
            quota_bytes: rec.quota_bytes,
            resources_used: rec.resources_used,
            quota_resources: rec.quota_resources,
        });
    }
    tx.put(resource_key(pod, path), new.encode());
    if current.is_none() {
        link_child(tx, pod, path, now)?;
    }
    rec.bytes_used = bytes;
    rec.resources_used = resources;
    put_record(tx, pod, &rec);
    Ok(match current {
        None => Written::Created(new.meta),
        Some(_) => Written::Replaced(new.meta),
    })
}

/// Creates every missing ancestor container; returns how many it created.
fn ensure_ancestors(
    tx: &mut Tx<'_>,
    pod: &PodName,
    path: &ResourcePath,
    now: u64,
) -> Result<u64, PodError> {
    let mut created = 0;
    for ancestor in path.ancestors() {
        if load_resource(tx, pod, &ancestor)?.is_some() {
            continue;
        }
        check_no_twin(tx, pod, &ancestor)?;
        tx.put(
            resource_key(pod, &ancestor),
            Resource::container(now).encode(),
        );
        link_child(tx, pod, &ancestor, now)?;
        created += 1;
    }
    Ok(created)
}

/// Refuses `a` when `a/` exists and the reverse (Solid Protocol §3.1).
fn check_no_twin(tx: &Tx<'_>, pod: &PodName, path: &ResourcePath) -> Result<(), PodError> {
    if path.is_root() {
        return Ok(());
    }
    let twin = ResourcePath::from_segments(path.segments(), !path.is_container())
        .map_err(|e| PodError::BadRequest(e.to_string()))?;
    if tx.get(&resource_key(pod, &twin))?.is_some() {
        return Err(PodError::Conflict(format!(
            "{twin} already exists; a document and a container cannot share a name"
        )));
    }
    Ok(())
}

fn link_child(
    tx: &mut Tx<'_>,
    pod: &PodName,
    path: &ResourcePath,
    now: u64,
) -> Result<(), PodError> {
    let (Some(key), Some(parent)) = (child_key(pod, path), path.parent()) else {
        return Ok(());
    };
    tx.put(key, Vec::new());
    update_container(tx, pod, &parent, now, |m| m.children += 1)
}

fn update_container(
    tx: &mut Tx<'_>,
    pod: &PodName,
    container: &ResourcePath,
    now: u64,
    change: impl FnOnce(&mut Meta),
) -> Result<(), PodError> {
    let mut res = load_resource(tx, pod, container)?
        .ok_or_else(|| PodError::NotFound(container.to_string()))?;
    change(&mut res.meta);
    res.touch(now);
    tx.put(resource_key(pod, container), res.encode());
    Ok(())
}

fn load_record(tx: &Tx<'_>, pod: &PodName) -> Result<PodRecord, PodError> {
    tx.get(&pod_key(pod))?
        .and_then(|b| serde_json::from_slice::<PodRecord>(&b).ok())
        .filter(|r| r.state == PodState::Active)
        .ok_or_else(|| PodError::PodNotFound(pod.to_string()))
}

fn put_record(tx: &mut Tx<'_>, pod: &PodName, rec: &PodRecord) {
    tx.put(
        pod_key(pod),
        serde_json::to_vec(rec).expect("pod record serialises"),
    );
}

fn load_resource(
    tx: &Tx<'_>,
    pod: &PodName,
    path: &ResourcePath,
) -> Result<Option<Resource>, PodError> {
    Ok(tx
        .get(&resource_key(pod, path))?
        .and_then(|b| Resource::decode(&b)))
}

impl From<crate::store::KvError> for PodError {
    fn from(e: crate::store::KvError) -> Self {
        PodError::Storage(StoreError::from(e))
    }
}

/// Creates a new child of `container` named after `slug` when free, else a variant of it.
pub async fn post(
    store: &Store,
    pod: &PodName,
    container: &ResourcePath,
    slug: Option<&str>,
    content: Content,
    now: u64,
) -> Result<(ResourcePath, Meta), PodError> {
    match resource(store, pod, container)? {
        Some(r) if r.meta.kind == Kind::Container => {}
        Some(_) => {
            return Err(PodError::MethodNotAllowed(format!(
                "{container} is not a container; POST creates resources inside containers"
            )));
        }
        None => return Err(PodError::NotFound(container.to_string())),
    }
    let is_container = matches!(content, Content::Container);
    let base = slug.map(sanitize_slug).filter(|s| !s.is_empty());
    for attempt in 0..4 {
        let name = match (&base, attempt) {
            (Some(b), 0) => b.clone(),
            (Some(b), _) => format!("{b}-{:08x}", rand::random::<u32>()),
            (None, _) => format!("{:016x}", rand::random::<u64>()),
        };
        let path = container
            .child(&name, is_container)
            .map_err(|e| PodError::BadRequest(e.to_string()))?;
        let conditions = Conditions {
            if_none_match: Some(EtagList::Any),
            ..Conditions::default()
        };
        match put(store, pod, &path, content.clone(), conditions, now).await {
            Ok(Written::Created(meta) | Written::Replaced(meta)) => return Ok((path, meta)),
            Err(PodError::PreconditionFailed(_) | PodError::Conflict(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(PodError::Conflict(
        "could not find a free name for the new resource; send a different Slug".into(),
    ))
}

fn sanitize_slug(slug: &str) -> String {
    let cleaned: String = slug
        .chars()
        .map(|c| if c == '/' || c.is_control() { '-' } else { c })
        .take(200)
        .collect();
    let cleaned = cleaned.trim().to_owned();
    if cleaned == "." || cleaned == ".." {
        String::new()
    } else {
        cleaned
    }
}

/// What a patch needs besides the resource: the parsed patch, the resource's URL and budget.
#[derive(Debug, Clone)]
pub struct PatchJob {
    /// The parsed patch.
    pub patch: std::sync::Arc<super::patch::Patch>,
    /// The patched resource's URL, to resolve relative IRIs in the stored document.
    pub base: String,
    /// What parsing the stored document may build.
    pub budget: super::rdf::Budget,
}

impl PatchJob {
    /// Parses the stored body (if any), applies the patch and serialises the result.
    fn run(&self, format: RdfFormat, stored: Option<&[u8]>) -> Result<Vec<u8>, PodError> {
        let quads = match stored {
            None => Vec::new(),
            Some(body) => super::rdf::parse(format, body, &self.base, self.budget)?,
        };
        let patched = self.patch.apply(quads)?;
        let max = self.budget.max_triples;
        if patched.len() > max {
            return Err(PodError::TooLarge(format!(
                "the patched resource would hold {} triples; the limit is {max}",
                patched.len()
            )));
        }
        Ok(super::rdf::serialize(&patched, format)?.into_bytes())
    }
}

/// Applies an N3 Patch: read, patch (on the work pool), write back with a check that nothing
/// changed in between (retried a few times under contention). Creates the resource if it does
/// not exist.
pub async fn patch(
    store: &Store,
    target: (&PodName, &ResourcePath),
    job: &PatchJob,
    conditions: Conditions,
    work: &super::work::Work,
    now: u64,
) -> Result<Written, PodError> {
    let (pod, path) = target;
    if path.is_container() {
        return Err(PodError::Conflict(
            "containers cannot be patched; their contents are managed by the server".into(),
        ));
    }
    for _ in 0..5 {
        let current = resource(store, pod, path)?;
        let format = match &current {
            None => RdfFormat::Turtle,
            Some(r) => (r.meta.kind == Kind::Rdf)
                .then(|| RdfFormat::from_media_type(&r.meta.media_type))
                .flatten()
                .ok_or_else(|| {
                    PodError::UnsupportedMediaType(format!(
                        "{path} is stored as {}, not RDF, so it cannot be patched",
                        r.meta.media_type
                    ))
                })?,
        };
        let (job, stored) = (job.clone(), current.as_ref().map(|r| r.body.clone()));
        let body = work
            .run(move || job.run(format, stored.as_deref()))
            .await??;
        let content = Content::Document {
            kind: Kind::Rdf,
            media_type: format.media_type().into(),
            body,
        };
        let checked = Conditions {
            expect: Some(current.map(|r| r.meta.etag)),
            ..conditions.clone()
        };
        match put(store, pod, path, content, checked, now).await {
            Err(PodError::Contended) => continue,
            other => return other,
        }
    }
    Err(PodError::Contended)
}
