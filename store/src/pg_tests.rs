//! PostgreSQL beyond the contract suite: two stores ("instances") racing on one database, the
//! schema's versions, reopening, and what a database URL accepts.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::pg_server::PgServer;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
}

/// Increments the counter at `key` as read inside the job: a lost update shows as a short count.
async fn increment(store: Store, key: &'static [u8]) -> Result<(), StoreError> {
    store
        .write(move |tx| {
            let n = tx
                .get(key)?
                .map_or(0, |v| u64::from_le_bytes(v.try_into().unwrap()));
            tx.put(key.to_vec(), (n + 1).to_le_bytes().to_vec());
            Ok::<_, StoreError>(())
        })
        .await
}

/// Takes a one-time code if it is still there: at most one taker may ever succeed.
async fn take(store: Store, code: Vec<u8>) -> Result<bool, StoreError> {
    store
        .write(move |tx| {
            if tx.get(&code)?.is_none() {
                return Ok::<_, StoreError>(false);
            }
            tx.remove(code);
            Ok(true)
        })
        .await
}

#[test]
#[cfg_attr(
    op_no_postgres,
    ignore = "PostgreSQL is not installed (apt-get install postgresql)"
)]
fn two_instances_racing_lose_no_update_and_take_each_code_once() {
    let server = PgServer::start();
    let url = server.url();
    let a = Store::open_postgres(&url).unwrap();
    let b = Store::open_postgres(&url).unwrap();
    const CODES: usize = 20;
    for i in 0..CODES {
        let code = format!("code/{i:02}").into_bytes();
        a.write_blocking(move |tx| {
            tx.put(code, b"unused".to_vec());
            Ok::<_, StoreError>(())
        })
        .unwrap();
    }
    let taken = Arc::new(AtomicUsize::new(0));
    runtime().block_on(async {
        let mut tasks = Vec::new();
        for i in 0..150 {
            for store in [&a, &b] {
                tasks.push(tokio::spawn(increment(store.clone(), b"counter")));
            }
            // Four takers per code, two at each instance.
            let code = format!("code/{:02}", i % CODES).into_bytes();
            if i < 4 * CODES {
                let store = if i % 2 == 0 { a.clone() } else { b.clone() };
                let taken = taken.clone();
                tasks.push(tokio::spawn(async move {
                    if take(store, code).await? {
                        taken.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(())
                }));
            }
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
    });
    let counter = a.get(b"counter").unwrap().unwrap();
    assert_eq!(u64::from_le_bytes(counter.try_into().unwrap()), 300);
    assert_eq!(
        taken.load(Ordering::SeqCst),
        CODES,
        "each code taken exactly once"
    );
    assert!(b.scan(b"code/", ScanFrom::Start, 100).unwrap().is_empty());
    a.close();
    b.close();
}

#[test]
#[cfg_attr(
    op_no_postgres,
    ignore = "PostgreSQL is not installed (apt-get install postgresql)"
)]
fn a_job_between_its_read_and_its_write_holds_off_the_other_instance() {
    // Instance A reads the counter, lets B start its own increment, and writes only after a
    // pause. Without the cross-process lock B commits inside that pause and A then overwrites
    // it (the count ends at 1); with it, B's group waits for A's commit and reads its value.
    let server = PgServer::start();
    let a = Store::open_postgres(&server.url()).unwrap();
    let b = Store::open_postgres(&server.url()).unwrap();
    let (read, go) = std::sync::mpsc::channel();
    let holder = std::thread::spawn({
        let a = a.clone();
        move || {
            a.write_blocking(move |tx| {
                let n = tx.get(b"counter")?.map_or(0, |v| v[0]);
                read.send(()).unwrap();
                // Widens the window a racing writer would need; the outcome never depends on it.
                std::thread::sleep(std::time::Duration::from_millis(300));
                tx.put(b"counter".to_vec(), vec![n + 1]);
                Ok::<_, StoreError>(())
            })
        }
    });
    go.recv().unwrap();
    b.write_blocking(|tx| {
        let n = tx.get(b"counter")?.map_or(0, |v| v[0]);
        tx.put(b"counter".to_vec(), vec![n + 1]);
        Ok::<_, StoreError>(())
    })
    .unwrap();
    holder.join().unwrap().unwrap();
    assert_eq!(b.get(b"counter").unwrap(), Some(vec![2]));
    a.close();
    b.close();
}

#[test]
#[cfg_attr(
    op_no_postgres,
    ignore = "PostgreSQL is not installed (apt-get install postgresql)"
)]
fn a_newer_schema_is_refused_with_a_clear_error() {
    let server = PgServer::start();
    let store = Store::open_postgres(&server.url()).unwrap();
    store.close();
    server.psql("UPDATE op_store_schema SET version = version + 1 WHERE id = 1");
    let refused = Store::open_postgres(&server.url()).unwrap_err().to_string();
    assert!(
        refused.contains("schema is version 2, newer than this program's 1"),
        "{refused}"
    );
}

