//! The access policy: which modes an identity has on a path of a pod.
//!
//! * The owner — a token whose WebID (or subject) is the pod's owner **and** whose scope includes
//!   `pod:owner` — may do everything. A worker's token without `pod:owner` gets no owner rights.
//! * Everyone may read the WebID profile document.
//! * A platform (`gig:write`) may read and write inside `/gigs/{its client id}/` only.
//! * A matcher (`gig:read`, `gig:read:summary`) may read what its grant's `gig_data`
//!   authorization details name for this pod: each named platform's folder (`full`) or only its
//!   `summary` resource (`summary`); with no platform named, every platform. `gig:read:summary`
//!   caps every detail at `summary`. Expired details give nothing.
//! * Nothing else is allowed.

use op_protocol::authorization::{Action, GigData, Level};
use op_protocol::path::ResourcePath;
use op_protocol::routes::{POD_GIGS, POD_PROFILE_CARD};
use op_protocol::scope::Scope;

use super::token::Verified;

/// The name of each platform's track-record summary inside its folder.
pub const SUMMARY: &str = op_protocol::routes::POD_SUMMARY;

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
    const READ_WRITE: Modes = Modes {
        read: true,
        write: true,
        append: true,
        control: false,
    };

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

/// The pod a request is about.
#[derive(Debug, Clone, Copy)]
pub struct PodContext<'a> {
    /// The owner's WebID.
    pub owner: &'a str,
    /// The pod's root URL.
    pub root: &'a str,
    /// Now, Unix seconds.
    pub now: u64,
}

/// The modes anyone has on `path`.
pub fn public_modes(path: &ResourcePath) -> Modes {
    if path.key() == POD_PROFILE_CARD {
        Modes::READ
    } else {
        Modes::default()
    }
}

fn gigs() -> ResourcePath {
    ResourcePath::parse(&format!("/{POD_GIGS}")).expect("the gigs path is valid")
}

/// The modes `identity` has on `path`.
pub fn modes(identity: &Identity, pod: PodContext<'_>, path: &ResourcePath) -> Modes {
    let public = public_modes(path);
    let Identity::Token(v) = identity else {
        return public;
    };
    if identity.is_owner(pod.owner) {
        return Modes::ALL;
    }
    if v.scopes.contains(Scope::GigWrite)
        && let Ok(own) = gigs().child(&v.claims.client_id, true)
        && path.starts_with(&own)
    {
        return Modes::READ_WRITE;
    }
    let reader = v.scopes.contains(Scope::GigRead) || v.scopes.contains(Scope::GigReadSummary);
    if reader && matcher_may_read(v, pod, path) {
        return Modes::READ;
    }
    public
}

/// What a token may do in this pod, in words, for the 403 a refused request gets: a developer
/// learns what their token does allow instead of a list of rules.
pub fn allowed(identity: &Identity, pod: PodContext<'_>) -> String {
    let Identity::Token(v) = identity else {
        return "without a token, only the WebID profile can be read".into();
    };
    let client = &v.claims.client_id;
    if identity.is_owner(pod.owner) {
        return "this is the owner's token: everything".into();
    }
    let mut can = Vec::new();
    if v.claims.webid.as_deref() == Some(pod.owner) {
        can.push(
            "it is the owner's, but without the scope pod:owner it has no owner rights".into(),
        );
    }
    if v.scopes.contains(Scope::GigWrite) {
        can.push(format!(
            "read and write inside /{POD_GIGS}{client}/ (platform {client})"
        ));
    }
    let summary_only = !v.scopes.contains(Scope::GigRead);
    if v.scopes.contains(Scope::GigRead) || v.scopes.contains(Scope::GigReadSummary) {
        for d in v
            .claims
            .authorization_details
            .iter()
            .filter_map(|d| serde_json::from_value::<GigData>(d.clone()).ok())
            .filter(|d| d.actions.contains(&Action::Read))
        {
            let elsewhere = !d.locations.is_empty() && !d.locations.iter().any(|l| l == pod.root);
            let expired = d.expires_at().is_some_and(|e| pod.now >= e);
            if elsewhere || expired {
                continue;
            }
            let summary = summary_only || d.level == Level::Summary;
            let folders: Vec<String> = if d.platforms.is_empty() {
                vec!["every platform's folder".into()]
            } else {
                d.platforms
                    .iter()
                    .map(|p| format!("/{POD_GIGS}{p}/"))
                    .collect()
            };
            can.push(if summary {
                format!("read only the `{SUMMARY}` of {}", folders.join(", "))
            } else {
                format!("read {}", folders.join(", "))
            });
        }
    }
    if can.is_empty() {
        return format!(
            "the token of {client} allows nothing in this pod but reading the WebID profile"
        );
    }
    format!("the token of {client} may {}", can.join("; and "))
}

fn matcher_may_read(v: &Verified, pod: PodContext<'_>, path: &ResourcePath) -> bool {
    let summary_only = !v.scopes.contains(Scope::GigRead);
    v.claims
        .authorization_details
        .iter()
        .filter_map(|d| serde_json::from_value::<GigData>(d.clone()).ok())
        .filter(|d| d.actions.contains(&Action::Read))
        .filter(|d| d.locations.is_empty() || d.locations.iter().any(|l| l == pod.root))
        .filter(|d| d.expires_at().is_none_or(|e| pod.now < e))
        .any(|d| {
            let level = if summary_only {
                Level::Summary
            } else {
                d.level
            };
            detail_allows(&d, level, path)
        })
}

fn detail_allows(d: &GigData, level: Level, path: &ResourcePath) -> bool {
    let gigs = gigs();
    // `/gigs/{platform}/...`: which platform's folder, and what inside it.
    let segments = path.segments();
    if *path == gigs {
        // Listing the platforms is allowed when every platform was granted.
        return d.platforms.is_empty();
    }
    if !path.starts_with(&gigs) || segments.len() < 2 {
        return false;
    }
    let platform = &segments[1];
    if !d.platforms.is_empty() && !d.platforms.contains(platform) {
        return false;
    }
    match level {
        Level::Full => true,
        Level::Summary => segments.len() == 3 && segments[2] == SUMMARY && !path.is_container(),
    }
}
