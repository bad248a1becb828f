//! The admin API: create, inspect and delete pods. Bearer-token protected; off without a token.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use op_protocol::path::PodName;
use serde::Deserialize;
use subtle::ConstantTimeEq;
use url::Url;

use crate::auth::token::Presented;

use super::AppState;
use super::error::HttpError;
use crate::pod::model::PodRecord;
use crate::pod::pods;

/// Body of `POST /.admin/pods`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePod {
    /// The pod name.
    pub name: String,
    /// The owner's WebID; defaults to the pod's own `profile/card#me`.
    pub owner: Option<String>,
}

/// Who called the admin API.
#[derive(Debug)]
enum Caller {
    /// The operator, with the static admin token.
    Operator,
    /// A trusted hub, with its service token.
    Hub(String),
}

/// The admin API takes the operator's static token, or a service token that a trusted hub signed
/// for itself (`sub` = `iss`, `aud` = this server's root) — how a hub provisions hosted pods
/// without any shared secret.
async fn authorize(req: &HttpRequest, state: &AppState) -> Result<Caller, HttpError> {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            HttpError::Unauthenticated(
                "the admin API needs 'Authorization: Bearer <admin token or hub service token>'"
                    .into(),
            )
        })?;
    if let Some(expected) = &state.admin_token
        && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
    {
        return Ok(Caller::Operator);
    }
    if given.matches('.').count() == 2 {
        let presented = Presented {
            token: given.to_owned(),
            proof: None,
        };
        let url = format!("{}{}", state.base, req.uri().path());
        let verified = state
            .verifier
            .verify(
                &presented,
                &format!("{}/", state.base),
                None,
                (req.method().as_str(), &url),
                &state.clock,
            )
            .await?;
        if verified.claims.sub == verified.claims.iss {
            return Ok(Caller::Hub(verified.claims.iss));
        }
        return Err(HttpError::Forbidden(
            "only the operator's admin token or a hub's own service token may use the admin API"
                .into(),
        ));
    }
    Err(HttpError::Forbidden("wrong admin token".into()))
}

impl Caller {
    /// Refuses a hub acting on a pod it did not provision; the operator may act on any pod.
    fn may_manage(&self, record: &PodRecord) -> Result<(), HttpError> {
        match self {
            Caller::Operator => Ok(()),
            Caller::Hub(iss) if record.provisioned_by.as_deref() == Some(iss.as_str()) => Ok(()),
            Caller::Hub(iss) => Err(HttpError::Forbidden(format!(
                "pod {:?} was not provisioned by {iss}; a hub manages only the pods it created",
                record.name
            ))),
        }
    }
}

/// `POST /.admin/pods`: creates a pod; 201 with its URLs.
pub async fn create_pod(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, HttpError> {
    let caller = authorize(&req, &state).await?;
    let body: CreatePod = serde_json::from_slice(&body)
        .map_err(|e| HttpError::BadRequest(format!("expected JSON {{\"name\": \"...\"}}: {e}")))?;
    let name = PodName::parse(&body.name)?;
    if state.single_pod.is_some() {
        return Err(HttpError::BadRequest(
            "this server runs in single-pod mode and cannot host more pods".into(),
        ));
    }
    let provisioned_by = match caller {
        Caller::Operator => None,
        Caller::Hub(iss) => Some(iss),
    };
    let record = state.create_pod(name, body.owner, provisioned_by).await?;
    let name = PodName::parse(&record.name)?;
    let root = state.pod_root(&name);
    let webid = state.owner_webid(&name, &record);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, root.clone()))
        .json(serde_json::json!({ "name": record.name, "root": root, "webid": webid })))
}

