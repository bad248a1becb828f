//! `op-pod`: parses the command line and runs it (see `op_pod::cli`).

fn main() -> std::process::ExitCode {
    op_pod::cli::main()
}
