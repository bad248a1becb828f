//! OAuth scopes of the Open Platforms protocol (DESIGN §4), parsed once into a set.

use std::collections::BTreeSet;
use std::fmt;

use thiserror::Error;

/// One scope the hub can grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// `openid`: an ID token.
    OpenId,
    /// `webid`: the worker's WebID in tokens.
    WebId,
    /// `offline_access`: a refresh token.
    OfflineAccess,
    /// `gig:write`: a platform writes its own container in the pod.
    GigWrite,
    /// `gig:read`: a matcher reads the records its grant names.
    GigRead,
    /// `gig:read:summary`: a matcher reads only each named platform's summary.
    GigReadSummary,
    /// `pod:owner`: full access to the worker's own pod, for the worker's own apps.
    PodOwner,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 7] = [
        Scope::OpenId,
        Scope::WebId,
        Scope::OfflineAccess,
        Scope::GigWrite,
        Scope::GigRead,
        Scope::GigReadSummary,
        Scope::PodOwner,
    ];

    /// The scope token as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::OpenId => "openid",
            Scope::WebId => "webid",
            Scope::OfflineAccess => "offline_access",
            Scope::GigWrite => "gig:write",
            Scope::GigRead => "gig:read",
            Scope::GigReadSummary => "gig:read:summary",
            Scope::PodOwner => "pod:owner",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scope string contained a token this protocol does not define.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("unknown scope {0:?}")]
pub struct UnknownScope(pub String);

/// A set of scopes, parsed from and written as a space-separated string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeSet(BTreeSet<Scope>);

impl ScopeSet {
    /// Parses a space-separated scope string; any unknown token is an error.
    pub fn parse(text: &str) -> Result<Self, UnknownScope> {
        text.split_ascii_whitespace()
            .map(|token| {
                Scope::ALL
                    .into_iter()
                    .find(|s| s.as_str() == token)
                    .ok_or_else(|| UnknownScope(token.to_owned()))
            })
            .collect::<Result<BTreeSet<_>, _>>()
            .map(ScopeSet)
    }

    /// Whether the set holds `scope`.
    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    /// The scopes in a stable order.
    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        ScopeSet(iter.into_iter().collect())
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text: Vec<&str> = self.0.iter().map(|s| s.as_str()).collect();
        f.write_str(&text.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_strings_round_trip_and_unknown_tokens_fail() {
        let set = ScopeSet::parse("openid  gig:read:summary pod:owner").unwrap();
        assert!(set.contains(Scope::PodOwner));
        assert!(!set.contains(Scope::GigRead));
        assert_eq!(set.to_string(), "openid gig:read:summary pod:owner");
        assert_eq!(
            ScopeSet::parse("gig:admin"),
            Err(UnknownScope("gig:admin".into()))
        );
    }
}
