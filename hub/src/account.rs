//! Worker accounts: sign-up, password verification (argon2id), linked pod. Login throttling is
//! in `throttle`.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use op_protocol::routes;

use crate::table::Table;

/// Accounts by username.
pub const ACCOUNTS: Table<Account> = Table::new(b'u');

/// Shortest accepted password.
pub const MIN_PASSWORD: usize = 10;

/// Sign-up or login input is not acceptable.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum AccountError {
    /// The username is not a slug.
    #[error(
        "the username must be 3 to 32 lower-case letters, digits and '-', starting with a letter"
    )]
    BadUsername,
    /// The password is too short or too long.
    #[error("the password must be {MIN_PASSWORD} to 1024 characters")]
    BadPassword,
    /// The username is taken.
    #[error("that username is taken")]
    Taken,
    /// Wrong username or password (never says which).
    #[error("wrong username or password")]
    WrongCredentials,
    /// Too many failed attempts.
    #[error("too many failed attempts; try again in {0} seconds")]
    Throttled(u64),
}

/// A username: a slug, because it also names the worker's hosted pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Username(String);

impl Username {
    /// Validates a username.
    pub fn parse(name: &str) -> Result<Self, AccountError> {
        let name = name.trim();
        let ok = (3..=32).contains(&name.len())
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Username(name.to_owned()))
        } else {
            Err(AccountError::BadUsername)
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The worker's pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodLink {
    /// The pod's root URL, with a trailing slash; tokens for the pod carry it as `aud`.
    pub root: String,
    /// Provisioned by this hub's pod provider (hosted) or linked by the worker (self-hosted).
    pub hosted: bool,
    /// Since when the worker's data lives there, Unix seconds (0: not recorded).
    #[serde(default)]
    pub since: u64,
}

/// A worker account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    /// Login name.
    pub username: Username,
    /// argon2id PHC string.
    pub password_hash: String,
    /// The worker's WebID.
    pub webid: String,
    /// The worker's pod, once linked.
    pub pod: Option<PodLink>,
    /// Creation time, Unix seconds.
    pub created: u64,
    /// Other Solid-OIDC providers the worker logs in with, named in their WebID profile as
    /// `solid:oidcIssuer` beside this hub.
    #[serde(default)]
    pub identity_providers: Vec<String>,
    /// The code a provider asked the worker to put in their profile to prove the WebID is theirs
    /// (`solid:oidcIssuerRegistrationToken`), while they link it there.
    #[serde(default)]
    pub registration_token: Option<String>,
    /// Upstream identities linked to this account (`{issuer} {subject}`), one per provider.
    #[serde(default)]
    pub upstream_logins: Vec<String>,
}

/// Signing up failed.
#[derive(Debug, Error)]
pub enum SignUpError {
    /// The input was refused.
    #[error(transparent)]
    Refused(#[from] AccountError),
    /// The pod server could not create the pod.
    #[error(transparent)]
    Provision(crate::provider::ProvisionError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] op_store::StoreError),
}

/// Where a new account's data will live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodChoice {
    /// A pod hosted by this hub's pod provider (when it has one).
    Hosted,
    /// The worker's own pod, linked later from the dashboard.
    OwnPod,
}

/// Creates an account and, when the hub has a pod provider, the worker's hosted pod.
pub async fn sign_up(
    hub: &crate::state::Hub,
    username: &str,
    password: &str,
    pod: PodChoice,
) -> Result<Account, SignUpError> {
    let username = Username::parse(username)?;
    check_password(password)?;
    if ACCOUNTS.get(&hub.store, username.as_str())?.is_some() {
        return Err(AccountError::Taken.into());
    }
    let password = password.to_owned();
    let password_hash = hub
        .password_work(move || hash_password(&password))
        .await
        .map_err(|e| SignUpError::Store(op_store::StoreError::from(op_store::KvError(e))))?;
    let webid = webid_at(hub, &username);
    let provider = hub.pods.as_ref().filter(|_| pod == PodChoice::Hosted);
    let pod = match provider {
        Some(provider) => match provider.create(hub, username.as_str(), &webid).await {
            Ok(created) => Some(PodLink {
                root: created.root,
                hosted: true,
                since: hub.now(),
            }),
            Err(crate::provider::ProvisionError::Taken) => return Err(AccountError::Taken.into()),
            Err(e) => return Err(SignUpError::Provision(e)),
        },
        None => None,
    };
    let account = Account {
        username,
        password_hash,
        webid,
        pod,
        created: hub.now(),
        identity_providers: Vec::new(),
        registration_token: None,
        upstream_logins: Vec::new(),
    };
    let stored = account.clone();
    let created = hub
        .store
        .write(move |tx| {
            if ACCOUNTS.get_tx(tx, stored.username.as_str())?.is_some() {
                return Ok(false);
            }
            ACCOUNTS.put(tx, stored.username.as_str(), &stored);
            Ok::<_, op_store::StoreError>(true)
        })
        .await?;
    if created {
        Ok(account)
    } else {
        Err(AccountError::Taken.into())
    }
}

