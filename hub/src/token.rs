//! The token endpoint's grants — authorization code, refresh token, client credentials — and the
//! tokens they mint: RFC 9068 JWT access tokens, OpenID Connect ID tokens, rotating refresh tokens.

use op_protocol::scope::{Scope, ScopeSet};
use op_protocol::token::{ACCESS_TOKEN_TYP, AccessClaims};
use op_store::{StoreError, Tx};
use serde::Serialize;

use crate::authorize::{AuthCode, AuthRequest, CODES};
use crate::client::{Client, ClientKind};
use crate::grant::{self, GRANTS, Grant, REFRESH, RefreshToken};
use crate::oauth_error::OAuthError;
use crate::secret::{self, sha256_b64};
use crate::solid::{Audience, IdClaims, SOLID_AUDIENCE};
use crate::state::Hub;

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Clone, Serialize)]
pub struct TokenResponse {
    /// The JWT access token.
    pub access_token: String,
    /// `Bearer`, or `DPoP` when bound.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// A new refresh token, when `offline_access` was granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// An ID token, when `openid` was granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// Granted scopes.
    pub scope: String,
    /// Granted authorization details.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authorization_details: Vec<op_protocol::authorization::GigData>,
}

enum Redeemed {
    /// The grant, a new refresh token, and the request's nonce.
    Tokens(Box<(Grant, Option<String>, Option<String>)>),
    Refused(OAuthError),
}

/// Mints the access token (and, as granted, ID token) for a grant; `solid` for a Solid-OIDC
/// login (see [`crate::solid::is_solid`]).
fn respond(
    hub: &Hub,
    grant: &Grant,
    nonce: Option<String>,
    refresh_token: Option<String>,
    jkt: Option<String>,
    solid: bool,
) -> TokenResponse {
    let now = hub.now();
    let keys = hub.keys();
    let scopes = ScopeSet::parse(&grant.scope).unwrap_or_default();
    let cnf = jkt.as_ref().map(|j| serde_json::json!({ "jkt": j }));
    let audience = match (&grant.resource, solid) {
        (_, true) => SOLID_AUDIENCE.to_owned(),
        (Some(resource), false) => resource.clone(),
        (None, false) => hub.issuer.clone(),
    };
    let claims = AccessClaims {
        iss: hub.issuer.clone(),
        sub: grant.webid.clone(),
        aud: audience,
        client_id: grant.client_id.clone(),
        scope: grant.scope.clone(),
        authorization_details: grant
            .details
            .iter()
            .filter_map(|d| serde_json::to_value(d).ok())
            .collect(),
        jti: secret::random_id(),
        iat: now,
        exp: now + hub.ttl.access_secs,
        nbf: None,
        grant_id: (!grant.id.is_empty()).then(|| grant.id.clone()),
        webid: Some(grant.webid.clone()),
        cnf: cnf.clone(),
    };
    let id_token = scopes.contains(Scope::OpenId).then(|| {
        let id = IdClaims {
            iss: hub.issuer.clone(),
            sub: grant.webid.clone(),
            aud: if solid {
                Audience::Many(vec![grant.client_id.clone(), SOLID_AUDIENCE.to_owned()])
            } else {
                Audience::One(grant.client_id.clone())
            },
            azp: grant.client_id.clone(),
            iat: now,
            exp: now + hub.ttl.id_secs,
            webid: grant.webid.clone(),
            nonce,
            cnf: if solid { cnf } else { None },
        };
        if solid {
            keys.sign_es256("JWT", &id)
        } else {
            keys.sign("JWT", &id)
        }
    });
    let access_token = if solid {
        keys.sign_es256(ACCESS_TOKEN_TYP, &claims)
    } else {
        keys.sign(ACCESS_TOKEN_TYP, &claims)
    };
    TokenResponse {
        access_token,
        token_type: if jkt.is_some() { "DPoP" } else { "Bearer" },
        expires_in: hub.ttl.access_secs,
        refresh_token,
        id_token,
        scope: grant.scope.clone(),
        authorization_details: grant.details.clone(),
    }
}

