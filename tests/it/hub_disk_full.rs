//! A full disk under the hub (issue 13), as `pod_disk_full.rs` does for the pod server: the hub on
//! redb in a small tmpfs filled to the last byte. A write that no longer fits is refused with 507
//! and stores nothing; reads go on; once space returns, the same write succeeds without a
//! restart; a restart finds every acknowledged write. Root only (tmpfs), required in CI.

use op_protocol::clock::Clock;
use op_protocol::routes::{HUB_ADMIN_CLIENTS, HUB_JWKS, HUB_OIDC_DISCOVERY};

use crate::pod_disk_full::Tmpfs;
use crate::stack::HUB_ADMIN;

async fn start(data: std::path::PathBuf) -> op_hub::RunningHub {
    op_hub::start(
        op_hub::config::RawConfig {
            listen: Some("127.0.0.1:0".into()),
            storage: Some(op_store::BackendKind::Redb),
            data_dir: Some(data),
            admin_token: Some(HUB_ADMIN.into()),
            ..Default::default()
        }
        .validate()
        .unwrap(),
        Clock::system(),
    )
    .await
    .unwrap()
}

/// Fills the file system at `dir` with ballast files until not one more byte fits.
fn fill(dir: &std::path::Path) {
    use std::io::Write;
    for (i, size) in [1 << 20, 4096, 1].into_iter().enumerate() {
        let mut f = std::fs::File::create(dir.join(format!("ballast{i}"))).unwrap();
        while f.write_all(&vec![0u8; size]).is_ok() {}
    }
}

#[tokio::test]
async fn a_full_disk_under_the_hub_refuses_writes_with_507_and_recovers() {
    let Some(fs) = Tmpfs::mount(32) else {
        return;
    };
    let data = fs.path().join("data");
    let hub = start(data.clone()).await;
    let http = crate::harness::client();
    let register = |i: usize| {
        http.post(format!("{}{HUB_ADMIN_CLIENTS}", hub.issuer))
            .bearer_auth(HUB_ADMIN)
            .json(&serde_json::json!({
                "id": format!("app-{i}"), "kind": "matcher", "name": format!("App {i}"),
                "public": true, "redirect_uris": [format!("https://app-{i}.example/callback")],
            }))
            .send()
    };
    let mut acknowledged = Vec::new();
    for i in 0..5 {
        let res = register(i).await.unwrap();
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        acknowledged.push(i);
    }
    fill(fs.path());
    let mut refused = None;
    for i in 5..20_000 {
        let res = register(i).await.unwrap();
        if res.status().is_success() {
            acknowledged.push(i);
            continue;
        }
        refused = Some((i, res.status().as_u16(), res.text().await.unwrap()));
        break;
    }
    let (at, status, message) = refused.expect("the disk filled up");
    assert_eq!(status, 507, "{message}");
    assert!(message.contains("disk is full"), "{message}");
    let stored = |i: usize| op_hub::client::CLIENTS.get(&hub.hub.store, &format!("app-{i}"));
    assert!(stored(at).unwrap().is_none(), "nothing half-written");
    // Reads go on.
    for path in [HUB_OIDC_DISCOVERY, HUB_JWKS] {
        let res = http
            .get(format!("{}{path}", hub.issuer))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
    }
    assert!(stored(acknowledged[0]).unwrap().is_some());
    // Space returns: the same write succeeds, without a restart.
    for i in 0..3 {
        std::fs::remove_file(fs.path().join(format!("ballast{i}"))).unwrap();
    }
    let res = register(at).await.unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    acknowledged.push(at);
    // A restart finds every acknowledged write.
    hub.stop().await;
    let hub = start(data).await;
    for &i in &acknowledged {
        let found = op_hub::client::CLIENTS
            .get(&hub.hub.store, &format!("app-{i}"))
            .unwrap();
        assert!(found.is_some(), "app-{i} after restart");
    }
    hub.stop().await;
}
