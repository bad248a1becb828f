//! Server-rendered pages (maud escapes every interpolated value): login, sign-up, consent,
//! dashboard and error pages. No JavaScript is needed anywhere.

use maud::{DOCTYPE, Markup, PreEscaped, html};
use op_protocol::authorization::{Action, GigData, Level};
use op_protocol::clock::rfc3339;
use op_protocol::routes;
use op_protocol::scope::{Scope, ScopeSet};

use crate::authorize::AuthRequest;
use crate::client::Client;
use crate::grant::Grant;
use crate::i18n::{Lang, Text};

mod dashboard;
pub use dashboard::{Dashboard, GrantRow, dashboard};

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:40rem;margin:0 auto;padding:1rem;line-height:1.5;color:#1a1a1a}\
a{color:#0b57d0}label{display:block;margin-top:.8rem;font-weight:600}input{font-size:1rem;padding:.5rem;width:100%;box-sizing:border-box}\
button{font-size:1rem;padding:.6rem 1.2rem;margin:.8rem .5rem 0 0;border-radius:.3rem;border:1px solid #444;cursor:pointer}\
button.primary{background:#0b57d0;color:#fff;border-color:#0b57d0}.note{color:#444}.error{color:#a50e0e;font-weight:600}\
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.4rem;border-bottom:1px solid #ddd;vertical-align:top}\
header{display:flex;justify-content:space-between;align-items:center;gap:1rem;flex-wrap:wrap}\
input[type=checkbox]{width:auto;transform:scale(1.4);margin:.2rem .4rem 0 .2rem}label.inline,form.inline{display:inline}";

/// The frame every page shares.
pub fn layout(lang: Lang, title: &str, switch_href: &str, body: Markup) -> String {
    let t = lang.t();
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — " (t.site) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    p { strong { (t.site) } }
                    a href=(switch_href) lang=(if lang == Lang::En { "sv" } else { "en" }) { (t.switch_to) }
                }
                main { (body) }
            }
        }
    }
    .into_string()
}

