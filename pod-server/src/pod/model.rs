//! What the store holds for a pod — pod records, resources, container listings — and its key layout.
//!
//! Keys (one ordered key space; pod names and path keys never contain NUL):
//! * `p{pod}` → [`PodRecord`]
//! * `r{pod}\0{path key}` → [`Resource`] (header + body bytes)
//! * `c{pod}\0{container key}\0{child name}` → empty: one entry per child, so listings page by range.
//! * `a{pod}\0…`, `A{pod}` → the access log (see `log.rs`).

use op_protocol::path::{PodName, ResourcePath};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What a resource is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// An LDP basic container; its representation is generated from its listing.
    Container,
    /// An RDF document, kept exactly as sent.
    Rdf,
    /// Any other bytes (images, PDF), kept with their media type.
    NonRdf,
}

/// A resource's metadata, stored before its body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// What it is.
    pub kind: Kind,
    /// The media type it was stored with (containers: `text/turtle`).
    pub media_type: String,
    /// The strong entity tag, without quotes.
    pub etag: String,
    /// Last change, Unix milliseconds.
    pub modified: u64,
    /// Body size in bytes.
    pub size: u64,
    /// Number of direct children (containers only).
    #[serde(default)]
    pub children: u64,
}

/// A stored resource: metadata and the exact bytes sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// Metadata.
    pub meta: Meta,
    /// The body as sent; a container's own description as N-Triples (often empty).
    pub body: Vec<u8>,
}

impl Resource {
    /// A new document; its ETag is derived from its media type and bytes, so an identical
    /// rewrite keeps the same ETag.
    pub fn document(kind: Kind, media_type: String, body: Vec<u8>, now: u64) -> Self {
        let etag = content_etag(&media_type, &body);
        Resource {
            meta: Meta {
                kind,
                size: body.len() as u64,
                media_type,
                etag,
                modified: now,
                children: 0,
            },
            body,
        }
    }

    /// A new, empty container.
    pub fn container(now: u64) -> Self {
        Resource {
            meta: Meta {
                kind: Kind::Container,
                media_type: "text/turtle".into(),
                etag: fresh_etag(),
                modified: now,
                size: 0,
                children: 0,
            },
            body: Vec::new(),
        }
    }

    /// Gives a container its own description (N-Triples; empty for none): new ETag and time.
    pub fn describe(&mut self, description: Vec<u8>, now: u64) {
        self.meta.size = description.len() as u64;
        self.body = description;
        self.touch(now);
    }

    /// Marks a container's listing as changed: new ETag and modification time.
    pub fn touch(&mut self, now: u64) {
        self.meta.etag = fresh_etag();
        self.meta.modified = now;
    }

    /// Encodes as `u32 header length | JSON header | body`.
    pub fn encode(&self) -> Vec<u8> {
        let header = serde_json::to_vec(&self.meta).expect("resource metadata serialises");
        let mut out = Vec::with_capacity(4 + header.len() + self.body.len());
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&self.body);
        out
    }

    /// Decodes what [`Resource::encode`] wrote; `None` if the bytes are not a resource.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let len = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
        let header = bytes.get(4..4 + len)?;
        let meta = serde_json::from_slice(header).ok()?;
        Some(Resource {
            meta,
            body: bytes[4 + len..].to_vec(),
        })
    }
}

/// Whether a pod is in service or being removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PodState {
    /// In service.
    Active,
    /// Being deleted: invisible to requests; deletion resumes after a restart.
    Deleting,
}

