//! The storage contract: one behaviour suite that every backend must pass.

use super::*;

#[derive(Debug)]
struct Refused;

impl From<StoreError> for Refused {
    fn from(_: StoreError) -> Self {
        Refused
    }
}

fn put(store: &Store, k: &str, v: &str) {
    let (k, v) = (k.as_bytes().to_vec(), v.as_bytes().to_vec());
    store
        .write_blocking(move |tx| {
            tx.put(k, v);
            Ok::<_, Refused>(())
        })
        .unwrap();
}

fn keys(store: &Store, prefix: &str, from: ScanFrom<'_>, limit: usize) -> Vec<String> {
    store
        .scan(prefix.as_bytes(), from, limit)
        .unwrap()
        .into_iter()
        .map(|(k, _)| String::from_utf8(k).unwrap())
        .collect()
}

fn writes_read_back_and_removes_remove(store: Store) {
    put(&store, "a/1", "one");
    assert_eq!(store.get(b"a/1").unwrap().as_deref(), Some(&b"one"[..]));
    store
        .write_blocking(|tx| {
            tx.remove(b"a/1".to_vec());
            Ok::<_, Refused>(())
        })
        .unwrap();
    assert_eq!(store.get(b"a/1").unwrap(), None);
}

fn scans_stay_inside_their_prefix_and_page(store: Store) {
    for k in ["a", "a/1", "a/2", "a/3", "a0", "b/1"] {
        put(&store, k, "x");
    }
    assert_eq!(
        keys(&store, "a/", ScanFrom::Start, 10),
        ["a/1", "a/2", "a/3"]
    );
    assert_eq!(keys(&store, "a/", ScanFrom::Start, 2), ["a/1", "a/2"]);
    assert_eq!(keys(&store, "a/", ScanFrom::After(b"a/2"), 10), ["a/3"]);
    assert!(keys(&store, "c", ScanFrom::Start, 10).is_empty());
}

fn a_failed_write_changes_nothing(store: Store) {
    put(&store, "k", "before");
    let result = store.write_blocking(|tx| {
        tx.put(b"k".to_vec(), b"after".to_vec());
        tx.put(b"other".to_vec(), b"x".to_vec());
        Err::<(), _>(Refused)
    });
    assert!(result.is_err());
    assert_eq!(store.get(b"k").unwrap().as_deref(), Some(&b"before"[..]));
    assert_eq!(store.get(b"other").unwrap(), None);
}

fn a_write_sees_its_own_changes_and_prefix_listing_merges_them(store: Store) {
    put(&store, "p/1", "x");
    put(&store, "p/2", "x");
    let seen = store
        .write_blocking(|tx| {
            tx.remove(b"p/1".to_vec());
            tx.put(b"p/3".to_vec(), b"y".to_vec());
            let own = tx.get(b"p/3")?;
            let listed = tx.keys_with_prefix(b"p/", 10)?;
            Ok::<_, StoreError>((own, listed))
        })
        .unwrap();
    assert_eq!(seen.0.as_deref(), Some(&b"y"[..]));
    assert_eq!(seen.1, [b"p/2".to_vec(), b"p/3".to_vec()]);
}

fn concurrent_writes_are_all_acknowledged_and_kept(store: Store) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut tasks = Vec::new();
        for i in 0..200u32 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store
                    .write(move |tx| {
                        tx.put(format!("c/{i:04}").into_bytes(), i.to_le_bytes().to_vec());
                        Ok::<_, StoreError>(())
                    })
                    .await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
    });
    assert_eq!(keys(&store, "c/", ScanFrom::Start, 1000).len(), 200);
}

fn closing_refuses_new_work_and_releases_the_engine(store: Store) {
    put(&store, "x", "1");
    store.close();
    let after = store.write_blocking(|tx| {
        tx.put(b"y".to_vec(), b"2".to_vec());
        Ok::<_, StoreError>(())
    });
    assert!(matches!(after, Err(StoreError::Closed)));
    assert!(
        matches!(store.get(b"x"), Err(StoreError::Closed)),
        "a closed store lets go of its engine (and its file lock)"
    );
}

macro_rules! contract {
    ($backend:ident, $kind:expr) => {
        mod $backend {
            use super::*;

            fn open() -> (Store, tempfile::TempDir) {
                let dir = tempfile::tempdir().unwrap();
                (Store::open($kind, dir.path()).unwrap(), dir)
            }

            #[test]
            fn writes_read_back_and_removes_remove() {
                let (s, _d) = open();
                super::writes_read_back_and_removes_remove(s);
            }
            #[test]
            fn scans_stay_inside_their_prefix_and_page() {
                let (s, _d) = open();
                super::scans_stay_inside_their_prefix_and_page(s);
            }
            #[test]
            fn a_failed_write_changes_nothing() {
                let (s, _d) = open();
                super::a_failed_write_changes_nothing(s);
            }
            #[test]
            fn a_write_sees_its_own_changes_and_prefix_listing_merges_them() {
                let (s, _d) = open();
                super::a_write_sees_its_own_changes_and_prefix_listing_merges_them(s);
            }
            #[test]
            fn concurrent_writes_are_all_acknowledged_and_kept() {
                let (s, _d) = open();
                super::concurrent_writes_are_all_acknowledged_and_kept(s);
            }
            #[test]
            fn closing_refuses_new_work_and_releases_the_engine() {
                let (s, _d) = open();
                super::closing_refuses_new_work_and_releases_the_engine(s);
            }
        }
    };
}

contract!(memory, BackendKind::Memory);
contract!(redb, BackendKind::Redb);
contract!(sled, BackendKind::Sled);

/// Durable backends keep what they acknowledged across a reopen.
#[test]
fn durable_backends_keep_acknowledged_writes_across_reopen() {
    for kind in [BackendKind::Redb, BackendKind::Sled] {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(kind, dir.path()).unwrap();
        put(&store, "durable", "yes");
        store.close();
        drop(store);
        let store = Store::open(kind, dir.path()).unwrap();
        assert_eq!(
            store.get(b"durable").unwrap().as_deref(),
            Some(&b"yes"[..]),
            "{kind:?}"
        );
        store.close();
    }
}
