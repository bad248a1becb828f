//! A pod's books against its contents: the usage its record keeps (bytes and resources, which
//! the quota is checked against), each container's child count, and its listing entries. A
//! crash must never tear them apart; the crash tests and an operator at 3 a.m. ask the same.

use op_protocol::path::PodName;
use serde::Serialize;

use super::error::PodError;
use super::model::{Kind, Resource, child_pod_prefix, resource_prefix};
use super::pods::load_record;
use crate::store::Store;

/// What an audit found; `consistent` when every count agrees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Audit {
    /// Bytes of bodies, as the pod record says.
    pub bytes_recorded: u64,
    /// Bytes of bodies, summed over the stored resources.
    pub bytes_counted: u64,
    /// Resources, as the pod record says.
    pub resources_recorded: u64,
    /// Resources stored (documents and containers, the root included).
    pub resources_counted: u64,
    /// What disagrees beyond the totals: a container whose child count is not the number of its
    /// listing entries, a listing entry that names no resource, a resource no listing names.
    pub problems: Vec<String>,
    /// Whether everything agrees.
    pub consistent: bool,
}

/// Audits `pod` in one consistent view: it runs as a write job that writes nothing, so no
/// other write interleaves with what it reads.
pub async fn audit(store: &Store, pod: &PodName) -> Result<Audit, PodError> {
    let pod = pod.clone();
    store
        .write(move |tx| {
            let record = load_record(tx, &pod)?;
            let limit = usize::try_from(record.quota_resources).unwrap_or(usize::MAX);
            let limit = limit.saturating_mul(2).saturating_add(16);
            let resources = resource_prefix(&pod);
            let mut bytes = 0;
            let mut counted = 0;
            let mut containers = std::collections::BTreeMap::new();
            let mut paths = std::collections::BTreeSet::new();
            for key in tx.keys_with_prefix(&resources, limit)? {
                let Some(resource) = tx.get(&key)?.as_deref().and_then(Resource::decode) else {
                    continue;
                };
                let path = String::from_utf8_lossy(&key[resources.len()..]).into_owned();
                bytes += resource.meta.size;
                counted += 1;
                if resource.meta.kind == Kind::Container {
                    containers.insert(path.clone(), (resource.meta.children, 0u64));
                }
                paths.insert(path);
            }
            let children = child_pod_prefix(&pod);
            let mut problems = Vec::new();
            let mut listed = std::collections::BTreeSet::new();
            for key in tx.keys_with_prefix(&children, limit)? {
                let rest = &key[children.len()..];
                let Some(split) = rest.iter().position(|b| *b == 0) else {
                    continue;
                };
                let container = String::from_utf8_lossy(&rest[..split]).into_owned();
                let child = format!("{container}{}", String::from_utf8_lossy(&rest[split + 1..]));
                match containers.get_mut(&container) {
                    Some((_, entries)) => *entries += 1,
                    None => problems.push(format!(
                        "a listing entry under {container:?}, which is not a container"
                    )),
                }
                if !paths.contains(&child) {
                    problems.push(format!(
                        "{container:?} lists {child:?}, which does not exist"
                    ));
                }
                listed.insert(child);
            }
            for (container, (count, entries)) in &containers {
                if count != entries {
                    problems.push(format!(
                        "{container:?} counts {count} children but lists {entries}"
                    ));
                }
            }
            for path in paths
                .iter()
                .filter(|p| !p.is_empty() && !listed.contains(*p))
            {
                problems.push(format!("{path:?} is in no container's listing"));
            }
            let consistent = problems.is_empty()
                && bytes == record.bytes_used
                && counted == record.resources_used;
            Ok::<_, PodError>(Audit {
                bytes_recorded: record.bytes_used,
                bytes_counted: bytes,
                resources_recorded: record.resources_used,
                resources_counted: counted,
                problems,
                consistent,
            })
        })
        .await
}
