//! The invariants `stack_crash` checks after every restart, against its journal of acknowledged
//! operations.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::stack_crash::World;

/// Every acknowledged write is there and intact, listings match what can be read, withdrawn
/// records are gone and read revoked, no refresh token works twice, revoked grants stay revoked.
/// After a round only the workers it touched and the refresh tokens retired since the last
/// check; `full` checks everything (at the end, so that long runs stay linear).
pub async fn invariants(w: &World, seed: u64, round: usize, full: bool) {
    let (accounts, linked, records, withdrawn, pending, retired) = {
        let mut j = w.journal.lock().unwrap();
        let touched = std::mem::take(&mut j.touched);
        let linked: BTreeSet<String> = j
            .linked
            .iter()
            .filter(|who| full || touched.contains(*who))
            .cloned()
            .collect();
        let from = if full { 0 } else { j.retired_checked };
        j.retired_checked = j.retired.len();
        (
            j.accounts.clone(),
            linked,
            j.records.clone(),
            j.withdrawn.clone(),
            j.pending.clone(),
            j.retired[from..].to_vec(),
        )
    };
    let at = format!("seed {seed}, round {round}");
    let mut checks = 0;
    for worker in &accounts {
        let res = w
            .http
            .get(format!("{}profile/card", w.pod_root(worker)))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            200,
            "{at}: {worker} signed up but has no pod profile"
        );
        // The pod's books (usage the quota is checked against, child counts, listings) agree
        // with what it holds.
        let audit: serde_json::Value = w
            .http
            .get(format!(
                "{}{}",
                w.pod_base,
                op_protocol::routes::pod_admin_pod_audit(worker)
            ))
            .bearer_auth(crate::harness::ADMIN_TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(audit["consistent"], true, "{at}: {worker}'s pod: {audit}");
        checks += 2;
    }
    for worker in &linked {
        let session = w.session(worker);
        let root = w.pod_root(worker);
        let folder = format!("{root}gigs/{}/", w.platform.client.client_id);
        // No folder before the first push: an empty listing (acknowledged records must be in it).
        let listed: BTreeSet<String> = match op_connector::pod::list(&session, &w.http, &folder)
            .await
        {
            Ok(urls) => urls.into_iter().collect(),
            Err(op_connector::error::ConnectorError::Http { status: 404, .. }) => BTreeSet::new(),
            // A rotation of the platform's refresh token that the hub committed but whose answer
            // the kill cut off: the platform must ask the worker again (after 5 minutes' runs).
            Err(
                e @ (op_connector::error::ConnectorError::Reconnect(_)
                | op_connector::error::ConnectorError::NotLinked(_)),
            ) => {
                eprintln!("{at}: {worker}'s platform session is gone ({e}); not checked further");
                w.journal.lock().unwrap().linked.remove(worker);
                continue;
            }
            Err(e) => panic!("{at}: {worker}'s folder: {e}"),
        };
        let mut read = Vec::new();
        for url in &listed {
            let body = op_connector::pod::fetch(&session, &w.http, url)
                .await
                .unwrap_or_else(|e| panic!("{at}: {url} is listed but cannot be read: {e}"));
            let parsed: serde_json::Value = serde_json::from_str(&body)
                .unwrap_or_else(|e| panic!("{at}: {url} is torn ({e}): {body:?}"));
            assert!(parsed["proof"].is_object(), "{at}: {url} has no proof");
            let name = url.rsplit('/').next().unwrap().to_owned();
            // A withdrawal not acknowledged may have flagged the record before the crash.
            if !pending.contains_key(&(worker.clone(), name)) {
                read.push((url.clone(), body));
            }
            checks += 1;
        }
        for (who, name) in records.iter().filter(|(who, _)| who == worker) {
            let key = (who.clone(), name.clone());
            let url = format!("{folder}{name}");
            if withdrawn.contains_key(&key) {
                assert!(
                    !listed.contains(&url),
                    "{at}: withdrawn {url} is still listed"
                );
            } else if !pending.contains_key(&key) {
                assert!(
                    listed.contains(&url),
                    "{at}: acknowledged {url} is not listed"
                );
            }
            checks += 1;
        }
        let owner = w.webid(worker);
        let pod = op_connector::verify::Pod {
            root: &root,
            owner: &owner,
        };
        let verdict =
            op_connector::verify::check(&w.http, &w.issuer, &read, Some(pod), &w.clock).await;
        assert!(
            verdict.rejected.is_empty(),
            "{at}: records in {worker}'s pod do not verify: {:?}",
            verdict.rejected
        );
        checks += read.len();
    }
    // Withdrawn records read revoked wherever a copy is held.
    let copies: Vec<(String, String)> = withdrawn.values().cloned().collect();
    let verdict = op_connector::verify::check(&w.http, &w.issuer, &copies, None, &w.clock).await;
    assert!(
        verdict.accepted.is_empty(),
        "{at}: withdrawn records verify: {:?}",
        verdict.accepted.len()
    );
    for r in &verdict.rejected {
        assert!(
            r.reason.starts_with("revoked by"),
            "{at}: {}: {}",
            r.url,
            r.reason
        );
    }
    checks += copies.len();
    // A refresh token whose use was acknowledged never works again.
    for old in &retired {
        assert!(
            w.app.refresh(old).await.is_err(),
            "{at}: a used refresh token worked again"
        );
        checks += 1;
    }
    // A revoked grant's access token is refused by the pod: within the feed's delay the first
    // time, and at once (and for good) after that.
    let revoked = w.journal.lock().unwrap().revoked.clone();
    let mut seen = Vec::new();
    for (token, root, before) in revoked {
        let deadline = Instant::now() + Duration::from_secs(if before { 0 } else { 15 });
        loop {
            let res = w.http.get(&root).bearer_auth(&token).send().await.unwrap();
            if res.status() == 401 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{at}: a revoked grant's token is accepted ({}; refused before: {before})",
                res.status()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        seen.push((token, root, true));
        checks += 1;
    }
    let mut j = w.journal.lock().unwrap();
    for (i, s) in seen.into_iter().enumerate() {
        j.revoked[i] = s;
    }
    j.checks += checks;
}
