//! The access policy: which modes an identity has on a path of a pod.
//!
//! * The owner — a token whose WebID (or subject) is the pod's owner *and* whose scope includes
//!   `pod:owner` — may do everything. A worker's token without `pod:owner` gets no owner rights.
//! * Everyone may read the WebID profile document.
//! * A platform's token with `gig:write` may read and write inside `/gigs/{its client id}/` only.
//! * Nothing else is allowed (matcher read access arrives with the hub's grants).

use op_protocol::path::ResourcePath;
use op_protocol::routes::{POD_GIGS, POD_PROFILE_CARD};
use op_protocol::scope::Scope;

use super::token::Verified;

/// Access modes, as in Web Access Control.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Modes {
    /// Read.
    pub read: bool,
    /// Create, replace, patch and delete.
    pub write: bool,
    /// Add to a container (POST).
    pub append: bool,
    /// Change access rules.
    pub control: bool,
}

impl Modes {
    const ALL: Modes = Modes {
        read: true,
        write: true,
        append: true,
        control: true,
    };
    const READ: Modes = Modes {
        read: true,
        write: false,
        append: false,
        control: false,
    };

    fn union(self, o: Modes) -> Modes {
        Modes {
            read: self.read || o.read,
            write: self.write || o.write,
            append: self.append || o.append,
            control: self.control || o.control,
        }
    }

    /// The `WAC-Allow` list form: `read write append control`.
    pub fn wac_list(self) -> String {
        [
            (self.read, "read"),
            (self.write, "write"),
            (self.append, "append"),
            (self.control, "control"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join(" ")
    }
}

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Identity {
    /// No token.
    Anonymous,
    /// A verified access token.
    Token(Box<Verified>),
}

impl Identity {
    /// Whether this identity is the pod's owner (WebID `owner`) acting with owner rights.
    pub fn is_owner(&self, owner: &str) -> bool {
        match self {
            Identity::Anonymous => false,
            Identity::Token(v) => {
                let webid = v.claims.webid.as_deref().unwrap_or(&v.claims.sub);
                webid == owner && v.scopes.contains(Scope::PodOwner)
            }
        }
    }
}

/// The modes anyone has on `path`.
pub fn public_modes(path: &ResourcePath) -> Modes {
    if path.key() == POD_PROFILE_CARD {
        Modes::READ
    } else {
        Modes::default()
    }
}

/// The modes `identity` has on `path` of the pod owned by the WebID `owner`.
pub fn modes(identity: &Identity, owner: &str, path: &ResourcePath) -> Modes {
    let public = public_modes(path);
    let Identity::Token(v) = identity else {
        return public;
    };
    if identity.is_owner(owner) {
        return Modes::ALL;
    }
    let mut granted = public;
    if v.scopes.contains(Scope::GigWrite)
        && let Ok(own) = ResourcePath::parse(&format!("/{POD_GIGS}"))
            .and_then(|g| g.child(&v.claims.client_id, true))
        && path.starts_with(&own)
    {
        granted = granted.union(Modes {
            read: true,
            write: true,
            append: true,
            control: false,
        });
    }
    granted
}
