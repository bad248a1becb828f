//! What every binary (`op-hub`, `op-pod`, `openplatforms`) does around its own work, written
//! once: logs to stderr filtered by `OP_LOG`, a multi-threaded runtime, and an exit code with
//! the failure said as `program: message`.

/// The allocator of every binary: mimalloc hands freed memory back to the system. With glibc's
/// allocator, once the first 19 MiB argon2 block was freed its mmap threshold rose past that size,
/// so every later block came from the heap and stayed: a steady stream of log-ins grew the hub's
/// RSS for good (the soak in docs/RELIABILITY.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::fmt::Display;
use std::future::Future;
use std::io::IsTerminal;
use std::process::ExitCode;

/// Starts logging (`OP_LOG`, else `default_filter`, e.g. `info`), runs `work` to completion on
/// a multi-threaded runtime, and turns its result into the process's exit code.
pub fn run<E: Display>(
    program: &str,
    default_filter: &str,
    work: impl Future<Output = Result<(), E>>,
) -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_env("OP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, never in a log file or journal.
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(program, format!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(work) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(program, e),
    }
}

/// Says why `program` failed on stderr and returns the failure exit code.
pub fn fail(program: &str, message: impl Display) -> ExitCode {
    eprintln!("{program}: {message}");
    ExitCode::FAILURE
}