/// `grant_type=authorization_code`: single use; a replayed code revokes what it issued.
pub async fn exchange_code(
    hub: &Hub,
    client: &Client,
    code: &str,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
    jkt: Option<String>,
) -> Result<TokenResponse, OAuthError> {
    let verifier = pkce_verifier(verifier)?;
    let refresh = secret::random_token();
    let redemption = Redemption {
        code_id: hub.secret.hash(code),
        now: hub.now(),
        client_id: client.id.to_string(),
        redirect_uri: redirect_uri.map(str::to_owned),
        verifier: verifier.to_owned(),
        refresh_id: hub.secret.hash(&refresh),
        refresh_secs: hub.ttl.refresh_secs,
        jkt: jkt.clone(),
    };
    let outcome = hub
        .store
        .write(move |tx| redemption.redeem(tx, refresh))
        .await?;
    match outcome {
        Redeemed::Refused(e) => Err(e),
        Redeemed::Tokens(t) => {
            let (grant, refresh, nonce) = *t;
            let solid = grant.solid;
            Ok(respond(hub, &grant, nonce, refresh, jkt, solid))
        }
    }
}

/// The PKCE `code_verifier`: required, and of the length RFC 7636 §4.1 allows.
fn pkce_verifier(verifier: Option<&str>) -> Result<&str, OAuthError> {
    let verifier =
        verifier.ok_or_else(|| OAuthError::invalid_request("code_verifier is required (PKCE)"))?;
    if !(43..=128).contains(&verifier.len()) {
        return Err(OAuthError::invalid_grant(
            "the code_verifier must be 43 to 128 characters",
        ));
    }
    Ok(verifier)
}

/// One code redemption, carried into the write that checks and spends the code.
struct Redemption {
    code_id: String,
    now: u64,
    client_id: String,
    redirect_uri: Option<String>,
    verifier: String,
    refresh_id: String,
    refresh_secs: u64,
    jkt: Option<String>,
}

impl Redemption {
    /// Spends the code (a replay revokes the grant it issued), checks it against the token
    /// request, marks the grant used and stores a refresh token when the grant is offline —
    /// all in one write, so two concurrent redemptions cannot both succeed.
    fn redeem(&self, tx: &mut Tx<'_>, refresh: String) -> Result<Redeemed, StoreError> {
        let Some(mut record) = CODES.get_tx(tx, &self.code_id)? else {
            return Ok(Redeemed::Refused(OAuthError::invalid_grant(
                "unknown or expired authorization code",
            )));
        };
        if record.used {
            grant::revoke_in_tx(tx, &record.grant_id, self.now, "code_replayed")?;
            return Ok(Redeemed::Refused(OAuthError::invalid_grant(
                "the authorization code was already used; the grant it issued is revoked",
            )));
        }
        record.used = true;
        CODES.put(tx, &self.code_id, &record);
        if let Some(why) = self.mismatch(&record) {
            return Ok(Redeemed::Refused(OAuthError::invalid_grant(why)));
        }
        let Some(mut grant) = GRANTS
            .get_tx(tx, &record.grant_id)?
            .filter(|g| g.active(self.now))
        else {
            return Ok(Redeemed::Refused(OAuthError::invalid_grant(
                "the grant has been revoked or has expired",
            )));
        };
        if grant.solid && self.jkt.is_none() {
            return Ok(Redeemed::Refused(OAuthError::invalid_dpop_proof(
                "a Solid-OIDC login (scope webid, no resource) needs a DPoP proof at the token \
                 endpoint: its tokens are bound to the app's key",
            )));
        }
        grant.last_used = Some(self.now);
        GRANTS.put(tx, &grant.id, &grant);
        let offline = ScopeSet::parse(&grant.scope).is_ok_and(|s| s.contains(Scope::OfflineAccess));
        let refresh = offline.then(|| {
            self.store_refresh(tx, &grant);
            refresh
        });
        let nonce = record.request.nonce.clone();
        Ok(Redeemed::Tokens(Box::new((grant, refresh, nonce))))
    }

    /// Why the code does not fit this token request, if it does not.
    fn mismatch(&self, record: &AuthCode) -> Option<&'static str> {
        let req: &AuthRequest = &record.request;
        if record.expires < self.now {
            Some("the authorization code has expired")
        } else if req.client_id != self.client_id {
            Some("the authorization code was issued to another client")
        } else if self.redirect_uri.is_none() && req.redirect_uri_sent {
            Some(
                "redirect_uri is required: the authorization request carried one (RFC 6749 §4.1.3)",
            )
        } else if self
            .redirect_uri
            .as_deref()
            .is_some_and(|u| u != req.redirect_uri)
        {
            Some("redirect_uri does not match the authorization request")
        } else if sha256_b64(self.verifier.as_bytes()) != req.code_challenge {
            Some("the code_verifier does not match the code_challenge")
        } else {
            None
        }
    }

    /// Stores the refresh token (by its keyed hash), bound to the DPoP key if the code was.
    fn store_refresh(&self, tx: &mut Tx<'_>, grant: &Grant) {
        REFRESH.put(
            tx,
            &self.refresh_id,
            &RefreshToken {
                grant_id: grant.id.clone(),
                client_id: self.client_id.clone(),
                expires: self.now + self.refresh_secs,
                rotated: None,
                jkt: self.jkt.clone(),
            },
        );
    }
}

