//! Pod names and resource paths: parsed once at the edge, so nothing downstream sees `..`, `%2F` or NUL.
//!
//! A [`ResourcePath`] is a list of percent-decoded segments plus whether it names a container
//! (a trailing slash). Its invariants: no segment is empty, `.` or `..`; no segment contains `/`,
//! NUL or another control character; segments and the whole path stay under fixed lengths.
//! So a path can never escape its pod, and `key()` is an unambiguous storage key.

use std::fmt;

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};
use thiserror::Error;

/// Longest accepted segment, in bytes after decoding (as most file systems allow).
pub const MAX_SEGMENT_BYTES: usize = 255;
/// Longest accepted path, in bytes before decoding.
pub const MAX_PATH_BYTES: usize = 2048;
/// Deepest accepted nesting.
pub const MAX_DEPTH: usize = 32;

/// Why a path or a pod name was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PathError {
    /// The path does not start with `/`.
    #[error("path must start with '/'")]
    NotAbsolute,
    /// The path is longer than [`MAX_PATH_BYTES`].
    #[error("path is longer than {MAX_PATH_BYTES} bytes")]
    TooLong,
    /// The path nests deeper than [`MAX_DEPTH`].
    #[error("path is nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// Two slashes in a row.
    #[error("path contains an empty segment ('//')")]
    EmptySegment,
    /// `.` or `..`.
    #[error("path contains a dot segment ('.' or '..')")]
    DotSegment,
    /// A `%` not followed by two hex digits, or bytes that are not UTF-8 once decoded.
    #[error("path segment {0:?} is not valid percent-encoded UTF-8")]
    BadEncoding(String),
    /// An encoded slash (`%2F`) inside a segment.
    #[error("path segment {0:?} contains an encoded '/'")]
    EncodedSlash(String),
    /// NUL or another control character.
    #[error("path segment {0:?} contains a control character")]
    ControlCharacter(String),
    /// A segment longer than [`MAX_SEGMENT_BYTES`].
    #[error("a path segment is longer than {MAX_SEGMENT_BYTES} bytes")]
    SegmentTooLong,
    /// A pod name outside `[a-z0-9-]{1,63}`, starting with a letter or digit, or a reserved one.
    #[error(
        "pod name {0:?} is not allowed: use 1 to 63 lower-case letters, digits and '-', starting with a letter or digit"
    )]
    BadPodName(String),
}

/// A validated pod name: `[a-z0-9][a-z0-9-]{0,62}`, and not reserved by the server root.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PodName(String);

