//! `GET /backpack`: the worker's records grouped by platform with a verified, revoked or
//! unverified mark each, and charts drawn server-side as SVG (no JavaScript).

use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, PreEscaped, html};
use op_protocol::routes;

use super::error::HubError;
use super::{Browser, see_other};
use crate::account::ACCOUNTS;
use crate::backpack::{self, Folder};
use crate::i18n::Text;
use crate::state::Hub;
use op_protocol::record::Verdict;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Bars of gigs per month, with a title and description for screen readers.
fn months_chart(t: &Text, folders: &[Folder]) -> Markup {
    let months = backpack::gigs_per_month(folders);
    if months.is_empty() {
        return html! {};
    }
    let max = *months.values().max().unwrap_or(&1) as f64;
    let (bar, gap, height) = (36.0, 12.0, 120.0);
    let width = months.len() as f64 * (bar + gap) + gap;
    let mut svg = format!(
        r#"<svg role="img" aria-labelledby="months-title months-desc" viewBox="0 0 {width} {}" width="100%" style="max-width:{width}px"><title id="months-title">{}</title><desc id="months-desc">{}</desc>"#,
        height + 50.0,
        escape(t.gigs_over_time),
        escape(
            &months
                .iter()
                .map(|(m, n)| format!("{m}: {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    for (i, (month, n)) in months.iter().enumerate() {
        let h = (*n as f64 / max) * height;
        let x = gap + i as f64 * (bar + gap);
        svg.push_str(&format!(
            r##"<rect x="{x}" y="{}" width="{bar}" height="{h}" fill="#0b57d0"/><text x="{}" y="{}" font-size="12" text-anchor="middle" fill="#1a1a1a">{n}</text><text x="{}" y="{}" font-size="11" text-anchor="middle" fill="#1a1a1a">{}</text>"##,
            height - h + 20.0, // room above the tallest bar for its count
            x + bar / 2.0,
            height - h + 16.0,
            x + bar / 2.0,
            height + 38.0,
            escape(month),
        ));
    }
    svg.push_str("</svg>");
    html! { h2 { (t.gigs_over_time) } (PreEscaped(svg)) }
}

/// Horizontal bars: each platform's mean per rating dimension, on its own scale.
fn ratings_chart(t: &Text, folder: &Folder) -> Markup {
    let mut dims: std::collections::BTreeMap<String, (f64, usize, f64, f64)> =
        std::collections::BTreeMap::new();
    for item in folder.items.iter().filter(|i| i.verdict.is_verified()) {
        for (name, value, worst, best) in &item.ratings {
            let e = dims.entry(name.clone()).or_insert((0.0, 0, *worst, *best));
            e.0 += value;
            e.1 += 1;
        }
    }
    if dims.is_empty() {
        return html! {};
    }
    let rows = dims.len() as f64;
    let mut svg = format!(
        r#"<svg role="img" aria-labelledby="r-{p}" viewBox="0 0 420 {}" width="100%" style="max-width:420px"><title id="r-{p}">{}</title>"#,
        rows * 34.0 + 4.0,
        escape(&format!("{} — {}", t.ratings, folder.platform)),
        p = escape(&folder.platform),
    );
    for (i, (name, (sum, count, worst, best))) in dims.iter().enumerate() {
        let mean = sum / *count as f64;
        let share = if best > worst {
            ((mean - worst) / (best - worst)).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let y = 4.0 + i as f64 * 34.0;
        svg.push_str(&format!(
            r##"<text x="0" y="{}" font-size="12" fill="#1a1a1a">{}</text><rect x="0" y="{}" width="260" height="10" fill="#e3e3e3"/><rect x="0" y="{}" width="{}" height="10" fill="#0b57d0"/><text x="268" y="{}" font-size="12" fill="#1a1a1a">{mean:.1} ({worst}–{best}, {count})</text>"##,
            y + 10.0,
            escape(name),
            y + 15.0,
            y + 15.0,
            260.0 * share,
            y + 24.0,
        ));
    }
    svg.push_str("</svg>");
    html! { (PreEscaped(svg)) }
}

fn page(t: &Text, folders: Option<&[Folder]>, csrf: &str) -> Markup {
    html! {
        h1 { (t.backpack) }
        p { a href=(routes::HUB_DASHBOARD) { (t.dashboard) } }
        @match folders {
            None => p.note { (t.log_unavailable) },
            Some([]) => p { (t.no_records) },
            Some(folders) => {
                (months_chart(t, folders))
                form method="post" action=(routes::HUB_EXPORT) id="export" {
                    input type="hidden" name="csrf" value=(csrf);
                    p.note { (t.export_hint) }
                    button.primary type="submit" { (t.export) }
                }
                @for folder in folders {
                    section aria-labelledby=(format!("p-{}", folder.platform)) {
                        h2 id=(format!("p-{}", folder.platform)) { (folder.platform) }
                        (ratings_chart(t, folder))
                        table {
                            thead { tr { th scope="col" { (t.what) } th scope="col" { (t.when) } th scope="col" { (t.status) } th scope="col" { (t.include_in_cv) } } }
                            tbody {
                                @for item in &folder.items {
                                    tr {
                                        td { (item.title) " " span.note { "(" (item.kind) ")" } }
                                        td { (item.when.as_deref().map(|w| w.get(..10).unwrap_or(w)).unwrap_or("")) }
                                        td {
                                            @match &item.verdict {
                                                Verdict::Verified { .. } => strong { "✓ " (t.verified) },
                                                Verdict::Uncertified { platform } => span { "! " (t.signed_by) " " (platform) " — " (t.not_certified_here) },
                                                Verdict::Revoked { .. } => strong.error { "✗ " (t.revoked_by_platform) },
                                                Verdict::Invalid(why) => span { "! " (t.unverified) span.note { " — " (why) } },
                                            }
                                        }
                                        td {
                                            @match &item.verdict {
                                                Verdict::Verified { .. } => input type="checkbox" name="record" value=(item.url) form="export" checked aria-label=(format!("{}: {}", t.include_in_cv, item.title));,
                                                // Only if the worker includes it knowingly; the CV marks it.
                                                Verdict::Uncertified { .. } => input type="checkbox" name="record" value=(item.url) form="export" aria-label=(format!("{}: {} ({})", t.include_in_cv, item.title, t.not_certified_here));,
                                                _ => {},
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /backpack`.
pub async fn show(req: HttpRequest, hub: web::Data<Hub>) -> Result<HttpResponse, HubError> {
    let browser = Browser::load(&req, &hub);
    let Some(username) = browser.username().map(str::to_owned) else {
        let mut res = see_other(routes::HUB_LOGIN);
        browser.set_cookie(&hub, &mut res);
        return Ok(res.finish());
    };
    let account = ACCOUNTS
        .get(&hub.store, &username)?
        .ok_or_else(|| HubError::Api(404, "no account".into()))?;
    let folders = match &account.pod {
        Some(pod) => backpack::load(&hub, &account.webid, &pod.root).await,
        None => Some(Vec::new()),
    };
    let t = browser.lang.t();
    let body = page(t, folders.as_deref(), &browser.csrf);
    Ok(browser.page(&hub, &req, 200, t.backpack, body))
}
