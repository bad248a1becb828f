//! `opctl` end to end: generate a key, convert an export, sign, publish a status list, verify;
//! exit codes 0 (valid), 1 (invalid, with the reason) and 2 (usage error).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const EXPORT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../protocol/tests/data/gig-export.json"
);
const LIST: &str = "https://platform.example/status/1";

fn opctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_opctl"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = opctl(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path: PathBuf = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn a_platform_signs_an_export_and_a_matcher_verifies_it() {
    let dir = tempfile::tempdir().unwrap();
    let key = write(dir.path(), "key.json", &ok(&["keys", "generate"]));
    let unsigned = write(
        dir.path(),
        "unsigned.json",
        &ok(&[
            "gigdata",
            "convert",
            EXPORT,
            "--status-list",
            LIST,
            "--subject",
            "did:example:worker",
        ]),
    );
    let signed = write(
        dir.path(),
        "signed.json",
        &ok(&["record", "sign", "--key", &key, &unsigned]),
    );
    let list = write(
        dir.path(),
        "list.json",
        &ok(&[
            "status", "issue", "--key", &key, "--url", LIST, "--revoke", "1",
        ]),
    );

    let out = opctl(&["record", "verify", &signed, "--status-list", &list]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert_eq!(
        report.lines().filter(|l| l.starts_with("valid")).count(),
        5,
        "{report}"
    );
    assert!(
        report.lines().nth(1).unwrap().contains("Revoked"),
        "{report}"
    );

    let clean = write(
        dir.path(),
        "clean.json",
        &ok(&["status", "issue", "--key", &key, "--url", LIST]),
    );
    ok(&["record", "verify", &signed, "--status-list", &clean]);
    ok(&["record", "verify", &signed, "--skip-status"]);
    let out = opctl(&["record", "verify", &signed]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a status list that cannot be obtained is a failure"
    );

    let tampered = std::fs::read_to_string(&signed)
        .unwrap()
        .replace("Web design", "Brain surgery");
    let tampered = write(dir.path(), "tampered.json", &tampered);
    let out = opctl(&["record", "verify", &tampered, "--skip-status"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("does not match"));
}

#[test]
fn an_issuer_with_a_controller_document_verifies_only_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let key = write(dir.path(), "key.json", &ok(&["keys", "generate"]));
    let issuer = "https://platform.example/issuer";
    let unsigned = write(
        dir.path(),
        "u.jsonl",
        &ok(&[
            "gigdata",
            "convert",
            EXPORT,
            "--status-list",
            LIST,
            "--lines",
        ]),
    );
    let signed = write(
        dir.path(),
        "s.jsonl",
        &ok(&[
            "record", "sign", "--key", &key, "--issuer", issuer, &unsigned,
        ]),
    );
    assert_eq!(std::fs::read_to_string(&signed).unwrap().lines().count(), 6);
    let controller = write(
        dir.path(),
        "c.json",
        &ok(&["keys", "controller", "--key", &key, "--issuer", issuer]),
    );
    ok(&[
        "record",
        "verify",
        &signed,
        "--controller",
        &controller,
        "--skip-status",
    ]);
    assert_eq!(
        opctl(&["record", "verify", &signed, "--skip-status"])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn usage_errors_exit_with_2() {
    assert_eq!(opctl(&["record", "verify"]).status.code(), Some(2));
    assert_eq!(
        opctl(&["record", "verify", "/nonexistent/records.json"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(opctl(&["frobnicate"]).status.code(), Some(2));
}