impl PodName {
    /// Validates a pod name.
    pub fn parse(name: &str) -> Result<Self, PathError> {
        let ok = !name.is_empty()
            && name.len() <= 63
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !name.starts_with('-')
            && !crate::routes::RESERVED_POD_NAMES.contains(&name);
        if ok {
            Ok(PodName(name.to_owned()))
        } else {
            Err(PathError::BadPodName(name.to_owned()))
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PodName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A path inside one pod, validated and percent-decoded; the pod root is the empty container path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourcePath {
    segments: Vec<String>,
    container: bool,
}

/// Characters percent-encoded when a segment is written back into a URL.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

impl ResourcePath {
    /// The storage root of a pod.
    pub fn root() -> Self {
        ResourcePath {
            segments: Vec::new(),
            container: true,
        }
    }

    /// Parses the raw (still percent-encoded) URL path of a resource inside a pod, starting with `/`.
    pub fn parse(raw: &str) -> Result<Self, PathError> {
        if !raw.starts_with('/') {
            return Err(PathError::NotAbsolute);
        }
        if raw.len() > MAX_PATH_BYTES {
            return Err(PathError::TooLong);
        }
        let body = &raw[1..];
        if body.is_empty() {
            return Ok(Self::root());
        }
        let container = body.ends_with('/');
        let body = body.strip_suffix('/').unwrap_or(body);
        let segments = body
            .split('/')
            .map(decode_segment)
            .collect::<Result<Vec<_>, _>>()?;
        if segments.len() > MAX_DEPTH {
            return Err(PathError::TooDeep);
        }
        Ok(ResourcePath {
            segments,
            container,
        })
    }

    /// Builds a path from decoded segments, validating each one.
    pub fn from_segments<S: AsRef<str>>(
        segments: &[S],
        container: bool,
    ) -> Result<Self, PathError> {
        let segments = segments
            .iter()
            .map(|s| validate_segment(s.as_ref()).map(|()| s.as_ref().to_owned()))
            .collect::<Result<Vec<_>, _>>()?;
        if segments.len() > MAX_DEPTH {
            return Err(PathError::TooDeep);
        }
        if segments.is_empty() && !container {
            return Err(PathError::EmptySegment);
        }
        Ok(ResourcePath {
            segments,
            container,
        })
    }

    /// Whether this path names a container (ends with `/`).
    pub fn is_container(&self) -> bool {
        self.container
    }

    /// Whether this is the pod's storage root.
    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// The decoded segments.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// The last segment as it appears in its container's listing: `name` or `name/`; empty for the root.
    pub fn name(&self) -> String {
        match self.segments.last() {
            None => String::new(),
            Some(last) if self.container => format!("{last}/"),
            Some(last) => last.clone(),
        }
    }

    /// The containing container; `None` for the root.
    pub fn parent(&self) -> Option<ResourcePath> {
        if self.segments.is_empty() {
            return None;
        }
        Some(ResourcePath {
            segments: self.segments[..self.segments.len() - 1].to_vec(),
            container: true,
        })
    }

    /// Every ancestor container from the root down to the direct parent.
    pub fn ancestors(&self) -> Vec<ResourcePath> {
        (0..self.segments.len())
            .map(|n| ResourcePath {
                segments: self.segments[..n].to_vec(),
                container: true,
            })
            .collect()
    }

    /// A child of this container: `name` is a decoded segment; `container` adds the trailing slash.
    pub fn child(&self, name: &str, container: bool) -> Result<ResourcePath, PathError> {
        validate_segment(name)?;
        let mut segments = self.segments.clone();
        segments.push(name.to_owned());
        if segments.len() > MAX_DEPTH {
            return Err(PathError::TooDeep);
        }
        Ok(ResourcePath {
            segments,
            container,
        })
    }

    /// Whether `self` is `other` or lies inside it (`other` must be a container to contain anything).
    pub fn starts_with(&self, other: &ResourcePath) -> bool {
        if other == self {
            return true;
        }
        other.container
            && self.segments.len() > other.segments.len()
            && self.segments[..other.segments.len()] == other.segments[..]
    }

    /// The decoded path joined with `/`, with a trailing `/` for containers; `""` for the root.
    /// Unambiguous because segments cannot contain `/`.
    pub fn key(&self) -> String {
        let mut key = self.segments.join("/");
        if self.container && !self.segments.is_empty() {
            key.push('/');
        }
        key
    }

    /// The percent-encoded path relative to the pod root, starting with `/`.
    pub fn to_url_path(&self) -> String {
        let mut out = String::from("/");
        for (i, segment) in self.segments.iter().enumerate() {
            if i > 0 {
                out.push('/');
            }
            out.extend(utf8_percent_encode(segment, SEGMENT));
        }
        if self.container && !self.segments.is_empty() {
            out.push('/');
        }
        out
    }
}

impl fmt::Display for ResourcePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_url_path())
    }
}

/// Percent-encodes one decoded segment for use in a URL path.
pub fn encode_segment(segment: &str) -> String {
    utf8_percent_encode(segment, SEGMENT).to_string()
}

fn decode_segment(raw: &str) -> Result<String, PathError> {
    if raw.is_empty() {
        return Err(PathError::EmptySegment);
    }
    if !valid_percent_escapes(raw) {
        return Err(PathError::BadEncoding(raw.to_owned()));
    }
    let decoded = percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| PathError::BadEncoding(raw.to_owned()))?
        .into_owned();
    if decoded.contains('/') {
        return Err(PathError::EncodedSlash(raw.to_owned()));
    }
    validate_segment(&decoded).map_err(|e| match e {
        PathError::ControlCharacter(_) => PathError::ControlCharacter(raw.to_owned()),
        other => other,
    })?;
    Ok(decoded)
}

