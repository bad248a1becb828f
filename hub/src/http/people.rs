//! WebID profiles of accounts without a pod: `GET /people/{username}` answers the profile
//! document of `…/people/{username}#me` (public Turtle naming this hub as `solid:oidcIssuer`), so
//! the WebID in the hub's ID tokens dereferences as Solid-OIDC requires. Once the worker links a
//! pod, their WebID is the pod's, and this document is gone (404).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use op_protocol::routes;

use super::error::HubError;
use crate::account::{ACCOUNTS, Username};
use crate::state::Hub;

/// `GET /people/{username}`.
pub async fn profile(
    hub: web::Data<Hub>,
    username: web::Path<String>,
) -> Result<HttpResponse, HubError> {
    let not_found = || HubError::Api(404, "no WebID profile here".into());
    let username = Username::parse(&username).map_err(|_| not_found())?;
    let account = ACCOUNTS
        .get(&hub.store, username.as_str())?
        .ok_or_else(not_found)?;
    let document = hub.url(&routes::hub_person(username.as_str()));
    if account.webid != format!("{document}#{}", routes::WEBID_FRAGMENT) {
        return Err(not_found());
    }
    Ok(HttpResponse::Ok()
        .content_type(op_protocol::media::RdfFormat::Turtle.media_type())
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::CACHE_CONTROL, "max-age=300"))
        .body(op_protocol::webid::profile_turtle(
            None,
            std::slice::from_ref(&hub.issuer),
        )))
}
