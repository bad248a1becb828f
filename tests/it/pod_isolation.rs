//! What one party can do to another through a pod: uploads that would run script in the pod's
//! origin, the profile replaced by something that is not RDF, admin calls from another hub,
//! and entries pushed into a worker's access log.

use op_protocol::routes::POD_ADMIN_PODS;

use reqwest::Method;

use crate::harness::PodServer;

#[tokio::test]
async fn uploads_are_served_inert_and_active_types_download() {
    let pod = PodServer::memory().await;
    for (path, media, attachment) in [
        ("/page.html", "text/html; charset=utf-8", true),
        ("/pic.svg", "image/svg+xml", true),
        ("/photo.png", "image/png", false),
    ] {
        let res = pod
            .owner(Method::PUT, path)
            .header("Content-Type", media)
            .body("<script>alert(document.domain)</script>")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{path}");
        let res = pod.owner(Method::GET, path).send().await.unwrap();
        let h = res.headers();
        assert_eq!(h["content-security-policy"], "sandbox; default-src 'none'");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(
            h.get("content-disposition").map(|v| v.to_str().unwrap()),
            attachment.then_some("attachment"),
            "{path}"
        );
    }
    pod.stop().await;
}

#[tokio::test]
async fn the_profile_stays_rdf() {
    let pod = PodServer::memory().await;
    let res = pod
        .owner(Method::PUT, "/profile/card")
        .header("Content-Type", "text/html")
        .body("<script>alert(1)</script>")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    assert!(res.text().await.unwrap().contains("must stay RDF"));
    let res = pod
        .client
        .get(pod.url("/profile/card"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/turtle");
    pod.put_turtle(
        "/profile/card",
        "<#me> a <http://xmlns.com/foaf/0.1/Person> .",
    )
    .await;
    pod.stop().await;
}

#[tokio::test]
async fn a_hub_manages_only_the_pods_it_provisioned() {
    let pod = PodServer::memory().await;
    let admin = format!("{}{POD_ADMIN_PODS}", pod.base);
    let iss = pod.issuer.iss.clone();
    let mut claims = pod.issuer.claims(&format!("{}/", pod.base), &iss, &iss, "");
    claims.webid = None;
    claims.grant_id = None;
    let hub = pod.issuer.sign(&claims);
    // `alice` was created by the operator: the hub may neither read nor delete it.
    for method in [Method::GET, Method::DELETE] {
        let res = pod
            .client
            .request(method.clone(), format!("{admin}/alice"))
            .bearer_auth(&hub)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{method}");
        assert!(res.text().await.unwrap().contains("not provisioned by"));
    }
    let res = pod
        .client
        .get(pod.url("/profile/card"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "alice's pod is still there");
    // A pod the hub created is the hub's to manage.
    let res = pod
        .client
        .post(&admin)
        .bearer_auth(&hub)
        .json(&serde_json::json!({"name": "bob"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = pod
        .client
        .get(format!("{admin}/bob"))
        .bearer_auth(&hub)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let record: serde_json::Value = res.json().await.unwrap();
    assert_eq!(record["provisioned_by"], iss);
    let res = pod
        .client
        .delete(format!("{admin}/bob"))
        .bearer_auth(&hub)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    pod.stop().await;
}
