//! Resources and containers over HTTP: the Solid Protocol core the pod server implements.

use op_protocol::routes::POD_ADMIN_PODS;

use std::collections::BTreeSet;

use reqwest::Method;
use sophia_api::source::TripleSource;
use sophia_api::term::SimpleTerm;

use crate::harness::{PodOptions, PodServer, raw_status};

const RECORD: &str = r#"@prefix schema: <https://schema.org/>.
<#gig> a schema:Action; schema:name "Deliver groceries"; schema:agent <../profile/card#me>;
  schema:startTime "2026-03-01T10:00:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>."#;

fn ntriples_set(text: &str) -> BTreeSet<String> {
    let triples: Vec<[SimpleTerm<'static>; 3]> = sophia_turtle::parser::nt::parse_str(text)
        .collect_triples()
        .unwrap();
    triples.iter().map(|t| format!("{t:?}")).collect()
}

async fn text(res: reqwest::Response) -> String {
    res.text().await.unwrap()
}

#[tokio::test]
async fn turtle_reads_back_as_json_ld_and_n_triples_with_the_same_triples() {
    let pod = PodServer::memory().await;
    pod.put_turtle("/gigs/acme/gig-1", RECORD).await;
    let get = |accept: &'static str| {
        pod.owner(Method::GET, "/gigs/acme/gig-1")
            .header("Accept", accept)
            .send()
    };
    let turtle = get("text/turtle").await.unwrap();
    assert_eq!(turtle.headers()["content-type"], "text/turtle");
    assert_eq!(text(turtle).await, RECORD, "served byte for byte as stored");

    let nt = get("application/n-triples").await.unwrap();
    assert_eq!(nt.headers()["content-type"], "application/n-triples");
    let from_nt = ntriples_set(&text(nt).await);
    assert_eq!(from_nt.len(), 4);

    let jsonld = get("application/ld+json").await.unwrap();
    assert_eq!(jsonld.headers()["content-type"], "application/ld+json");
    let jsonld = text(jsonld).await;
    // Parse the JSON-LD back through the pod itself: PUT it and read it as N-Triples.
    let res = pod
        .owner(Method::PUT, "/copy")
        .header("Content-Type", "application/ld+json")
        .body(jsonld.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{jsonld}");
    let copy = pod
        .owner(Method::GET, "/copy")
        .header("Accept", "application/n-triples")
        .send()
        .await
        .unwrap();
    // The copy lives at another URL, so compare with subjects rewritten.
    let copied = text(copy)
        .await
        .replace(&pod.url("/copy"), &pod.url("/gigs/acme/gig-1"));
    assert_eq!(ntriples_set(&copied), from_nt);
    pod.stop().await;
}

#[tokio::test]
async fn put_creates_intermediate_containers_and_listings_follow() {
    let pod = PodServer::memory().await;
    pod.put_turtle("/gigs/acme/2026/gig-1", RECORD).await;
    let listing = text(
        pod.owner(Method::GET, "/gigs/acme/")
            .header("Accept", "application/n-triples")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        listing.contains(&format!("<{}>", pod.url("/gigs/acme/2026/"))),
        "{listing}"
    );
    let res = pod
        .owner(Method::GET, "/gigs/acme/2026/")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let link = res.headers()["link"].to_str().unwrap().to_owned();
    assert!(link.contains("ldp#BasicContainer"), "{link}");
    assert!(text(res).await.contains("<gig-1>"));
    // A document cannot stand where a container is needed, nor the reverse.
    let res = pod
        .owner(Method::PUT, "/gigs/acme/2026/gig-1/x")
        .header("Content-Type", "text/turtle")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let res = pod
        .owner(Method::PUT, "/gigs/acme/2026/gig-1/")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    pod.stop().await;
}

#[tokio::test]
async fn post_with_slug_creates_and_returns_location() {
    let pod = PodServer::memory().await;
    let post = || {
        pod.owner(Method::POST, "/gigs/")
            .header("Content-Type", "text/turtle")
            .header("Slug", "note")
            .body("<#a> <#b> <#c> .")
            .send()
    };
    let first = post().await.unwrap();
    assert_eq!(first.status(), 201);
    assert_eq!(first.headers()["location"], pod.url("/gigs/note"));
    let second = post().await.unwrap();
    assert_eq!(second.status(), 201);
    let location = second.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&pod.url("/gigs/note-")), "{location}");
    let res = pod
        .owner(Method::POST, "/gigs/")
        .header("Slug", "acme")
        .header(
            "Link",
            "<http://www.w3.org/ns/ldp#BasicContainer>; rel=\"type\"",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["location"], pod.url("/gigs/acme/"));
    let res = pod
        .owner(Method::POST, "/gigs/note")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405, "POST to a document");
    pod.stop().await;
}

