//! The mixed load `stack_crash` runs between kills: newcomers signing up and granting, platform
//! pushes, matcher reads, refreshes, revocations and withdrawals, each acknowledged step noted in
//! the journal.

use std::sync::Arc;

use op_connector::oauth::{HubClient, Request};
use op_connector::sync::PlatformSync;
use op_connector::tokens::{TokenStore, Tokens};

use crate::stack::Browser;
use crate::stack_crash::World;

const EXPORT: &str = include_str!("../../protocol/tests/data/gig-export.json");

/// Consent through the browser for `client`; the tokens, or `None` when a server was down.
async fn consent(
    w: &World,
    browser: &mut Browser,
    client: &HubClient,
    scopes: &[&str],
    pod: &str,
) -> Option<Tokens> {
    let request = Request {
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        pod: pod.to_owned(),
        details: Vec::new(),
    };
    let (url, pending) = client.authorization_url(&request).ok()?;
    let issuer = w.issuer.clone();
    // The scripted browser unwraps its requests: a server killed mid-flow ends the task here.
    let answer = browser.authorize(&issuer, &url, "allow").await;
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&answer)
        .finish();
    client.callback(&pending, &query).await.ok()
}

/// A new worker: sign-up, the platform's grant, a push, refreshes of an app's grant, its revocation.
pub async fn newcomer(w: Arc<World>, worker: String) {
    w.note(|j| {
        j.touched.insert(worker.clone());
    });
    let mut browser = Browser::new();
    let page = browser
        .sign_up(&w.issuer, &worker, "correct horse battery staple")
        .await;
    if page.status != 303 {
        let at = page.body.find("<main").unwrap_or(0);
        eprintln!(
            "sign-up of {worker}: {} {:.600}",
            page.status,
            &page.body[at..]
        );
        return;
    }
    w.note(|j| {
        j.accounts.insert(worker.clone());
    });
    let pod = w.pod_root(&worker);
    let Some(tokens) = consent(
        &w,
        &mut browser,
        &w.platform.client,
        &["gig:write", "offline_access"],
        &pod,
    )
    .await
    else {
        return;
    };
    w.store.save(&worker, &tokens).unwrap();
    w.note(|j| {
        j.linked.insert(worker.clone());
    });
    push(&w, &worker, EXPORT).await;
    let Some(mut tokens) = consent(
        &w,
        &mut browser,
        &w.app,
        &["pod:owner", "offline_access"],
        &pod,
    )
    .await
    else {
        return;
    };
    for _ in 0..4 {
        let Ok(fresh) = w.app.refresh(&tokens).await else {
            return;
        };
        let old = std::mem::replace(&mut tokens, fresh);
        w.note(|j| j.retired.push(old));
    }
    let res = w
        .http
        .post(format!("{}{}", w.issuer, op_protocol::routes::HUB_REVOKE))
        .form(&[
            ("token", tokens.refresh_token.as_deref().unwrap_or_default()),
            ("token_type_hint", "refresh_token"),
            ("client_id", &w.app.client_id),
        ])
        .send()
        .await;
    if res.is_ok_and(|r| r.status() == 200) {
        w.note(|j| j.revoked.push((tokens.access_token.clone(), pod, false)));
    }
}

/// A platform push; the names it reports are acknowledged.
async fn push(w: &World, worker: &str, export: &str) {
    let session = w.session(worker);
    let sync = PlatformSync {
        session: &session,
        http: &w.http,
        hub: w.creds(),
        issuer: &w.platform.issuer,
        signer: &w.platform.signer,
        clock: &w.clock,
    };
    let webid = w.webid(worker);
    if let Ok(summary) = sync.push(export, &webid, 4, &|_| {}).await {
        let names = summary
            .created
            .iter()
            .chain(&summary.updated)
            .chain(&summary.unchanged);
        let names: Vec<String> = names.cloned().collect();
        w.note(|j| {
            j.records
                .extend(names.into_iter().map(|n| (worker.to_owned(), n)))
        });
    }
}

/// An earlier worker: a later export, a matcher's read, withdrawals (pending ones first).
pub async fn regular(w: Arc<World>, worker: String, pick: u64, round: usize) {
    w.note(|j| {
        j.touched.insert(worker.clone());
    });
    let pending: Vec<((String, String), (String, String))> = {
        let j = w.journal.lock().unwrap();
        j.pending
            .iter()
            .filter(|((who, _), _)| *who == worker)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let session = w.session(&worker);
    for (key, saved) in pending {
        let names = [key.1.clone()];
        if op_connector::platform::withdraw(
            &session,
            &w.http,
            &w.creds(),
            &w.platform.signer,
            &names,
            &w.clock,
        )
        .await
        .is_ok()
        {
            w.note(|j| {
                j.pending.remove(&key);
                j.withdrawn.insert(key.clone(), saved.clone());
            });
        }
    }
    let mut export: serde_json::Value = serde_json::from_str(EXPORT).unwrap();
    export["interactions"][0]["id"] = format!("later-{round}").into();
    export["interactions"] = vec![export["interactions"][0].clone()].into();
    export["achievements"] = Vec::<serde_json::Value>::new().into();
    push(&w, &worker, &export.to_string()).await;
    let root = w.pod_root(&worker);
    let folder = format!("{root}gigs/{}/", w.platform.client.client_id);
    let Ok(urls) = op_connector::pod::list(&session, &w.http, &folder).await else {
        return;
    };
    let mut read = Vec::new();
    for url in urls.iter().take(4) {
        if let Ok(body) = op_connector::pod::fetch(&session, &w.http, url).await {
            read.push((url.clone(), body));
        }
    }
    let owner = w.webid(&worker);
    let pod = op_connector::verify::Pod {
        root: &root,
        owner: &owner,
    };
    let _ = op_connector::verify::check(&w.http, &w.issuer, &read, Some(pod), &w.clock).await;
    // Withdraw one gig record (never the summary).
    let gigs: Vec<&(String, String)> = read
        .iter()
        .filter(|(u, _)| !u.ends_with("/summary"))
        .collect();
    let Some((url, body)) = gigs.get(pick as usize % gigs.len().max(1)).copied() else {
        return;
    };
    let name = url.rsplit('/').next().unwrap().to_owned();
    let key = (worker.clone(), name.clone());
    w.note(|j| {
        j.pending.insert(key.clone(), (url.clone(), body.clone()));
    });
    let names = [name];
    if op_connector::platform::withdraw(
        &session,
        &w.http,
        &w.creds(),
        &w.platform.signer,
        &names,
        &w.clock,
    )
    .await
    .is_ok()
    {
        w.note(|j| {
            j.pending.remove(&key);
            j.withdrawn.insert(key.clone(), (url.clone(), body.clone()));
        });
    }
}
