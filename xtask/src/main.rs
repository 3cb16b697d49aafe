//! `cargo xtask generate` / `cargo xtask check`; see the library's docs.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    xtask::run(&args)
}