/// A pod: its owner, trusted issuers, quota and usage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodRecord {
    /// The pod's name (its first path segment in hosted mode).
    pub name: String,
    /// The owner's WebID when it lives elsewhere; `None` means the pod's own
    /// `profile/card#me`, resolved against the server's current public URL.
    pub owner: Option<String>,
    /// Issuers named in the profile as `solid:oidcIssuer`.
    pub issuers: Vec<String>,
    /// Creation time, Unix milliseconds.
    pub created: u64,
    /// Service state.
    pub state: PodState,
    /// Quota: most bytes of bodies the pod may hold.
    pub quota_bytes: u64,
    /// Quota: most resources (documents and containers) the pod may hold.
    pub quota_resources: u64,
    /// Bytes of bodies held.
    pub bytes_used: u64,
    /// Resources held.
    pub resources_used: u64,
    /// The hub that a worker linked this pod to with a one-time code, if any.
    #[serde(default)]
    pub linked_by: Option<String>,
    /// The hub that created this pod through the admin API, if a hub did; only that hub may
    /// inspect or delete it with its service token.
    #[serde(default)]
    pub provisioned_by: Option<String>,
}

/// Key of a pod record.
pub fn pod_key(pod: &PodName) -> Vec<u8> {
    let mut k = vec![b'p'];
    k.extend_from_slice(pod.as_str().as_bytes());
    k
}

/// Prefix of every pod record.
pub const POD_PREFIX: &[u8] = b"p";

/// Key of a resource.
pub fn resource_key(pod: &PodName, path: &ResourcePath) -> Vec<u8> {
    let mut k = resource_prefix(pod);
    k.extend_from_slice(path.key().as_bytes());
    k
}

/// Prefix of every resource of a pod.
pub fn resource_prefix(pod: &PodName) -> Vec<u8> {
    let mut k = vec![b'r'];
    k.extend_from_slice(pod.as_str().as_bytes());
    k.push(0);
    k
}

/// Prefix of every child entry of a pod.
pub fn child_pod_prefix(pod: &PodName) -> Vec<u8> {
    let mut k = vec![b'c'];
    k.extend_from_slice(pod.as_str().as_bytes());
    k.push(0);
    k
}

/// Prefix of the child entries of one container.
pub fn children_prefix(pod: &PodName, container: &ResourcePath) -> Vec<u8> {
    let mut k = child_pod_prefix(pod);
    k.extend_from_slice(container.key().as_bytes());
    k.push(0);
    k
}

/// Key of one child entry.
pub fn child_key(pod: &PodName, path: &ResourcePath) -> Option<Vec<u8>> {
    let parent = path.parent()?;
    let mut k = children_prefix(pod, &parent);
    k.extend_from_slice(path.name().as_bytes());
    Some(k)
}

/// The child name (`name` or `name/`) at the end of a child key.
pub fn child_name(key: &[u8]) -> &[u8] {
    match key.iter().rposition(|b| *b == 0) {
        Some(i) => &key[i + 1..],
        None => key,
    }
}

fn content_etag(media_type: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(media_type.as_bytes());
    h.update([0]);
    h.update(body);
    let digest = h.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

fn fresh_etag() -> String {
    format!("c{:032x}", rand::random::<u128>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_round_trip_through_their_encoding() {
        let r = Resource::document(
            Kind::Rdf,
            "text/turtle".into(),
            b"<a> <b> <c> .".to_vec(),
            7,
        );
        assert_eq!(Resource::decode(&r.encode()), Some(r.clone()));
        assert_eq!(Resource::decode(b"\xff\xff"), None);
        let same = Resource::document(Kind::Rdf, "text/turtle".into(), r.body.clone(), 9);
        assert_eq!(
            same.meta.etag, r.meta.etag,
            "identical content keeps its ETag"
        );
    }

    #[test]
    fn child_keys_of_siblings_share_the_parent_prefix_only() {
        let pod = PodName::parse("alice").unwrap();
        let doc = ResourcePath::parse("/gigs/acme/r1").unwrap();
        let key = child_key(&pod, &doc).unwrap();
        assert!(key.starts_with(&children_prefix(&pod, &doc.parent().unwrap())));
        assert_eq!(child_name(&key), b"r1");
        let deeper = ResourcePath::parse("/gigs/acme/sub/r1").unwrap();
        let key = child_key(&pod, &deeper).unwrap();
        assert!(!key.starts_with(&children_prefix(&pod, &doc.parent().unwrap())));
    }
}
