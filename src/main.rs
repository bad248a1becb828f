//! `openplatforms`: the whole stack in one process. Parses the command line and runs it.

mod demo;
mod http;
mod up;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Open Platforms: gig workers own their experience data.
#[derive(Debug, Parser)]
#[command(name = "openplatforms", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the stack on embedded storage (today: the pod server; the hub is not built yet).
    Up(up::UpArgs),
}

fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_env("OP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("openplatforms: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Up(args) => up::run(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("openplatforms: {e:#}");
            ExitCode::FAILURE
        }
    }
}
