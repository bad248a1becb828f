//! The worker's own data: export everything as a zip (with a CV of selected records), and delete
//! the account.

use actix_web::{HttpRequest, HttpResponse, web};
use op_protocol::routes;

use super::error::HubError;
use super::{Browser, see_other};
use crate::account::{self, ACCOUNTS};
use crate::state::Hub;
use crate::throttle::ThrottleKey;

/// `POST /export`: a zip of every resource in the pod plus `cv.html` of the selected records.
pub async fn export(
    req: HttpRequest,
    hub: web::Data<Hub>,
    body: web::Bytes,
) -> Result<HttpResponse, HubError> {
    let browser = Browser::load(&req, &hub);
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let csrf = form
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    browser.check_csrf(csrf)?;
    let username = browser.worker()?;
    let account = ACCOUNTS
        .get(&hub.store, &username)?
        .ok_or_else(|| HubError::Api(404, "no account".into()))?;
    let Some(pod) = &account.pod else {
        return Err(HubError::Api(
            400,
            "link a pod first: there is nothing to export".into(),
        ));
    };
    let selected: Vec<&str> = form
        .iter()
        .filter(|(k, _)| k == "record")
        .map(|(_, v)| v.as_str())
        .collect();
    let files = crate::pod_files::Pod::new(&hub, &account.webid, pod)
        .read_all()
        .await
        .map_err(|why| HubError::Api(502, format!("cannot export your pod: {why}")))?;
    let mut zip = crate::export::Zip::default();
    for file in &files {
        zip.add(&crate::export::entry_name(file), &file.body);
    }
    let folders = crate::backpack::load(&hub, &account.webid, &pod.root)
        .await
        .unwrap_or_default();
    let cv = crate::export::cv(&username, &account.webid, &folders, &|item| {
        selected.contains(&item.url.as_str())
    });
    zip.add("cv.html", cv.as_bytes());
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"openplatforms-export.zip\"",
        ))
        .insert_header(("Cache-Control", "no-store"))
        .body(zip.finish()))
}

#[derive(Debug, serde::Deserialize)]
pub struct DeleteForm {
    csrf: String,
    password: String,
}

/// `POST /account/delete`: with the password; revokes every grant, deletes the hosted pod and
/// the account, ends the session.
pub async fn delete_account(
    req: HttpRequest,
    hub: web::Data<Hub>,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, HubError> {
    let mut browser = Browser::load(&req, &hub);
    browser.check_csrf(&form.csrf)?;
    let username = browser.worker()?;
    let account = ACCOUNTS
        .get(&hub.store, &username)?
        .ok_or_else(|| HubError::Api(404, "no account".into()))?;
    // The password check is another way to guess it: it shares the login throttle.
    let keys = [
        ThrottleKey::Account(username.clone()),
        ThrottleKey::Address(super::account::client_address(&req, &hub)),
    ];
    let attempt = hub.throttle.admit(&keys, hub.now()).map_err(|wait| {
        HubError::Api(
            429,
            format!("too many failed attempts; try again in {wait} seconds"),
        )
    })?;
    let (password, hash) = (form.password.clone(), account.password_hash.clone());
    let ok = hub
        .password_work(move || account::verify_password(&password, &hash))
        .await
        .map_err(|e| HubError::Api(500, e))?;
    if ok {
        hub.throttle.succeeded(attempt);
    } else {
        return Err(HubError::Api(
            403,
            "wrong password: the account was not deleted".into(),
        ));
    }
    account::delete(&hub, &account).await.map_err(|e| match e {
        account::SignUpError::Store(e) => HubError::from(e),
        other => HubError::Api(502, format!("the account was not deleted: {other}")),
    })?;
    let gone = browser.log_out(&hub).await?;
    let mut res = see_other(routes::HUB_SIGNUP);
    res.cookie(gone);
    Ok(res.finish())
}
