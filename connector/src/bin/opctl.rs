//! `opctl` binary: says plainly that the connector CLI is not built yet.

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!(
        "opctl is not built yet: platform and matcher commands are planned work (see docs/ARCHITECTURE.md)."
    );
    ExitCode::from(2)
}