#[tokio::test]
async fn deletes_refuse_non_empty_containers_and_the_root() {
    let pod = PodServer::memory().await;
    pod.put_turtle("/a/b", RECORD).await;
    let del = |p: &'static str| pod.owner(Method::DELETE, p).send();
    assert_eq!(del("/a/").await.unwrap().status(), 409);
    assert_eq!(del("/a/b").await.unwrap().status(), 204);
    assert_eq!(del("/a/b").await.unwrap().status(), 404);
    assert_eq!(del("/a/").await.unwrap().status(), 204);
    let root = del("/").await.unwrap();
    assert_eq!(root.status(), 405);
    assert!(!root.headers()["allow"].to_str().unwrap().contains("DELETE"));
    pod.stop().await;
}

#[tokio::test]
async fn containment_is_managed_by_the_server_only() {
    let pod = PodServer::memory().await;
    let res = pod
        .owner(Method::PUT, "/gigs/")
        .header("Content-Type", "text/turtle")
        .body("<> <http://www.w3.org/ns/ldp#contains> <x> .")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let res = pod
        .owner(Method::PATCH, "/gigs/")
        .header("Content-Type", "text/n3")
        .body("@prefix solid: <http://www.w3.org/ns/solid/terms#>. _:p a solid:InsertDeletePatch; solid:inserts { <> <http://www.w3.org/ns/ldp#contains> <x> . }.")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    pod.stop().await;
}

#[tokio::test]
async fn a_container_takes_its_own_description_but_never_containment_triples() {
    let pod = PodServer::memory().await;
    let put = |body: &'static str, media: &'static str| {
        pod.owner(Method::PUT, "/notes/")
            .header("Content-Type", media)
            .body(body)
            .send()
    };
    let title = "<http://purl.org/dc/terms/title>";
    let res = put(
        "<> <http://purl.org/dc/terms/title> \"My notes\" .",
        "text/turtle",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    pod.put_turtle("/notes/a", "<#a> <http://example.org/p> \"v\" .")
        .await;
    let get = |accept: &'static str| {
        pod.owner(Method::GET, "/notes/")
            .header("Accept", accept)
            .send()
    };
    let turtle = text(get("text/turtle").await.unwrap()).await;
    assert!(
        turtle.contains(title) && turtle.contains("\"My notes\""),
        "{turtle}"
    );
    assert!(turtle.contains("<a>"), "the listing follows: {turtle}");
    let json = text(get("application/ld+json").await.unwrap()).await;
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let nodes = doc.as_array().unwrap();
    assert!(
        nodes
            .iter()
            .any(|n| n["http://purl.org/dc/terms/title"][0]["@value"] == "My notes"),
        "{json}"
    );
    assert!(json.contains("http://www.w3.org/ns/ldp#contains"), "{json}");
    // Containment triples and named graphs are refused, and change nothing.
    let res = put(
        "<> <http://www.w3.org/ns/ldp#contains> <b> .",
        "text/turtle",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 409);
    assert!(text(res).await.contains("ldp:contains"));
    let res = put("<x> <y> <z> <g> .", "application/n-quads")
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = put("not rdf", "image/png").await.unwrap();
    assert_eq!(res.status(), 415);
    assert!(
        text(get("text/turtle").await.unwrap())
            .await
            .contains("My notes")
    );
    // PUT again with only whitespace: no description, the children stay (PUT is idempotent).
    let res = put("  \n", "text/turtle").await.unwrap();
    assert_eq!(res.status(), 204);
    let turtle = text(get("text/turtle").await.unwrap()).await;
    assert!(
        !turtle.contains("My notes") && turtle.contains("<a>"),
        "{turtle}"
    );
    pod.stop().await;
}

