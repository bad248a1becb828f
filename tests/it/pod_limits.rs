//! Limits: body size, triples per resource and per-pod quotas.

use op_pod::config::Limits;
use reqwest::Method;

use crate::harness::{PodOptions, PodServer};

async fn small_pod() -> PodServer {
    PodServer::start(PodOptions {
        limits: Limits {
            max_body_bytes: 4096,
            max_triples: 10,
            quota_bytes: 8_000,
            quota_resources: 12,
            ..Limits::default()
        },
        ..PodOptions::default()
    })
    .await
}

#[tokio::test]
async fn oversized_bodies_get_413_and_are_not_stored() {
    let pod = small_pod().await;
    let res = pod
        .owner(Method::PUT, "/big")
        .header("Content-Type", "application/octet-stream")
        .body(vec![0u8; 5000])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert!(res.text().await.unwrap().contains("4096"));
    let triples: String = (0..11).map(|i| format!("<#s> <#p> <#o{i}> .\n")).collect();
    let res = pod
        .owner(Method::PUT, "/many")
        .header("Content-Type", "text/turtle")
        .body(triples)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert!(res.text().await.unwrap().contains("more than 10 triples"));
    for path in ["/big", "/many"] {
        assert_eq!(
            pod.owner(Method::GET, path).send().await.unwrap().status(),
            404
        );
    }
    pod.stop().await;
}

#[tokio::test]
async fn a_full_pod_answers_507_with_its_usage() {
    let pod = small_pod().await;
    let mut last = 0;
    for i in 0..20 {
        let res = pod
            .owner(Method::PUT, &format!("/f{i}"))
            .header("Content-Type", "application/octet-stream")
            .body(vec![1u8; 1500])
            .send()
            .await
            .unwrap();
        last = res.status().as_u16();
        if last == 507 {
            let message = res.text().await.unwrap();
            assert!(message.contains("of 8000 bytes"), "{message}");
            break;
        }
        assert_eq!(last, 201);
    }
    assert_eq!(last, 507);
    // Deleting frees space again.
    assert_eq!(
        pod.owner(Method::DELETE, "/f0")
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let res = pod
        .owner(Method::PUT, "/again")
        .header("Content-Type", "application/octet-stream")
        .body(vec![1u8; 1500])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    // After refusals, deletes, a nested write and a container's description, the books the
    // quota is checked against still agree with the contents.
    let nested = pod
        .owner(Method::PUT, "/a/b/c")
        .header("Content-Type", "text/turtle")
        .body("<#x> <http://example.org/p> 1 .")
        .send()
        .await
        .unwrap();
    assert_eq!(nested.status(), 201);
    let described = pod
        .owner(Method::PUT, "/a/")
        .header("Content-Type", "text/turtle")
        .body("<> <http://purl.org/dc/terms/title> \"A\" .")
        .send()
        .await
        .unwrap();
    assert_eq!(described.status(), 204);
    let audit = |token: &'static str| {
        pod.client
            .get(format!(
                "{}{}",
                pod.base,
                op_protocol::routes::pod_admin_pod_audit("alice")
            ))
            .bearer_auth(token)
            .send()
    };
    let report: serde_json::Value = audit(crate::harness::ADMIN_TOKEN)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["consistent"], true, "{report}");
    assert!(
        report["resources_counted"].as_u64().unwrap() >= 5,
        "{report}"
    );
    assert_eq!(report["bytes_counted"], report["bytes_recorded"]);
    assert_eq!(audit("not-the-admin-token").await.unwrap().status(), 403);
    pod.stop().await;
}
