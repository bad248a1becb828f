//! The Solid client libraries apps use most — Inrupt's `@inrupt/solid-client` and rdflib.js
//! (`tests/solid/`, installed by `.ci/run` with `npm ci`) — against our pod with an owner token
//! from our hub: listing a container of signed records, reading one, creating a container and
//! documents, and changing them with the SPARQL Update PATCH both libraries send. Not installed:
//! the test says so and passes, unless `OP_REQUIRE_CLIENTS=1`.

use serde_json::Value;

use crate::stack::{Browser, Stack};

#[tokio::test]
async fn inrupt_solid_client_and_rdflib_read_and_write_the_pod() {
    let Some(dir) = crate::stack::npm_project("solid") else {
        return;
    };
    let stack = Stack::start().await;
    let mut browser = Browser::new();
    browser
        .sign_up(&stack.issuer, "alice", "correct horse battery staple")
        .await;
    let created =
        crate::records_verdict::push_for(&stack, &mut browser, &stack.platform, "alice").await;
    let root = stack.pod_root("alice");
    let records = format!("{root}gigs/{}/", stack.platform.id);
    let record = format!(
        "{records}{}",
        created.iter().find(|n| *n != "summary").unwrap()
    );
    let owner =
        crate::pod_hub::grant_at(&stack, &mut browser, &stack.app, "pod:owner", None, "alice")
            .await;
    let config = tempfile::NamedTempFile::new().unwrap();
    let body = serde_json::json!({
        "pod": root,
        "token": crate::pod_hub::access(&owner),
        "records": records,
        "record": record,
        "contexts": format!("{}{}", stack.pod_base, op_protocol::routes::CONTEXTS),
    });
    std::fs::write(config.path(), body.to_string()).unwrap();
    let out = tokio::process::Command::new("node")
        .arg(dir.join("clients.mjs"))
        .arg(config.path())
        .output()
        .await
        .expect("node runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let steps: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(steps.len(), 11, "{steps:#?}");
    let failed: Vec<&Value> = steps.iter().filter(|s| s["ok"] != true).collect();
    assert!(failed.is_empty(), "failed steps: {failed:#?}");
    stack.stop().await;
}
