//! `dovecot-eventgen`: generate, check, validate and inspect the
//! dovecot-events schema.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = dovecot_events_codegen::cli::Args::parse();
    dovecot_events_codegen::cli::run(&args)
}