#[tokio::test]
async fn conditional_requests_guard_writes_and_reads() {
    let pod = PodServer::memory().await;
    let create_only = || {
        pod.owner(Method::PUT, "/doc")
            .header("Content-Type", "text/turtle")
            .header("If-None-Match", "*")
            .body("<#a> <#b> <#c> .")
            .send()
    };
    let first = create_only().await.unwrap();
    assert_eq!(first.status(), 201);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(create_only().await.unwrap().status(), 412);
    let stale = pod
        .owner(Method::PUT, "/doc")
        .header("Content-Type", "text/turtle")
        .header("If-Match", "\"not-the-etag\"")
        .body("<#a> <#b> <#d> .")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 412);
    // If-Match compares strongly (RFC 9110 §13.1.1): a weak tag never matches.
    let weak = pod
        .owner(Method::PUT, "/doc")
        .header("Content-Type", "text/turtle")
        .header("If-Match", format!("W/{etag}"))
        .body("<#a> <#b> <#d> .")
        .send()
        .await
        .unwrap();
    assert_eq!(weak.status(), 412);
    let fresh = pod
        .owner(Method::PUT, "/doc")
        .header("Content-Type", "text/turtle")
        .header("If-Match", etag.as_str())
        .body("<#a> <#b> <#d> .")
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), 204);
    let new_etag = fresh.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);
    let cached = pod
        .owner(Method::GET, "/doc")
        .header("If-None-Match", new_etag.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), 304);
    let weakly_cached = pod
        .owner(Method::GET, "/doc")
        .header("If-None-Match", format!("W/{new_etag}"))
        .send()
        .await
        .unwrap();
    assert_eq!(weakly_cached.status(), 304, "If-None-Match compares weakly");
    pod.stop().await;
}

#[tokio::test]
async fn malformed_bodies_are_refused_with_position_and_nothing_is_stored() {
    let pod = PodServer::memory().await;
    for (media, body, needle) in [
        (
            "text/turtle",
            "<#a> <#b> <#c> .\n<#a> <#b> \"unterminated .",
            "line 2",
        ),
        (
            "application/ld+json",
            "{\n  \"@id\": \"#a\",\n  oops\n}",
            "line 3",
        ),
        (
            "application/n-triples",
            "<http://x/a> <http://x/b> .",
            "line 1",
        ),
    ] {
        let res = pod
            .owner(Method::PUT, "/gigs/bad")
            .header("Content-Type", media)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{media}");
        let message = text(res).await;
        assert!(message.contains(needle), "{media}: {message}");
        let get = pod.owner(Method::GET, "/gigs/bad").send().await.unwrap();
        assert_eq!(get.status(), 404, "{media}: nothing stored");
    }
    let res = pod
        .owner(Method::PUT, "/no-type")
        .body("<#a> <#b> <#c> .")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "Content-Type is required");
    pod.stop().await;
}

#[tokio::test]
async fn n3_patches_apply_atomically_or_not_at_all() {
    let pod = PodServer::memory().await;
    pod.put_turtle("/card", "@prefix ex: <http://example.org/#>. <#me> ex:familyName \"Garcia\"; ex:givenName \"Claudia\".").await;
    let patch = |body: &'static str, media: &'static str| {
        pod.owner(Method::PATCH, "/card")
            .header("Content-Type", media)
            .body(body)
            .send()
    };
    let good = r#"@prefix solid: <http://www.w3.org/ns/solid/terms#>. @prefix ex: <http://example.org/#>.
_:p a solid:InsertDeletePatch; solid:where { ?me ex:familyName "Garcia". };
  solid:inserts { ?me ex:givenName "Alex". }; solid:deletes { ?me ex:givenName "Claudia". }."#;
    assert_eq!(patch(good, "text/n3").await.unwrap().status(), 204);
    let body = text(pod.owner(Method::GET, "/card").send().await.unwrap()).await;
    assert!(body.contains("Alex") && !body.contains("Claudia"), "{body}");
    // Applying it again: the triple to delete is gone, so nothing changes.
    let again = patch(good, "text/n3").await.unwrap();
    assert_eq!(again.status(), 409);
    assert!(text(again).await.contains("does not contain"));
    assert_eq!(
        text(pod.owner(Method::GET, "/card").send().await.unwrap()).await,
        body
    );
    let unsupported = patch("{}", "application/json").await.unwrap();
    assert_eq!(unsupported.status(), 415);
    assert_eq!(
        unsupported.headers()["accept-patch"],
        "text/n3, application/sparql-update"
    );
    assert_eq!(
        patch("not a patch {", "text/n3").await.unwrap().status(),
        400
    );
    // PATCH creates a missing resource.
    let res = pod
        .owner(Method::PATCH, "/new")
        .header("Content-Type", "text/n3")
        .body("@prefix solid: <http://www.w3.org/ns/solid/terms#>. _:p a solid:InsertDeletePatch; solid:inserts { <#a> <#b> \"c\" . }.")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    pod.stop().await;
}

