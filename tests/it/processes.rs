//! `op-hub` and `op-pod` as real processes on fixed loopback ports (chosen once, so a restarted
//! process keeps its URL), killed with SIGKILL and started again on the same data.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

use crate::harness::ADMIN_TOKEN;
use crate::stack::{HUB_ADMIN, REDIRECT};

/// One running program; its stdout stays open so a late line cannot fail on a closed pipe.
pub struct Running {
    pub child: Child,
    _stdout: Lines<BufReader<ChildStdout>>,
}

/// The hub and the pod server of one stack, as processes.
pub struct Processes {
    pub dir: PathBuf,
    pub storage: &'static str,
    pub hub_port: u16,
    pub pod_port: u16,
    /// The pod server's secret as the hub's `pod-server` resource-server client.
    pub rs_secret: Option<String>,
    pub hub: Option<Running>,
    pub pod: Option<Running>,
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

async fn start(mut cmd: Command, what: &str) -> Running {
    let mut child = cmd
        .env("OP_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("start {what}: {e}"));
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .unwrap_or_else(|_| panic!("{what} printed its address in time"))
        .unwrap();
    assert!(
        line.as_deref().is_some_and(|l| l.contains("http://")),
        "{what} did not start: {line:?}"
    );
    Running {
        child,
        _stdout: lines,
    }
}

impl Processes {
    pub fn new(dir: &Path, storage: &'static str) -> Processes {
        Processes {
            dir: dir.to_owned(),
            storage,
            hub_port: free_port(),
            pod_port: free_port(),
            rs_secret: None,
            hub: None,
            pod: None,
        }
    }

    pub fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.hub_port)
    }

    pub fn pod_base(&self) -> String {
        format!("http://127.0.0.1:{}", self.pod_port)
    }

    pub async fn start_hub(&mut self) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_op-hub-under-test"));
        cmd.args(["serve", "--storage", self.storage, "--data"])
            .arg(self.dir.join("hub"))
            .args(["--listen", &format!("127.0.0.1:{}", self.hub_port)])
            .args([
                "--admin-token",
                HUB_ADMIN,
                "--pod-provider",
                &self.pod_base(),
            ]);
        self.hub = Some(start(cmd, "op-hub").await);
    }

    pub async fn start_pod(&mut self) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_op-pod-under-test"));
        cmd.args(["serve", "--storage", self.storage, "--data"])
            .arg(self.dir.join("pod"))
            .args(["--listen", &format!("127.0.0.1:{}", self.pod_port)])
            .args(["--admin-token", ADMIN_TOKEN, "--trust", &self.issuer()])
            .args(["--hub-client-id", "pod-server"]);
        if let Some(secret) = &self.rs_secret {
            cmd.arg(format!("--hub-client-secret={secret}"));
        }
        self.pod = Some(start(cmd, "op-pod").await);
    }

    /// SIGKILL: no chance to flush or to finish a request.
    pub async fn kill(slot: &mut Option<Running>) {
        if let Some(mut running) = slot.take() {
            running.child.start_kill().unwrap();
            running.child.wait().await.unwrap();
        }
    }

    /// Registers a client at the hub through its admin API; its secret, if it has one.
    pub async fn register(
        http: &reqwest::Client,
        issuer: &str,
        id: &str,
        kind: &str,
        public: bool,
    ) -> Option<String> {
        let redirects: Vec<&str> = if kind == "resource_server" {
            vec![]
        } else {
            vec![REDIRECT]
        };
        let res = http
            .post(format!(
                "{issuer}{}",
                op_protocol::routes::HUB_ADMIN_CLIENTS
            ))
            .bearer_auth(HUB_ADMIN)
            .json(&serde_json::json!({
                "id": id, "kind": kind, "name": id, "redirect_uris": redirects,
                "public": public, "certified": kind == "platform", "purpose": "Testing"
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let body: serde_json::Value = res.json().await.unwrap();
        body["client_secret"].as_str().map(str::to_owned)
    }
}
