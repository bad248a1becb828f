//! The worker's dashboard: who they are, where their data lives (and the forms to link or move
//! a pod), the apps with access, ended access, who read what, their activity, and their
//! account's actions.

use maud::{Markup, html};
use op_protocol::access::AccessEvent;
use op_protocol::clock::rfc3339;
use op_protocol::routes;

use super::{access_lines, csrf};
use crate::grant::{AuditEvent, Grant};
use crate::i18n::Text;

/// A grant as a dashboard row.
#[derive(Debug)]
pub struct GrantRow<'a> {
    /// The grant.
    pub grant: &'a Grant,
    /// The client's display name.
    pub client_name: String,
}

/// What the dashboard shows.
#[derive(Debug)]
pub struct Dashboard<'a> {
    /// The worker.
    pub username: &'a str,
    /// Their WebID.
    pub webid: &'a str,
    /// Their pod's root, once linked.
    pub pod: Option<&'a str>,
    /// Their grants.
    pub grants: &'a [GrantRow<'a>],
    /// Recent audit events.
    pub events: &'a [AuditEvent],
    /// Display names of the clients the grants, events and access log name, by client id.
    pub names: &'a std::collections::HashMap<String, String>,
    /// The pod's access log (newest first); `None` when the pod could not be reached.
    pub access: Option<&'a [AccessEvent]>,
    /// Whether the pod is hosted by this hub's pod provider.
    pub hosted: bool,
    /// Whether this hub hosts pods (a worker with their own pod may move here).
    pub can_host: bool,
    /// A problem to show (a failed pod link).
    pub error: Option<&'a str>,
    /// Other Solid identity providers the worker's WebID names.
    pub providers: &'a [String],
    /// Upstream login providers the operator configured, and whether the worker linked each.
    pub upstream: &'a [(String, bool)],
}

/// The worker's dashboard: who they are, their pod (or the form to link one), the apps with
/// access, ended access, who read what, their activity, and their account's actions.
pub fn dashboard(t: &Text, d: &Dashboard<'_>, csrf_token: &str) -> Markup {
    let name = |id: &str| d.names.get(id).cloned().unwrap_or_else(|| id.to_owned());
    let (active, ended): (Vec<&GrantRow<'_>>, Vec<&GrantRow<'_>>) =
        d.grants.iter().partition(|r| r.grant.revoked.is_none());
    html! {
        h1 { (t.dashboard) }
        p { (d.username) }
        @if let Some(e) = d.error { p.error role="alert" { (e) } }
        @if d.pod.is_some() { p { a href=(routes::HUB_BACKPACK) { (t.backpack) } } }
        dl {
            dt { (t.your_webid) } dd { (d.webid) }
            dt { (t.your_pod) } dd { @match d.pod { Some(p) => a href=(p) { (p) }, None => (t.no_pod) } }
        }
        @match (d.pod, d.hosted, d.can_host) {
            (None, _, _) => (pod_form(t, csrf_token, routes::HUB_LINK_POD, t.link_pod, t.link_pod_hint)),
            (Some(_), true, _) => (pod_form(t, csrf_token, routes::HUB_MOVE_POD, t.move_out, t.move_out_hint)),
            (Some(_), false, true) => (move_in_form(t, csrf_token)),
            (Some(_), false, false) => {},
        }
        h2 { (t.grants) }
        (active_grants(t, &active, d.access, csrf_token))
        (identity_providers(t, d.providers, csrf_token))
        @if !d.upstream.is_empty() { (upstream_logins(t, d.upstream, csrf_token)) }
        @if !ended.is_empty() { (ended_grants(t, &ended)) }
        h2 { (t.who_read) }
        (access_log(t, d.access, &name))
        h2 { (t.activity) }
        (activity(t, d.events, &name))
        (account_actions(t, csrf_token))
    }
}

/// Other Solid identity providers: each with its remove button, and the form to add one.
fn identity_providers(t: &Text, providers: &[String], csrf_token: &str) -> Markup {
    html! {
        h2 { (t.idp_title) }
        p.note { (t.idp_hint) }
        @if !providers.is_empty() {
            ul {
                @for p in providers {
                    li {
                        (p) " "
                        form.inline method="post" action=(routes::HUB_IDENTITY_PROVIDERS) {
                            (csrf(csrf_token))
                            input type="hidden" name="action" value="remove";
                            input type="hidden" name="issuer" value=(p);
                            button type="submit" aria-label={ (t.idp_remove) " " (p) } { (t.idp_remove) }
                        }
                    }
                }
            }
        }
        form method="post" action=(routes::HUB_IDENTITY_PROVIDERS) {
            (csrf(csrf_token))
            input type="hidden" name="action" value="add";
            label for="idp-issuer" { (t.idp_issuer) }
            input id="idp-issuer" name="issuer" type="url" required placeholder="https://";
            label for="idp-token" { (t.idp_token) }
            input id="idp-token" name="token" type="text" aria-describedby="idp-token-hint";
            p.note id="idp-token-hint" { (t.idp_token_hint) }
            button type="submit" { (t.idp_add) }
        }
    }
}

/// The operator's upstream login providers, each with its link or unlink button.
fn upstream_logins(t: &Text, upstream: &[(String, bool)], csrf_token: &str) -> Markup {
    html! {
        h2 { (t.upstream_title) }
        p.note { (t.upstream_hint) }
        ul {
            @for (i, (name, linked)) in upstream.iter().enumerate() {
                li {
                    (name) ": " @if *linked { (t.upstream_linked) } @else { (t.upstream_not_linked) } " "
                    form.inline method="post" action=(routes::HUB_LOGIN_UPSTREAM) {
                        (csrf(csrf_token))
                        input type="hidden" name="provider" value=(i);
                        @if *linked {
                            input type="hidden" name="action" value="unlink";
                            button type="submit" aria-label={ (t.upstream_unlink) " " (name) } { (t.upstream_unlink) }
                        } @else {
                            input type="hidden" name="action" value="link";
                            button type="submit" aria-label={ (t.upstream_link) " " (name) } { (t.upstream_link) }
                        }
                    }
                }
            }
        }
    }
}

