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

#[tokio::test]
async fn negotiation_picks_by_quality_among_what_keeps_named_graphs() {
    let pod = PodServer::memory().await;
    // A document with a named graph, as a signed credential's proof is.
    let trig = "<#cred> <http://example.org/p> \"v\" .\n<#proof> { <#proof> <http://example.org/sig> \"abc\" . }\n";
    let res = pod
        .owner(Method::PUT, "/signed")
        .header("Content-Type", "application/trig")
        .body(trig)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let read = |accept: &'static str| {
        pod.owner(Method::GET, "/signed")
            .header("Accept", accept)
            .send()
    };
    // Turtle is preferred but cannot carry the proof: the acceptable JSON-LD is served instead.
    for accept in [
        "text/turtle;q=1.0, application/ld+json;q=0.5",
        "application/json",
    ] {
        let res = read(accept).await.unwrap();
        assert_eq!(res.status(), 200, "{accept}");
        let media = res.headers()["content-type"].to_str().unwrap().to_owned();
        let body = res.text().await.unwrap();
        assert!(media.contains("json"), "{accept}: {media}");
        assert!(
            body.contains("abc") && body.contains("@graph"),
            "{accept}: {body}"
        );
    }
    // Anything else at a low q: the stored TriG, proof included.
    let res = read("text/turtle, */*;q=0.1").await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/trig");
    assert_eq!(res.text().await.unwrap(), trig);
    // Only Turtle (Inrupt's solid-client): the credential's default graph, saying in its first
    // lines that the proof is left out and where the whole document is, and linking to it.
    let res = read("text/turtle").await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/turtle");
    let links: Vec<&str> = res
        .headers()
        .get_all("link")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        links
            .iter()
            .any(|l| l.contains("rel=\"alternate\"; type=\"application/trig\"")),
        "{links:?}"
    );
    let body = res.text().await.unwrap();
    assert!(body.starts_with("# The default graph only"), "{body}");
    assert!(body.contains("\"v\"") && !body.contains("abc"), "{body}");
    // Nothing acceptable at all: 406 naming what exists.
    let res = read("text/html").await.unwrap();
    assert_eq!(res.status(), 406);
    let message = res.text().await.unwrap();
    assert!(message.contains("application/ld+json"), "{message}");

    // A Turtle document asked for as JSON: JSON-LD, labelled as asked.
    pod.put_turtle("/plain", "<#a> <http://example.org/p> \"v\" .")
        .await;
    let res = pod
        .owner(Method::GET, "/plain")
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let json: serde_json::Value = res.json().await.unwrap();
    assert!(json.to_string().contains("http://example.org/p"), "{json}");
    pod.stop().await;
}

#[tokio::test]
async fn both_servers_serve_the_pinned_contexts_with_their_hashes_for_clients_without_our_code() {
    let stack = crate::stack::Stack::start().await;
    for base in [stack.pod_base.clone(), stack.issuer.clone()] {
        let get = |path: String| stack.http.get(format!("{base}{path}")).send();
        let res = get(op_protocol::routes::CONTEXTS.to_owned()).await.unwrap();
        assert_eq!(res.status(), 200, "{base}");
        assert_eq!(res.headers()["access-control-allow-origin"], "*");
        let index: serde_json::Value = res.json().await.unwrap();
        for (url, _, doc) in op_protocol::contexts::PINNED {
            let path = index[*url]["path"].as_str().unwrap().to_owned();
            let res = get(path).await.unwrap();
            assert_eq!(res.status(), 200, "{base} {url}");
            assert_eq!(res.headers()["content-type"], "application/ld+json");
            let served = res.text().await.unwrap();
            assert_eq!(served, *doc, "{base} {url}: byte for byte");
            let sha256: String = <sha2::Sha256 as sha2::Digest>::digest(served.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(index[*url]["sha256"], sha256.as_str());
        }
        let missing = op_protocol::routes::context_path("https://schema.org/").unwrap();
        let res = get(missing).await.unwrap();
        assert_eq!(res.status(), 404);
        assert!(res.text().await.unwrap().contains("index"));
    }
    stack.stop().await;
}
