//! The `op-hub` program, built inside the test package so tests can run its command line as a
//! real process (`CARGO_BIN_EXE_op-hub-under-test`); it is the same `op_hub::cli::main`.

fn main() -> std::process::ExitCode {
    op_hub::cli::main()
}
