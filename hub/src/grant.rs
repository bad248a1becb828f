//! Grants (one per consent), refresh tokens, revocation and the revocation feed, and the audit log.

use op_protocol::authorization::GigData;
use op_store::{Store, StoreError, Tx};
use serde::{Deserialize, Serialize};

use crate::table::Table;

/// Grants by id.
pub const GRANTS: Table<Grant> = Table::new(b'g');
/// Refresh tokens by keyed hash.
pub const REFRESH: Table<RefreshToken> = Table::new(b't');
/// Revocation feed entries by zero-padded sequence number.
pub const FEED: Table<Revocation> = Table::new(b'v');
/// Audit events by `{username}\0{time}{random}`.
pub const AUDIT: Table<AuditEvent> = Table::new(b'e');
/// Counters by name.
pub const COUNTERS: Table<u64> = Table::new(b'n');
/// Revoked access tokens that belong to no grant (`client_credentials`), by `jti`, with the
/// token's expiry (after which the record is purged).
pub const REVOKED_TOKENS: Table<u64> = Table::new(b'j');

/// How a revoked grant-less token appears in the revocation feed: `grant_id` is `jti:{jti}`, so
/// pods' followers store it like any revoked grant and refuse a token whose `jti` it names.
/// Grant ids are `{username}~…` with slug usernames, so the two can never collide.
pub fn token_feed_id(jti: &str) -> String {
    op_protocol::revocation::token(jti)
}

/// A worker's consent to one client, for one pod.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Grant {
    /// Its id (carried in tokens as `grant_id`).
    pub id: String,
    /// The client.
    pub client_id: String,
    /// The worker.
    pub username: String,
    /// The worker's WebID.
    pub webid: String,
    /// The pod root the tokens are for (`aud`), if any.
    pub resource: Option<String>,
    /// Granted scopes.
    pub scope: String,
    /// Granted authorization details.
    pub details: Vec<GigData>,
    /// Creation time, Unix seconds.
    pub created: u64,
    /// End of access, Unix seconds.
    pub expires: Option<u64>,
    /// Last token issued under it.
    pub last_used: Option<u64>,
    /// Revocation time.
    pub revoked: Option<u64>,
    /// A Solid-OIDC login ([`crate::solid::is_solid`]): its tokens act as the worker at any
    /// Solid server.
    #[serde(default)]
    pub solid: bool,
}

impl Grant {
    /// Whether tokens may still be issued under it.
    pub fn active(&self, now: u64) -> bool {
        self.revoked.is_none() && self.expires.is_none_or(|e| now < e)
    }
}

/// A refresh token's record; the token itself is only ever known to the client.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshToken {
    /// The grant it belongs to.
    pub grant_id: String,
    /// The client it was issued to.
    pub client_id: String,
    /// Expiry, Unix seconds.
    pub expires: u64,
    /// Set when it was exchanged for a new one; a second use is reuse.
    pub rotated: Option<u64>,
    /// The DPoP key thumbprint its tokens were bound to (RFC 9449 §5): a refresh must come with a
    /// proof, by this very key when the client is public.
    #[serde(default)]
    pub jkt: Option<String>,
}

impl RefreshToken {
    /// Whether a refresh with a proof by `jkt` (if any) keeps the binding; `Err` says why not.
    /// Public clients have only the key to prove possession with, so it may never change;
    /// confidential clients authenticate anyway and may rotate their key, but never drop DPoP
    /// (which would turn a bound token into a bearer token).
    pub fn check_binding(&self, jkt: Option<&str>, confidential: bool) -> Result<(), &'static str> {
        match (self.jkt.as_deref(), jkt) {
            (None, _) => Ok(()),
            (Some(_), None) => Err(
                "this refresh token is bound to a DPoP key: send a DPoP proof signed by that key",
            ),
            (Some(bound), Some(presented)) if bound != presented && !confidential => {
                Err("the DPoP proof is signed by another key than the refresh token is bound to")
            }
            (Some(_), Some(_)) => Ok(()),
        }
    }
}

/// One entry of the revocation feed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Revocation {
    /// Position in the feed, from 1.
    pub seq: u64,
    /// What it revokes: a grant, a grant at one pod, or a token (see
    /// [`op_protocol::revocation`]).
    pub grant_id: String,
    /// When, Unix seconds.
    pub revoked_at: u64,
}

/// Something the worker should be able to see later.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditEvent {
    /// When, Unix seconds.
    pub at: u64,
    /// What happened: `consent_given`, `consent_denied`, `grant_revoked`, `code_replayed`,
    /// `refresh_reused`, `pod_linked`, `pod_moved`.
    pub event: String,
    /// The client involved.
    pub client_id: String,
    /// The grant involved.
    pub grant_id: Option<String>,
}

impl AuditEvent {
    /// An event of the worker's own, with no client or grant involved.
    pub fn of(at: u64, event: &str) -> AuditEvent {
        AuditEvent {
            at,
            event: event.to_owned(),
            client_id: String::new(),
            grant_id: None,
        }
    }
}

/// Records an audit event for `username` inside a write.
pub fn audit(tx: &mut Tx<'_>, username: &str, event: AuditEvent) {
    let id = format!("{username}\0{:020}{}", event.at, crate::secret::random_id());
    AUDIT.put(tx, &id, &event);
}