/// `GET /.admin/pods/{name}`: the pod's record, with usage and quota.
pub async fn get_pod(
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, HttpError> {
    let (_, record) = managed(&req, &state, &name).await?;
    Ok(HttpResponse::Ok().json(record))
}

/// The pod `name` and its record, if the caller may manage it (the admin token, or the hub
/// that provisioned it).
async fn managed(
    req: &HttpRequest,
    state: &AppState,
    name: &str,
) -> Result<(PodName, PodRecord), HttpError> {
    let caller = authorize(req, state).await?;
    let name = PodName::parse(name)?;
    let record = pods::active_pod(&state.store, &name)?;
    caller.may_manage(&record)?;
    Ok((name, record))
}

/// `GET /.admin/pods/{name}/audit`: the pod's usage and listings checked against its contents
/// (`consistent`, the counts on both sides, and what disagrees).
pub async fn audit_pod(
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, HttpError> {
    let (name, _) = managed(&req, &state, &name).await?;
    let audit = crate::pod::audit::audit(&state.store, &name).await?;
    Ok(HttpResponse::Ok().json(audit))
}

/// `DELETE /.admin/pods/{name}`: deletes the pod and everything in it.
pub async fn delete_pod(
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, HttpError> {
    let (name, _) = managed(&req, &state, &name).await?;
    pods::delete_pod(&state.store, &name).await?;
    state.tallies.forget(&name);
    Ok(HttpResponse::NoContent().finish())
}

/// Body of `POST /.well-known/op-link`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    /// The one-time code the pod server printed.
    pub code: String,
    /// The worker's WebID at the hub, which becomes the pod's owner (it must lie at the hub's
    /// own origin: a hub anchors the identities it issues).
    #[serde(default)]
    pub owner: Option<String>,
}

/// `POST /.well-known/op-link`: a trusted hub redeems a worker's one-time code; the answer (the
/// pod's root and WebID) is the proof that the worker controls this pod.
pub async fn link(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, HttpError> {
    let Caller::Hub(issuer) = authorize(&req, &state).await? else {
        return Err(HttpError::Forbidden(
            "only a trusted hub links pods, with its service token".into(),
        ));
    };
    let body: LinkRequest = serde_json::from_slice(&body)
        .map_err(|e| HttpError::BadRequest(format!("expected JSON {{\"code\": \"...\"}}: {e}")))?;
    if let Some(owner) = &body.owner {
        check_owner_at_hub(owner, &issuer)?;
    }
    let record = crate::pod::link::redeem(&state.store, &body.code, &issuer, body.owner, state.clock.now_millis())
        .await
        .map_err(crate::pod::error::PodError::from)?
        .ok_or_else(|| HttpError::Forbidden("the link code is unknown, used or expired; print a new one with `op-pod pod link-code`".into()))?;
    let name = PodName::parse(&record.name)?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "root": state.pod_root(&name),
        "webid": state.owner_webid(&name, &record),
    })))
}

/// A hub may make only its own WebIDs (same origin as its issuer URL) the owner of a pod.
fn check_owner_at_hub(owner: &str, issuer: &str) -> Result<(), HttpError> {
    let origin = |u: &str| Url::parse(u).map(|u| u.origin());
    match (origin(owner), origin(issuer)) {
        (Ok(o), Ok(i)) if o == i => Ok(()),
        (Err(e), _) => Err(HttpError::BadRequest(format!(
            "owner {owner:?} is not a URL: {e}"
        ))),
        _ => Err(HttpError::Forbidden(format!(
            "a hub may only make its own WebIDs owners of a pod: {owner} is not at {issuer}"
        ))),
    }
}

/// `POST /.well-known/op-feed-credentials`: the hub that linked this pod hands over the client
/// credentials the pod server follows its revocation feed with. Only that hub, with its service
/// token, and only when the config file does not set them.
pub async fn feed_credentials(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, HttpError> {
    let Caller::Hub(issuer) = authorize(&req, &state).await? else {
        return Err(HttpError::Forbidden(
            "only a trusted hub hands over its feed credentials, with its service token".into(),
        ));
    };
    let credentials: crate::auth::credentials::Credentials = serde_json::from_slice(&body)
        .map_err(|e| {
            HttpError::BadRequest(format!(
                "expected JSON {{\"client_id\": \"...\", \"client_secret\": \"...\"}}: {e}"
            ))
        })?;
    let trusted = state
        .verifier
        .issuers()
        .iter()
        .find(|i| i.issuer == issuer)
        .ok_or_else(|| HttpError::Forbidden("this hub is not trusted here".into()))?;
    match trusted
        .credentials
        .set(&state.store, &issuer, credentials)
        .await
    {
        Ok(()) => {
            tracing::info!(%issuer, "the hub handed over its feed credentials; following its revocations");
            Ok(HttpResponse::NoContent().finish())
        }
        Err(crate::auth::credentials::CredentialsError::Configured) => {
            Err(crate::pod::error::PodError::Conflict(
                "this pod server's configuration already sets its credentials at this hub".into(),
            )
            .into())
        }
        Err(crate::auth::credentials::CredentialsError::Store(e)) => {
            Err(crate::pod::error::PodError::from(e).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check_owner_at_hub;

    #[test]
    fn a_hub_makes_only_its_own_webids_owners() {
        let hub = "https://hub.example";
        assert!(check_owner_at_hub("https://hub.example/people/bob#me", hub).is_ok());
        for owner in [
            "https://victim.example/alice/profile/card#me",
            "http://hub.example/people/bob#me",
            "https://hub.example:8443/people/bob#me",
            "not a url",
        ] {
            assert!(check_owner_at_hub(owner, hub).is_err(), "{owner}");
        }
    }
}
