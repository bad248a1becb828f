//! Conditional requests (RFC 9110 §13): the `If-Match` / `If-None-Match` conditions a write must
//! meet, checked against the stored resource inside the write.

use super::error::PodError;
use super::model::Meta;

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
    pub(crate) fn check(&self, current: Option<&Meta>) -> Result<(), PodError> {
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
