//! The demo matcher page: a tiny matcher web app that runs the real consent flow against the hub,
//! reads the demo worker's pod with the token it gets, verifies every record and shows what it
//! found — so a newcomer sees the matcher's side of the story.

use std::collections::HashMap;
use std::sync::Mutex;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use maud::{DOCTYPE, Markup, html};
use op_connector::oauth::{HubClient, Pending, Request};
use op_connector::session::Session;
use op_connector::tokens::{MemoryTokenStore, TokenStore};
use op_connector::verify::Checked;
use op_protocol::authorization::{Action, GIG_DATA, GigData, Level};

/// Where the hub sends the worker back to the demo matcher (this page runs the flow).
pub const MATCHER_CALLBACK: &str = "callback";
/// The demo platform's redirect URI (for `opctl platform link`).
pub const PLATFORM_CALLBACK: &str = "platform/callback";
/// The demo worker app's redirect URI.
pub const APP_CALLBACK: &str = "app/callback";

/// The page's state: the hub client, the pod it asks about, flows in progress, the last result.
struct DemoMatcher {
    hub: HubClient,
    pod: String,
    pending: Mutex<HashMap<String, Pending>>,
    result: Mutex<Option<Result<Checked, String>>>,
}

fn layout(body: Markup) -> HttpResponse {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Demo matcher — Open Platforms" }
                style { "body{font-family:system-ui,sans-serif;max-width:44rem;margin:0 auto;padding:1rem;line-height:1.5;color:#1a1a1a}a.button{display:inline-block;background:#0b57d0;color:#fff;padding:.6rem 1.2rem;border-radius:.3rem;text-decoration:none}.error{color:#a50e0e}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem;border-bottom:1px solid #ddd}" }
            }
            body { main { (body) } }
        }
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header(("Cache-Control", "no-store"))
        .body(page.into_string())
}

async fn home(state: web::Data<DemoMatcher>) -> HttpResponse {
    let result = state.result.lock().expect("result lock").clone();
    layout(html! {
        h1 { "Demo matcher" }
        p { "A recruiter who wants to see the demo worker's experience. It asks the worker — on the hub's consent screen — for full read access to every platform's records, for the purpose \"Seeing how the demo works\", then reads the worker's pod and verifies every record itself." }
        p { a.button href="start" { "Ask the demo worker for access" } }
        @match result {
            None => p { "Nothing read yet. Log in as the demo worker when the hub asks (the password is in data/demo.json)." },
            Some(Err(e)) => p.error role="alert" { (e) },
            Some(Ok(checked)) => {
                h2 { "What the worker shared" }
                @for platform in op_connector::summary::summarise(&checked.accepted) {
                    h3 { (platform.issuer) }
                    p { (platform.gigs) " verified gigs, " (platform.successful) " successful, from " (platform.first.as_deref().unwrap_or("?")) " to " (platform.last.as_deref().unwrap_or("?")) "." }
                    ul { @for d in &platform.ratings { li { (d.name) ": " (format!("{:.0}%", d.mean_normalised * 100.0)) " over " (d.count) " ratings (scales " (d.scales.join(", ")) ")" } } }
                }
                h2 { "Every record" }
                table {
                    thead { tr { th scope="col" { "Record" } th scope="col" { "Check" } } }
                    tbody {
                        @for a in &checked.accepted { tr { td { (a.kind) " " code { (a.url) } } td { "✓ verified, issued by " (a.issuer) } } }
                        @for r in &checked.rejected { tr { td { code { (r.url) } } td.error { "✗ " (r.reason) } } }
                    }
                }
            }
        }
    })
}

async fn start(state: web::Data<DemoMatcher>) -> HttpResponse {
    let request = Request {
        scopes: vec!["gig:read".into()],
        pod: state.pod.clone(),
        details: vec![GigData {
            kind: GIG_DATA.into(),
            actions: vec![Action::Read],
            locations: Vec::new(),
            platforms: Vec::new(),
            level: Level::Full,
            purpose: Some("Seeing how the demo works".into()),
            expires: None,
        }],
    };
    match state.hub.authorization_url(&request) {
        Ok((url, pending)) => {
            state
                .pending
                .lock()
                .expect("pending lock")
                .insert(pending.state.clone(), pending);
            HttpResponse::SeeOther()
                .insert_header(("Location", url))
                .finish()
        }
        Err(e) => layout(html! { p.error { (e.to_string()) } }),
    }
}

