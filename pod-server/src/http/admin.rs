//! The admin API: create, inspect and delete pods. Bearer-token protected; off without a token.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use op_protocol::path::PodName;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::auth::token::Presented;

use super::AppState;
use super::error::HttpError;
use crate::pod::ops;

/// Body of `POST /.admin/pods`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePod {
    /// The pod name.
    pub name: String,
    /// The owner's WebID; defaults to the pod's own `profile/card#me`.
    pub owner: Option<String>,
}

/// The admin API takes the operator's static token, or a service token that a trusted hub signed
/// for itself (`sub` = `iss`, `aud` = this server's root) — how a hub provisions hosted pods
/// without any shared secret.
async fn authorize(req: &HttpRequest, state: &AppState) -> Result<(), HttpError> {
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
        return Ok(());
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
                (req.method().as_str(), &url),
                &state.clock,
            )
            .await?;
        if verified.claims.sub == verified.claims.iss {
            return Ok(());
        }
        return Err(HttpError::Forbidden(
            "only the operator's admin token or a hub's own service token may use the admin API"
                .into(),
        ));
    }
    Err(HttpError::Forbidden("wrong admin token".into()))
}

/// `POST /.admin/pods`: creates a pod; 201 with its URLs.
pub async fn create_pod(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, HttpError> {
    authorize(&req, &state).await?;
    let body: CreatePod = serde_json::from_slice(&body)
        .map_err(|e| HttpError::BadRequest(format!("expected JSON {{\"name\": \"...\"}}: {e}")))?;
    let name = PodName::parse(&body.name)?;
    if state.single_pod.is_some() {
        return Err(HttpError::BadRequest(
            "this server runs in single-pod mode and cannot host more pods".into(),
        ));
    }
    let record = state.create_pod(name, body.owner).await?;
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
    authorize(&req, &state).await?;
    let name = PodName::parse(&name)?;
    let record = ops::active_pod(&state.store, &name)?;
    Ok(HttpResponse::Ok().json(record))
}

/// `DELETE /.admin/pods/{name}`: deletes the pod and everything in it.
pub async fn delete_pod(
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, HttpError> {
    authorize(&req, &state).await?;
    let name = PodName::parse(&name)?;
    ops::active_pod(&state.store, &name)?;
    ops::delete_pod(&state.store, &name).await?;
    Ok(HttpResponse::NoContent().finish())
}