/// The WebID this hub anchors for `username`: `{hub}/people/{username}#me`. It stays the same
/// wherever the worker's pod lives (hosted here, self-hosted, none yet), so the records platforms
/// sign about it stay theirs when the worker moves their data.
pub fn webid_at(hub: &crate::state::Hub, username: &Username) -> String {
    hub.url(&format!(
        "{}#{}",
        routes::hub_person(username.as_str()),
        routes::WEBID_FRAGMENT
    ))
}

/// Whether `account`'s WebID is the one this hub anchors (accounts made before WebIDs were
/// anchored here have their hosted pod's `profile/card#me`, which cannot move with them).
pub fn webid_anchored_here(hub: &crate::state::Hub, account: &Account) -> bool {
    account.webid == webid_at(hub, &account.username)
}

/// Checks a new password against the policy.
pub fn check_password(password: &str) -> Result<(), AccountError> {
    let n = password.chars().count();
    if (MIN_PASSWORD..=1024).contains(&n) {
        Ok(())
    } else {
        Err(AccountError::BadPassword)
    }
}

/// Hashes a password with argon2id (slow by design: call it off the async executor).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing with valid parameters")
        .to_string()
}

/// Verifies a password against its argon2id hash (slow by design).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the account does not exist, so timing does not reveal it: an
/// argon2id hash with the parameters [`hash_password`] uses (a test keeps them equal), written
/// out so that no process-global state is needed to compute it once.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$Xn8I4PCU331OyxdcTd1mFQ$aBvuiS9ioNlVgljCj/JkSRJltMWzZocjwXmlW9L3dkg";

/// Deletes an account: revokes every grant (pods stop honouring its tokens), deletes the hosted
/// pod, then the account itself. Returns an error (changing nothing more) if the pod cannot be
/// deleted, so no orphan pod is left behind.
pub async fn delete(hub: &crate::state::Hub, account: &Account) -> Result<(), SignUpError> {
    let username = account.username.as_str().to_owned();
    for grant in crate::grant::grants_of(&hub.store, &username)? {
        if grant.revoked.is_none() {
            let (id, now) = (grant.id.clone(), hub.now());
            let entry = hub
                .store
                .write(move |tx| crate::grant::revoke_in_tx(tx, &id, now, "account_deleted"))
                .await?;
            if let Some(entry) = entry {
                let _ = hub.revocations.send(entry);
            }
        }
    }
    if let (Some(pod), Some(provider)) = (&account.pod, &hub.pods)
        && pod.hosted
    {
        provider
            .delete(hub, &username)
            .await
            .map_err(SignUpError::Provision)?;
    }
    hub.store
        .write(move |tx| {
            ACCOUNTS.remove(tx, &username);
            Ok::<_, op_store::StoreError>(())
        })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse battery");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong horse battery", &hash));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn usernames_are_slugs() {
        assert!(Username::parse("alice-1").is_ok());
        assert!(Username::parse("Al").is_err());
        assert!(Username::parse("1alice").is_err());
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_costs() {
        let fresh = hash_password("a password");
        let (dummy, real) = (
            PasswordHash::new(DUMMY_HASH).unwrap_or_else(|e| panic!("{e}: use {fresh}")),
            PasswordHash::new(&fresh).unwrap(),
        );
        assert_eq!(
            (dummy.algorithm, dummy.version, &dummy.params),
            (real.algorithm, real.version, &real.params),
            "replace DUMMY_HASH with {fresh}"
        );
        assert!(!verify_password("", DUMMY_HASH));
    }
}
