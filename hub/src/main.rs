//! `op-hub` binary: says plainly that the hub is not built yet.

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!(
        "op-hub is not built yet: the authorization server is planned work (see docs/ARCHITECTURE.md).\n\
         Run `op-pod` (or `openplatforms up`) for the pod server, which works today."
    );
    ExitCode::from(2)
}
