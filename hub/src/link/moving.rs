//! Moving a worker's data between the pod hosted here and their own pod, and back, keeping all
//! of it. The worker's WebID is anchored at this hub ([`crate::account::webid_at`]), so records
//! that platforms signed about it stay theirs wherever they are stored.
//!
//! A move (1) copies every resource byte for byte into the new pod, (2) in one write points the
//! account and its live grants at the new pod, with feed entries that make the old pod refuse
//! the grants' tokens (a client's next refresh gives tokens for the new pod), (3) waits until the
//! old pod refuses them, (4) copies what changed in the old pod meanwhile, and only then
//! (5) deletes a hosted pod left behind. A failure before (2) leaves the account as it was.

use std::collections::HashMap;
use std::time::Duration;

use super::{LinkError, claim, hand_feed_credentials, pod_root};
use crate::account::{ACCOUNTS, Account, PodLink};
use crate::grant::{self, AuditEvent};
use crate::pod_files::{Pod, PodFile};
use crate::state::Hub;

/// How long to wait for the old pod to refuse the moved grants' tokens.
const REFUSAL_WAIT: Duration = Duration::from_secs(5);

/// Moves a worker's data from the pod hosted here to their own pod at `pod_url`, which they
/// prove they control with the one-time `code` its pod server printed; the hosted pod is then
/// deleted.
pub async fn to_own(
    hub: &Hub,
    username: &str,
    pod_url: &str,
    code: &str,
) -> Result<PodLink, LinkError> {
    let account = movable(hub, username)?;
    let Some(from) = account.pod.clone().filter(|p| p.hosted) else {
        return Err(LinkError::Refused(
            "your pod is not hosted here, so there is nothing to move to your own pod".into(),
        ));
    };
    let url = pod_root(hub, pod_url)?;
    if url.as_str() == from.root {
        return Err(LinkError::BadUrl(
            "that is the pod hosted here; enter the address of your own pod".into(),
        ));
    }
    claim(hub, &url, code, &account.webid).await?;
    let to = PodLink {
        root: url.to_string(),
        hosted: false,
        since: hub.now(),
    };
    // Before any copy: until the pod server follows this hub's revocations, it takes none of
    // its tokens.
    hand_feed_credentials(hub, &url, username).await?;
    move_data(hub, &account, &from, &to).await?;
    if let Some(provider) = &hub.pods
        && let Err(e) = provider.delete(hub, username).await
    {
        // The account already uses the new pod; the hosted copy is left for the operator.
        tracing::warn!(%username, error = %e, "moved out, but the hosted pod could not be deleted");
    }
    Ok(to)
}

/// Moves a worker's data from their own pod to a new pod hosted here. Their own pod keeps its
/// copy: it is theirs to delete.
pub async fn to_hosted(hub: &Hub, username: &str) -> Result<PodLink, LinkError> {
    let account = movable(hub, username)?;
    let Some(provider) = &hub.pods else {
        return Err(LinkError::Refused("this hub does not host pods".into()));
    };
    let Some(from) = account.pod.clone().filter(|p| !p.hosted) else {
        return Err(LinkError::Refused(
            "your data is not in a pod of your own, so there is nothing to move here".into(),
        ));
    };
    let created = provider
        .create(hub, username, &account.webid)
        .await
        .map_err(|e| LinkError::Refused(format!("a pod could not be made for you here: {e}")))?;
    let to = PodLink {
        root: created.root,
        hosted: true,
        since: hub.now(),
    };
    let moved = move_data(hub, &account, &from, &to).await;
    if moved.is_err() {
        // Nothing points at the new pod yet: remove it, so trying again starts clean.
        let _ = provider.delete(hub, username).await;
    }
    moved.map(|()| to)
}

/// The account, if its WebID can move with it.
fn movable(hub: &Hub, username: &str) -> Result<Account, LinkError> {
    let account = ACCOUNTS
        .get(&hub.store, username)?
        .ok_or_else(|| LinkError::Refused("no such account".into()))?;
    if !crate::account::webid_anchored_here(hub, &account) {
        return Err(LinkError::Refused(format!(
            "your WebID ({}) lives in your pod, so records about it cannot move with you; \
             ask the hub's operator",
            account.webid
        )));
    }
    // The old pod refuses moved grants' tokens issued up to the second of the move; a second
    // move within that second back to the same pod would refuse the fresh ones too.
    if account
        .pod
        .as_ref()
        .is_some_and(|p| hub.now() <= p.since + 1)
    {
        return Err(LinkError::Refused(
            "your data moved a moment ago; try again in a few seconds".into(),
        ));
    }
    Ok(account)
}

/// Steps (1) to (4) of a move.
async fn move_data(
    hub: &Hub,
    account: &Account,
    from: &PodLink,
    to: &PodLink,
) -> Result<(), LinkError> {
    let (old, new) = (
        Pod::new(hub, &account.webid, from),
        Pod::new(hub, &account.webid, to),
    );
    let first = copy(&old, &new, &HashMap::new()).await?;
    let moved = switch(hub, account.username.as_str(), &from.root, to).await?;
    wait_until_refused(hub, &old, &account.webid, &from.root, &moved).await;
    copy(&old, &new, &first).await?;
    Ok(())
}

