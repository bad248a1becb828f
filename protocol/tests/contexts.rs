//! The published contexts: every file listed in `protocol/contexts/index.json` has the SHA-256 the
//! index states, and is byte for byte the copy compiled into `op_protocol::contexts::PINNED`.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

fn contexts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("contexts")
}

#[test]
fn every_indexed_file_has_the_stated_sha256_and_is_the_compiled_copy() {
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(contexts_dir().join("index.json")).unwrap()).unwrap();
    let index = index.as_object().unwrap();
    assert_eq!(index.len(), op_protocol::contexts::PINNED.len());
    for (url, entry) in index {
        let file = entry["file"].as_str().unwrap();
        let bytes = std::fs::read(contexts_dir().join(file)).unwrap();
        let digest: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(entry["sha256"].as_str(), Some(digest.as_str()), "{url}");
        let pinned =
            op_protocol::contexts::pinned(url).unwrap_or_else(|| panic!("{url} is not pinned"));
        assert_eq!(
            pinned.as_bytes(),
            bytes.as_slice(),
            "{file} differs from the compiled copy"
        );
    }
}

#[test]
fn the_vc_contexts_are_the_same_bytes_as_the_vendored_w3c_copies() {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/w3c/contexts");
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(shared.join("index.json")).unwrap()).unwrap();
    for (url, entry) in index.as_object().unwrap() {
        let bytes = std::fs::read(shared.join(entry["file"].as_str().unwrap())).unwrap();
        assert_eq!(
            op_protocol::contexts::pinned(url).map(str::as_bytes),
            Some(bytes.as_slice()),
            "{url}"
        );
    }
}
