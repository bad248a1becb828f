//! HTTP: the one `configure` that `main` and the tests mount, and what every handler shares —
//! the browser (`browser`), HTML security headers, redirects.

pub mod account;
pub mod admin;
pub mod backpack;
pub mod browser;
pub mod consent;
pub mod contexts;
pub mod data;
pub mod developers;
pub mod discovery;
pub mod error;
pub mod feed;
pub mod identity;
pub mod oauth;
pub mod pages;
pub mod people;
pub mod platforms;
pub mod upstream;

#[cfg(test)]
mod handler_tests;

use actix_web::http::header;
use actix_web::{HttpResponse, HttpResponseBuilder, web};
use op_protocol::routes;

use crate::state::Hub;
pub use browser::Browser;

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig, hub: Hub) {
    cfg.app_data(web::Data::new(hub))
        .app_data(
            web::FormConfig::default()
                .limit(64 * 1024)
                .error_handler(|e, _| error::form_error(&e).into()),
        )
        .app_data(web::JsonConfig::default().limit(256 * 1024))
        .route(routes::HUB_HEALTH, web::get().to(|| async { "ok\n" }))
        .route(routes::CONTEXTS, web::get().to(contexts::serve))
        .route(
            &format!("{}{{context:.+}}", routes::CONTEXTS),
            web::get().to(contexts::serve),
        )
        .route(
            routes::HUB_OIDC_DISCOVERY,
            web::get().to(discovery::metadata),
        )
        .route(
            routes::HUB_OAUTH_DISCOVERY,
            web::get().to(discovery::metadata),
        )
        .route(routes::HUB_JWKS, web::get().to(discovery::jwks))
        .route(routes::HUB_AUTHORIZE, web::get().to(consent::authorize))
        .route(routes::HUB_CONSENT, web::get().to(consent::show_consent))
        .route(routes::HUB_CONSENT, web::post().to(consent::decide))
        .route(routes::HUB_TOKEN, web::post().to(oauth::token))
        .route(routes::HUB_REVOKE, web::post().to(oauth::revoke))
        .route(routes::HUB_INTROSPECT, web::post().to(oauth::introspect))
        .route(routes::HUB_USERINFO, web::get().to(oauth::userinfo))
        .route(routes::HUB_USERINFO, web::post().to(oauth::userinfo))
        .route(routes::HUB_REVOCATIONS, web::get().to(feed::list))
        .route(routes::HUB_REVOCATIONS_STREAM, web::get().to(feed::stream))
        .route(routes::HUB_SIGNUP, web::get().to(account::signup_page))
        .route(routes::HUB_SIGNUP, web::post().to(account::signup))
        .route(routes::HUB_LOGIN, web::get().to(account::login_page))
        .route(routes::HUB_LOGIN, web::post().to(account::login))
        .route(routes::HUB_LOGOUT, web::post().to(account::logout))
        .route(routes::HUB_DASHBOARD, web::get().to(account::dashboard))
        .route(
            &routes::hub_grant_revoke("{id}"),
            web::post().to(account::revoke_grant),
        )
        .route(
            routes::HUB_ADMIN_CLIENTS,
            web::post().to(admin::create_client),
        )
        .route(
            &routes::hub_admin_client("{id}"),
            web::get().to(admin::get_client),
        )
        .route(
            routes::HUB_ADMIN_KEYS_ROTATE,
            web::post().to(admin::rotate_keys),
        )
        .route(
            &routes::hub_platform("{id}"),
            web::get().to(platforms::controller),
        )
        .route(
            &routes::hub_platform_registration("{id}"),
            web::get().to(platforms::registration),
        )
        .route(
            &routes::hub_platform_keys("{id}"),
            web::post().to(platforms::register_key),
        )
        .route(routes::HUB_LINK_POD, web::post().to(account::link_pod))
        .route(routes::HUB_MOVE_POD, web::post().to(account::move_pod))
        .route(routes::HUB_LOGIN_UPSTREAM, web::get().to(upstream::start))
        .route(routes::HUB_LOGIN_UPSTREAM, web::post().to(upstream::link))
        .route(
            routes::HUB_LOGIN_UPSTREAM_CALLBACK,
            web::get().to(upstream::callback),
        )
        .route(
            routes::HUB_IDENTITY_PROVIDERS,
            web::post().to(identity::change),
        )
        .route(routes::HUB_BACKPACK, web::get().to(backpack::show))
        .route(routes::HUB_EXPORT, web::post().to(data::export))
        .route(
            routes::HUB_DELETE_ACCOUNT,
            web::post().to(data::delete_account),
        )
        .route(
            &routes::hub_status_list("{id}", "{name}"),
            web::put().to(platforms::put_status_list),
        )
        .route(
            &routes::hub_status_list("{id}", "{name}"),
            web::get().to(platforms::get_status_list),
        )
        .route(
            &routes::hub_status_allocations("{id}"),
            web::post().to(platforms::allocate_status),
        )
        .route(
            &routes::hub_person("{username}"),
            web::get().to(people::profile),
        )
        .route(routes::HUB_DEVELOPERS, web::get().to(developers::show))
        .route(routes::HUB_DEVELOPERS, web::post().to(developers::register))
        .route(
            &routes::hub_admin_certify("{id}"),
            web::post().to(admin::certify_client),
        );
}

/// Clickjacking protection and no caching on every HTML page.
pub fn secure_html_headers(res: &mut HttpResponseBuilder) {
    res.insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; form-action 'self' https: http://127.0.0.1:* http://localhost:*; frame-ancestors 'none'; base-uri 'none'",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header(("X-Content-Type-Options", "nosniff"));
}

/// A 303 redirect.
pub fn see_other(location: &str) -> HttpResponseBuilder {
    let mut res = HttpResponse::SeeOther();
    res.insert_header((header::LOCATION, location.to_owned()))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    res
}
