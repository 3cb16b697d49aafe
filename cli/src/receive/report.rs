//! The live-check report: findings, coverage and counters, as text,
//! Markdown or JSON, and the CI gate over it.

use std::fmt::Write as _;

use serde::Serialize;

use crate::coverage::CoverageReport;
use crate::verify::{FindingKind, Report};

/// How serious a finding is for `--fail-on`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Severity {
    /// The schema does not know an event, field or enum value: a gap in
    /// the schema more than a problem of the server.
    Warning,
    /// The event is not what the target release sends: unreadable, a value
    /// of the wrong type, or an event or field too new for the target or
    /// removed before it.
    Error,
}

/// The severity of a kind of finding.
#[must_use]
pub fn severity(kind: FindingKind) -> Severity {
    match kind {
        FindingKind::UnknownEvent
        | FindingKind::UnknownField
        | FindingKind::UnknownEnumValue
        | FindingKind::FieldNotInContext => Severity::Warning,
        FindingKind::Malformed
        | FindingKind::WrongType
        | FindingKind::EventNotInTarget
        | FindingKind::FieldNotInTarget => Severity::Error,
    }
}

/// Findings per severity: (errors, warnings). Findings beyond the report's
/// itemised ones have no known kind and count as errors.
#[must_use]
pub fn totals(report: &Report) -> (u64, u64) {
    let (mut errors, mut warnings) = (report.unlisted, 0);
    for finding in &report.findings {
        match severity(finding.kind) {
            Severity::Error => errors += finding.count,
            Severity::Warning => warnings += finding.count,
        }
    }
    (errors, warnings)
}

/// Output formats of the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Plain text for people.
    Text,
    /// Markdown, e.g. for a CI job summary.
    Markdown,
    /// JSON for tools.
    Json,
}

impl ReportFormat {
    /// The format a `?format=` query names; text by default.
    #[must_use]
    pub fn from_query(query: Option<&str>) -> ReportFormat {
        let format = query
            .into_iter()
            .flat_map(|query| query.split('&'))
            .find_map(|pair| pair.strip_prefix("format="));
        match format {
            Some("markdown" | "md") => ReportFormat::Markdown,
            Some("json") => ReportFormat::Json,
            _ => ReportFormat::Text,
        }
    }

    /// The Content-Type of a report in this format.
    #[must_use]
    pub fn content_type(self) -> &'static str {
        match self {
            ReportFormat::Text => "text/plain; charset=utf-8",
            ReportFormat::Markdown => "text/markdown; charset=utf-8",
            ReportFormat::Json => "application/json",
        }
    }
}

/// The receiver's counters, for the report.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Counters {
    /// Events accepted.
    pub accepted: u64,
    /// Events written to the output.
    pub written: u64,
    /// Requests and lines turned away.
    pub rejected: u64,
    /// Events that arrived but could not be kept.
    pub lost: u64,
    /// Events in the spool not yet written.
    pub spool_depth: u64,
}

/// Everything the report shows.
#[derive(Serialize)]
pub struct LiveReport<'r> {
    /// The counters.
    pub counters: Counters,
    /// Findings per severity.
    pub errors: u64,
    /// Findings per severity.
    pub warnings: u64,
    /// The verifier's findings.
    pub findings: &'r Report,
    /// The coverage.
    pub coverage: &'r CoverageReport,
}

impl LiveReport<'_> {
    /// The report in `format`.
    #[must_use]
    pub fn render(&self, format: ReportFormat) -> String {
        match format {
            ReportFormat::Text => self.to_text(),
            ReportFormat::Markdown => self.to_markdown(),
            ReportFormat::Json => {
                let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
                text.push('\n');
                text
            }
        }
    }

    fn summary(&self) -> String {
        let c = &self.counters;
        format!(
            "{} events accepted, {} written, {} in the spool, {} rejected, {} lost; \
             live check against Dovecot {}: {} errors, {} warnings ({} distinct findings)",
            c.accepted,
            c.written,
            c.spool_depth,
            c.rejected,
            c.lost,
            self.coverage.target,
            self.errors,
            self.warnings,
            self.findings.findings.len() as u64 + self.findings.unlisted,
        )
    }

    fn to_text(&self) -> String {
        let mut text = self.summary();
        text.push('\n');
        for finding in &self.findings.findings {
            let _ = write!(
                text,
                "{:?} {}",
                severity(finding.kind),
                first_seen(finding.line)
            );
            if finding.count > 1 {
                let _ = write!(text, " (and {} more)", finding.count - 1);
            }
            text.push_str(": ");
            if let Some(event) = &finding.event {
                let _ = write!(text, "{event}: ");
            }
            if let Some(field) = &finding.field {
                let _ = write!(text, "field `{field}`: ");
            }
            let _ = writeln!(text, "{}", finding.message);
        }
        if self.findings.unlisted > 0 {
            let _ = writeln!(text, "{} more findings not listed", self.findings.unlisted);
        }
        text.push_str(&self.coverage.to_text());
        text
    }

    fn to_markdown(&self) -> String {
        let mut text = format!("# Live check\n\n{}.\n\n", self.summary());
        if !self.findings.findings.is_empty() {
            text.push_str(
                "## Findings\n\n| severity | kind | event | field | count | first | message |\n\
                 |---|---|---|---|---|---|---|\n",
            );
            for finding in &self.findings.findings {
                let _ = writeln!(
                    text,
                    "| {:?} | {:?} | {} | {} | {} | {} | {} |",
                    severity(finding.kind),
                    finding.kind,
                    finding.event.as_deref().unwrap_or(""),
                    finding.field.as_deref().unwrap_or(""),
                    finding.count,
                    first_seen(finding.line),
                    finding.message.replace('|', "\\|"),
                );
            }
            text.push('\n');
        }
        text.push_str(&self.coverage.to_markdown());
        text
    }
}

/// Where a finding was first seen: the event's sequence number, or none for
/// a request that was not an event and so was not spooled.
fn first_seen(seq: u64) -> String {
    if seq == 0 {
        "(not spooled)".to_owned()
    } else {
        format!("seq {seq}")
    }
}

/// The CI gate: why the run fails, if it does.
#[must_use]
pub fn gate(
    errors: u64,
    warnings: u64,
    fail_on: Option<Severity>,
    coverage: &CoverageReport,
    min_coverage: Option<f64>,
) -> Vec<String> {
    let mut failures = Vec::new();
    match fail_on {
        Some(Severity::Error) if errors > 0 => {
            failures.push(format!("{errors} live-check errors (--fail-on error)"));
        }
        Some(Severity::Warning) if errors + warnings > 0 => failures.push(format!(
            "{errors} live-check errors and {warnings} warnings (--fail-on warning)"
        )),
        _ => {}
    }
    if let Some(min) = min_coverage
        && coverage.event_percent() < min
    {
        failures.push(format!(
            "{:.1}% of Dovecot {}'s events seen, below --min-coverage {min}",
            coverage.event_percent(),
            coverage.target
        ));
    }
    failures
}
