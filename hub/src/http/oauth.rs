//! The back-channel OAuth endpoints: token, revoke, introspect and userinfo, and how clients
//! authenticate to them. Handlers are thin; the decisions live in `token` and `grant`. The
//! browser side (authorize → login → consent → code) is in `consent`.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use op_protocol::routes;
use op_protocol::scope::{Scope, ScopeSet};
use op_protocol::token::{ACCESS_TOKEN_TYP, AccessClaims};

use super::error::HubError;
use crate::client::{CLIENTS, Client, ClientAuth, ClientKind};
use crate::grant::{self, GRANTS, REFRESH};
use crate::oauth_error::OAuthError;
use crate::state::Hub;
use crate::token;

/// Query or form parameters, refusing repeated names (RFC 6749 §3.1).
pub(super) fn single_params(raw: &str) -> Result<HashMap<String, String>, String> {
    let mut map = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
        if map.insert(k.to_string(), v.into_owned()).is_some() {
            return Err(format!("the parameter {k:?} appears more than once"));
        }
    }
    Ok(map)
}

/// Authenticates the client at the token, revocation and introspection endpoints.
pub fn authenticate_client(
    hub: &Hub,
    req: &HttpRequest,
    form: &HashMap<String, String>,
) -> Result<Client, OAuthError> {
    if form.contains_key("client_secret") {
        return Err(OAuthError::invalid_client(
            "send the client secret with HTTP Basic authentication (client_secret_basic), not in the body",
        ));
    }
    let unknown = || OAuthError::invalid_client("unknown client or wrong credentials");
    if let Some(basic) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        let (id, secret) = basic_credentials(basic).ok_or_else(|| {
            OAuthError::invalid_client(
                "the Basic credentials must be base64 of client_id:client_secret, each percent-encoded (RFC 6749 §2.3.1)",
            )
        })?;
        if form.get("client_id").is_some_and(|f| *f != id) {
            return Err(OAuthError::invalid_request(
                "client_id in the body differs from the authenticated client",
            ));
        }
        let client = CLIENTS
            .get(&hub.store, &id)
            .ok()
            .flatten()
            .ok_or_else(unknown)?;
        return match &client.auth {
            ClientAuth::ClientSecretBasic { secret_hash }
                if hub.secret.verify(&secret, secret_hash) =>
            {
                Ok(client)
            }
            _ => Err(unknown()),
        };
    }
    if let Some(assertion) = form.get("client_assertion") {
        return crate::assertion::verify(hub, assertion, form.get("client_id").map(String::as_str));
    }
    let id = form.get("client_id").ok_or_else(|| {
        OAuthError::invalid_client(
            "authenticate the client (HTTP Basic, or client_id for public clients)",
        )
    })?;
    if crate::client_document::is_document_id(hub, id) {
        return Ok(crate::client_document::public_client(id));
    }
    let client = CLIENTS
        .get(&hub.store, id)
        .ok()
        .flatten()
        .ok_or_else(unknown)?;
    if client.is_confidential() {
        return Err(OAuthError::invalid_client(
            "this client is confidential and must authenticate",
        ));
    }
    Ok(client)
}

