//! What generic Solid clients send, over real HTTP: SPARQL Update PATCHes with the same
//! atomicity, conditional-request and creation rules as N3 Patch.

use reqwest::Method;

use crate::harness::PodServer;

const SPARQL: &str = "application/sparql-update";

async fn get(pod: &PodServer, path: &str) -> (String, String) {
    let res = pod.owner(Method::GET, path).send().await.unwrap();
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    (etag, res.text().await.unwrap())
}

#[tokio::test]
async fn sparql_update_patches_like_n3_patch() {
    let pod = PodServer::memory().await;
    let patch = |path: &'static str, body: String| {
        pod.owner(Method::PATCH, path)
            .header("Content-Type", SPARQL)
            .body(body)
    };

    // Creating a resource, as saveSolidDatasetAt does for a new dataset.
    let res = patch(
        "/notes",
        "INSERT DATA { <#n1> <http://schema.org/text> \"first\" . }".into(),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 201);

    // Editing it, guarded by its ETag.
    let (etag, _) = get(&pod, "/notes").await;
    let edit = "DELETE DATA { <#n1> <http://schema.org/text> \"first\" . };\nINSERT DATA { <#n1> <http://schema.org/text> \"second\" . };";
    let res = patch("/notes", edit.into())
        .header("If-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let (_, body) = get(&pod, "/notes").await;
    assert!(body.contains("second") && !body.contains("first"), "{body}");

    // The same edit again: its delete no longer matches, so nothing changes (409).
    let (before, body_before) = get(&pod, "/notes").await;
    let res = patch("/notes", edit.into()).send().await.unwrap();
    assert_eq!(res.status(), 409);
    // A stale ETag: 412, nothing changes.
    let res = patch(
        "/notes",
        "INSERT DATA { <#n2> <http://schema.org/text> \"x\" . }".into(),
    )
    .header("If-Match", &etag)
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 412);
    // Malformed and unsupported updates: 400 with a message naming the problem, nothing stored.
    for (update, says) in [
        ("INSERT DATA { <#a> <#b> ", "invalid SPARQL Update"),
        ("LOAD <http://example.org/>", "LOAD is not supported"),
        (
            "INSERT DATA { GRAPH <#g> { <#a> <#b> <#c> } }",
            "nested group",
        ),
    ] {
        let res = patch("/notes", update.into()).send().await.unwrap();
        assert_eq!(res.status(), 400, "{update}");
        let message = res.text().await.unwrap();
        assert!(message.contains(says), "{update}: {message}");
    }
    let res = patch(
        "/fresh",
        "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(true) }".into(),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        pod.owner(Method::GET, "/fresh")
            .send()
            .await
            .unwrap()
            .status(),
        404,
        "a refused update creates nothing"
    );
    assert_eq!(get(&pod, "/notes").await, (before, body_before));

    // Pods announce both formats.
    let res = pod.owner(Method::OPTIONS, "/notes").send().await.unwrap();
    assert_eq!(
        res.headers()["accept-patch"],
        "text/n3, application/sparql-update"
    );
    pod.stop().await;
}
