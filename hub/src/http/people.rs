//! WebID profiles: `GET /people/{username}` answers the profile document of
//! `…/people/{username}#me`, the WebID this hub anchors for each worker: public Turtle naming
//! this hub as `solid:oidcIssuer` (so the WebID in the hub's ID tokens dereferences as
//! Solid-OIDC requires) and the worker's pod, wherever it lives, as `pim:storage`.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

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
    if !crate::account::webid_anchored_here(&hub, &account) {
        return Err(not_found());
    }
    let issuers: Vec<String> = std::iter::once(hub.issuer.clone())
        .chain(account.identity_providers.iter().cloned())
        .collect();
    let mut profile =
        op_protocol::webid::profile_turtle(account.pod.as_ref().map(|p| p.root.as_str()), &issuers);
    // Checked at the form: letters, digits and `-_.~` only, so it needs no escaping.
    if let Some(token) = &account.registration_token {
        profile.push_str(&format!(
            "<#me> <{}> \"{token}\".\n",
            op_protocol::vocab::solid::OIDC_ISSUER_REGISTRATION_TOKEN
        ));
    }
    Ok(HttpResponse::Ok()
        .content_type(op_protocol::media::RdfFormat::Turtle.media_type())
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(profile))
}
