//! The `op-pod` program, built inside the test package so the crash test can start it as a real
//! process (`CARGO_BIN_EXE_op-pod-under-test`); it is the same `op_pod::cli::main` as `op-pod`.

fn main() -> std::process::ExitCode {
    op_pod::cli::main()
}
