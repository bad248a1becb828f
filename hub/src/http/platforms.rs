//! Platforms at the hub: their controller documents (public), key registration (the platform
//! itself), and whether they are certified (public).

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::error::HubError;
use crate::client::{CLIENTS, ClientKind};
use crate::platform::{self, KeyError};
use crate::state::Hub;
use crate::status_lists::{self, StatusListError};

impl From<StatusListError> for HubError {
    fn from(e: StatusListError) -> Self {
        match e {
            StatusListError::Store(e) => e.into(),
            StatusListError::NotAPlatform => HubError::Api(403, e.to_string()),
            StatusListError::Conflict(m) => HubError::Api(409, m),
            StatusListError::Invalid(m) => HubError::Api(400, m),
        }
    }
}

fn platform(hub: &Hub, id: &str) -> Result<crate::client::Client, HubError> {
    CLIENTS
        .get(&hub.store, id)?
        .filter(|c| c.kind == ClientKind::Platform)
        .ok_or_else(|| HubError::Api(404, format!("no platform {id:?} is registered at this hub")))
}

/// `GET /platforms/{id}`: the controller document listing the platform's record-signing keys.
pub async fn controller(
    hub: web::Data<Hub>,
    id: web::Path<String>,
) -> Result<HttpResponse, HubError> {
    platform(&hub, &id)?;
    let keys = platform::keys_of(&hub, &id)?;
    Ok(HttpResponse::Ok()
        .content_type("application/ld+json")
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(platform::controller_document(&hub, &id, &keys)))
}

/// `GET /platforms/{id}/registration`: name, home page and whether an operator certified it.
pub async fn registration(
    hub: web::Data<Hub>,
    id: web::Path<String>,
) -> Result<HttpResponse, HubError> {
    let client = platform(&hub, &id)?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(serde_json::json!({
            "id": platform::controller_url(&hub, &id),
            "client_id": client.id,
            "name": client.name,
            "homepage": client.homepage,
            "certified": client.certified,
        })))
}

/// A key to register: a Multikey or an Ed25519 JWK.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewKey {
    #[serde(default)]
    public_key_multibase: Option<String>,
    #[serde(default)]
    public_key_jwk: Option<serde_json::Value>,
}

/// `POST /platforms/{id}/keys`: the platform (authenticated as that client) registers a key.
pub async fn register_key(
    req: HttpRequest,
    hub: web::Data<Hub>,
    id: web::Path<String>,
    body: web::Json<NewKey>,
) -> Result<HttpResponse, HubError> {
    let client = super::oauth::authenticate_client(&hub, &req, &HashMap::new())?;
    if client.id.as_str() != id.as_str() {
        return Err(HubError::Api(
            403,
            "a platform may register keys only for itself".into(),
        ));
    }
    let multibase = match (&body.public_key_multibase, &body.public_key_jwk) {
        (Some(m), None) => m.clone(),
        (None, Some(jwk)) => op_protocol::proof::multikey::Multikey::from_jwk(jwk)
            .map_err(|e| HubError::Api(400, e.to_string()))?
            .to_multibase(),
        _ => {
            return Err(HubError::Api(
                400,
                "send exactly one of publicKeyMultibase and publicKeyJwk".into(),
            ));
        }
    };
    let key = platform::register_key(&hub, &client, &multibase)
        .await
        .map_err(|e| match e {
            KeyError::Store(e) => e.into(),
            other => HubError::Api(400, other.to_string()),
        })?;
    let controller = platform::controller_url(&hub, &id);
    Ok(HttpResponse::Created().json(serde_json::json!({
        "id": format!("{controller}#{}", key.fragment),
        "controller": controller,
        "publicKeyMultibase": key.public_key_multibase,
    })))
}

/// `PUT /platforms/{id}/status/{name}`: the platform publishes (or replaces) a signed status list.
pub async fn put_status_list(
    req: HttpRequest,
    hub: web::Data<Hub>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, HubError> {
    let (id, name) = path.into_inner();
    let client = super::oauth::authenticate_client(&hub, &req, &HashMap::new())?;
    if client.id.as_str() != id {
        return Err(HubError::Api(
            403,
            "a platform may publish only its own status lists".into(),
        ));
    }
    let list: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| HubError::Api(400, format!("not JSON: {e}")))?;
    status_lists::put_status_list(&hub, &client, &name, list).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /platforms/{id}/status/{name}`: a hosted status list credential.
pub async fn get_status_list(
    hub: web::Data<Hub>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, HubError> {
    let (id, name) = path.into_inner();
    let list = status_lists::status_list(&hub, &id, &name)?
        .ok_or_else(|| HubError::Api(404, format!("no status list {name:?} for {id:?}")))?;
    Ok(HttpResponse::Ok()
        .content_type("application/ld+json")
        .insert_header(("Cache-Control", "public, max-age=60"))
        .json(list))
}

/// What a platform asks entries for.
#[derive(Debug, Deserialize)]
pub struct AllocationRequest {
    records: Vec<String>,
}

/// `POST /platforms/{id}/status-allocations`: the platform (as itself) gets the status list entry
/// of each record id — the same entry every time for the same id, never another record's.
pub async fn allocate_status(
    req: HttpRequest,
    hub: web::Data<Hub>,
    id: web::Path<String>,
    body: web::Json<AllocationRequest>,
) -> Result<HttpResponse, HubError> {
    let client = super::oauth::authenticate_client(&hub, &req, &HashMap::new())?;
    if client.id.as_str() != id.as_str() {
        return Err(HubError::Api(
            403,
            "a platform may allocate entries only in its own status lists".into(),
        ));
    }
    let allocation = status_lists::allocate(&hub, &client, body.into_inner().records).await?;
    Ok(HttpResponse::Ok().json(allocation))
}
