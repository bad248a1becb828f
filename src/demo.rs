//! `up --demo`: a demo worker with a hosted pod and records, a certified platform, a matcher and
//! a worker app, seeded idempotently; what to try is printed and written to `DATA/demo.json`.

use std::path::Path;

use anyhow::Context;
use op_hub::client::{CLIENTS, ClientKind, NewClient};
use op_pod::pod::conditions::Conditions;
use op_pod::pod::model::Kind;
use op_pod::pod::ops::{self, Content};
use op_protocol::path::{PodName, ResourcePath};
use serde::{Deserialize, Serialize};

use crate::up::Stack;

const WORKER: &str = "demo-worker";
/// The demo platform; also the name of its folder in the worker's pod.
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

/// The demo platform's export: six gigs of four kinds, two-dimension ratings, reviews, two
/// achievements — converted, signed by the demo platform and written into the worker's pod.
const EXPORT: &str = include_str!("demo-export.json");

/// Signs the demo export as the demo platform (its key is kept in `DATA/demo-platform-key.json`
/// and registered at the hub; its status list is hosted by the hub) and writes each record into
/// the platform's folder in the worker's pod, unless already there.
async fn push_records(
    stack: &Stack,
    data: &Path,
    webid: &str,
    pod_root: &str,
) -> anyhow::Result<usize> {
    use op_protocol::proof::{KeyFile, KeyPair};
    let hub = &stack.hub.hub;
    let key_path = data.join("demo-platform-key.json");
    let key: KeyPair = match std::fs::read(&key_path)
        .ok()
        .and_then(|b| serde_json::from_slice::<KeyFile>(&b).ok())
    {
        Some(file) => file.key_pair()?,
        None => {
            let key = KeyPair::from_seed(rand::random());
            crate::up::write_private(&key_path, &serde_json::to_vec_pretty(&key.to_file())?)?;
            key
        }
    };
    let platform = CLIENTS
        .get(&hub.store, PLATFORM)?
        .context("the demo platform is registered")?;
    let registered = op_hub::platform::register_key(hub, &platform, &key.public().to_multibase())
        .await
        .map_err(|e| anyhow::anyhow!("cannot register the demo platform's key: {e}"))?;
    let issuer_url = op_hub::platform::controller_url(hub, PLATFORM);
    let issuer = op_connector::platform::Issuer {
        method: format!("{issuer_url}#{}", registered.fragment),
        url: issuer_url,
    };
    let clock = hub.clock.clone();
    let signer = issuer.signer(key)?;
    let pod = PodName::parse(WORKER).expect("a valid pod name");
    let state = &stack.pod.state;
    let folder = ResourcePath::parse(&format!("/gigs/{PLATFORM}/")).expect("a valid path");
    if ops::resource(
        &state.store,
        &pod,
        &folder.child(op_protocol::routes::POD_SUMMARY, false)?,
    )?
    .is_some()
    {
        return Ok(0);
    }
    // Entries allocated by the hub, as for any platform; the list is published empty first.
    let now = op_protocol::datetime::DateTime::from_unix_millis(clock.now_millis());
    let issuance = issuer.issuance(webid, now)?;
    let mut unsigned = op_protocol::record::convert(
        &op_protocol::record::GigExport::from_json(EXPORT)?,
        &issuance,
    )?;
    let ids = unsigned.iter().map(|r| r.id.clone()).collect();
    let entries = op_hub::status_lists::allocate(hub, &platform, ids).await?;
    for list in entries
        .allocations
        .iter()
        .map(|a| &a.status_list_credential)
        .collect::<std::collections::BTreeSet<_>>()
    {
        let name = list.rsplit('/').next().unwrap_or_default();
        if op_hub::status_lists::status_list(hub, PLATFORM, name)?.is_none() {
            let empty = op_protocol::status::status_list_credential(
                list,
                op_protocol::status::StatusPurpose::Revocation,
                &op_protocol::status::StatusList::new(0),
            );
            let signed = signer.sign_status_list(&empty, &clock)?;
            op_hub::status_lists::put_status_list(hub, &platform, name, signed).await?;
        }
    }
    let mut records = Vec::new();
    for record in unsigned.drain(..) {
        let entry = entries
            .allocations
            .iter()
            .find(|a| a.record == record.id)
            .with_context(|| format!("no status entry for {}", record.id))?;
        let at = (
            entry.status_list_credential.clone(),
            entry.status_list_index.parse()?,
        );
        records.push(op_connector::platform::sign_with_entry(
            record, &at, &signer, &clock,
        )?);
    }
    let count = records.len();
    // The worker consented to the demo platform writing their records, as a real worker would
    // through the consent screen: the grant is on the dashboard, and each write in the access log.
    let grant = op_hub::grant::Grant {
        id: op_hub::grant::new_grant_id(WORKER),
        client_id: PLATFORM.into(),
        username: WORKER.into(),
        webid: webid.into(),
        resource: Some(pod_root.into()),
        scope: "gig:write offline_access".into(),
        details: Vec::new(),
        created: hub.now(),
        expires: None,
        last_used: Some(hub.now()),
        revoked: None,
        solid: false,
    };
    let (grant_id, now) = (grant.id.clone(), hub.now());
    hub.store
        .write(move |tx| {
            op_hub::grant::audit(
                tx,
                WORKER,
                op_hub::grant::AuditEvent {
                    at: now,
                    event: "consent_given".into(),
                    client_id: PLATFORM.into(),
                    grant_id: Some(grant.id.clone()),
                },
            );
            op_hub::grant::GRANTS.put(tx, &grant.id, &grant);
            Ok::<_, op_pod::store::StoreError>(())
        })
        .await?;
    for record in records {
        let path = folder.child(&record.name, false)?;
        let content = Content::Document {
            kind: Kind::Rdf,
            media_type: "application/ld+json".into(),
            body: record.body.into_bytes(),
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
        let event = op_pod::pod::log::AccessEvent {
            at: state.clock.now_millis(),
            agent: webid.into(),
            client_id: Some(PLATFORM.into()),
            grant_id: Some(grant_id.clone()),
            method: "PUT".into(),
            path: format!("/{pod}{path}"),
            status: 201,
        };
        op_pod::pod::log::record(&state.store, &pod, event, state.limits.access_log_events).await?;
    }
    Ok(count)
}

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

/// Points a demo client at the redirect URI it has in this run (the demo matcher page may
/// listen elsewhere than last time).
async fn set_redirect(stack: &Stack, id: &str, uri: &str) -> anyhow::Result<()> {
    let hub = &stack.hub.hub;
    let (id, uri) = (id.to_owned(), op_hub::client::RedirectUri::parse(uri)?);
    hub.store
        .write(move |tx| {
            if let Some(mut client) = CLIENTS.get_tx(tx, &id)? {
                client.redirect_uris = vec![uri];
                CLIENTS.put(tx, &id, &client);
            }
            Ok::<_, op_pod::store::StoreError>(())
        })
        .await?;
    Ok(())
}

/// Seeds everything that is missing and returns what to print; `page_url` is the demo page server,
/// where every demo client's redirect URI points: the matcher's callback runs its flow, the others
/// show a page that says what to do with the code (paste the URL into `opctl … --callback`).
pub async fn seed(stack: &Stack, data: &Path, page_url: &str) -> anyhow::Result<Demo> {
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
        None => {
            op_hub::account::sign_up(hub, WORKER, &password, op_hub::account::PodChoice::Hosted)
                .await
                .context("cannot create the demo worker")?
        }
    };
    let pod_root = account
        .pod
        .as_ref()
        .map(|p| p.root.clone())
        .context("the demo worker has no pod")?;
    let redirect = |path: &str| format!("{page_url}{path}");
    let matcher_callback = &redirect(crate::http::demo_matcher::MATCHER_CALLBACK);
    let platform = client(
        stack,
        previous.as_ref(),
        PLATFORM,
        ClientKind::Platform,
        "Demo Platform",
        &redirect(crate::http::demo_matcher::PLATFORM_CALLBACK),
    )
    .await?;
    let matcher = client(
        stack,
        previous.as_ref(),
        MATCHER,
        ClientKind::Matcher,
        "Demo Matcher",
        matcher_callback,
    )
    .await?;

    client(
        stack,
        previous.as_ref(),
        WORKER_APP,
        ClientKind::WorkerApp,
        "Demo Pod App",
        &redirect(crate::http::demo_matcher::APP_CALLBACK),
    )
    .await?;
    // The demo page may listen elsewhere than last run: every demo client follows it.
    set_redirect(stack, MATCHER, matcher_callback).await?;
    set_redirect(
        stack,
        PLATFORM,
        &redirect(crate::http::demo_matcher::PLATFORM_CALLBACK),
    )
    .await?;
    set_redirect(
        stack,
        WORKER_APP,
        &redirect(crate::http::demo_matcher::APP_CALLBACK),
    )
    .await?;
    push_records(stack, data, &account.webid, &pod_root).await?;
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
            redirect_uri: redirect(crate::http::demo_matcher::PLATFORM_CALLBACK),
        },
        matcher: Confidential {
            client_id: MATCHER.into(),
            client_secret: matcher.unwrap_or_default(),
            redirect_uri: matcher_callback.to_owned(),
        },
        worker_app: Public {
            client_id: WORKER_APP.into(),
            redirect_uri: redirect(crate::http::demo_matcher::APP_CALLBACK),
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
        println!(
            "  Log in at    {}{}",
            self.hub_url,
            op_protocol::routes::HUB_LOGIN
        );
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
