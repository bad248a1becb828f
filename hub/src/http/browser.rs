//! The browser in front of a page: its binding cookie, its session when logged in, its CSRF token
//! and its language.
//!
//! Nothing is stored for an anonymous visitor. Each browser gets a random **binding cookie**
//! (`op_browser`), which the hub never stores: the CSRF token of an anonymous form is a keyed hash
//! of it (a signed double-submit token), and a parked authorization request records another keyed
//! hash of it, so only the browser that started a request can continue it. A stored session
//! exists only once a worker logs in; its id changes at login, so a planted cookie is useless.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};

use super::error::HubError;
use super::pages;
use crate::i18n::Lang;
use crate::secret;
use crate::session::{self, SESSIONS, Session};
use crate::state::Hub;

/// The binding cookie's name.
pub const BINDING_COOKIE: &str = "op_browser";
/// The language cookie's name (`en` or `sv`, chosen with the switch).
pub const LANG_COOKIE: &str = "op_lang";

/// A logged-in browser's stored session.
#[derive(Debug)]
struct LoggedIn {
    /// Storage id (keyed hash of the cookie value).
    id: String,
    session: Session,
}

/// The browser making a request.
#[derive(Debug)]
pub struct Browser {
    /// The binding cookie's value, sent or new.
    binding: String,
    /// Whether the binding cookie must be sent (the browser had none).
    new_binding: bool,
    /// The session, when a worker is logged in.
    logged_in: Option<LoggedIn>,
    /// A new session cookie to send (after login).
    new_session: Option<String>,
    /// A language chosen with the switch, to remember in a cookie.
    new_lang: Option<Lang>,
    /// The token every form on the page carries.
    pub csrf: String,
    /// The page language.
    pub lang: Lang,
}

impl Browser {
    /// Reads the request's cookies; writes nothing.
    pub fn load(req: &HttpRequest, hub: &Hub) -> Browser {
        let now = hub.now();
        let logged_in = req.cookie(session::COOKIE).and_then(|c| {
            let id = session::id_of(&hub.secret, c.value());
            let session = SESSIONS.get(&hub.store, &id).ok().flatten()?;
            (session.expires > now).then_some(LoggedIn { id, session })
        });
        let sent = req
            .cookie(BINDING_COOKIE)
            .map(|c| c.value().to_owned())
            .filter(|v| v.len() == 43);
        let new_binding = sent.is_none();
        let binding = sent.unwrap_or_else(secret::random_token);
        let csrf = match &logged_in {
            Some(l) => l.session.csrf.clone(),
            None => hub.secret.hash(&format!("csrf:{binding}")),
        };
        let query_lang =
            web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
                .ok()
                .and_then(|q| q.get("lang").and_then(|l| Lang::parse(l)));
        let cookie_lang = req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value()));
        let lang = query_lang
            .or(cookie_lang)
            .or_else(|| {
                req.headers()
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(Lang::from_accept_language)
            })
            .unwrap_or(Lang::En);
        Browser {
            binding,
            new_binding,
            logged_in,
            new_session: None,
            new_lang: query_lang.filter(|l| cookie_lang != Some(*l)),
            csrf,
            lang,
        }
    }

    /// What a parked authorization request records about the browser that started it: a keyed
    /// hash of the binding cookie (so the store never holds the cookie itself).
    pub fn binding_id(&self, hub: &Hub) -> String {
        hub.secret.hash(&format!("browser:{}", self.binding))
    }

    /// Whether this browser started the parked request that recorded `binding_id`.
    pub fn started(&self, hub: &Hub, binding_id: &str) -> bool {
        !self.new_binding && secret::ct_eq(&self.binding_id(hub), binding_id)
    }

    /// The logged-in worker's username, if any.
    pub fn username(&self) -> Option<&str> {
        self.logged_in.as_ref().map(|l| l.session.username.as_str())
    }

    /// The logged-in worker's username, or [`HubError::LoginRequired`].
    pub fn worker(&self) -> Result<String, HubError> {
        self.username()
            .map(str::to_owned)
            .ok_or(HubError::LoginRequired)
    }

    /// Starts a logged-in session (a new id, so a planted cookie is useless), ending any other.
    pub async fn log_in(&mut self, hub: &Hub, username: &str) -> Result<(), HubError> {
        let (cookie, session) = Session::new(username.to_owned(), hub.now());
        let new_id = session::id_of(&hub.secret, &cookie);
        let old_id = self.logged_in.as_ref().map(|l| l.id.clone());
        let (nid, s) = (new_id.clone(), session.clone());
        hub.store
            .write(move |tx| {
                if let Some(old) = old_id {
                    SESSIONS.remove(tx, &old);
                }
                SESSIONS.put(tx, &nid, &s);
                Ok::<_, op_store::StoreError>(())
            })
            .await?;
        self.csrf = session.csrf.clone();
        self.logged_in = Some(LoggedIn {
            id: new_id,
            session,
        });
        self.new_session = Some(cookie);
        Ok(())
    }

    /// Ends the session: deletes it from the store and returns the cookie that removes it.
    pub async fn log_out(&mut self, hub: &Hub) -> Result<Cookie<'static>, HubError> {
        if let Some(LoggedIn { id, .. }) = self.logged_in.take() {
            hub.store
                .write(move |tx| {
                    SESSIONS.remove(tx, &id);
                    Ok::<_, op_store::StoreError>(())
                })
                .await?;
        }
        let mut gone = cookie(hub, session::COOKIE, String::new());
        gone.make_removal();
        Ok(gone)
    }

    /// Adds the cookies this browser must be sent: its binding cookie if it had none, a new
    /// session after login, a language chosen with the switch.
    pub fn set_cookie(&self, hub: &Hub, res: &mut HttpResponseBuilder) {
        if self.new_binding {
            res.cookie(cookie(hub, BINDING_COOKIE, self.binding.clone()));
        }
        if let Some(value) = &self.new_session {
            let mut c = cookie(hub, session::COOKIE, value.clone());
            c.set_max_age(actix_web::cookie::time::Duration::seconds(
                session::SESSION_SECS as i64,
            ));
            res.cookie(c);
        }
        if let Some(lang) = self.new_lang {
            res.cookie(cookie(hub, LANG_COOKIE, lang.code().to_owned()));
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
        super::secure_html_headers(&mut res);
        self.set_cookie(hub, &mut res);
        res.content_type("text/html; charset=utf-8").body(html)
    }

    /// Checks the CSRF token a form carried, in constant time: the session's token when logged
    /// in, else the keyed hash of the binding cookie the browser sent.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), HubError> {
        let ok = match &self.logged_in {
            Some(l) => l.session.csrf_ok(submitted),
            None => !self.new_binding && secret::ct_eq(&self.csrf, submitted),
        };
        if ok {
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

/// A hub cookie: `HttpOnly`, `SameSite=Lax`, `Secure` except on loopback HTTP, for the whole
/// site; it lasts as long as the browser session unless a lifetime is set.
pub fn cookie(hub: &Hub, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .secure(hub.secure_cookies)
        .same_site(SameSite::Lax)
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
