//! Checks the event filters, `metric` and `event_exporter` blocks of a
//! Dovecot configuration against the schema, for one target release.
//!
//! This is what `dovecot-eventgen lint` runs. The configuration is read the
//! way Dovecot's own config parser reads it (`!include` and `!include_try`
//! with globs relative to the including file, `<file` values, quoted values,
//! lines continued with `\`, comments), so `dovecot.conf` and the output of
//! `doveconf -n` both work. Every finding is located as `file:line:column`
//! and says how to fix it.
//!
//! ```
//! use dovecot_eventgen::lint::{self, Severity};
//!
//! let model = dovecot_events_codegen::load_embedded().unwrap();
//! let conf = "metric imap {\n  filter = event=imap_comand_finished\n}\n";
//! let report = lint::lint_str(&model, "dovecot.conf", conf, "2.3.19".parse().unwrap());
//! assert_eq!(report.findings[0].severity, Severity::Error);
//! assert_eq!(report.findings[0].location.to_string(), "dovecot.conf:2:18");
//! assert!(report.to_string().contains("did you mean `imap_command_finished`?"));
//! ```

pub(crate) mod checks;
pub(crate) mod facts;
pub(crate) mod report;
pub(crate) mod syntax;

use std::path::Path;

use dovecot_events_codegen::Version;
use dovecot_events_codegen::model::EventModel;

use report::Sink;
pub use report::{Finding, Report, Rule, Severity};

/// Reads a configuration file the way the lint does: a regular file of at
/// most 16 MiB of UTF-8.
///
/// # Errors
///
/// The I/O error, or `InvalidData` for anything else.
pub fn read_config(path: &Path) -> std::io::Result<String> {
    syntax::paths::read_regular(path)
}

/// Lints the configuration file at `path` and everything it includes.
///
/// # Errors
///
/// Returns the I/O error when `path` itself cannot be read; unreadable
/// `!include` files are findings.
pub fn lint_file(model: &EventModel, path: &Path, target: Version) -> std::io::Result<Report> {
    let text = read_config(path)?;
    Ok(lint_str(model, &path.display().to_string(), &text, target))
}

/// Lints configuration text as if it were the file `name`: `!include` and
/// `<file` paths are resolved relative to `name`'s directory.
#[must_use]
pub fn lint_str(model: &EventModel, name: &str, text: &str, target: Version) -> Report {
    let mut sink = Sink::new();
    let config = checks::read(name, text, &mut sink);
    let counts = checks::check(model, &config, target, &mut sink);
    let mut findings = sink.findings;
    let order = |file: &str| {
        config
            .files
            .iter()
            .position(|f| f == file)
            .unwrap_or(usize::MAX)
    };
    findings.sort_by(|a, b| {
        order(&a.location.file)
            .cmp(&order(&b.location.file))
            .then(a.location.line.cmp(&b.location.line))
            .then(a.location.column.cmp(&b.location.column))
            .then(a.severity.cmp(&b.severity))
    });
    findings.dedup();
    Report {
        target,
        files: config.files,
        metrics: counts.metrics,
        filters: counts.filters,
        findings,
    }
}
