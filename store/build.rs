//! Build script of `op-store`: sets `cfg(op_no_postgres)` when PostgreSQL's server binaries
//! (Debian's `postgresql` package, `/usr/lib/postgresql/*/bin/`) are missing, so the tests that
//! start a real server show as *ignored*, with the reason, instead of passing silently.
//! `OP_REQUIRE_POSTGRES=1` (as in `.ci/run`) never sets it, so a missing server fails there.

#![allow(clippy::print_stdout)] // a build script talks to cargo on stdout

use std::path::Path;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(op_no_postgres)");
    println!("cargo::rerun-if-env-changed=OP_REQUIRE_POSTGRES");
    let root = Path::new("/usr/lib/postgresql");
    // Installing PostgreSQL adds a version folder here, which re-runs this script.
    let watched = if root.is_dir() {
        root
    } else {
        Path::new("/usr/lib")
    };
    println!("cargo::rerun-if-changed={}", watched.display());
    let installed = std::fs::read_dir(root).is_ok_and(|versions| {
        versions.filter_map(Result::ok).any(|v| {
            let bin = v.path().join("bin");
            bin.join("initdb").is_file() && bin.join("postgres").is_file()
        })
    });
    let required = std::env::var("OP_REQUIRE_POSTGRES").as_deref() == Ok("1");
    if !installed && !required {
        println!("cargo::rustc-cfg=op_no_postgres");
    }
}
