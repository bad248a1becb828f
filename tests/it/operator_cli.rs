//! The operator commands of `op-pod` and `op-hub`, run as the programs: they work on a server's stored
//! data and never make up an empty store when pointed at the wrong folder.

use std::process::Command;

fn op_pod(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_op-pod-under-test"))
        .args(args)
        .env_remove("OP_POD_CONFIG")
        .env_remove("OP_POD_DATA")
        .output()
        .expect("op-pod runs")
}

#[test]
fn pod_commands_refuse_a_missing_data_folder_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("not-here");
    let out = op_pod(&["pod", "list", "--data", missing.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no pod server data in"), "{stderr}");
    assert!(
        !missing.exists(),
        "the command created {}",
        missing.display()
    );
}

#[test]
fn a_pod_created_in_a_new_folder_is_listed_and_gets_a_link_code() {
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("new");
    let data = new.to_str().unwrap();
    let out = op_pod(&["pod", "create", "alice", "--data", data]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = op_pod(&["pod", "list", "--data", data]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("alice\t"));
    let out = op_pod(&["pod", "link-code", "alice", "--data", data]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Link code for pod alice: "), "{stdout}");
    assert!(
        !stdout.contains("http"),
        "no guessed URL that may not be the served one: {stdout}"
    );
    let out = op_pod(&["pod", "list", "--storage", "memory"]);
    assert!(!out.status.success());
}

/// Offline commands offer only the settings they use: a newcomer reading `--help` should not
/// wonder what `--listen` does to `client add`.
#[test]
fn offline_commands_list_only_the_settings_they_use() {
    let help = |program: &str, args: &[&str]| {
        let out = Command::new(program).args(args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let hub = env!("CARGO_BIN_EXE_op-hub-under-test");
    let pod = env!("CARGO_BIN_EXE_op-pod-under-test");
    for (program, args) in [
        (hub, &["client", "add", "--help"][..]),
        (hub, &["keys", "rotate", "--help"]),
        (pod, &["pod", "create", "--help"]),
        (pod, &["pod", "list", "--help"]),
    ] {
        let text = help(program, args);
        assert!(text.contains("--data"), "{args:?}: {text}");
        for server_only in ["--listen", "--admin-token", "--pod-provider", "--trust"] {
            assert!(!text.contains(server_only), "{args:?} offers {server_only}");
        }
    }
    assert!(help(hub, &["serve", "--help"]).contains("--listen"));
    assert!(help(pod, &["serve", "--help"]).contains("--trust"));
}
