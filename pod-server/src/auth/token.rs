//! Access token verification against the issuers this pod trusts.
//!
//! A token is accepted only if it is an RFC 9068 access token (`typ: at+jwt`) signed with EdDSA
//! by a current key of the issuer its `iss` names, for this pod (`aud`), within its validity
//! window (checked with the injected clock), and not issued under a revoked grant. Tokens bound
//! to a DPoP key (`cnf`) must come with a valid proof (see `super::dpop`). Solid-OIDC tokens
//! (`aud` `solid`) take their own path (`super::solid`).

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, Validation};
use op_protocol::clock::Clock;
use op_protocol::scope::ScopeSet;
use op_protocol::token::{ACCESS_TOKEN_TYP, AccessClaims};
use op_store::Store;
use thiserror::Error;

use super::issuer::{KeySource, TrustedIssuer};
use super::revocation::{IntrospectionCache, Revocations};

/// Verified signatures by the hash of (audience, token): the issuer's index and the claims.
type SignatureCache = std::sync::Mutex<std::collections::HashMap<[u8; 32], (usize, Verified)>>;

/// Most tokens whose signature check is remembered; the cache starts over when full.
const SIGNATURE_CACHE: usize = 10_000;

/// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
pub const LEEWAY_SECS: u64 = 30;

/// Why a token was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// The token is not acceptable: 401 with `WWW-Authenticate: Bearer error="invalid_token"`.
    #[error("{0}")]
    Invalid(String),
    /// Its status cannot be checked right now (hub out of reach past the grace period): 503.
    #[error("{0}")]
    Unavailable(String),
    /// The DPoP proof is missing or wrong: 401 with `WWW-Authenticate: DPoP error="invalid_dpop_proof"`.
    #[error("{0}")]
    Dpop(String),
}

/// An access token as the request presented it.
#[derive(Debug, Clone)]
pub struct Presented {
    /// The token.
    pub token: String,
    /// The DPoP proof, when the `DPoP` scheme was used.
    pub proof: Option<String>,
}

/// Proof `jti`s, kept twice the acceptance window.
#[derive(Debug)]
pub struct ReplayCache(op_protocol::dpop::ReplayCache);

impl Default for ReplayCache {
    fn default() -> Self {
        ReplayCache(op_protocol::dpop::ReplayCache::new(
            2 * op_protocol::dpop::WINDOW_SECS,
        ))
    }
}

impl ReplayCache {
    fn first_use(&self, jti: &str, now: u64) -> bool {
        self.0.first_use(jti, now)
    }
}

/// A verified caller.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The token's claims.
    pub claims: AccessClaims,
    /// Its scopes, parsed.
    pub scopes: ScopeSet,
}

/// Verifies access tokens for one pod server.
#[derive(Debug, Clone)]
pub struct Verifier {
    pub(super) issuers: Vec<Arc<TrustedIssuer>>,
    revocations: Arc<Revocations>,
    introspection: Arc<IntrospectionCache>,
    replay: Arc<ReplayCache>,
    signatures: Arc<SignatureCache>,
    pub(super) solid: Arc<super::solid::SolidLogins>,
    pub(super) http: reqwest::Client,
    pub(super) store: Store,
    grace_ms: u64,
}

impl Verifier {
    /// A verifier trusting `issuers`; `grace_ms` is how long a dropped revocation feed is
    /// tolerated before tokens are checked by introspection.
    pub fn new(
        issuers: Vec<Arc<TrustedIssuer>>,
        revocations: Arc<Revocations>,
        http: reqwest::Client,
        store: Store,
        grace_ms: u64,
    ) -> Self {
        Verifier {
            issuers,
            revocations,
            introspection: Arc::default(),
            replay: Arc::default(),
            signatures: Arc::default(),
            solid: Arc::default(),
            http,
            store,
            grace_ms,
        }
    }

    /// The trusted issuers.
    pub fn issuers(&self) -> &[Arc<TrustedIssuer>] {
        &self.issuers
    }

    /// The HTTP client for talking to issuers.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The revoked-grant set.
    pub fn revocations(&self) -> &Arc<Revocations> {
        &self.revocations
    }