/// Decodes HTTP Basic client credentials (RFC 6749 §2.3.1): base64 of `id:secret`, where each
/// part is `application/x-www-form-urlencoded`-encoded on its own — so `+` is a space and `%XX` a
/// byte, and nothing else is special (no `&` or `=` splitting: the parts are not forms).
fn basic_credentials(header: &str) -> Option<(String, String)> {
    let decoded = String::from_utf8(STANDARD.decode(header.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |part: &str| -> Option<String> {
        let bytes = part.as_bytes();
        let well_formed = bytes.iter().enumerate().all(|(i, b)| {
            *b != b'%'
                || (bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                    && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
        });
        let plus_as_space = part.replace('+', " ");
        let text = percent_encoding::percent_decode_str(&plus_as_space)
            .decode_utf8()
            .ok()?;
        well_formed.then(|| text.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}

/// The form of a back-channel request (token, revoke, introspect) and the client that sent it.
fn client_form(
    hub: &Hub,
    req: &HttpRequest,
    body: &[u8],
) -> Result<(HashMap<String, String>, Client), OAuthError> {
    let raw = std::str::from_utf8(body)
        .map_err(|_| OAuthError::invalid_request("the form body is not valid UTF-8"))?;
    let form = single_params(raw).map_err(OAuthError::invalid_request)?;
    let client = authenticate_client(hub, req, &form)?;
    Ok((form, client))
}

fn no_store(body: impl serde::Serialize) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body)
}

/// `POST /token`.
pub async fn token(
    req: HttpRequest,
    hub: web::Data<Hub>,
    body: web::Bytes,
) -> Result<HttpResponse, HubError> {
    let (form, client) = client_form(&hub, &req, &body)?;
    let jkt = match req.headers().get("DPoP").and_then(|v| v.to_str().ok()) {
        Some(proof) => Some(crate::dpop::verify(
            proof,
            "POST",
            &hub.url(routes::HUB_TOKEN),
            hub.now(),
            &hub.replay,
        )?),
        None => None,
    };
    let get = |k: &str| form.get(k).map(String::as_str);
    let response = match get("grant_type") {
        Some("authorization_code") => {
            let code =
                get("code").ok_or_else(|| OAuthError::invalid_request("code is required"))?;
            token::exchange_code(
                &hub,
                &client,
                code,
                get("redirect_uri"),
                get("code_verifier"),
                jkt,
            )
            .await?
        }
        Some("refresh_token") => {
            let refresh = get("refresh_token")
                .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
            token::refresh(&hub, &client, refresh, jkt).await?
        }
        Some("client_credentials") => {
            token::client_credentials(&hub, &client, get("scope"), get("resource"), jkt)?
        }
        Some(other) => {
            return Err(OAuthError::unsupported_grant_type(format!(
                "grant_type {other:?} is not supported; use authorization_code, refresh_token or client_credentials"
            ))
            .into());
        }
        None => return Err(OAuthError::invalid_request("grant_type is required").into()),
    };
    Ok(no_store(response))
}

/// Verifies an access token this hub issued, with the hub's clock.
pub fn verify_access(hub: &Hub, token: &str) -> Option<AccessClaims> {
    let claims: AccessClaims = hub.keys().verify(token, ACCESS_TOKEN_TYP)?;
    (claims.iss == hub.issuer && claims.exp > hub.now()).then_some(claims)
}

/// `POST /revoke` (RFC 7009): revoking either token revokes its whole grant.
pub async fn revoke(
    req: HttpRequest,
    hub: web::Data<Hub>,
    body: web::Bytes,
) -> Result<HttpResponse, HubError> {
    let (form, client) = client_form(&hub, &req, &body)?;
    let token = form
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    let grant_id = match REFRESH.get(&hub.store, &hub.secret.hash(token))? {
        Some(r) if r.client_id == client.id.as_str() => Some(r.grant_id),
        Some(_) => None,
        None => match verify_access(&hub, token).filter(|c| c.client_id == client.id.as_str()) {
            Some(AccessClaims {
                grant_id: None,
                jti,
                exp,
                ..
            }) => {
                revoke_token(&hub, &jti, exp).await?;
                None
            }
            claims => claims.and_then(|c| c.grant_id),
        },
    };
    if let Some(id) = grant_id {
        revoke_grant(&hub, &id, "grant_revoked_by_client").await?;
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

/// Revokes a grant and wakes the feed's listeners.
pub async fn revoke_grant(hub: &Hub, grant_id: &str, event: &str) -> Result<(), HubError> {
    let (id, now, event) = (grant_id.to_owned(), hub.now(), event.to_owned());
    let entry = hub
        .store
        .write(move |tx| grant::revoke_in_tx(tx, &id, now, &event))
        .await?;
    if let Some(entry) = entry {
        let _ = hub.revocations.send(entry);
    }
    Ok(())
}

/// Revokes a grant-less (`client_credentials`) access token by `jti` and wakes the feed.
async fn revoke_token(hub: &Hub, jti: &str, exp: u64) -> Result<(), HubError> {
    let (jti, now) = (jti.to_owned(), hub.now());
    let entry = hub
        .store
        .write(move |tx| grant::revoke_token_in_tx(tx, &jti, exp, now))
        .await?;
    if let Some(entry) = entry {
        let _ = hub.revocations.send(entry);
    }
    Ok(())
}

/// `POST /introspect` (RFC 7662), for resource servers: answers for JWT access tokens too.
pub async fn introspect(
    req: HttpRequest,
    hub: web::Data<Hub>,
    body: web::Bytes,
) -> Result<HttpResponse, HubError> {
    let (form, caller) = client_form(&hub, &req, &body)?;
    if caller.kind != ClientKind::ResourceServer {
        return Err(
            OAuthError::unauthorized_client("only resource servers may introspect tokens").into(),
        );
    }
    let token = form
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    let inactive = serde_json::json!({ "active": false });
    let Some(claims) = verify_access(&hub, token) else {
        return Ok(no_store(inactive));
    };
    if grant::REVOKED_TOKENS
        .get(&hub.store, &claims.jti)?
        .is_some()
    {
        return Ok(no_store(inactive));
    }
    if let Some(gid) = &claims.grant_id {
        let grant = GRANTS.get(&hub.store, gid)?;
        // A grant whose worker moved their pod no longer covers tokens for the old one.
        let covers = |g: &grant::Grant| g.resource.as_deref().is_none_or(|r| r == claims.aud);
        if !grant.is_some_and(|g| g.active(hub.now()) && covers(&g)) {
            return Ok(no_store(inactive));
        }
    }
    let mut body = serde_json::to_value(&claims).unwrap_or_default();
    body["active"] = true.into();
    body["token_type"] = if claims.cnf.is_some() {
        "DPoP"
    } else {
        "Bearer"
    }
    .into();
    Ok(no_store(body))
}

/// The access token sent to userinfo and its DPoP proof, if the `DPoP` scheme was used.
fn presented_token(req: &HttpRequest) -> Result<(&str, Option<&str>), OAuthError> {
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if let Some(token) = auth.strip_prefix("Bearer ") {
        return Ok((token, None));
    }
    if let Some(token) = auth.strip_prefix("DPoP ") {
        let proof = req.headers().get("DPoP").and_then(|v| v.to_str().ok());
        let proof = proof.ok_or_else(|| {
            OAuthError::invalid_token("the DPoP scheme needs a DPoP proof header (RFC 9449 §7)")
        })?;
        return Ok((token, Some(proof)));
    }
    Err(OAuthError::invalid_token(
        "send the access token as 'Authorization: Bearer <token>', or 'Authorization: DPoP <token>' with a DPoP proof",
    ))
}

/// A DPoP-bound token needs the DPoP scheme and a fresh, unused proof by its key for this request
/// (`htm`, `htu`, `ath`); an unbound token needs `Bearer`.
fn check_binding(
    hub: &Hub,
    req: &HttpRequest,
    (token, proof): (&str, Option<&str>),
    claims: &AccessClaims,
) -> Result<(), OAuthError> {
    let bound = claims
        .cnf
        .as_ref()
        .and_then(|c| c.get("jkt"))
        .and_then(|j| j.as_str());
    let (jkt, proof) = match (bound, proof) {
        (None, None) => return Ok(()),
        (None, Some(_)) => {
            return Err(OAuthError::invalid_token(
                "this token is not DPoP-bound; send it with the Bearer scheme",
            ));
        }
        (Some(_), None) => {
            return Err(OAuthError::invalid_token(
                "this token is DPoP-bound: send 'Authorization: DPoP <token>' with a DPoP proof",
            ));
        }
        (Some(jkt), Some(proof)) => (jkt, proof),
    };
    let now = hub.now();
    let url = hub.url(routes::HUB_USERINFO);
    let proof = op_protocol::dpop::verify(proof, req.method().as_str(), &url, now, Some(token))
        .map_err(|e| OAuthError::invalid_token(e.0))?;
    if proof.jkt != jkt {
        return Err(OAuthError::invalid_token(
            "the DPoP proof is signed by another key than the token is bound to",
        ));
    }
    if !hub.replay.first_use(&format!("dpop:{}", proof.jti), now) {
        return Err(OAuthError::invalid_token(
            "the DPoP proof was already used (jti replay)",
        ));
    }
    Ok(())
}

/// `GET|POST /userinfo`: Bearer tokens, and DPoP-bound tokens with their proof.
pub async fn userinfo(req: HttpRequest, hub: web::Data<Hub>) -> Result<HttpResponse, HubError> {
    let presented = presented_token(&req)?;
    let claims = verify_access(&hub, presented.0)
        .ok_or_else(|| OAuthError::invalid_token("the access token is invalid or expired"))?;
    check_binding(&hub, &req, presented, &claims)?;
    let scopes = ScopeSet::parse(&claims.scope).unwrap_or_default();
    if !scopes.contains(Scope::OpenId) {
        return Err(OAuthError::insufficient_scope("userinfo needs the openid scope").into());
    }
    if let Some(gid) = &claims.grant_id
        && !GRANTS
            .get(&hub.store, gid)?
            .is_some_and(|g| g.active(hub.now()))
    {
        return Err(OAuthError::invalid_token("the grant behind this token was revoked").into());
    }
    Ok(no_store(
        serde_json::json!({ "sub": claims.sub, "webid": claims.webid }),
    ))
}

#[cfg(test)]
mod tests {
    use super::basic_credentials;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    fn basic(raw: &str) -> Option<(String, String)> {
        basic_credentials(&STANDARD.encode(raw))
    }

    #[test]
    fn basic_credentials_are_percent_decoded_and_never_parsed_as_a_form() {
        assert_eq!(basic("acme:s3cret"), Some(("acme".into(), "s3cret".into())));
        assert_eq!(
            basic("acme:a%2Bb+c%3Ad%26e"),
            Some(("acme".into(), "a+b c:d&e".into()))
        );
        // A form parser would read `secret&junk` as `secret` and drop the rest.
        assert_eq!(
            basic("acme:secret&junk=1"),
            Some(("acme".into(), "secret&junk=1".into()))
        );
        assert_eq!(basic("acme:bad%zz"), None);
        assert_eq!(basic("acme:bad%f"), None);
        assert_eq!(basic("acme:%ff"), None, "not UTF-8");
        assert_eq!(basic("no-colon"), None);
        assert_eq!(basic_credentials("!!not base64!!"), None);
    }
}
