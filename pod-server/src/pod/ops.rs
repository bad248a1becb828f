//! The operations that change a pod, each one atomic: resource and container listing change together.

use op_protocol::path::{PodName, ResourcePath};

use super::conditions::{Conditions, EtagList};
use super::error::PodError;
use super::model::{self, Kind, Meta, Resource, child_key, resource_key};
use super::pods::{load_record, put_record};
use crate::store::{ScanFrom, Store, StoreError, Tx};

/// What to store at a path.
#[derive(Debug, Clone)]
pub enum Content {
    /// A container, with its own description as N-Triples (empty: none); containment triples
    /// are never part of it.
    Container {
        /// The description.
        description: Vec<u8>,
    },
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

/// The result of a successful write.
#[derive(Debug, Clone)]
pub enum Written {
    /// A new resource was created.
    Created(Meta),
    /// An existing resource was replaced.
    Replaced(Meta),
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
        (Content::Container { description }, true) => {
            // PUT is idempotent: an existing container keeps its children and takes the new
            // description (none when the body was empty).
            let mut container = current.clone().unwrap_or_else(|| Resource::container(now));
            container.describe(description.clone(), now);
            container
        }
        (Content::Document { .. }, true) => {
            return Err(PodError::Conflict(format!(
                "{path} is a container path (it ends with '/'); containers take no body"
            )));
        }
        (Content::Container { .. }, false) => {
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
    let is_container = matches!(content, Content::Container { .. });
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
