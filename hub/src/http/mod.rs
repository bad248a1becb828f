//! HTTP: the one `configure` that `main` and the tests mount, and what every handler shares —
//! browser sessions, language, HTML security headers.

pub mod account;
pub mod admin;
pub mod backpack;
pub mod consent;
pub mod data;
pub mod developers;
pub mod discovery;
pub mod error;
pub mod feed;
pub mod oauth;
pub mod pages;
pub mod people;
pub mod platforms;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use op_protocol::routes;

use crate::i18n::Lang;
use crate::session::{self, COOKIE, SESSIONS, Session};
use crate::state::Hub;
use error::HubError;

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig, hub: Hub) {
    cfg.app_data(web::Data::new(hub))
        .app_data(web::FormConfig::default().limit(64 * 1024))
        .app_data(web::JsonConfig::default().limit(256 * 1024))
        .route(routes::HUB_HEALTH, web::get().to(|| async { "ok\n" }))
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
            &format!("{}/{{id}}/revoke", routes::HUB_GRANTS),
            web::post().to(account::revoke_grant),
        )
        .route(
            routes::HUB_ADMIN_CLIENTS,
            web::post().to(admin::create_client),
        )
        .route(
            &format!("{}/{{id}}", routes::HUB_ADMIN_CLIENTS),
            web::get().to(admin::get_client),
        )
        .route(
            routes::HUB_ADMIN_KEYS_ROTATE,
            web::post().to(admin::rotate_keys),
        )
        .route(
            &format!("{}/{{id}}", routes::HUB_PLATFORMS),
            web::get().to(platforms::controller),
        )
        .route(
            &format!("{}/{{id}}/registration", routes::HUB_PLATFORMS),
            web::get().to(platforms::registration),
        )
        .route(
            &format!("{}/{{id}}/keys", routes::HUB_PLATFORMS),
            web::post().to(platforms::register_key),
        )
        .route(routes::HUB_LINK_POD, web::post().to(account::link_pod))
        .route(routes::HUB_BACKPACK, web::get().to(backpack::show))
        .route(routes::HUB_EXPORT, web::post().to(data::export))
        .route(
            routes::HUB_DELETE_ACCOUNT,
            web::post().to(data::delete_account),
        )
        .route(
            &format!("{}/{{id}}/status/{{name}}", routes::HUB_PLATFORMS),
            web::put().to(platforms::put_status_list),
        )
        .route(
            &format!("{}/{{id}}/status/{{name}}", routes::HUB_PLATFORMS),
            web::get().to(platforms::get_status_list),
        )
        .route(
            &routes::hub_person("{username}"),
            web::get().to(people::profile),
        )
        .route(routes::HUB_DEVELOPERS, web::get().to(developers::show))
        .route(routes::HUB_DEVELOPERS, web::post().to(developers::register))
        .route(
            &format!("{}/{{id}}/certify", routes::HUB_ADMIN_CLIENTS),
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

/// A browser's session, loaded or newly created.
#[derive(Debug)]
pub struct Browser {
    /// Storage id of the session.
    pub id: String,
    /// The session.
    pub session: Session,
    /// Set when a new cookie must be sent.
    pub new_cookie: Option<String>,
    /// The page language.
    pub lang: Lang,
}

impl Browser {
    /// Loads the request's session, or starts an anonymous one.
    pub async fn load(req: &HttpRequest, hub: &Hub) -> Result<Browser, HubError> {
        let now = hub.now();
        let existing = req.cookie(COOKIE).and_then(|c| {
            let id = session::id_of(&hub.secret, c.value());
            SESSIONS
                .get(&hub.store, &id)
                .ok()
                .flatten()
                .filter(|s| s.expires > now)
                .map(|s| (id, s))
        });
        let (id, mut session, new_cookie) = match existing {
            Some((id, s)) => (id, s, None),
            None => {
                let (cookie, s) = Session::new(None, now);
                (session::id_of(&hub.secret, &cookie), s, Some(cookie))
            }
        };
        let query_lang =
            web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
                .ok()
                .and_then(|q| q.get("lang").and_then(|l| Lang::parse(l)));
        let lang = query_lang
            .or_else(|| session.lang.as_deref().and_then(Lang::parse))
            .or_else(|| {
                req.headers()
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(Lang::from_accept_language)
            })
            .unwrap_or(Lang::En);
        let changed = new_cookie.is_some()
            || query_lang.is_some_and(|l| session.lang.as_deref() != Some(l.code()));
        if let Some(l) = query_lang {
            session.lang = Some(l.code().to_owned());
        }
        if changed {
            let (sid, s) = (id.clone(), session.clone());
            hub.store
                .write(move |tx| {
                    SESSIONS.put(tx, &sid, &s);
                    Ok::<_, op_store::StoreError>(())
                })
                .await?;
        }
        Ok(Browser {
            id,
            session,
            new_cookie,
            lang,
        })
    }

    /// Replaces the session with a logged-in one (a new id, so a planted cookie is useless).
    pub async fn log_in(&mut self, hub: &Hub, username: &str) -> Result<(), HubError> {
        let (cookie, mut session) = Session::new(Some(username.to_owned()), hub.now());
        session.lang = self.session.lang.clone();
        let new_id = session::id_of(&hub.secret, &cookie);
        let (old_id, nid, s) = (self.id.clone(), new_id.clone(), session.clone());
        hub.store
            .write(move |tx| {
                SESSIONS.remove(tx, &old_id);
                SESSIONS.put(tx, &nid, &s);
                Ok::<_, op_store::StoreError>(())
            })
            .await?;
        self.id = new_id;
        self.session = session;
        self.new_cookie = Some(cookie);
        Ok(())
    }

    /// Adds the session cookie to a response when it is new.
    pub fn set_cookie(&self, hub: &Hub, res: &mut HttpResponseBuilder) {
        if let Some(value) = &self.new_cookie {
            res.cookie(session_cookie(hub, value.clone()));
        }
    }

    /// Renders a page in this browser's language.
    pub fn page(
        &self,
        hub: &Hub,
        req: &HttpRequest,
        status: u16,
        title: &str,
        body: maud::Markup,
    ) -> HttpResponse {
        let html = pages::layout(self.lang, title, &switch_href(req, self.lang), body);
        let mut res = HttpResponse::build(
            actix_web::http::StatusCode::from_u16(status)
                .unwrap_or(actix_web::http::StatusCode::OK),
        );
        secure_html_headers(&mut res);
        self.set_cookie(hub, &mut res);
        res.content_type("text/html; charset=utf-8").body(html)
    }

    /// The logged-in worker's username, or [`HubError::LoginRequired`].
    pub fn worker(&self) -> Result<String, HubError> {
        self.session.username.clone().ok_or(HubError::LoginRequired)
    }

    /// Checks the CSRF token a form carried.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), HubError> {
        if self.new_cookie.is_none() && self.session.csrf_ok(submitted) {
            Ok(())
        } else {
            let t = self.lang.t();
            let message = "This form has expired or did not come from this site. Go back, reload the page and try again.";
            Err(HubError::Page {
                status: 403,
                html: pages::layout(self.lang, t.error_title, "/", pages::error(t, message)),
                message: message.into(),
            })
        }
    }
}

/// The session cookie: `HttpOnly`, `SameSite=Lax`, `Secure` except on loopback HTTP.
pub fn session_cookie(hub: &Hub, value: String) -> Cookie<'static> {
    Cookie::build(COOKIE, value)
        .path("/")
        .http_only(true)
        .secure(hub.secure_cookies)
        .same_site(SameSite::Lax)
        .max_age(actix_web::cookie::time::Duration::seconds(
            session::SESSION_SECS as i64,
        ))
        .finish()
}

/// The same URL with `lang` set to the other language.
fn switch_href(req: &HttpRequest, lang: Lang) -> String {
    let other = if lang == Lang::En { "sv" } else { "en" };
    let mut pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(req.query_string().as_bytes())
            .filter(|(k, _)| k != "lang")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    pairs.push(("lang".into(), other.into()));
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{}?{query}", req.path())
}

/// A 303 redirect.
pub fn see_other(location: &str) -> HttpResponseBuilder {
    let mut res = HttpResponse::SeeOther();
    res.insert_header((header::LOCATION, location.to_owned()))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    res
}