/// A day (`2026-01-31`) from Unix seconds.
fn day(secs: u64) -> String {
    rfc3339(secs * 1000)[..10].to_owned()
}

/// The form that links a self-hosted pod (or moves the worker's data to one) with the code its
/// server printed.
fn pod_form(t: &Text, csrf_token: &str, action: &str, title: &str, hint: &str) -> Markup {
    html! {
        h2 { (title) }
        p.note { (hint) }
        form method="post" action=(action) {
            (csrf(csrf_token))
            label for="pod_url" { (t.pod_url) }
            input id="pod_url" name="pod_url" type="url" required placeholder="https://pod.example/";
            label for="code" { (t.link_code) }
            input id="code" name="code" required autocomplete="off";
            button.primary type="submit" { (title) }
        }
    }
}

/// The button that moves the worker's data from their own pod to a pod hosted by the hub.
fn move_in_form(t: &Text, csrf_token: &str) -> Markup {
    html! {
        h2 { (t.move_in) }
        p.note { (t.move_in_hint) }
        form method="post" action=(routes::HUB_MOVE_POD) {
            (csrf(csrf_token))
            button type="submit" { (t.move_in) }
        }
    }
}

/// The apps with access: what each may do, since when, when last used and last read, and a
/// button that revokes it.
fn active_grants(
    t: &Text,
    rows: &[&GrantRow<'_>],
    access: Option<&[AccessEvent]>,
    csrf_token: &str,
) -> Markup {
    let last_access = |grant: &str| {
        access
            .unwrap_or_default()
            .iter()
            .find(|e| e.grant_id.as_deref() == Some(grant))
            .map(|e| rfc3339(e.at)[..16].replace('T', " "))
    };
    html! {
        @if rows.is_empty() { p { (t.no_grants) } } @else {
            table {
                thead { tr { th scope="col" { (t.app) } th scope="col" { (t.access) } th scope="col" { (t.since) } th scope="col" { (t.last_used) } th scope="col" { (t.last_access) } th scope="col" { span.visually-hidden { (t.revoke) } } } }
                tbody {
                    @for row in rows {
                        tr {
                            td { (row.client_name) }
                            td { ul { @for line in access_lines(t, &row.grant.scope, &row.grant.details, row.grant.solid) { li { (line) } } } }
                            td { (day(row.grant.created)) }
                            td { (row.grant.last_used.map(day).unwrap_or_else(|| t.never.to_owned())) }
                            td { (last_access(&row.grant.id).unwrap_or_else(|| t.never.to_owned())) }
                            td {
                                form method="post" action=(routes::hub_grant_revoke(&row.grant.id)) {
                                    (csrf(csrf_token))
                                    button type="submit" aria-label=(format!("{} {}", t.revoke, row.client_name)) { (t.revoke) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Grants that ended, with the day each ended.
fn ended_grants(t: &Text, rows: &[&GrantRow<'_>]) -> Markup {
    html! {
        h2 { (t.ended_access) }
        table {
            thead { tr { th scope="col" { (t.app) } th scope="col" { (t.since) } th scope="col" { (t.ended_on) } } }
            tbody {
                @for row in rows {
                    tr {
                        td { (row.client_name) }
                        td { (day(row.grant.created)) }
                        td { (row.grant.revoked.map(day).unwrap_or_default()) }
                    }
                }
            }
        }
    }
}

/// The newest entries of the pod's access log, with app names; or why there are none.
fn access_log(t: &Text, access: Option<&[AccessEvent]>, name: &dyn Fn(&str) -> String) -> Markup {
    html! {
        @match access {
            None => p.note { (t.log_unavailable) },
            Some([]) => p { (t.no_reads) },
            Some(entries) => table {
                thead { tr { th scope="col" { (t.when) } th scope="col" { (t.app) } th scope="col" { (t.what) } th scope="col" { (t.result) } } }
                tbody {
                    @for e in entries.iter().take(50) {
                        tr {
                            td { (rfc3339(e.at)[..19].replace('T', " ")) }
                            td { (e.client_id.as_deref().map(name).unwrap_or_else(|| "-".into())) }
                            td { (e.method) " " (e.path) }
                            td { (e.status) }
                        }
                    }
                }
            },
        }
    }
}

/// The account's activity (grants given, used, revoked), in plain words.
fn activity(t: &Text, events: &[AuditEvent], name: &dyn Fn(&str) -> String) -> Markup {
    html! {
        @if events.is_empty() { p { (t.no_activity) } } @else {
            ul { @for e in events { li { time datetime=(rfc3339(e.at * 1000)) { (rfc3339(e.at * 1000)[..16].replace('T', " ")) } " — " (t.event(&e.event, &name(&e.client_id))) } } }
        }
    }
}

/// Logging out, and deleting the account (behind a disclosure, with the password).
fn account_actions(t: &Text, csrf_token: &str) -> Markup {
    html! {
        form method="post" action=(routes::HUB_LOGOUT) {
            (csrf(csrf_token))
            button type="submit" { (t.logout) }
        }
        details {
            summary { (t.delete_account) }
            p.note { (t.delete_hint) }
            form method="post" action=(routes::HUB_DELETE_ACCOUNT) {
                (csrf(csrf_token))
                label for="delete-password" { (t.password) }
                input id="delete-password" name="password" type="password" autocomplete="current-password" required;
                button type="submit" { (t.delete_account) }
            }
        }
    }
}