/// Copies every document of `old` whose bytes differ from `copied` (path → bytes) into `new`,
/// makes its empty containers and carries container descriptions there, and deletes from `new`
/// what `copied` had and `old` no longer holds. The pod's own profile document stays as the new
/// pod made it. Returns what it copied (path → bytes) for the next pass.
async fn copy(
    old: &Pod<'_>,
    new: &Pod<'_>,
    copied: &HashMap<String, Vec<u8>>,
) -> Result<HashMap<String, Vec<u8>>, LinkError> {
    let all: Vec<PodFile> = old
        .read_all()
        .await
        .map_err(|why| LinkError::Refused(format!("your data could not be read: {why}")))?;
    // Every container that holds something (one pass: a pod may hold 100,000 resources).
    let parents: std::collections::HashSet<&str> = all
        .iter()
        .filter(|f| !f.path.is_empty())
        .map(|f| {
            let path = f.path.trim_end_matches('/');
            path.rfind('/').map_or("", |i| &path[..=i])
        })
        .collect();
    let has_children = |dir: &str| parents.contains(dir);
    let profile = op_protocol::routes::POD_PROFILE_CARD;
    // Documents as they are; a container as its own description, and only when it has one or
    // is empty (writing a child makes its parents).
    let files: Vec<PodFile> = all
        .iter()
        .filter(|f| f.path != profile)
        .filter_map(|f| {
            if !f.is_container() {
                return Some(f.clone());
            }
            let description = f.description(old.root());
            let needed = !description.is_empty() || (!f.path.is_empty() && !has_children(&f.path));
            needed.then(|| PodFile {
                path: f.path.clone(),
                media_type: "application/ld+json".into(),
                body: description,
            })
        })
        .collect();
    let refused = |why: String| LinkError::Refused(format!("your data could not be copied: {why}"));
    for file in &files {
        if copied.get(&file.path) != Some(&file.body) {
            new.put(file).await.map_err(refused)?;
        }
    }
    let now: HashMap<String, Vec<u8>> = files.into_iter().map(|f| (f.path, f.body)).collect();
    // What the old pod no longer holds at all, deepest first, so a container goes after what
    // it held.
    let present: std::collections::HashSet<&str> = all.iter().map(|f| f.path.as_str()).collect();
    let mut gone: Vec<&String> = copied
        .keys()
        .filter(|p| !present.contains(p.as_str()))
        .collect();
    gone.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for path in gone {
        new.delete(path).await.map_err(refused)?;
    }
    Ok(now)
}

/// Step (2): one write points the account and its live grants for `from` at `to`.
async fn switch(
    hub: &Hub,
    username: &str,
    from: &str,
    to: &PodLink,
) -> Result<Vec<String>, LinkError> {
    let ids: Vec<String> = grant::grants_of(&hub.store, username)?
        .into_iter()
        .map(|g| g.id)
        .collect();
    let (user, from, to, now) = (username.to_owned(), from.to_owned(), to.clone(), hub.now());
    let entries = hub
        .store
        .write(move |tx| {
            let Some(mut account) = ACCOUNTS.get_tx(tx, &user)? else {
                return Ok(Vec::new());
            };
            let entries = grant::move_in_tx(tx, &ids, &from, &to.root, now)?;
            account.pod = Some(to);
            ACCOUNTS.put(tx, &user, &account);
            grant::audit(tx, &user, AuditEvent::of(now, "pod_moved"));
            Ok::<_, op_store::StoreError>(entries)
        })
        .await?;
    let moved = entries
        .iter()
        .filter_map(|e| e.grant_id.split_once(' ').map(|(id, _)| id.to_owned()))
        .collect();
    for entry in entries {
        let _ = hub.revocations.send(entry);
    }
    Ok(moved)
}

/// Step (3): waits (at most [`REFUSAL_WAIT`]) until the old pod refuses a token of a moved
/// grant, so no client can write there after the last copy. Nothing to wait for when no grant
/// moved: only grants' tokens can write to a worker's pod besides the worker's own apps.
async fn wait_until_refused(
    hub: &Hub,
    old: &Pod<'_>,
    webid: &str,
    old_root: &str,
    moved: &[String],
) {
    let Some(grant_id) = moved.first() else {
        return;
    };
    let deadline = tokio::time::Instant::now() + REFUSAL_WAIT;
    while tokio::time::Instant::now() < deadline {
        let token = crate::provider::grant_probe_token(hub, webid, old_root, grant_id);
        match old.status_with(&token).await {
            Ok(401) => return,
            Err(_) => return, // The old pod cannot be reached: nobody writes there either.
            Ok(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    tracing::warn!(%old_root, "the old pod did not refuse the moved grants' tokens in time");
}