#[tokio::test]
async fn json_ld_and_binary_bodies_come_back_byte_for_byte() {
    let pod = PodServer::memory().await;
    let credential = r#"{"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:uuid:1", "type": ["VerifiableCredential"], "issuer": "did:example:acme", "credentialSubject": {"id": "did:example:w"}}"#;
    let res = pod
        .owner(Method::PUT, "/gigs/cred")
        .header("Content-Type", "application/ld+json")
        .body(credential)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let back = pod
        .owner(Method::GET, "/gigs/cred")
        .header("Accept", "application/ld+json, text/turtle;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(text(back).await, credential);
    let png = vec![0x89u8, b'P', b'N', b'G', 0, 1, 2, 255];
    let res = pod
        .owner(Method::PUT, "/photo.png")
        .header("Content-Type", "image/png")
        .body(png.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let back = pod.owner(Method::GET, "/photo.png").send().await.unwrap();
    assert_eq!(back.headers()["content-type"], "image/png");
    assert!(
        back.headers()["link"]
            .to_str()
            .unwrap()
            .contains("NonRDFSource")
    );
    assert_eq!(back.bytes().await.unwrap().to_vec(), png);
    pod.stop().await;
}

#[tokio::test]
async fn named_graphs_travel_in_trig_and_n_quads_and_turtle_says_it_has_the_default_graph_only() {
    let pod = PodServer::memory().await;
    pod.owner(Method::PUT, "/signed")
        .header("Content-Type", "application/n-quads")
        .body("<http://x/s> <http://x/p> <http://x/o> <http://x/proof> .\n")
        .send()
        .await
        .unwrap();
    let turtle = pod
        .owner(Method::GET, "/signed")
        .header("Accept", "text/turtle")
        .send()
        .await
        .unwrap();
    assert_eq!(turtle.status(), 200);
    let body = text(turtle).await;
    assert!(body.starts_with("# The default graph only"), "{body}");
    assert!(!body.contains("http://x/o"), "{body}");
    let trig = pod
        .owner(Method::GET, "/signed")
        .header("Accept", "application/trig")
        .send()
        .await
        .unwrap();
    assert_eq!(trig.status(), 200);
    assert!(text(trig).await.contains("http://x/proof"));
    pod.stop().await;
}

#[tokio::test]
async fn headers_describe_each_resource() {
    let pod = PodServer::memory().await;
    let root = pod.owner(Method::GET, "/").send().await.unwrap();
    let h = root.headers();
    assert!(
        h["link"]
            .to_str()
            .unwrap()
            .contains("http://www.w3.org/ns/pim/space#Storage")
    );
    assert!(h["accept-post"].to_str().unwrap().contains("text/turtle"));
    assert_eq!(
        h["wac-allow"],
        "user=\"read write append control\",public=\"\""
    );
    assert!(h["vary"].to_str().unwrap().contains("Accept"));
    assert!(h.contains_key("etag") && h.contains_key("last-modified"));
    let head = pod
        .owner(Method::HEAD, "/profile/card")
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(
        head.headers()["accept-patch"],
        op_protocol::media::ACCEPT_PATCH
    );
    assert!(text(head).await.is_empty());
    let preflight = pod
        .client
        .request(Method::OPTIONS, pod.url("/gigs/"))
        .header("Origin", "https://app.example")
        .header("Access-Control-Request-Method", "PUT")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    assert!(
        preflight.headers()["allow"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    pod.stop().await;
}

#[tokio::test]
async fn the_profile_names_storage_and_issuer_and_is_public() {
    let pod = PodServer::memory().await;
    let res = pod
        .client
        .get(pod.url("/profile/card"))
        .header("Accept", "application/n-triples")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body = text(res).await.replace('\t', " ");
    let me = format!("<{}>", pod.webid("alice"));
    assert!(
        body.contains(&format!(
            "{me} <http://www.w3.org/ns/pim/space#storage> <{}>",
            pod.root("alice")
        )),
        "{body}"
    );
    assert!(
        body.contains(&format!(
            "{me} <http://www.w3.org/ns/solid/terms#oidcIssuer> <https://hub.test>"
        )),
        "{body}"
    );
    pod.stop().await;
}

#[tokio::test]
async fn path_tricks_are_refused_and_never_escape_the_pod() {
    let pod = PodServer::memory().await;
    pod.create_pod("bob").await;
    for path in [
        "/alice/../bob/profile/card",
        "/alice/%2e%2e/bob/profile/card",
        "/alice/./profile/card",
        "/alice/a%2Fb",
        "/alice/a%00b",
        "/alice//profile/card",
        "/alice/%zz",
    ] {
        assert_eq!(raw_status(&pod.base, path).await, 400, "{path}");
    }
    let long = format!("/alice/{}", "x".repeat(300));
    assert_eq!(raw_status(&pod.base, &long).await, 400);
    assert_eq!(raw_status(&pod.base, "/nobody/").await, 404);
    // Percent-encoded names are ordinary names inside the pod.
    let res = pod
        .owner(Method::PUT, "/caf%C3%A9%20r%C3%A9sum%C3%A9")
        .header("Content-Type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let listing = text(pod.owner(Method::GET, "/").send().await.unwrap()).await;
    assert!(
        listing.contains("<caf%C3%A9%20r%C3%A9sum%C3%A9>"),
        "{listing}"
    );
    pod.stop().await;
}

#[tokio::test]
async fn large_containers_list_every_child_across_pages() {
    let pod = PodServer::memory().await;
    let client = &pod.client;
    let token = pod.owner_token("alice");
    let mut tasks = Vec::new();
    for i in 0..2_100 {
        let req = client
            .put(pod.url(&format!("/big/r{i:05}")))
            .bearer_auth(&token)
            .header("Content-Type", "text/plain")
            .body("x");
        tasks.push(req.send());
        if tasks.len() == 64 {
            for t in tasks.drain(..) {
                assert_eq!(t.await.unwrap().status(), 201);
            }
        }
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().status(), 201);
    }
    for accept in [
        "text/turtle",
        "application/n-triples",
        "application/ld+json",
    ] {
        let body = text(
            pod.owner(Method::GET, "/big/")
                .header("Accept", accept)
                .send()
                .await
                .unwrap(),
        )
        .await;
        let count = body.matches("/big/r").count() + body.matches("<r0").count();
        assert_eq!(count, 2_100, "{accept}");
        if accept == "application/ld+json" {
            let json: serde_json::Value = serde_json::from_str(&body).unwrap();
            let contains = &json[0]["http://www.w3.org/ns/ldp#contains"];
            assert_eq!(contains.as_array().unwrap().len(), 2_100);
        }
    }
    pod.stop().await;
}

#[tokio::test]
async fn single_pod_mode_serves_the_pod_at_the_root() {
    let pod = PodServer::start(PodOptions {
        single_pod: Some("me".into()),
        ..PodOptions::default()
    })
    .await;
    let res = pod
        .client
        .get(format!("{}/profile/card", pod.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let token = {
        let root = format!("{}/", pod.base);
        let claims =
            pod.issuer
                .claims(&root, &format!("{root}profile/card#me"), "app", "pod:owner");
        pod.issuer.sign(&claims)
    };
    let res = pod
        .client
        .put(format!("{}/gigs/x", pod.base))
        .bearer_auth(&token)
        .header("Content-Type", "text/turtle")
        .body("<#a> <#b> <#c> .")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = pod
        .client
        .post(format!("{}{POD_ADMIN_PODS}", pod.base))
        .bearer_auth(crate::harness::ADMIN_TOKEN)
        .json(&serde_json::json!({"name": "other"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "single-pod servers host one pod");
    pod.stop().await;
}

#[tokio::test]
async fn every_backend_serves_the_same_protocol() {
    for storage in [
        op_pod::store::BackendKind::Redb,
        op_pod::store::BackendKind::Sled,
    ] {
        let pod = PodServer::start(PodOptions {
            storage,
            ..PodOptions::default()
        })
        .await;
        pod.put_turtle("/gigs/acme/gig-1", RECORD).await;
        let res = pod
            .owner(Method::GET, "/gigs/acme/gig-1")
            .send()
            .await
            .unwrap();
        assert_eq!(text(res).await, RECORD, "{storage:?}");
        let res = pod
            .owner(Method::DELETE, "/gigs/acme/gig-1")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204, "{storage:?}");
        pod.stop().await;
    }
}
