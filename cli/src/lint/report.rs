//! What a lint run finds and reports: severities, rules, located findings,
//! the report and the sink the checks push findings into. Every layer of
//! the lint uses it; it uses none of them.

use std::fmt;

use serde::Serialize;

use dovecot_events_codegen::Version;
use dovecot_events_codegen::diag::Location;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Dovecot rejects the configuration, or the setting cannot do what it
    /// says (it never matches, names something that does not exist).
    Error,
    /// Probably a mistake, but the setting may still work.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// What a finding is about; stable names for tools (`--format json`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Rule {
    /// The configuration file itself cannot be parsed.
    ConfigSyntax,
    /// An `!include` or `<file` that cannot be read.
    Include,
    /// A malformed event filter expression.
    FilterSyntax,
    /// An event name the schema does not know.
    UnknownEvent,
    /// A field name no event carries.
    UnknownField,
    /// A field the filtered events never carry.
    FieldNotCarried,
    /// A category name the schema does not know.
    UnknownCategory,
    /// An item that first appears after the target release.
    NotInTarget,
    /// An item removed at or before the target release.
    Removed,
    /// An item deprecated at or before the target release.
    Deprecated,
    /// An event name Dovecot documents but never sends.
    NeverEmitted,
    /// An event name wildcard that matches no event.
    WildcardMatchesNothing,
    /// An operator the field's type does not support.
    UnsupportedOperator,
    /// A value the field never has.
    ValueNeverMatches,
    /// A filter that can never match as a whole.
    NeverMatches,
    /// `exponential` or `linear` aggregation on a non-numeric field.
    NonNumericAggregation,
    /// A malformed `group_by` entry.
    InvalidGroupBy,
    /// A setting that does not exist in the block (for the target).
    UnknownSetting,
    /// A metric names an `event_exporter` that is not defined.
    UnknownExporter,
    /// An `event_exporter` block Dovecot rejects.
    InvalidExporter,
    /// A metric without a filter.
    MissingFilter,
    /// `doveconf -n` output from another release than the target.
    VersionMismatch,
}

/// One problem found in the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// How bad it is.
    pub severity: Severity,
    /// What it is about.
    pub rule: Rule,
    /// Where it is: file, 1-based line and column (in characters).
    pub location: Location,
    /// What is wrong, lowercase, without a trailing period.
    pub message: String,
    /// How to fix it, if there is something useful to say.
    pub fix: Option<String>,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.location, self.severity, self.message)?;
        if let Some(fix) = &self.fix {
            write!(f, "\n  fix: {fix}")?;
        }
        Ok(())
    }
}

/// The outcome of a lint run.
#[derive(Clone, Debug)]
pub struct Report {
    /// The release the configuration was checked against.
    pub target: Version,
    /// Every file read, the main one first, then includes in reading order.
    pub files: Vec<String>,
    /// How many `metric` blocks were checked.
    pub metrics: usize,
    /// How many event filter expressions were checked.
    pub filters: usize,
    /// Every finding, in file order.
    pub findings: Vec<Finding>,
}

impl Report {
    /// The findings of one severity.
    pub fn of_severity(&self, severity: Severity) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.severity == severity)
    }

    /// The findings of one rule.
    pub fn of_rule(&self, rule: Rule) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.rule == rule)
    }

    /// Whether any finding is an error (the CLI then exits 1).
    #[must_use]
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// The machine-readable form (`--format json`).
    #[must_use]
    pub fn to_json(&self) -> String {
        let findings: Vec<serde_json::Value> = self
            .findings
            .iter()
            .map(|f| {
                serde_json::json!({
                    "severity": f.severity,
                    "rule": f.rule,
                    "file": &*f.location.file,
                    "line": f.location.line,
                    "column": f.location.column,
                    "message": f.message,
                    "fix": f.fix,
                })
            })
            .collect();
        let value = serde_json::json!({
            "target": self.target,
            "files": self.files,
            "metrics": self.metrics,
            "filters": self.filters,
            "errors": self.of_severity(Severity::Error).count(),
            "warnings": self.of_severity(Severity::Warning).count(),
            "findings": findings,
        });
        let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
        text.push('\n');
        text
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for finding in &self.findings {
            writeln!(f, "{finding}")?;
        }
        let errors = self.of_severity(Severity::Error).count();
        let warnings = self.of_severity(Severity::Warning).count();
        let summary = if self.findings.is_empty() {
            "no findings".to_owned()
        } else {
            format!(
                "{}, {}",
                plural(errors, "error"),
                plural(warnings, "warning")
            )
        };
        write!(
            f,
            "{summary} in {} ({}, {}) checked against Dovecot {}",
            plural(self.files.len(), "file"),
            plural(self.metrics, "metric"),
            plural(self.filters, "filter"),
            self.target
        )
    }
}

/// Collects findings while the checks run.
#[derive(Debug)]
pub(crate) struct Sink {
    pub(crate) findings: Vec<Finding>,
}

impl Sink {
    /// An empty sink.
    pub(crate) fn new() -> Sink {
        Sink {
            findings: Vec::new(),
        }
    }

    pub(crate) fn push(
        &mut self,
        severity: Severity,
        rule: Rule,
        location: Location,
        message: impl Into<String>,
        fix: Option<String>,
    ) {
        self.findings.push(Finding {
            severity,
            rule,
            location,
            message: message.into(),
            fix,
        });
    }

    pub(crate) fn error(
        &mut self,
        rule: Rule,
        location: Location,
        message: impl Into<String>,
        fix: Option<String>,
    ) {
        self.push(Severity::Error, rule, location, message, fix);
    }

    pub(crate) fn warning(
        &mut self,
        rule: Rule,
        location: Location,
        message: impl Into<String>,
        fix: Option<String>,
    ) {
        self.push(Severity::Warning, rule, location, message, fix);
    }
}
