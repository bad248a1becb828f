//! The hub's admin API (bearer admin token): register clients, read them, rotate signing keys.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use subtle::ConstantTimeEq;

use super::error::HubError;
use crate::client::{CLIENTS, NewClient};
use crate::keys::KeySet;
use crate::state::Hub;

fn authorize(req: &HttpRequest, hub: &Hub) -> Result<(), HubError> {
    let Some(expected) = &hub.admin_token else {
        return Err(HubError::Api(
            404,
            "the admin API is disabled; set admin_token to enable it".into(),
        ));
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| HubError::Api(401, "send 'Authorization: Bearer <admin token>'".into()))?;
    if bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(HubError::Api(403, "wrong admin token".into()))
    }
}

/// Registers a client and stores it; returns the secret once.
pub async fn register(
    hub: &Hub,
    new: NewClient,
) -> Result<(crate::client::Client, Option<String>), HubError> {
    let (client, secret) = new
        .validate(&hub.secret, hub.now())
        .map_err(|e| HubError::Api(400, e.to_string()))?;
    let stored = client.clone();
    let created = hub
        .store
        .write(move |tx| {
            if CLIENTS.get_tx(tx, stored.id.as_str())?.is_some() {
                return Ok(false);
            }
            CLIENTS.put(tx, &stored.id.to_string(), &stored);
            Ok::<_, op_store::StoreError>(true)
        })
        .await?;
    if !created {
        return Err(HubError::Api(
            409,
            format!("a client with id {:?} already exists", client.id.as_str()),
        ));
    }
    Ok((client, secret))
}

/// `POST /admin/clients`.
pub async fn create_client(
    req: HttpRequest,
    hub: web::Data<Hub>,
    body: web::Bytes,
) -> Result<HttpResponse, HubError> {
    authorize(&req, &hub)?;
    let new: NewClient = serde_json::from_slice(&body)
        .map_err(|e| HubError::Api(400, format!("invalid client registration: {e}")))?;
    let (client, secret) = register(&hub, new).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({
            "client_id": client.id,
            "client_secret": secret,
            "kind": client.kind,
            "redirect_uris": client.redirect_uris,
            "certified": client.certified,
        })))
}

/// `GET /admin/clients/{id}`.
pub async fn get_client(
    req: HttpRequest,
    hub: web::Data<Hub>,
    id: web::Path<String>,
) -> Result<HttpResponse, HubError> {
    authorize(&req, &hub)?;
    let client = CLIENTS
        .get(&hub.store, &id)?
        .ok_or_else(|| HubError::Api(404, format!("no client {:?}", id.as_str())))?;
    Ok(HttpResponse::Ok().json(client))
}

/// `POST /admin/clients/{id}/certify`: the operator approves a client; the consent screen says so.
pub async fn certify_client(
    req: HttpRequest,
    hub: web::Data<Hub>,
    id: web::Path<String>,
) -> Result<HttpResponse, HubError> {
    authorize(&req, &hub)?;
    let id = id.into_inner();
    let key = id.clone();
    let found = hub
        .store
        .write(move |tx| {
            let Some(mut client) = CLIENTS.get_tx(tx, &key)? else {
                return Ok(false);
            };
            client.certified = true;
            CLIENTS.put(tx, &key, &client);
            Ok::<_, op_store::StoreError>(true)
        })
        .await?;
    if !found {
        return Err(HubError::Api(404, format!("no client {id:?}")));
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({ "client_id": id, "certified": true })))
}

/// `POST /admin/keys/rotate`: a new signing key; old keys stay published until their tokens expire.
pub async fn rotate_keys(req: HttpRequest, hub: web::Data<Hub>) -> Result<HttpResponse, HubError> {
    authorize(&req, &hub)?;
    let kid = KeySet::rotate(&hub.store, hub.now()).await?;
    let keys = KeySet::reload(&hub.store, hub.now(), hub.ttl.signing_key_keep_secs())?;
    *hub.keys.write().expect("key set lock") = keys;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "kid": kid })))
}