/// A worker's audit events, newest first.
pub fn audit_log(
    store: &Store,
    username: &str,
    limit: usize,
) -> Result<Vec<AuditEvent>, StoreError> {
    let mut events: Vec<AuditEvent> = AUDIT
        .scan(store, &format!("{username}\0"), None, 10_000)?
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    events.reverse();
    events.truncate(limit);
    Ok(events)
}

/// Revokes a grant inside a write: marks it, appends to the feed, records why. Returns the feed
/// entry, or `None` if it was already revoked.
pub fn revoke_in_tx(
    tx: &mut Tx<'_>,
    grant_id: &str,
    now: u64,
    event: &str,
) -> Result<Option<Revocation>, StoreError> {
    let Some(mut grant) = GRANTS.get_tx(tx, grant_id)? else {
        return Ok(None);
    };
    if grant.revoked.is_some() {
        return Ok(None);
    }
    grant.revoked = Some(now);
    GRANTS.put(tx, grant_id, &grant);
    let entry = append_feed(tx, grant_id, now)?;
    audit(
        tx,
        &grant.username,
        AuditEvent {
            at: now,
            event: event.to_owned(),
            client_id: grant.client_id.clone(),
            grant_id: Some(grant_id.to_owned()),
        },
    );
    Ok(Some(entry))
}

/// Appends a feed entry for `id` (see [`op_protocol::revocation`] for what it may name).
fn append_feed(tx: &mut Tx<'_>, id: &str, now: u64) -> Result<Revocation, StoreError> {
    let seq = COUNTERS.get_tx(tx, "revocations")?.unwrap_or(0) + 1;
    COUNTERS.put(tx, "revocations", &seq);
    let entry = Revocation {
        seq,
        grant_id: id.to_owned(),
        revoked_at: now,
    };
    FEED.put(tx, &format!("{seq:020}"), &entry);
    Ok(entry)
}

/// Revokes a grant-less access token by `jti` inside a write: records it until `exp` and appends
/// it to the feed. Returns the feed entry, or `None` if it was already revoked.
pub fn revoke_token_in_tx(
    tx: &mut Tx<'_>,
    jti: &str,
    exp: u64,
    now: u64,
) -> Result<Option<Revocation>, StoreError> {
    if REVOKED_TOKENS.get_tx(tx, jti)?.is_some() {
        return Ok(None);
    }
    REVOKED_TOKENS.put(tx, jti, &exp);
    append_feed(tx, &token_feed_id(jti), now).map(Some)
}

/// Points the grants `ids` that still hold tokens for the pod at `from` at the pod at `to`,
/// inside a write: the worker moved their data, and their consent goes with it. Each moved grant
/// gets a feed entry ([`op_protocol::revocation::moved`]) so the old pod refuses its tokens from
/// now on; a refresh gives tokens for the new pod. Returns the feed entries.
pub fn move_in_tx(
    tx: &mut Tx<'_>,
    ids: &[String],
    from: &str,
    to: &str,
    now: u64,
) -> Result<Vec<Revocation>, StoreError> {
    let mut moved = Vec::new();
    for id in ids {
        let Some(mut grant) = GRANTS.get_tx(tx, id)? else {
            continue;
        };
        if grant.revoked.is_some() || grant.resource.as_deref() != Some(from) {
            continue;
        }
        grant.resource = Some(to.to_owned());
        GRANTS.put(tx, id, &grant);
        moved.push(append_feed(
            tx,
            &op_protocol::revocation::moved(id, from),
            now,
        )?);
    }
    Ok(moved)
}

/// Feed entries after `after`, oldest first.
pub fn feed_after(store: &Store, after: u64, limit: usize) -> Result<Vec<Revocation>, StoreError> {
    Ok(FEED
        .scan(store, "", Some(&format!("{after:020}")), limit)?
        .into_iter()
        .map(|(_, r)| r)
        .collect())
}

/// A new grant id: `{username}~{random}`, so a worker's grants are one prefix scan.
pub fn new_grant_id(username: &str) -> String {
    format!("{username}~{}", crate::secret::random_id())
}

/// Every grant of a worker, newest first.
pub fn grants_of(store: &Store, username: &str) -> Result<Vec<Grant>, StoreError> {
    let mut out: Vec<Grant> = GRANTS
        .scan(store, &format!("{username}~"), None, 10_000)?
        .into_iter()
        .map(|(_, g)| g)
        .collect();
    out.sort_by_key(|g| std::cmp::Reverse(g.created));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::RefreshToken;

    fn bound_to(jkt: Option<&str>) -> RefreshToken {
        RefreshToken {
            grant_id: "alice~g".into(),
            client_id: "app".into(),
            expires: 100,
            rotated: None,
            jkt: jkt.map(str::to_owned),
        }
    }

    #[test]
    fn a_bound_refresh_token_needs_a_proof_and_for_public_clients_the_same_key() {
        let bound = bound_to(Some("key-a"));
        for confidential in [false, true] {
            assert!(bound.check_binding(None, confidential).is_err());
            assert!(bound.check_binding(Some("key-a"), confidential).is_ok());
        }
        assert!(bound.check_binding(Some("key-b"), false).is_err());
        assert!(bound.check_binding(Some("key-b"), true).is_ok());
        assert!(bound_to(None).check_binding(None, false).is_ok());
        assert!(bound_to(None).check_binding(Some("key-a"), false).is_ok());
    }
}
