//! Crash consistency of the whole stack: `op-hub` and `op-pod` as real processes on redb (and on
//! sled, fewer rounds), a mixed load of sign-ups and consents through the browser forms, platform
//! pushes, matcher reads, token refreshes, grant revocations and record withdrawals, SIGKILL of
//! one process at a random moment, restart, and the invariants checked against a journal of what
//! was acknowledged (the load is in `stack_crash_load`, the invariants in `stack_crash_check`).
//! `OP_CRASH_ROUNDS` (default 20) and `OP_CRASH_SECS` (default 60) bound it;
//! `OP_SEED` repeats a run.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use op_connector::oauth::HubClient;
use op_connector::session::Session;
use op_connector::tokens::{MemoryTokenStore, Tokens};
use op_protocol::clock::Clock;

use crate::processes::Processes;
use crate::records_status::{Platform, platform_at};
use crate::stack::REDIRECT;
use crate::stack_crash_load::{newcomer, regular};

/// What the servers acknowledged, to compare with what they hold after each restart.
#[derive(Default)]
pub struct Journal {
    pub accounts: BTreeSet<String>,
    /// Workers whose platform grant is in the token store.
    pub linked: BTreeSet<String>,
    /// (worker, record name) acknowledged by a push.
    pub records: BTreeSet<(String, String)>,
    /// (worker, record name) → (url, body) acknowledged as withdrawn.
    pub withdrawn: BTreeMap<(String, String), (String, String)>,
    /// Withdrawals not acknowledged: retried until they are.
    pub pending: BTreeMap<(String, String), (String, String)>,
    /// Token sets whose refresh token was used, acknowledged with a new one.
    pub retired: Vec<Tokens>,
    /// Access tokens of revoked grants: (token, pod root, refused by the pod once already).
    pub revoked: Vec<(String, String, bool)>,
    pub checks: usize,
    /// Workers this round's load touched: checked after the round (every worker at the end).
    pub touched: BTreeSet<String>,
    /// How many of `retired` were checked already.
    pub retired_checked: usize,
}

/// Everything the load shares.
pub struct World {
    pub issuer: String,
    pub pod_base: String,
    pub http: reqwest::Client,
    pub platform: Platform,
    pub app: HubClient,
    pub store: MemoryTokenStore,
    pub journal: Mutex<Journal>,
    pub clock: Clock,
}

impl World {
    pub fn session(&self, worker: &str) -> Session<'_> {
        Session {
            client: &self.platform.client,
            store: &self.store,
            key: worker.to_owned(),
        }
    }
    pub fn creds(&self) -> op_connector::hub::Credentials<'_> {
        op_connector::hub::Credentials {
            hub: &self.issuer,
            client_id: &self.platform.client.client_id,
            client_secret: &self.platform.secret,
        }
    }
    pub fn pod_root(&self, worker: &str) -> String {
        format!("{}/{worker}/", self.pod_base)
    }
    /// The WebID the hub anchors for a worker.
    pub fn webid(&self, worker: &str) -> String {
        format!(
            "{}{}#me",
            self.issuer,
            op_protocol::routes::hub_person(worker)
        )
    }
    pub fn note(&self, f: impl FnOnce(&mut Journal)) {
        f(&mut self.journal.lock().unwrap())
    }
}

/// A small deterministic generator (xorshift), seeded from `OP_SEED` or the clock.
struct Seeded(u64);
impl Seeded {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below.max(1)
    }
}

async fn crash_loop(storage: &'static str, default_rounds: usize) {
    let seed = std::env::var("OP_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| Clock::system().now_millis() | 1);
    let mut rng = Seeded(seed);
    let rounds = std::env::var("OP_CRASH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_rounds);
    let budget = Duration::from_secs(
        std::env::var("OP_CRASH_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(60),
    );
    let dir = tempfile::tempdir().unwrap();
    let mut procs = Processes::new(dir.path(), storage);
    let http = crate::harness::client();
    procs.start_hub().await;
    let issuer = procs.issuer();
    let platform_secret = Processes::register(&http, &issuer, "acme", "platform", false).await;
    Processes::register(&http, &issuer, "my-pod-app", "worker_app", true).await;
    procs.rs_secret =
        Processes::register(&http, &issuer, "pod-server", "resource_server", false).await;
    procs.start_pod().await;
    let world = Arc::new(World {
        // The hub and pod run as processes on the system clock; the clients reckon on it too.
        platform: platform_at(&issuer, "acme", platform_secret.unwrap(), Clock::system()).await,
        app: HubClient::discover(
            op_connector::hub::http_client(),
            &issuer,
            "my-pod-app",
            None,
            REDIRECT,
            Clock::system(),
        )
        .await
        .unwrap(),
        issuer,
        pod_base: procs.pod_base(),
        http: op_connector::hub::http_client(),
        store: MemoryTokenStore::default(),
        journal: Mutex::new(Journal::default()),
        clock: Clock::system(),
    });
    let started = Instant::now();
    let mut kills = 0;
    for round in 0..rounds {
        if started.elapsed() > budget {
            break;
        }
        let mut tasks = vec![tokio::task::spawn_local(newcomer(
            world.clone(),
            format!("worker-{round}"),
        ))];
        let linked: Vec<String> = world
            .journal
            .lock()
            .unwrap()
            .linked
            .iter()
            .cloned()
            .collect();
        for _ in 0..2 {
            if let Some(worker) = linked.get(rng.next(linked.len() as u64) as usize) {
                tasks.push(tokio::task::spawn_local(regular(
                    world.clone(),
                    worker.clone(),
                    rng.next(100),
                    round,
                )));
            }
        }
        tokio::time::sleep(Duration::from_millis(50 + rng.next(1200))).await;
        let hub = rng.next(2) == 0;
        if hub {
            Processes::kill(&mut procs.hub).await;
        } else {
            Processes::kill(&mut procs.pod).await;
        }
        kills += 1;
        for t in tasks {
            let _ = tokio::time::timeout(Duration::from_secs(20), t).await;
        }
        if hub {
            procs.start_hub().await;
        } else {
            procs.start_pod().await;
        }
        crate::stack_crash_check::invariants(&world, seed, round, false).await;
    }
    crate::stack_crash_check::invariants(&world, seed, usize::MAX, true).await;
    let j = world.journal.lock().unwrap();
    eprintln!(
        "{storage}: seed {seed}, {kills} kills, {} invariant checks passed; acknowledged: {} accounts, {} records, {} withdrawals, {} refreshes, {} revocations",
        j.checks,
        j.accounts.len(),
        j.records.len(),
        j.withdrawn.len(),
        j.retired.len(),
        j.revoked.len()
    );
    assert!(
        kills >= 3 && !j.records.is_empty() && !j.withdrawn.is_empty(),
        "the load ran between the kills"
    );
}

#[tokio::test]
async fn sigkill_of_hub_or_pod_under_mixed_load_loses_nothing_acknowledged_on_redb() {
    // The connector's futures are not `Send`: the load runs as local tasks.
    let local = tokio::task::LocalSet::new();
    local.run_until(crash_loop("redb", 20)).await;
}

#[tokio::test]
async fn sigkill_of_hub_or_pod_under_mixed_load_on_sled() {
    let local = tokio::task::LocalSet::new();
    local.run_until(crash_loop("sled", 6)).await;
}