async fn callback(req: HttpRequest, state: web::Data<DemoMatcher>) -> HttpResponse {
    let query = req.query_string().to_owned();
    let sent_state = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let pending = state
        .pending
        .lock()
        .expect("pending lock")
        .remove(&sent_state);
    let Some(pending) = pending else {
        // Not a flow this page started: most likely `opctl matcher authorize`.
        return handoff(&req, "Demo Matcher", "opctl matcher authorize");
    };
    let result = read_and_verify(&state, &pending, &query)
        .await
        .map_err(|e| e.to_string());
    *state.result.lock().expect("result lock") = Some(result);
    HttpResponse::SeeOther()
        .insert_header(("Location", "./"))
        .finish()
}

async fn read_and_verify(
    state: &DemoMatcher,
    pending: &Pending,
    query: &str,
) -> Result<Checked, op_connector::error::ConnectorError> {
    let tokens = state.hub.callback(pending, query).await?;
    let store = MemoryTokenStore::default();
    store.save("demo", &tokens)?;
    let session = Session {
        client: &state.hub,
        store: &store,
        key: "demo".into(),
    };
    let http = op_connector::hub::http_client();
    let gigs = format!("{}{}", state.pod, op_protocol::routes::POD_GIGS);
    let mut records = Vec::new();
    for folder in op_connector::pod::list(&session, &http, &gigs).await? {
        for url in op_connector::pod::list(&session, &http, &folder).await? {
            records.push((
                url.clone(),
                op_connector::pod::fetch(&session, &http, &url).await?,
            ));
        }
    }
    let (token, _) = session.access_token(None).await?;
    let owner = op_connector::session::webid_of(&token).unwrap_or_default();
    let pod = op_connector::verify::Pod {
        root: &state.pod,
        owner: &owner,
    };
    let clock = state.hub.clock();
    Ok(op_connector::verify::check(&http, &state.hub.hub.issuer, &records, Some(pod), clock).await)
}

/// Where the hub sent the worker back to a demo client this page does not run a flow for: says
/// what happened and what to do with the address (the code in it works once, within a minute).
fn handoff(req: &HttpRequest, client: &str, command: &str) -> HttpResponse {
    let info = req.connection_info();
    let url = format!("{}://{}{}", info.scheme(), info.host(), req.uri());
    let query: HashMap<String, String> = url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect();
    layout(html! {
        h1 { "Back from the hub" }
        @if let Some(error) = query.get("error") {
            p.error role="alert" { "The hub answered " (client) " with an error: " strong { (error) } " — " (query.get("error_description").map(String::as_str).unwrap_or("")) }
        } @else {
            p { "The worker answered on the hub's consent screen, and the hub sent their browser back to " (client) " with a one-time code." }
            p { "If you started this with " code { (command) } ", finish it now — the code works once, within a minute:" }
            pre { code { (command) " … --callback '" (url) "'" } }
            p { "In a real " (client) " web app, this address is where your server takes the code, checks " code { "state" } " and " code { "iss" } ", and exchanges the code for tokens (" code { "HubClient::callback" } ")." }
        }
        p { a href="/" { "The demo matcher page" } }
    })
}

async fn platform_callback(req: HttpRequest) -> HttpResponse {
    handoff(&req, "Demo Platform", "opctl platform link")
}

async fn app_callback(req: HttpRequest) -> HttpResponse {
    handoff(&req, "Demo Pod App", "your worker app")
}

/// A running demo matcher page.
pub struct Running {
    /// Its URL (with a trailing slash).
    pub url: String,
    /// Stops it.
    pub handle: actix_web::dev::ServerHandle,
}

/// Serves the page on `listener` for `pod`, as the matcher `hub` is a client for.
pub fn start_on(
    listener: std::net::TcpListener,
    hub: HubClient,
    pod: String,
) -> std::io::Result<Running> {
    let url = format!("http://{}/", listener.local_addr()?);
    let state = web::Data::new(DemoMatcher {
        hub,
        pod,
        pending: Mutex::default(),
        result: Mutex::default(),
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/", web::get().to(home))
            .route("/start", web::get().to(start))
            .route(&format!("/{MATCHER_CALLBACK}"), web::get().to(callback))
            .route(
                &format!("/{PLATFORM_CALLBACK}"),
                web::get().to(platform_callback),
            )
            .route(&format!("/{APP_CALLBACK}"), web::get().to(app_callback))
    })
    .workers(1)
    .tcp_nodelay(true)
    .disable_signals()
    .shutdown_timeout(2)
    .listen(listener)?
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    Ok(Running { url, handle })
}