    /// Verifies a presented token for the pod whose root URL is `audience` and whose owner is
    /// `owner` (if the request is about a pod); `request` is the method and absolute URL, which a
    /// DPoP proof must match. The signature check is cached per token; expiry, the DPoP proof and
    /// revocation are checked on every request.
    pub async fn verify(
        &self,
        presented: &Presented,
        audience: &str,
        owner: Option<&str>,
        request: (&str, &str),
        clock: &Clock,
    ) -> Result<Verified, TokenError> {
        let token = presented.token.as_str();
        if let Some(claimed) = super::solid::peek(token) {
            return self
                .verify_solid(presented, claimed, owner, request, clock)
                .await;
        }
        let cache_key: [u8; 32] = {
            use sha2::{Digest, Sha256};
            let mut h = Sha256::new();
            h.update(audience.as_bytes());
            h.update([0]);
            h.update(token.as_bytes());
            h.finalize().into()
        };
        let cached = self
            .signatures
            .lock()
            .expect("signature cache lock")
            .get(&cache_key)
            .cloned();
        let (issuer, verified) = match cached {
            Some(hit) => hit,
            None => {
                let fresh = self.verify_signature(token, audience, clock).await?;
                let mut cache = self.signatures.lock().expect("signature cache lock");
                if cache.len() >= SIGNATURE_CACHE {
                    cache.clear();
                }
                cache.insert(cache_key, fresh.clone());
                fresh
            }
        };
        let claims = &verified.claims;
        check_times(claims, clock.now_secs())?;
        self.check_binding(presented, claims, request, clock, false)?;
        self.check_not_revoked(&self.issuers[issuer], token, claims, clock)
            .await?;
        Ok(verified)
    }

