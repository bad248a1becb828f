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
    /// Run the hub and a pod server in one process on embedded storage (--demo adds a demo
    /// worker, platform, matcher and worker app, and prints where to go).
    Up(up::UpArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    op_cli::run("openplatforms", "warn", async {
        match cli.command {
            // `{:#}` shows anyhow's chain of causes on one line.
            Command::Up(args) => up::run(args).await.map_err(|e| format!("{e:#}")),
        }
    })
}
