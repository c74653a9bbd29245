//! The `lanyard` binary: everything lives in the library.

fn main() -> std::process::ExitCode {
    lanyard::cli::main()
}