fn valid_percent_escapes(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = |b: u8| b.is_ascii_hexdigit();
            if i + 2 >= bytes.len() {
                return false;
            }
            if !(hex(bytes[i + 1]) && hex(bytes[i + 2])) {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

fn validate_segment(segment: &str) -> Result<(), PathError> {
    if segment.is_empty() {
        return Err(PathError::EmptySegment);
    }
    if segment == "." || segment == ".." {
        return Err(PathError::DotSegment);
    }
    if segment.contains('/') {
        return Err(PathError::EncodedSlash(segment.to_owned()));
    }
    if segment.chars().any(char::is_control) {
        return Err(PathError::ControlCharacter(segment.to_owned()));
    }
    if segment.len() > MAX_SEGMENT_BYTES {
        return Err(PathError::SegmentTooLong);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_parse_into_segments() {
        let p = ResourcePath::parse("/gigs/acme/rec-1").unwrap();
        assert_eq!(p.segments(), ["gigs", "acme", "rec-1"]);
        assert!(!p.is_container());
        assert_eq!(p.key(), "gigs/acme/rec-1");
        assert_eq!(p.parent().unwrap().key(), "gigs/acme/");
        assert_eq!(p.ancestors().len(), 3);
        assert!(ResourcePath::parse("/").unwrap().is_root());
        assert_eq!(ResourcePath::parse("/a/b/").unwrap().name(), "b/");
    }

    #[test]
    fn escaping_paths_are_refused() {
        for (raw, want) in [
            ("/a/../b", PathError::DotSegment),
            ("/a/./b", PathError::DotSegment),
            ("/a/%2e%2e/b", PathError::DotSegment),
            ("/a//b", PathError::EmptySegment),
            ("/a/b%2Fc", PathError::EncodedSlash("b%2Fc".into())),
            ("/a/b%00", PathError::ControlCharacter("b%00".into())),
            ("/a/%zz", PathError::BadEncoding("%zz".into())),
            ("/a/%4", PathError::BadEncoding("%4".into())),
            ("/a/%ff", PathError::BadEncoding("%ff".into())),
            ("a", PathError::NotAbsolute),
        ] {
            assert_eq!(ResourcePath::parse(raw), Err(want), "{raw}");
        }
        let long = format!("/{}", "x".repeat(300));
        assert_eq!(ResourcePath::parse(&long), Err(PathError::SegmentTooLong));
        let deep = "/a".repeat(40);
        assert_eq!(ResourcePath::parse(&deep), Err(PathError::TooDeep));
    }

    #[test]
    fn encoded_names_round_trip_through_urls() {
        let p = ResourcePath::parse("/caf%C3%A9/a%20b%3F").unwrap();
        assert_eq!(p.segments(), ["café", "a b?"]);
        assert_eq!(p.to_url_path(), "/caf%C3%A9/a%20b%3F");
        assert_eq!(ResourcePath::parse(&p.to_url_path()).unwrap(), p);
    }

    #[test]
    fn containment_follows_segments_not_prefixes() {
        let dir = ResourcePath::parse("/gigs/acme/").unwrap();
        assert!(
            ResourcePath::parse("/gigs/acme/x")
                .unwrap()
                .starts_with(&dir)
        );
        assert!(
            !ResourcePath::parse("/gigs/acme2/x")
                .unwrap()
                .starts_with(&dir)
        );
        assert!(!ResourcePath::parse("/gigs/acme").unwrap().starts_with(&dir));
    }

    #[test]
    fn pod_names_are_restricted() {
        assert!(PodName::parse("alice-1").is_ok());
        for bad in ["", "Alice", "-a", "a/b", ".admin", "a b", &"a".repeat(64)] {
            assert!(PodName::parse(bad).is_err(), "{bad}");
        }
    }
}
