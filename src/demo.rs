//! `up --demo`: a demo worker with a hosted pod and records, a certified platform, a matcher and
//! a worker app, seeded idempotently; what to try is printed and written to `DATA/demo.json`.

use std::path::Path;

use anyhow::Context;
use op_hub::client::{CLIENTS, ClientKind, NewClient};
use op_pod::pod::model::Kind;
use op_pod::pod::ops::{self, Conditions, Content};
use op_protocol::path::{PodName, ResourcePath};
use serde::{Deserialize, Serialize};

use crate::up::Stack;

const WORKER: &str = "demo-worker";
const PLATFORM: &str = "demo-platform";
const MATCHER: &str = "demo-matcher";
const WORKER_APP: &str = "demo-pod-app";

/// What `demo.json` holds, so scripts can drive the demo.
#[derive(Debug, Serialize, Deserialize)]
pub struct Demo {
    pub hub_url: String,
    pub pod_url: String,
    pub worker: Worker,
    pub platform: Confidential,
    pub matcher: Confidential,
    pub worker_app: Public,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Worker {
    pub username: String,
    pub password: String,
    pub webid: String,
    pub pod: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Confidential {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Public {
    pub client_id: String,
    pub redirect_uri: String,
}

/// Gig records in the demo pod, in the platform's folder: plain Turtle until signed records land.
const RECORDS: &[(&str, &str)] = &[
    (
        "gig-2026-03-01",
        "@prefix schema: <https://schema.org/>.\n<#gig> a schema:Action;\n  schema:name \"Grocery delivery\";\n  schema:actionStatus schema:CompletedActionStatus;\n  schema:startTime \"2026-03-01T10:00:00Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime>;\n  schema:agent <../../profile/card#me>.\n",
    ),
    (
        "gig-2026-03-04",
        "@prefix schema: <https://schema.org/>.\n<#gig> a schema:Action;\n  schema:name \"Furniture assembly\";\n  schema:actionStatus schema:CompletedActionStatus;\n  schema:startTime \"2026-03-04T14:00:00Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime>;\n  schema:agent <../../profile/card#me>.\n",
    ),
];

async fn client(
    stack: &Stack,
    previous: Option<&Demo>,
    id: &str,
    kind: ClientKind,
    name: &str,
    redirect: &str,
) -> anyhow::Result<Option<String>> {
    let hub = &stack.hub.hub;
    if CLIENTS.get(&hub.store, id)?.is_some() {
        let secret = previous.and_then(|d| match id {
            PLATFORM => Some(d.platform.client_secret.clone()),
            MATCHER => Some(d.matcher.client_secret.clone()),
            _ => None,
        });
        return Ok(secret);
    }
    let new = NewClient {
        id: id.into(),
        kind,
        name: name.into(),
        homepage: None,
        logo: None,
        purpose: Some(format!("{name}: demo of Open Platforms")),
        redirect_uris: vec![redirect.into()],
        public: kind == ClientKind::WorkerApp,
        jwks: None,
        certified: kind == ClientKind::Platform,
    };
    let (_, secret) = op_hub::http::admin::register(hub, new)
        .await
        .map_err(|e| anyhow::anyhow!("cannot register {id}: {e}"))?;
    Ok(secret)
}

/// Seeds everything that is missing and returns what to print.
pub async fn seed(stack: &Stack, data: &Path) -> anyhow::Result<Demo> {
    let previous: Option<Demo> = std::fs::read(data.join("demo.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let hub = &stack.hub.hub;
    let password = previous
        .as_ref()
        .map(|d| d.worker.password.clone())
        .unwrap_or_else(|| format!("demo-{:08x}", rand::random::<u32>()));
    let account = match op_hub::account::ACCOUNTS.get(&hub.store, WORKER)? {
        Some(a) => a,
        None => op_hub::account::sign_up(hub, WORKER, &password)
            .await
            .context("cannot create the demo worker")?,
    };
    let pod_root = account
        .pod
        .as_ref()
        .map(|p| p.root.clone())
        .context("the demo worker has no pod")?;
    let redirect = |path: &str| format!("{}{path}", stack.hub.issuer);
    let platform = client(
        stack,
        previous.as_ref(),
        PLATFORM,
        ClientKind::Platform,
        "Demo Platform",
        &redirect("/demo/platform/callback"),
    )
    .await?;
    let matcher = client(
        stack,
        previous.as_ref(),
        MATCHER,
        ClientKind::Matcher,
        "Demo Matcher",
        &redirect("/demo/matcher/callback"),
    )
    .await?;
    client(
        stack,
        previous.as_ref(),
        WORKER_APP,
        ClientKind::WorkerApp,
        "Demo Pod App",
        &redirect("/demo/app/callback"),
    )
    .await?;
    let pod = PodName::parse(WORKER).expect("a valid pod name");
    let state = &stack.pod.state;
    for (name, turtle) in RECORDS {
        let path = ResourcePath::parse(&format!("/gigs/{PLATFORM}/{name}")).expect("a valid path");
        if ops::resource(&state.store, &pod, &path)?.is_none() {
            let content = Content::Document {
                kind: Kind::Rdf,
                media_type: "text/turtle".into(),
                body: turtle.as_bytes().to_vec(),
            };
            ops::put(
                &state.store,
                &pod,
                &path,
                content,
                Conditions::default(),
                state.clock.now_millis(),
            )
            .await?;
        }
    }
    let demo = Demo {
        hub_url: stack.hub.issuer.clone(),
        pod_url: pod_root.clone(),
        worker: Worker {
            username: WORKER.into(),
            password,
            webid: account.webid.clone(),
            pod: pod_root,
        },
        platform: Confidential {
            client_id: PLATFORM.into(),
            client_secret: platform.unwrap_or_default(),
            redirect_uri: redirect("/demo/platform/callback"),
        },
        matcher: Confidential {
            client_id: MATCHER.into(),
            client_secret: matcher.unwrap_or_default(),
            redirect_uri: redirect("/demo/matcher/callback"),
        },
        worker_app: Public {
            client_id: WORKER_APP.into(),
            redirect_uri: redirect("/demo/app/callback"),
        },
    };
    crate::up::write_private(&data.join("demo.json"), &serde_json::to_vec_pretty(&demo)?)?;
    Ok(demo)
}

impl Demo {
    /// Prints where to go.
    #[allow(clippy::print_stdout)]
    pub fn print(&self, data: &Path) {
        println!();
        println!("  Log in at    {}/login", self.hub_url);
        println!(
            "               as {} / {}",
            self.worker.username, self.worker.password
        );
        println!("  WebID        {}", self.worker.webid);
        println!("  pod          {}", self.worker.pod);
        println!(
            "  clients      {} (platform), {} (matcher), {} (worker app)",
            self.platform.client_id, self.matcher.client_id, self.worker_app.client_id
        );
        println!(
            "  details      {} (client secrets included; keep it private)",
            data.join("demo.json").display()
        );
    }
}
