//! One verdict on a record, the same wherever it is reached: the hub's backpack and CV, the
//! connector's matcher check, the demo matcher. [`Rules::judge`] adds to [`Verifier`] what only
//! the place a record was read from can tell: that it is about the pod's owner and sits in the
//! folder of the platform that signed it, and whether the hub certified that platform.

use std::fmt;

use serde_json::Value;

use super::verify::{RecordStatus, Verifier};

/// Where a record was read: the owner of the pod and the platform folder it sits in.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    /// The pod owner's WebID: the record must be about them.
    pub holder: &'a str,
    /// The platform (client id) whose folder holds the record: it must be the issuer.
    pub folder: &'a str,
}

impl<'a> Place<'a> {
    /// The place of `url` in the pod at `pod_root` owned by `holder`: `{pod_root}gigs/{folder}/…`.
    /// `None` when the URL is not inside a platform folder of that pod.
    pub fn of(url: &'a str, pod_root: &str, holder: &'a str) -> Option<Place<'a>> {
        let rest = url
            .strip_prefix(pod_root)?
            .strip_prefix(crate::routes::POD_GIGS)?;
        let (folder, name) = rest.split_once('/')?;
        (!folder.is_empty() && !name.is_empty() && !name.contains('/'))
            .then_some(Place { holder, folder })
    }
}

/// What the hub says about a platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Registered, and certified by the hub's operator.
    Certified,
    /// Registered (self-registered) but not certified.
    Registered,
    /// Not a platform of this hub.
    Unknown,
}

/// The verdict on one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Signed by a platform this hub certified, about the pod's owner, in that platform's folder,
    /// within its validity period, not revoked: a matcher may rely on it.
    Verified {
        /// The issuing platform's client id.
        platform: String,
    },
    /// Everything holds but the platform is not certified by this hub: its claims are its own.
    Uncertified {
        /// The issuing platform's client id.
        platform: String,
    },
    /// Revoked (or suspended) by its platform.
    Revoked {
        /// The issuing platform's client id.
        platform: String,
    },
    /// Not verifiable, and why.
    Invalid(String),
}

impl Verdict {
    /// Whether a matcher may rely on the record.
    pub fn is_verified(&self) -> bool {
        matches!(self, Verdict::Verified { .. })
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Verified { platform } => write!(f, "verified: signed by {platform}"),
            Verdict::Uncertified { platform } => {
                write!(f, "signed by {platform} — not certified by this hub")
            }
            Verdict::Revoked { platform } => write!(f, "revoked by {platform}"),
            Verdict::Invalid(why) => f.write_str(why),
        }
    }
}

/// The rules a hub's records are judged by.
#[derive(Clone, Copy)]
pub struct Rules<'a> {
    /// The hub's issuer URL: a record's issuer must be `{hub}/platforms/{id}`.
    pub hub: &'a str,
    /// Proof, keys, validity period and status.
    pub verifier: Verifier<'a>,
    /// The hub's standing of each platform, by client id.
    pub standing: &'a dyn Fn(&str) -> Standing,
}

impl fmt::Debug for Rules<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rules").field("hub", &self.hub).finish()
    }
}

/// The platform (client id) of an issuer URL `{hub}/platforms/{id}`, if it is one of `hub`'s.
pub fn platform_of<'i>(hub: &str, issuer: &'i str) -> Option<&'i str> {
    issuer
        .strip_prefix(hub.trim_end_matches('/'))?
        .strip_prefix(crate::routes::HUB_PLATFORMS)?
        .strip_prefix('/')
        .filter(|id| !id.is_empty() && !id.contains(['/', '#', '?']))
}

impl Rules<'_> {
    /// Judges a record read at `place` (`None` when it was handed over without one, as a file).
    pub fn judge(&self, record: &Value, place: Option<Place<'_>>) -> Verdict {
        let invalid = |why: String| Verdict::Invalid(why);
        let issuer = record.get("issuer").and_then(Value::as_str).unwrap_or("");
        let Some(platform) = platform_of(self.hub, issuer) else {
            return invalid(format!(
                "the issuer {issuer:?} is not a platform registered at {}",
                self.hub
            ));
        };
        let standing = (self.standing)(platform);
        if standing == Standing::Unknown {
            return invalid(format!(
                "the issuer {issuer} is not a platform registered at {}",
                self.hub
            ));
        }
        let verified = match self.verifier.verify(record) {
            Ok(v) => v,
            Err(e) => return invalid(e.to_string()),
        };
        if let Some(place) = place {
            let subject = record
                .pointer("/credentialSubject/id")
                .and_then(Value::as_str)
                .unwrap_or("(none)");
            if subject != place.holder {
                return invalid(format!(
                    "the record is about {subject}, not about this pod's owner {}: a copy of \
                     someone else's record",
                    place.holder
                ));
            }
            if place.folder != platform {
                return invalid(format!(
                    "the record sits in the folder of {:?} but was issued by {platform}",
                    place.folder
                ));
            }
        }
        let platform = platform.to_owned();
        match (verified.status, standing) {
            (RecordStatus::Revoked | RecordStatus::Suspended, _) => Verdict::Revoked { platform },
            (_, Standing::Certified) => Verdict::Verified { platform },
            _ => Verdict::Uncertified { platform },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_platform_documents_under_the_hub_name_a_platform() {
        let hub = "https://hub.example";
        assert_eq!(
            platform_of(hub, "https://hub.example/platforms/acme"),
            Some("acme")
        );
        assert_eq!(platform_of(hub, "https://hub.example/platforms/"), None);
        assert_eq!(platform_of(hub, "https://hub.example/platforms/a/x"), None);
        assert_eq!(
            platform_of(hub, "https://evil.example/platforms/acme"),
            None
        );
        assert_eq!(
            platform_of(hub, "https://hub.example.evil/platforms/acme"),
            None
        );
        assert_eq!(platform_of(hub, "did:key:z6Mk"), None);
    }

    #[test]
    fn a_place_is_a_platform_folder_of_the_pod() {
        let root = "https://pods.example/alice/";
        let me = "https://pods.example/alice/profile/card#me";
        let place = Place::of("https://pods.example/alice/gigs/acme/123", root, me).unwrap();
        assert_eq!((place.folder, place.holder), ("acme", me));
        assert!(Place::of("https://pods.example/alice/other/acme/123", root, me).is_none());
        assert!(Place::of("https://pods.example/bob/gigs/acme/123", root, me).is_none());
        assert!(Place::of("https://pods.example/alice/gigs/acme/x/y", root, me).is_none());
        assert!(Place::of("https://pods.example/alice/gigs/acme/", root, me).is_none());
    }

    #[test]
    fn verdicts_say_what_a_person_needs() {
        let p = || "acme".to_owned();
        assert_eq!(
            Verdict::Uncertified { platform: p() }.to_string(),
            "signed by acme — not certified by this hub"
        );
        assert!(Verdict::Verified { platform: p() }.is_verified());
        assert!(!Verdict::Uncertified { platform: p() }.is_verified());
        assert!(!Verdict::Revoked { platform: p() }.is_verified());
    }
}