    /// The expensive part: header, trusted issuer, key (refreshed on an unknown `kid`),
    /// signature, issuer and audience. Returns the issuer's index and the verified claims.
    async fn verify_signature(
        &self,
        token: &str,
        audience: &str,
        clock: &Clock,
    ) -> Result<(usize, Verified), TokenError> {
        let bad = |m: &str| TokenError::Invalid(m.to_owned());
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| TokenError::Invalid(format!("the token is not a well-formed JWT: {e}")))?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::Invalid(format!(
                "tokens must be signed with EdDSA, not {:?}",
                header.alg
            )));
        }
        let typ = header.typ.as_deref().unwrap_or("").to_ascii_lowercase();
        if typ != ACCESS_TOKEN_TYP && typ != "application/at+jwt" {
            return Err(bad(
                "not an access token (typ must be at+jwt); ID tokens and other JWTs are refused",
            ));
        }
        let iss = unverified_issuer(token).ok_or_else(|| bad("the token has no iss claim"))?;
        let index = self
            .issuers
            .iter()
            .position(|i| i.issuer == iss)
            .ok_or_else(|| {
                TokenError::Invalid(format!("issuer {iss} is not trusted by this pod"))
            })?;
        let issuer = &self.issuers[index];
        let key = match issuer.key(header.kid.as_deref()) {
            Some(k) => k,
            // An unknown key id may be a key the hub just rotated in: fetch its keys once.
            None if issuer
                .refresh(&self.http, &self.store, clock, header.kid.as_deref())
                .await =>
            {
                issuer.key(header.kid.as_deref()).ok_or_else(|| {
                    bad("the token's signing key (kid) is not among the issuer's keys")
                })?
            }
            None => {
                return Err(bad(
                    "the token's signing key (kid) is not among the issuer's keys",
                ));
            }
        };
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&issuer.issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["iss", "aud", "exp", "sub"]);
        // Expiry is checked by the caller with the injected clock, not the system time.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        let claims = jsonwebtoken::decode::<AccessClaims>(token, &key, &validation)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind as K;
                TokenError::Invalid(match e.kind() {
                    K::InvalidSignature => "the token's signature is invalid".into(),
                    K::InvalidAudience => {
                        format!("the token is for another resource server, not {audience}")
                    }
                    K::InvalidIssuer => "the token's issuer does not match".into(),
                    _ => format!("the token was refused: {e}"),
                })
            })?
            .claims;
        let scopes =
            ScopeSet::parse(&claims.scope).map_err(|e| TokenError::Invalid(e.to_string()))?;
        Ok((index, Verified { claims, scopes }))
    }

    /// A DPoP-bound token (`cnf.jkt`) needs the DPoP scheme and a fresh proof by its key for
    /// this request (`htm`, `htu`, `iat`, `ath`, unused `jti`); an unbound token needs `Bearer`.
    /// A Solid-OIDC token's proof may leave out `ath` ([`op_protocol::dpop::verify_solid`]).
    pub(super) fn check_binding(
        &self,
        presented: &Presented,
        claims: &AccessClaims,
        (method, url): (&str, &str),
        clock: &Clock,
        solid: bool,
    ) -> Result<(), TokenError> {
        let bound = claims
            .cnf
            .as_ref()
            .and_then(|c| c.get("jkt"))
            .and_then(|j| j.as_str());
        match (bound, &presented.proof) {
            (None, None) => Ok(()),
            (None, Some(_)) => Err(TokenError::Invalid(
                "this token is not DPoP-bound; send it with the Bearer scheme".into(),
            )),
            (Some(_), None) => Err(TokenError::Dpop(
                "this token is DPoP-bound: send 'Authorization: DPoP <token>' with a DPoP proof"
                    .into(),
            )),
            (Some(jkt), Some(proof)) => {
                let now = clock.now_secs();
                let token = presented.token.as_str();
                let proof = if solid {
                    op_protocol::dpop::verify_solid(proof, method, url, now, token)
                } else {
                    op_protocol::dpop::verify(proof, method, url, now, Some(token))
                }
                .map_err(|e| TokenError::Dpop(e.0))?;
                if proof.jkt != jkt {
                    return Err(TokenError::Dpop(
                        "the DPoP proof is signed by another key than the token is bound to".into(),
                    ));
                }
                if !self.replay.first_use(&proof.jti, now) {
                    return Err(TokenError::Dpop(
                        "the DPoP proof was already used (jti replay)".into(),
                    ));
                }
                Ok(())
            }
        }
    }

    pub(super) async fn check_not_revoked(
        &self,
        issuer: &TrustedIssuer,
        token: &str,
        claims: &AccessClaims,
        clock: &Clock,
    ) -> Result<(), TokenError> {
        if let Some(grant) = &claims.grant_id {
            if self.revocations.is_revoked(&issuer.issuer, grant) {
                return Err(TokenError::Invalid(
                    "the grant behind this token has been revoked".into(),
                ));
            }
            let moved = op_protocol::revocation::moved(grant, &claims.aud);
            if self
                .revocations
                .revoked_at(&issuer.issuer, &moved)
                .is_some_and(|at| claims.iat <= at)
            {
                return Err(TokenError::Invalid(
                    "the worker moved their data to another pod: refresh the token to get one \
                     for the pod the grant now points at"
                        .into(),
                ));
            }
        }
        // A token without a grant (client credentials) is revoked on its own: the hub's feed
        // names it by its `jti`.
        if self
            .revocations
            .is_revoked(&issuer.issuer, &op_protocol::revocation::token(&claims.jti))
        {
            return Err(TokenError::Invalid("this token has been revoked".into()));
        }
        // A hub's own service token (admin calls, linking) belongs to no grant: nothing to revoke.
        if claims.grant_id.is_none() && claims.sub == claims.iss {
            return Ok(());
        }
        if issuer.credentials.get().is_none() {
            return match issuer.source {
                // A JWKS file names an offline issuer with no feed (tests, air-gapped setups):
                // its tokens live until they expire, as docs/POD.md says.
                KeySource::Static => Ok(()),
                KeySource::Discovered => Err(TokenError::Unavailable(format!(
                    "this pod server cannot follow the revocations of {} yet, so it accepts none \
                     of its tokens: link the pod from the hub's dashboard (which gives the pod \
                     server its credentials there), or set client_id and client_secret for this \
                     trusted issuer",
                    issuer.issuer
                ))),
            };
        }
        let now_ms = clock.now_millis();
        if issuer.feed.fresh(now_ms, self.grace_ms) {
            return Ok(());
        }
        match self
            .introspection
            .active(issuer, &self.http, token, &claims.jti, now_ms)
            .await
        {
            Ok(true) => Ok(()),
            Ok(false) => Err(TokenError::Invalid(
                "the issuer reports this token inactive (revoked or expired)".into(),
            )),
            Err(e) => Err(TokenError::Unavailable(format!(
                "the token's revocation status cannot be checked: the hub's revocation feed and introspection are out of reach ({e}); retry shortly"
            ))),
        }
    }
}

/// Within `exp` and `nbf`/`iat`, with [`LEEWAY_SECS`] of clock skew.
pub(super) fn check_times(claims: &AccessClaims, now: u64) -> Result<(), TokenError> {
    let bad = |m: &str| TokenError::Invalid(m.to_owned());
    if claims.exp + LEEWAY_SECS < now {
        return Err(bad("the token has expired"));
    }
    if claims.nbf.is_some_and(|nbf| nbf > now + LEEWAY_SECS) || claims.iat > now + LEEWAY_SECS {
        return Err(bad("the token is not valid yet"));
    }
    Ok(())
}

/// Reads `iss` from the payload without verifying, only to pick the issuer's keys.
fn unverified_issuer(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.get("iss")?.as_str().map(str::to_owned)
}
