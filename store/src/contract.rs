//! The storage contract: one behaviour suite that every backend must pass.
//!
//! PostgreSQL runs it on a real server (`pg_server`); its multi-process guarantees have their
//! own tests in `pg_tests`.

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

fn scans_handle_the_empty_and_the_highest_prefix(store: Store) {
    for k in [&b"a"[..], &[0xfe], &[0xff], &[0xff, 0x01], &[0xff, 0xff]] {
        let k = k.to_vec();
        store
            .write_blocking(move |tx| {
                tx.put(k, b"x".to_vec());
                Ok::<_, Refused>(())
            })
            .unwrap();
    }
    let scanned = |prefix: &[u8], from| -> Vec<Vec<u8>> {
        let entries = store.scan(prefix, from, 10).unwrap();
        entries.into_iter().map(|(k, _)| k).collect()
    };
    assert_eq!(
        scanned(b"", ScanFrom::Start),
        [&b"a"[..], &[0xfe], &[0xff], &[0xff, 0x01], &[0xff, 0xff]]
    );
    assert_eq!(
        scanned(&[0xff], ScanFrom::Start),
        [&[0xff][..], &[0xff, 0x01], &[0xff, 0xff]]
    );
    assert_eq!(scanned(&[0xff, 0xff], ScanFrom::Start), [&[0xff, 0xff][..]]);
    assert_eq!(
        scanned(&[0xff], ScanFrom::After(&[0xff, 0x01])),
        [&[0xff, 0xff][..]]
    );
    assert_eq!(scanned(b"", ScanFrom::After(&[0xff])).len(), 2);
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
    ($backend:ident, $open:path $(, #[$attr:meta])*) => {
        mod $backend {
            use super::*;

            /// A store and what must outlive it (its folder, its server).
            fn open() -> (Store, impl Sized) {
                $open()
            }

            contract!(@tests [$(#[$attr])*];
                writes_read_back_and_removes_remove,
                scans_stay_inside_their_prefix_and_page,
                scans_handle_the_empty_and_the_highest_prefix,
                a_failed_write_changes_nothing,
                a_write_sees_its_own_changes_and_prefix_listing_merges_them,
                concurrent_writes_are_all_acknowledged_and_kept,
                closing_refuses_new_work_and_releases_the_engine,
            );
        }
    };
    (@tests [$($attrs:tt)*]; $name:ident, $($rest:ident,)*) => {
        #[test]
        $($attrs)*
        fn $name() {
            let (s, _keep) = open();
            super::$name(s);
        }
        contract!(@tests [$($attrs)*]; $($rest,)*);
    };
    (@tests [$($attrs:tt)*];) => {};
}

fn embedded(kind: BackendKind) -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (Store::open(kind, dir.path()).unwrap(), dir)
}

fn memory() -> (Store, tempfile::TempDir) {
    embedded(BackendKind::Memory)
}

fn redb() -> (Store, tempfile::TempDir) {
    embedded(BackendKind::Redb)
}

fn sled() -> (Store, tempfile::TempDir) {
    embedded(BackendKind::Sled)
}

contract!(memory, super::memory);
contract!(redb, super::redb);
contract!(sled, super::sled);
contract!(
    postgres,
    crate::pg_server::open_store,
    #[cfg_attr(
        op_no_postgres,
        ignore = "PostgreSQL is not installed (apt-get install postgresql)"
    )]
);

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
