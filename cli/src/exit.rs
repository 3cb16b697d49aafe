//! The one exit-status contract of every `dovecot-eventgen` command.

use std::process::ExitCode;

use dovecot_events_codegen::Error;

/// How a command ended, and so its exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: done, nothing found.
    Clean,
    /// 1: the check found something (`verify` findings, `lint` errors,
    /// `diff --fail-on-removal` removals).
    Findings,
    /// 2: a usage error or input the command cannot work with: an unknown
    /// option or release, an invalid schema, text that is not UTF-8.
    BadInput,
    /// 3: a file or directory could not be read or written.
    Io,
}

/// The contract, as `--help` states it.
pub const CONTRACT: &str = "Exit status: 0 when nothing was found; 1 when a check found \
something (verify findings, lint errors, diff --fail-on-removal removals); 2 for a usage \
error or input that cannot be used (an unknown option or release, an invalid schema, text \
that is not UTF-8); 3 when a file cannot be read or written.";

impl Exit {
    /// The process exit status.
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            Exit::Clean => 0,
            Exit::Findings => 1,
            Exit::BadInput => 2,
            Exit::Io => 3,
        }
    }

    /// The status for an error of the code generator's library.
    #[must_use]
    pub fn of_error(err: &Error) -> Exit {
        match err {
            Error::Io { source, .. } => Exit::of_io(source),
            // The schema or the options: what the command was given.
            _ => Exit::BadInput,
        }
    }

    /// The status for a failed read or write: text that is not UTF-8 is
    /// bad input, anything else an I/O failure.
    #[must_use]
    pub fn of_io(err: &std::io::Error) -> Exit {
        if err.kind() == std::io::ErrorKind::InvalidData {
            Exit::BadInput
        } else {
            Exit::Io
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}