/// Hidden CSRF field.
fn csrf(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// The login form; `next` carries a parked authorization request through login.
pub fn login(
    t: &Text,
    csrf_token: &str,
    next: Option<&str>,
    upstream: &[crate::upstream::Provider],
    error: Option<&str>,
) -> Markup {
    html! {
        h1 { (t.login) }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form method="post" action=(routes::HUB_LOGIN) {
            (csrf(csrf_token))
            @if let Some(n) = next { input type="hidden" name="next" value=(n); }
            label for="username" { (t.username) }
            input id="username" name="username" autocomplete="username" required;
            label for="password" { (t.password) }
            input id="password" name="password" type="password" autocomplete="current-password" required;
            button.primary type="submit" { (t.login) }
        }
        @for (i, p) in upstream.iter().enumerate() {
            p { a href={ (routes::HUB_LOGIN_UPSTREAM) "?provider=" (i) @if let Some(n) = next { "&next=" (n) } } { (t.login_with) " " (p.name) } }
        }
        p { (t.no_account) " " a href={ (routes::HUB_SIGNUP) @if let Some(n) = next { "?next=" (n) } } { (t.signup) } }
    }
}

/// The sign-up form.
pub fn signup(
    t: &Text,
    csrf_token: &str,
    next: Option<&str>,
    offers_pod: bool,
    error: Option<&str>,
) -> Markup {
    html! {
        h1 { (t.signup) }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form method="post" action=(routes::HUB_SIGNUP) {
            (csrf(csrf_token))
            @if let Some(n) = next { input type="hidden" name="next" value=(n); }
            label for="username" { (t.username) }
            input id="username" name="username" autocomplete="username" required pattern="[a-z][a-z0-9-]{2,31}";
            label for="password" { (t.password) }
            input id="password" name="password" type="password" autocomplete="new-password" required minlength="10" aria-describedby="pw-hint";
            p.note id="pw-hint" { (t.password_hint) }
            @if offers_pod {
                p.choice {
                    input id="own_pod" name="own_pod" type="checkbox" aria-describedby="own-pod-hint";
                    " " label.inline for="own_pod" { (t.own_pod) }
                }
                p.note id="own-pod-hint" { (t.own_pod_hint) }
            }
            button.primary type="submit" { (t.signup) }
        }
        p { (t.have_account) " " a href={ (routes::HUB_LOGIN) @if let Some(n) = next { "?next=" (n) } } { (t.login) } }
    }
}

/// Plain-language lines for what a request or grant allows.
pub fn access_lines(t: &Text, scope: &str, details: &[GigData], solid: bool) -> Vec<String> {
    let scopes = ScopeSet::parse(scope).unwrap_or_default();
    let mut lines = Vec::new();
    for d in details {
        let platforms = if d.platforms.is_empty() {
            t.every_platform.to_owned()
        } else {
            d.platforms.join(", ")
        };
        if d.actions.contains(&Action::Write) {
            lines.push(t.write_own.to_owned());
        }
        if d.actions.contains(&Action::Read) {
            let what = if d.level == Level::Full {
                t.read_full
            } else {
                t.read_summary
            };
            lines.push(format!("{what} {platforms}"));
        }
    }
    if scopes.contains(Scope::PodOwner) {
        lines.push(t.owner_full.to_owned());
    }
    if solid {
        lines.push(t.solid_full.to_owned());
    } else if scopes.contains(Scope::WebId) || scopes.contains(Scope::OpenId) {
        lines.push(t.know_webid.to_owned());
    }
    if scopes.contains(Scope::OfflineAccess) {
        lines.push(t.offline.to_owned());
    }
    lines
}

/// The consent screen.
pub fn consent(
    t: &Text,
    client: &Client,
    request: &AuthRequest,
    request_id: &str,
    csrf_token: &str,
) -> Markup {
    let purpose = request
        .details
        .iter()
        .find_map(|d| d.purpose.clone())
        .or_else(|| client.purpose.clone());
    let until = request
        .details
        .iter()
        .filter_map(|d| d.expires_at())
        .min()
        .map(|s| rfc3339(s * 1000));
    html! {
        h1 { (client.name) " " (t.wants_access) }
        p.note { @if client.certified { (t.certified) } @else { (t.not_certified) } }
        @if let Some(home) = &client.homepage { p { a href=(home) rel="noopener" { (home) } } }
        p { (t.it_may) }
        ul { @for line in access_lines(t, &request.scope, &request.details, crate::solid::is_solid(client.kind, &request.scope, request.resource.as_deref())) { li { (line) } } }
        dl {
            @if let Some(p) = &purpose { dt { (t.purpose) } dd { (p) } }
            dt { (t.until) } dd { (until.as_deref().unwrap_or(t.until_revoked)) }
            @if let Some(r) = &request.resource { dt { (t.your_pod) } dd { (r) } }
        }
        form method="post" action=(routes::HUB_CONSENT) {
            (csrf(csrf_token))
            input type="hidden" name="request" value=(request_id);
            button.primary type="submit" name="decision" value="allow" { (t.allow) }
            button type="submit" name="decision" value="deny" { (t.deny) }
        }
        p.note { (t.revoke_anytime) }
    }
}

/// Asks the worker to confirm revoking one grant; the dashboard's Revoke button leads here.
pub fn confirm_revoke(t: &Text, client_name: &str, grant: &Grant, csrf_token: &str) -> Markup {
    html! {
        h1 { (t.revoke_access_for) " " (client_name) "?" }
        ul { @for line in access_lines(t, &grant.scope, &grant.details, grant.solid) { li { (line) } } }
        p { (t.revoke_effect) }
        form method="post" action=(routes::hub_grant_revoke(&grant.id)) {
            (csrf(csrf_token))
            input type="hidden" name="confirm" value="yes";
            button.primary type="submit" { (t.revoke) }
            a href=(routes::HUB_DASHBOARD) { (t.cancel) }
        }
    }
}

/// An error page for requests that cannot be answered with a redirect.
pub fn error(t: &Text, message: &str) -> Markup {
    html! {
        h1 { (t.error_title) }
        p.error role="alert" { (message) }
    }
}
