//! `op-hub`: parses the command line and runs it (see `op_hub::cli`).

fn main() -> std::process::ExitCode {
    op_hub::cli::main()
}