#[test]
#[cfg_attr(
    op_no_postgres,
    ignore = "PostgreSQL is not installed (apt-get install postgresql)"
)]
fn reopening_keeps_data_and_migrates_once() {
    let server = PgServer::start();
    let first = Store::open_postgres(&server.url()).unwrap();
    first
        .write_blocking(|tx| {
            tx.put(b"durable".to_vec(), b"yes".to_vec());
            Ok::<_, StoreError>(())
        })
        .unwrap();
    first.close();
    drop(first);
    // Two processes starting at once on a fresh or a current database both succeed.
    let opened: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..3)
            .map(|_| s.spawn(|| Store::open_postgres(&server.url())))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for store in opened {
        let store = store.unwrap();
        assert_eq!(store.get(b"durable").unwrap().as_deref(), Some(&b"yes"[..]));
        store.close();
    }
}

#[test]
#[cfg_attr(
    op_no_postgres,
    ignore = "PostgreSQL is not installed (apt-get install postgresql)"
)]
fn concurrent_first_starts_create_the_schema_once() {
    let server = PgServer::start();
    let opened: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| Store::open_postgres(&server.url())))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for store in opened {
        store.unwrap().close();
    }
}

#[test]
#[cfg_attr(
    op_no_postgres,
    ignore = "PostgreSQL is not installed (apt-get install postgresql)"
)]
fn reads_from_async_code_do_not_panic() {
    // Handlers call `get` and `scan` synchronously from inside a runtime: the backend must not
    // start a nested runtime there.
    let (store, _server) = crate::pg_server::open_store();
    store
        .write_blocking(|tx| {
            tx.put(b"k".to_vec(), b"v".to_vec());
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let current = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let read = current.block_on(async { store.get(b"k").unwrap() });
    assert_eq!(read.as_deref(), Some(&b"v"[..]));
    // Dropping the last handle inside async code must not panic either.
    current.block_on(async move {
        store.close();
        drop(store);
    });
}

#[test]
#[cfg_attr(
    op_no_postgres,
    ignore = "PostgreSQL is not installed (apt-get install postgresql)"
)]
fn tls_required_against_a_server_without_tls_is_refused_clearly() {
    let server = PgServer::start();
    let url = server.url_with("sslmode=require").unwrap();
    let refused = Store::open_postgres(&url).unwrap_err().to_string();
    assert!(refused.contains("cannot connect to"), "{refused}");
    assert!(refused.to_lowercase().contains("tls"), "{refused}");
}

#[test]
#[cfg_attr(
    op_no_postgres,
    ignore = "PostgreSQL is not installed (apt-get install postgresql)"
)]
fn writes_fail_cleanly_while_the_database_is_gone() {
    let server = PgServer::start();
    let store = Store::open_postgres(&server.url()).unwrap();
    drop(server);
    let failed = store.write_blocking(|tx| {
        tx.put(b"k".to_vec(), b"v".to_vec());
        Ok::<_, StoreError>(())
    });
    assert!(matches!(failed, Err(StoreError::Engine(_))), "{failed:?}");
    assert!(store.get(b"k").is_err());
    store.close();
}

#[test]
fn database_urls_are_checked_at_parse_time() {
    let ok: DatabaseUrl = "postgres://op:s3cret@db.example:5432/hub?sslmode=require"
        .parse()
        .unwrap();
    assert_eq!(
        ok.to_string(),
        "postgres://op:***@db.example:5432/hub?sslmode=require",
        "the password is never shown"
    );
    assert!(!format!("{ok:?}").contains("s3cret"));
    for (url, says) in [
        ("mysql://op@db/hub", "starts with postgres://"),
        ("postgres://op@db/hub?sslmode=verify-full", "sslmode may be"),
        ("postgres://op@db/hub?sslmode=sometimes", "sslmode may be"),
        ("postgres://op@db/hub?bogus=1", "invalid database URL"),
        ("postgres://op@db", "names no database"),
    ] {
        let e = url.parse::<DatabaseUrl>().unwrap_err().to_string();
        assert!(e.contains(says), "{url}: {e}");
    }
}

#[test]
fn postgres_needs_a_url_and_only_postgres_takes_one() {
    let dir = tempfile::tempdir().unwrap();
    let no_url = Store::open_configured(BackendKind::Postgres, dir.path(), None).unwrap_err();
    assert!(
        no_url.to_string().contains("needs database_url"),
        "{no_url}"
    );
    let url: DatabaseUrl = "postgres://op@db/hub".parse().unwrap();
    let stray = Store::open_configured(BackendKind::Redb, dir.path(), Some(&url)).unwrap_err();
    assert!(stray.to_string().contains("storage is redb"), "{stray}");
}
