//! No request can take the pod down: deep nesting, prefix amplification, patch joins and long
//! blank-node chains are refused (or handled in bounded work), and the server keeps answering.

use reqwest::Method;

use crate::harness::PodServer;

const SOLID: &str = "@prefix solid: <http://www.w3.org/ns/solid/terms#>.";

async fn put(pod: &PodServer, path: &str, media: &str, body: String) -> (u16, String) {
    let res = pod
        .owner(Method::PUT, path)
        .header("Content-Type", media)
        .body(body)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn patch(pod: &PodServer, path: &str, body: String) -> (u16, String) {
    let res = pod
        .owner(Method::PATCH, path)
        .header("Content-Type", "text/n3")
        .body(body)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn still_serves(pod: &PodServer) {
    let res = pod
        .client
        .get(pod.url("/profile/card"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the pod stopped answering");
}

#[tokio::test]
async fn deeply_nested_bodies_get_400_and_the_server_lives() {
    let pod = PodServer::memory().await;
    let arrays = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
    let lists = format!("<#a> <#b> {}{} .", "(".repeat(1000), ")".repeat(1000));
    let nodes = format!("<#a> <#b> {}{} .", "[<#b> ".repeat(1000), "]".repeat(1000));
    for (media, body) in [
        ("application/ld+json", arrays),
        ("text/turtle", lists.clone()),
        ("text/turtle", nodes),
        ("application/trig", lists.clone()),
    ] {
        let (code, message) = put(&pod, "/deep", media, body).await;
        assert_eq!(code, 400, "{media}: {message}");
        assert!(message.contains("nests deeper than 64"), "{message}");
    }
    let (code, message) = patch(
        &pod,
        "/deep",
        format!("{SOLID} _:p a solid:InsertDeletePatch; solid:inserts {{ {lists} }}."),
    )
    .await;
    assert_eq!(code, 400, "{message}");
    assert_eq!(
        pod.owner(Method::GET, "/deep")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    still_serves(&pod).await;
    pod.stop().await;
}

#[tokio::test]
async fn an_amplified_prefix_is_refused_while_parsing() {
    let limits = op_pod::config::Limits {
        max_expanded_bytes: 1024 * 1024,
        ..Default::default()
    };
    let pod = PodServer::start(crate::harness::PodOptions {
        limits,
        ..Default::default()
    })
    .await;
    let iri = format!("http://e.org/{}", "x".repeat(64 * 1024));
    let ones = vec!["1"; 4000].join(",");
    let body = format!("@prefix p: <{iri}> . <#s> p: {ones} .");
    let (code, message) = put(&pod, "/amplified", "text/turtle", body).await;
    assert_eq!(code, 413, "{message}");
    assert!(message.contains("1048576 bytes"), "{message}");
    still_serves(&pod).await;
    pod.stop().await;
}

#[tokio::test]
async fn a_patch_join_over_free_variables_stops_at_its_budget() {
    let pod = PodServer::memory().await;
    let triples: String = (0..30)
        .map(|i| format!("<#s{i}> <#p> <#o{i}> .\n"))
        .collect();
    pod.put_turtle("/data", &triples).await;
    let (code, message) = patch(
        &pod,
        "/data",
        format!(
            "{SOLID} _:p a solid:InsertDeletePatch; solid:where {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m <#none> ?n . }}; solid:inserts {{ <#x> <#y> <#z> . }}."
        ),
    )
    .await;
    assert_eq!(code, 400, "{message}");
    assert!(message.contains("matching steps"), "{message}");
    still_serves(&pod).await;
    pod.stop().await;
}

#[tokio::test]
async fn literal_subjects_in_a_patch_get_400_and_the_document_stays_readable() {
    let pod = PodServer::memory().await;
    pod.put_turtle("/doc", "<#a> <#name> \"Alice\" .").await;
    for inserts in ["\"x\" <#b> <#c> .", "<#a> \"p\" <#c> ."] {
        let (code, message) = patch(
            &pod,
            "/doc",
            format!("{SOLID} _:p a solid:InsertDeletePatch; solid:inserts {{ {inserts} }}."),
        )
        .await;
        assert_eq!(code, 400, "{inserts}: {message}");
    }
    let (code, message) = patch(
        &pod,
        "/doc",
        format!("{SOLID} _:p a solid:InsertDeletePatch; solid:where {{ <#a> <#name> ?n . }}; solid:inserts {{ ?n <#b> <#c> . }}."),
    )
    .await;
    assert_eq!(code, 400, "{message}");
    let res = pod
        .owner(Method::GET, "/doc")
        .header("Accept", "application/ld+json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    pod.stop().await;
}

#[tokio::test]
async fn a_long_blank_node_chain_converts_to_turtle_flat() {
    let pod = PodServer::memory().await;
    let chain: String = (0..50_000)
        .map(|i| format!("_:b{i} <http://e.org/next> _:b{} .\n", i + 1))
        .collect();
    let (code, message) = put(&pod, "/chain", "application/n-triples", chain).await;
    assert_eq!(code, 201, "{message}");
    let res = pod
        .owner(Method::GET, "/chain")
        .header("Accept", "text/turtle")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(!text.contains('['), "blank nodes were nested inline");
    assert_eq!(text.matches("http://e.org/next").count(), 50_000);
    pod.stop().await;
}

#[tokio::test]
async fn a_broken_unicode_escape_gets_400_not_a_parser_panic() {
    // Found by the turtle fuzz target (fuzz/run.sh): sophia_turtle 0.10 sliced inside the
    // multi-byte character after `\u0`, panicking on a body any writer could send.
    let pod = PodServer::memory().await;
    for (media, body) in [
        (
            "text/turtle",
            "<urn:ex:s> <urn:ex:p> <urn:ex:000:g\\u0:p\u{2070}> .",
        ),
        (
            "application/n-triples",
            "<urn:ex:s> <urn:ex:p> \"\\u0\u{2070}\" .",
        ),
        (
            "application/trig",
            "{ <urn:ex:s> <urn:ex:p> \"\\U0\u{2070}\" . }",
        ),
    ] {
        let (status, message) = put(&pod, "/escape", media, body.to_owned()).await;
        assert_eq!(status, 400, "{media}: {message}");
        assert!(message.contains("invalid escape"), "{message}");
    }
    // Also found by it: N-Triples and N-Quads that end where an object should be made the parser
    // index an empty string. Any parser panic is a 400 and the body is not stored.
    for media in ["application/n-quads", "application/n-triples"] {
        let (status, message) = put(&pod, "/cut", media, "_:e0 <urn:ex:p> ".into()).await;
        assert_eq!(status, 400, "{media}: {message}");
        assert!(message.contains("malformed"), "{message}");
        let res = pod.owner(Method::GET, "/cut").send().await.unwrap();
        assert_eq!(res.status(), 404, "nothing stored");
    }
    still_serves(&pod).await;
}

#[tokio::test]
async fn a_patch_that_builds_an_invalid_iri_gets_400_and_the_document_stays_readable() {
    // Found by the patch fuzz target: a prefix whose IRI is not valid (here, a non-numeric port
    // once the local name is appended) was stored, and the document no longer parsed.
    let pod = PodServer::memory().await;
    let (status, _) = put(&pod, "/doc", "text/turtle", "<#a> <#p> <#b> .".into()).await;
    assert_eq!(status, 201);
    let update =
        "PREFIX ex: <http://2222222222:22222222222222222222>\nINSERT DATA { <#a> ex:ps \"3\" }";
    let res = pod
        .owner(Method::PATCH, "/doc")
        .header("Content-Type", "application/sparql-update")
        .body(update)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("not a valid IRI"));
    let res = pod
        .owner(Method::GET, "/doc")
        .header("Accept", "text/turtle")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(!res.text().await.unwrap().contains("2222"));
}
