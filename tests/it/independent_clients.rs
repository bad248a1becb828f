//! Independent clients against the real hub: panva's `openid-client` (Node, `tests/clients/node`)
//! and Authlib (Python, `tests/clients/python`) run discovery, code + PKCE for a confidential and
//! a public client, ID token validation, userinfo, refresh rotation, revocation, introspection,
//! DPoP (EdDSA and ES256), `client_credentials` and `private_key_jwt` as separate processes, each
//! printing one JSON line per flow. Installed by `tests/clients/install.sh`; without it these tests
//! say so and return, unless `OP_REQUIRE_CLIENTS=1`.

use op_protocol::routes::{self, HUB_ADMIN_CLIENTS};

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use op_protocol::clock::Clock;
use serde_json::{Value, json};

use crate::stack::{Browser, HUB_ADMIN, REDIRECT, Stack};

const WORKER: &str = "carol";
const PASSWORD: &str = "correct horse battery staple";

/// Every flow each script must report, in the order it runs them: a script that skips one fails.
const FLOWS: [&str; 13] = [
    "discovery",
    "code_pkce_confidential",
    "id_token",
    "userinfo",
    "introspection",
    "refresh_rotation",
    "revocation",
    "code_pkce_public",
    "dpop_eddsa",
    "dpop_es256",
    "client_credentials",
    "private_key_jwt_eddsa",
    "private_key_jwt_es256",
];

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("clients")
}

/// Whether a client is installed; when it is not, panics under `OP_REQUIRE_CLIENTS=1` and
/// otherwise says it did not run.
fn installed(name: &str, found: bool) -> bool {
    if !found {
        assert_ne!(
            std::env::var("OP_REQUIRE_CLIENTS").as_deref(),
            Ok("1"),
            "{name} is required (OP_REQUIRE_CLIENTS=1): run tests/clients/install.sh"
        );
        eprintln!("{name} is not installed (tests/clients/install.sh): not run");
    }
    found
}

/// An Ed25519 and a P-256 private JWK, each with its `kid` and `alg`.
fn private_keys() -> (Value, Value) {
    let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
    let ed = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    let ed = json!({
        "kty": "OKP", "crv": "Ed25519", "kid": "ed-1", "alg": "EdDSA",
        "x": b64(&ed.verifying_key().to_bytes()), "d": b64(&ed.to_bytes()),
    });
    let ec = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let point =
        p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&ec.public_key(), false);
    let ec = json!({
        "kty": "EC", "crv": "P-256", "kid": "ec-1", "alg": "ES256",
        "x": b64(point.x().unwrap()), "y": b64(point.y().unwrap()), "d": b64(&ec.to_bytes()),
    });
    (ed, ec)
}

/// The public half of a private JWK.
fn public(jwk: &Value) -> Value {
    let mut jwk = jwk.clone();
    jwk.as_object_mut().unwrap().remove("d");
    jwk
}

/// Registers a `private_key_jwt` matcher whose JWKS holds both keys.
async fn register_key_client(stack: &Stack, id: &str, keys: &(Value, Value)) {
    let res = stack
        .http
        .post(format!("{}{HUB_ADMIN_CLIENTS}", stack.issuer))
        .bearer_auth(HUB_ADMIN)
        .json(&json!({
            "id": id, "kind": "matcher", "name": format!("{id} (test)"),
            "redirect_uris": [REDIRECT], "purpose": "Testing",
            "jwks": { "keys": [public(&keys.0), public(&keys.1)] },
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
}

/// What the scripts are given: the hub, the worker who logs in, every client's credentials, and
/// the paths of the hub's pages and discovery document (the scripts spell no route themselves).
async fn setup(stack: &Stack) -> Value {
    let mut browser = Browser::new();
    let page = browser.sign_up(&stack.issuer, WORKER, PASSWORD).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let keys = private_keys();
    register_key_client(stack, "keyed-matcher", &keys).await;
    let secret = |r: &crate::stack::Registered| r.secret.clone().unwrap();
    json!({
        "issuer": stack.issuer,
        "routes": {
            "login": routes::HUB_LOGIN,
            "consent": routes::HUB_CONSENT,
            "oidc_discovery": routes::HUB_OIDC_DISCOVERY,
        },
        "redirect_uri": REDIRECT,
        "resource": stack.pod_root(WORKER),
        "username": WORKER,
        "password": PASSWORD,
        "confidential": { "client_id": stack.matcher.id, "client_secret": secret(&stack.matcher) },
        "public": { "client_id": stack.app.id },
        "service": { "client_id": stack.platform.id, "client_secret": secret(&stack.platform) },
        "resource_server": {
            "client_id": stack.resource_server.id,
            "client_secret": secret(&stack.resource_server),
        },
        "private_key_jwt": { "client_id": "keyed-matcher", "keys": [keys.0, keys.1] },
    })
}

/// Keeps the hub's manual clock at the wall clock the scripts read, so their `iat` and `exp`
/// meet the hub's `now` however long the run takes.
fn follow_wall_clock(clock: Clock) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let lag = Clock::system()
                .now_millis()
                .saturating_sub(clock.now_millis());
            clock.advance(Duration::from_millis(lag));
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
}

/// Runs `program script config` against a fresh stack and asserts that it reports every flow ok.
async fn run_script(program: &str, script: &Path) {
    let stack = Stack::start().await;
    let follower = follow_wall_clock(stack.clock.clone());
    let config = setup(&stack).await;
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), config.to_string()).unwrap();
    let out = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::process::Command::new(program)
            .arg(script)
            .arg(file.path())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the client script finishes within two minutes")
    .expect("the client script starts");
    follower.abort();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report = format!("stdout:\n{stdout}\nstderr:\n{stderr}");
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}\n{report}")))
        .collect();
    let failed: Vec<&Value> = lines.iter().filter(|l| l["ok"] != true).collect();
    assert!(failed.is_empty(), "failed flows: {failed:#?}\n{report}");
    let reported: Vec<&str> = lines.iter().filter_map(|l| l["flow"].as_str()).collect();
    assert_eq!(reported, FLOWS, "{report}");
    assert!(out.status.success(), "{report}");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_client_runs_every_flow_against_the_hub() {
    let dir = clients_dir().join("node");
    let found = dir
        .join("node_modules/openid-client/package.json")
        .is_file()
        && std::process::Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    if installed("openid-client (Node)", found) {
        run_script("node", &dir.join("flows.mjs")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authlib_runs_every_flow_against_the_hub() {
    let dir = clients_dir().join("python");
    let found = std::process::Command::new("python3")
        .args(["-c", "import authlib, joserfc, requests"])
        .output()
        .is_ok_and(|o| o.status.success());
    if installed("Authlib (Python)", found) {
        run_script("python3", &dir.join("flows.py")).await;
    }
}
