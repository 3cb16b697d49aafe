//! `dovecot-eventgen`: check Dovecot's exported events and statistics
//! configuration against your release.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = dovecot_eventgen::cli::Args::parse();
    dovecot_eventgen::cli::run(&args)
}
