//! Solid-OIDC access tokens: the tokens any Solid app holds after its user logs in at a Solid
//! identity provider — this pod's trusted hubs, or another one such as the Community Solid
//! Server (Solid-OIDC §8).
//!
//! Such a token says "`webid` logged in at `iss`, using the app `client_id`, bound to a DPoP
//! key", for any Solid server (`aud` `solid`). The pod accepts one only for the pod's **owner**,
//! and only from an issuer the owner's WebID profile names as `solid:oidcIssuer` (a WebID anchored
//! at a trusted hub is vouched for by that hub itself). It gives owner rights: it is the worker
//! using their own pod with an app of their choice. Matchers and platforms never get access this
//! way: theirs comes from the worker's consent at the hub, in the protocol's tokens.
//!
//! The pod fetches nothing a stranger names: a profile only for a token whose `webid` is the
//! owner of the pod asked for, and an issuer's keys only once that profile names it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use op_protocol::clock::Clock;
use op_protocol::media::RdfFormat;
use serde::Deserialize;
use sophia_api::term::Term;

use op_protocol::scope::{Scope, ScopeSet};
use op_protocol::token::AccessClaims;

use super::issuer::TrustedIssuer;
use super::token::{Presented, TokenError, Verified};

/// How long a WebID profile's list of issuers is trusted before it is fetched again.
const PROFILE_TTL_MS: u64 = 5 * 60 * 1000;
/// Largest WebID profile read.
const MAX_PROFILE_BYTES: usize = 256 * 1024;
/// Most identity providers outside the trusted hubs whose keys are kept.
const MAX_OTHER_ISSUERS: usize = 64;
/// Signature algorithms accepted: what Solid identity providers use.
pub const ALGORITHMS: [jsonwebtoken::Algorithm; 5] = [
    jsonwebtoken::Algorithm::ES256,
    jsonwebtoken::Algorithm::ES384,
    jsonwebtoken::Algorithm::RS256,
    jsonwebtoken::Algorithm::PS256,
    jsonwebtoken::Algorithm::EdDSA,
];

/// What a Solid-OIDC token claims, read before its signature is checked, to decide where to
/// look for the issuer's keys.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// `iss`.
    pub iss: String,
    /// `webid`.
    pub webid: String,
}

/// A Solid-OIDC token's claims, as providers write them (`sub`, `scope` and `jti` are optional
/// there, unlike in the protocol's own tokens).
#[derive(Debug, Clone, Deserialize)]
pub struct SolidClaims {
    /// The identity provider.
    pub iss: String,
    /// The user.
    pub webid: String,
    /// Expiry.
    pub exp: u64,
    /// Issued at.
    pub iat: u64,
    /// Token id.
    #[serde(default)]
    pub jti: Option<String>,
    /// The app.
    #[serde(default)]
    pub client_id: Option<String>,
    /// The app, as some providers name it.
    #[serde(default)]
    pub azp: Option<String>,
    /// The DPoP key binding.
    #[serde(default)]
    pub cnf: Option<serde_json::Value>,
    /// The worker's grant at a trusted hub (its revocation is followed).
    #[serde(default)]
    pub grant_id: Option<String>,
}

/// Whether `token` is a Solid-OIDC token (`aud` is `solid`, or a list holding it), and what it
/// claims.
pub fn peek(token: &str) -> Option<Claimed> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let solid = match value.get("aud")? {
        serde_json::Value::String(aud) => aud == "solid",
        serde_json::Value::Array(auds) => auds.iter().any(|a| a.as_str() == Some("solid")),
        _ => false,
    };
    solid.then(|| Claimed {
        iss: value
            .get("iss")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned(),
        webid: value
            .get("webid")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned(),
    })
}