/// `grant_type=refresh_token`: rotated on every use; reusing an old one revokes the whole grant.
pub async fn refresh(
    hub: &Hub,
    client: &Client,
    token: &str,
    jkt: Option<String>,
) -> Result<TokenResponse, OAuthError> {
    let old_id = hub.secret.hash(token);
    let new = secret::random_token();
    let new_id = hub.secret.hash(&new);
    let (now, client_id, refresh_secs) = (hub.now(), client.id.to_string(), hub.ttl.refresh_secs);
    let (bound, confidential) = (jkt.clone(), client.is_confidential());
    let outcome = hub
        .store
        .write(move |tx| {
            let Some(mut record) = REFRESH.get_tx(tx, &old_id)? else {
                return Ok(Redeemed::Refused(OAuthError::invalid_grant(
                    "unknown refresh token",
                )));
            };
            if record.client_id != client_id {
                return Ok(Redeemed::Refused(OAuthError::invalid_grant(
                    "the refresh token was issued to another client",
                )));
            }
            if record.rotated.is_some() {
                grant::revoke_in_tx(tx, &record.grant_id, now, "refresh_reused")?;
                return Ok(Redeemed::Refused(OAuthError::invalid_grant(
                    "the refresh token was already used; the whole grant is revoked",
                )));
            }
            if record.expires < now {
                return Ok(Redeemed::Refused(OAuthError::invalid_grant(
                    "the refresh token has expired",
                )));
            }
            if let Err(why) = record.check_binding(bound.as_deref(), confidential) {
                return Ok(Redeemed::Refused(OAuthError::invalid_dpop_proof(why)));
            }
            let Some(mut grant) = GRANTS
                .get_tx(tx, &record.grant_id)?
                .filter(|g| g.active(now))
            else {
                return Ok(Redeemed::Refused(OAuthError::invalid_grant(
                    "the grant has been revoked or has expired",
                )));
            };
            record.rotated = Some(now);
            REFRESH.put(tx, &old_id, &record);
            REFRESH.put(
                tx,
                &new_id,
                &RefreshToken {
                    grant_id: grant.id.clone(),
                    client_id: client_id.clone(),
                    expires: now + refresh_secs,
                    rotated: None,
                    jkt: bound.clone(),
                },
            );
            grant.last_used = Some(now);
            GRANTS.put(tx, &grant.id, &grant);
            Ok::<_, op_store::StoreError>(Redeemed::Tokens(Box::new((grant, Some(new), None))))
        })
        .await?;
    match outcome {
        Redeemed::Refused(e) => Err(e),
        Redeemed::Tokens(t) => {
            let (grant, refresh, _) = *t;
            let solid = grant.solid;
            Ok(respond(hub, &grant, None, refresh, jkt, solid))
        }
    }
}

/// `grant_type=client_credentials`: a confidential client's token for its own calls.
pub fn client_credentials(
    hub: &Hub,
    client: &Client,
    scope: Option<&str>,
    resource: Option<&str>,
    jkt: Option<String>,
) -> Result<TokenResponse, OAuthError> {
    if !client.is_confidential() {
        return Err(OAuthError::unauthorized_client(
            "public clients cannot use client_credentials",
        ));
    }
    if client.kind == ClientKind::WorkerApp {
        return Err(OAuthError::unauthorized_client(
            "worker apps act for a worker; use the authorization code flow",
        ));
    }
    let scopes = ScopeSet::parse(scope.unwrap_or(""))
        .map_err(|e| OAuthError::invalid_scope(e.to_string()))?;
    if scopes.iter().next().is_some() {
        return Err(OAuthError::invalid_scope(
            "client_credentials tokens carry no user scopes; gig and pod access needs the worker's consent",
        ));
    }
    let grant = Grant {
        id: String::new(),
        client_id: client.id.to_string(),
        username: String::new(),
        webid: client.id.to_string(),
        resource: resource.map(str::to_owned),
        scope: String::new(),
        details: Vec::new(),
        created: hub.now(),
        expires: None,
        last_used: None,
        revoked: None,
        solid: false,
    };
    let mut response = respond(hub, &grant, None, None, jkt, false);
    response.id_token = None;
    Ok(response)
}
