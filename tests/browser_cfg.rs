//! Build script of `op-tests` and of the root package (both name this file): sets
//! `cfg(op_browser)` when headless Chromium, chromedriver and axe-core (`OP_AXE_JS`) are there,
//! so that without them the browser tests show as *ignored* in the test summary, with the reason,
//! instead of passing silently. `OP_REQUIRE_BROWSER=1` (as in `.ci/run`) always sets it, so a
//! missing browser fails there.

#![allow(clippy::print_stdout)] // a build script talks to cargo on stdout

use std::path::Path;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(op_browser)");
    for var in ["PATH", "OP_AXE_JS", "OP_REQUIRE_BROWSER"] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<_> = std::env::split_paths(&path)
        .filter(|d| d.is_dir())
        .collect();
    // Installing the browser later changes one of these folders, which re-runs this script.
    for dir in &dirs {
        println!("cargo::rerun-if-changed={}", dir.display());
    }
    let found = |name: &str| dirs.iter().any(|d| d.join(name).is_file());
    let axe = std::env::var_os("OP_AXE_JS").is_some_and(|p| Path::new(&p).is_file());
    let required = std::env::var("OP_REQUIRE_BROWSER").as_deref() == Ok("1");
    if required || (found("chromium") && found("chromedriver") && axe) {
        println!("cargo::rustc-cfg=op_browser");
    }
}