/// Two issuer identifiers name the same issuer (providers differ on a trailing slash).
pub fn same_issuer(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// What the pod remembers of Solid logins: owners' profiles and other providers' keys.
#[derive(Debug, Default)]
pub struct SolidLogins {
    /// WebID → (fetched at, ms; the issuers its profile names).
    profiles: Mutex<HashMap<String, (u64, Vec<String>)>>,
    /// Providers other than the trusted hubs, by issuer.
    others: Mutex<HashMap<String, Arc<TrustedIssuer>>>,
}

impl SolidLogins {
    /// The issuers `webid`'s profile names (`solid:oidcIssuer`), fetched at most every five
    /// minutes.
    pub async fn issuers_of(
        &self,
        http: &reqwest::Client,
        webid: &str,
        clock: &Clock,
    ) -> Result<Vec<String>, TokenError> {
        let now = clock.now_millis();
        if let Some((at, issuers)) = self.profiles.lock().expect("profiles lock").get(webid)
            && now < at + PROFILE_TTL_MS
        {
            return Ok(issuers.clone());
        }
        let issuers = fetch_issuers(http, webid).await.map_err(|e| {
            TokenError::Unavailable(format!(
                "the owner's WebID profile cannot be read to check the token's issuer: {e}"
            ))
        })?;
        let mut profiles = self.profiles.lock().expect("profiles lock");
        if profiles.len() >= MAX_OTHER_ISSUERS * 16 {
            profiles.clear();
        }
        profiles.insert(webid.to_owned(), (now, issuers.clone()));
        Ok(issuers)
    }

    /// The provider `iss` (not a trusted hub), its keys discovered on first use.
    pub fn other(&self, iss: &str) -> Arc<TrustedIssuer> {
        let mut others = self.others.lock().expect("issuers lock");
        if let Some(found) = others.get(iss) {
            return found.clone();
        }
        if others.len() >= MAX_OTHER_ISSUERS {
            others.clear();
        }
        let issuer = Arc::new(TrustedIssuer::discovered(iss, None));
        others.insert(iss.to_owned(), issuer.clone());
        issuer
    }
}

/// GETs the profile document of `webid` as Turtle and reads the issuers it names for `webid`.
async fn fetch_issuers(http: &reqwest::Client, webid: &str) -> Result<Vec<String>, String> {
    let document = webid.split('#').next().unwrap_or(webid);
    let mut res = http
        .get(document)
        .header("Accept", "text/turtle")
        .timeout(std::time::Duration::from_secs(5))
        .send()
        .await
        .map_err(|e| format!("cannot reach {document}: {e}"))?;
    if !res.status().is_success() {
        return Err(format!("{document} answered HTTP {}", res.status()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(|e| e.to_string())? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_PROFILE_BYTES {
            return Err(format!(
                "{document} is larger than {MAX_PROFILE_BYTES} bytes"
            ));
        }
    }
    let (document, webid) = (document.to_owned(), webid.to_owned());
    tokio::task::spawn_blocking(move || {
        let budget = crate::pod::rdf::Budget {
            max_triples: 10_000,
            max_bytes: 4 * MAX_PROFILE_BYTES,
        };
        let quads = crate::pod::rdf::parse(RdfFormat::Turtle, &body, &document, budget)
            .map_err(|e| format!("{document}: {e}"))?;
        Ok(quads
            .iter()
            .filter(|(spo, _)| {
                spo[0].iri().is_some_and(|s| s.as_str() == webid)
                    && spo[1]
                        .iri()
                        .is_some_and(|p| p.as_str() == op_protocol::vocab::solid::OIDC_ISSUER)
            })
            .filter_map(|(spo, _)| spo[2].iri().map(|o| o.as_str().to_owned()))
            .collect())
    })
    .await
    .map_err(|e| e.to_string())?
}

impl super::token::Verifier {
    /// Verifies a Solid-OIDC token (see the module's documentation) for the pod owned by `owner`.
    pub(super) async fn verify_solid(
        &self,
        presented: &Presented,
        claimed: Claimed,
        owner: Option<&str>,
        request: (&str, &str),
        clock: &Clock,
    ) -> Result<Verified, TokenError> {
        let token = presented.token.as_str();
        let bad = |m: String| TokenError::Invalid(m);
        if owner != Some(claimed.webid.as_str()) {
            return Err(bad(format!(
                "this Solid-OIDC token is for {:?}, who does not own this pod: a Solid login opens \
                 only one's own pod; apps acting for others get access through the worker's \
                 consent at their hub",
                claimed.webid
            )));
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| bad(format!("the token is not a well-formed JWT: {e}")))?;
        if !ALGORITHMS.contains(&header.alg) {
            return Err(bad(format!(
                "Solid-OIDC tokens must be signed with ES256, ES384, RS256, PS256 or EdDSA, not {:?}",
                header.alg
            )));
        }
        let trusted = self
            .issuers
            .iter()
            .find(|i| same_issuer(&i.issuer, &claimed.iss))
            .cloned();
        // A hub this pod trusts vouches for the WebIDs it anchors itself; any other pairing of
        // WebID and provider must be named in the WebID's profile.
        let anchored = trusted
            .as_ref()
            .is_some_and(|i| claimed.webid.starts_with(&format!("{}/", i.issuer)));
        if !anchored {
            let named = self
                .solid
                .issuers_of(&self.http, &claimed.webid, clock)
                .await?;
            if !named.iter().any(|n| same_issuer(n, &claimed.iss)) {
                return Err(bad(format!(
                    "the WebID profile of {} does not name {} as its solid:oidcIssuer",
                    claimed.webid, claimed.iss
                )));
            }
        }
        let issuer = trusted
            .clone()
            .unwrap_or_else(|| self.solid.other(&claimed.iss));
        let kid = header.kid.as_deref();
        let key = match issuer.key(kid) {
            Some(key) => Some(key),
            None if issuer.refresh(&self.http, &self.store, clock, kid).await => issuer.key(kid),
            None => None,
        }
        .ok_or_else(|| {
            bad(format!(
                "the token's signing key (kid) is not among the keys of {}",
                claimed.iss
            ))
        })?;
        let mut validation = jsonwebtoken::Validation::new(header.alg);
        validation.set_issuer(&[&claimed.iss]);
        validation.set_audience(&["solid"]);
        validation.set_required_spec_claims(&["iss", "aud", "exp"]);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        let claims = jsonwebtoken::decode::<SolidClaims>(token, &key, &validation)
            .map_err(|e| bad(format!("the Solid-OIDC token was refused: {e}")))?
            .claims;
        if claims.cnf.as_ref().and_then(|c| c.get("jkt")).is_none() {
            return Err(TokenError::Dpop(
                "Solid-OIDC tokens must be DPoP-bound (cnf.jkt): log in with DPoP".into(),
            ));
        }
        let access = claims.into_access(token);
        super::token::check_times(&access, clock.now_secs())?;
        self.check_binding(presented, &access, request, clock, true)?;
        if let Some(hub) = &trusted {
            self.check_not_revoked(hub, token, &access, clock).await?;
        }
        Ok(Verified {
            claims: access,
            scopes: ScopeSet::parse(Scope::PodOwner.as_str()).expect("pod:owner is a scope"),
        })
    }
}

impl SolidClaims {
    /// The claims in the protocol's shape: the owner (`webid`) with owner rights.
    fn into_access(self, token: &str) -> AccessClaims {
        let jti = self.jti.unwrap_or_else(|| {
            use sha2::{Digest, Sha256};
            URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
        });
        AccessClaims {
            iss: self.iss,
            sub: self.webid.clone(),
            aud: "solid".into(),
            client_id: self.client_id.or(self.azp).unwrap_or_default(),
            scope: Scope::PodOwner.as_str().into(),
            authorization_details: Vec::new(),
            jti,
            iat: self.iat,
            exp: self.exp,
            nbf: None,
            grant_id: self.grant_id,
            webid: Some(self.webid),
            cnf: self.cnf,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(payload: serde_json::Value) -> String {
        format!(
            "e30.{}.sig",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap())
        )
    }

    #[test]
    fn a_solid_token_is_told_by_its_audience() {
        let one = token(serde_json::json!({ "aud": "solid", "iss": "https://idp", "webid": "w" }));
        let many = token(serde_json::json!({ "aud": ["app", "solid"], "iss": "i", "webid": "w" }));
        let pod = token(serde_json::json!({ "aud": "https://pod.example/alice/", "iss": "i" }));
        assert_eq!(peek(&one).unwrap().iss, "https://idp");
        assert!(peek(&many).is_some());
        assert!(peek(&pod).is_none());
        assert!(peek("not a token").is_none());
    }

    #[test]
    fn issuers_compare_without_their_trailing_slash() {
        assert!(same_issuer(
            "http://localhost:3000/",
            "http://localhost:3000"
        ));
        assert!(!same_issuer(
            "http://localhost:3000",
            "http://localhost:30000"
        ));
    }
}
