//! The report of `verify`: its findings, its limits, and how it prints.

use std::collections::HashMap;
use std::fmt;

use dovecot_events_codegen::Version;
use serde::Serialize;

/// What a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// The line is not an exported event at all.
    Malformed,
    /// The schema has no event of this name.
    UnknownEvent,
    /// The event exists in the schema but not in the target release.
    EventNotInTarget,
    /// The event has no field of this name.
    UnknownField,
    /// The field exists but not in the target release.
    FieldNotInTarget,
    /// The field comes only with parent contexts that the event's
    /// categories rule out.
    FieldNotInContext,
    /// The value does not have the field's type.
    WrongType,
    /// An enum field carries a value the schema does not list for the target.
    UnknownEnumValue,
}

/// One distinct problem, and how often it occurred.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The first line (1-based) it occurred on.
    pub line: u64,
    /// How many lines it occurred on.
    pub count: u64,
    /// What the finding is about.
    pub kind: FindingKind,
    /// The event's name, when the line has one.
    pub event: Option<String>,
    /// The field's name, for field findings.
    pub field: Option<String>,
    /// A full-sentence explanation, with a fix where there is one.
    pub message: String,
}

/// Bounds on what a report keeps, so that any input is checked in constant
/// memory.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The longest line read (longer lines are one malformed finding each
    /// and are skipped without being held).
    pub line_bytes: usize,
    /// How many distinct facts are itemised; further findings are counted.
    pub facts: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // Dovecot's lines are a few kilobytes; at this length a line of
            // tiny fields still parses in well under 100 MB.
            line_bytes: 4 << 20,
            facts: 10_000,
        }
    }
}

/// The outcome of [`verify`](super::verify()).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// The release the input was checked against.
    pub target: Option<Version>,
    /// How many non-blank lines were read.
    pub events: u64,
    /// How many findings there were in all, over every line.
    pub total: u64,
    /// Findings beyond [`Limits::facts`] distinct facts, counted only.
    pub unlisted: u64,
    /// Every distinct finding, in order of first occurrence.
    pub findings: Vec<Finding>,
    /// Each distinct finding's position in `findings`, by [`key`].
    #[serde(skip)]
    pub(super) index: HashMap<String, usize>,
    /// The key of the finding being added, reused so that a repeated
    /// finding (the common case: one fact, many lines) allocates nothing.
    #[serde(skip)]
    pub(super) scratch: String,
}

/// What makes two findings the same fact: kind, event, field and message as
/// shown (names and message cut at the same lengths as in the report).
fn key(
    into: &mut String,
    kind: FindingKind,
    event: Option<&str>,
    field: Option<&str>,
    message: &str,
) {
    use std::fmt::Write as _;
    into.clear();
    let _ = write!(into, "{kind:?}");
    for (part, max) in [
        (event, NAME_CHARS),
        (field, NAME_CHARS),
        (Some(message), MESSAGE_CHARS),
    ] {
        // A separator that cannot occur in the parts' text keeps `a` +
        // `bc` apart from `ab` + `c`; a missing part differs from an
        // empty one.
        match part {
            None => into.push('\u{0}'),
            Some(text) => {
                into.push('\u{1}');
                match text.char_indices().nth(max) {
                    None => into.push_str(text),
                    Some((at, _)) => {
                        into.push_str(&text[..at]);
                        into.push('…');
                    }
                }
            }
        }
    }
}

impl Report {
    /// Whether nothing was found.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.total == 0
    }

    /// The findings of one kind.
    pub fn of_kind(&self, kind: FindingKind) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.kind == kind)
    }

    /// The machine-readable form (`--format json`).
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// One report of several checked by parts (by different threads, of
    /// one numbering of lines): counts added, each distinct finding listed
    /// once with its first line, in order of that line, up to
    /// `limits.facts`.
    #[must_use]
    pub fn merged<'a>(parts: impl IntoIterator<Item = &'a Report>, limits: &Limits) -> Report {
        let mut all = Report::default();
        let mut findings = Vec::new();
        for part in parts {
            all.target = all.target.or(part.target);
            all.events += part.events;
            all.total += part.total;
            all.unlisted += part.unlisted;
            findings.extend(&part.findings);
        }
        findings.sort_by_key(|finding| finding.line);
        for finding in findings {
            key(
                &mut all.scratch,
                finding.kind,
                finding.event.as_deref(),
                finding.field.as_deref(),
                &finding.message,
            );
            all.tally(limits, finding.count, || finding.clone());
        }
        all
    }

    /// Counts one finding on line `line`: a new fact is listed (up to
    /// `limits.facts`), a repeated one counted on its first listing.
    /// Returns where it is listed (`None`: beyond the limit, only counted).
    pub(super) fn add(
        &mut self,
        limits: &Limits,
        line: u64,
        kind: FindingKind,
        event: Option<&str>,
        field: Option<&str>,
        message: &str,
    ) -> Option<usize> {
        self.total += 1;
        key(&mut self.scratch, kind, event, field, message);
        self.tally(limits, 1, || finding(line, kind, event, field, message))
    }

    /// Counts `count` lines of the finding whose key is in `scratch`: on
    /// its listing, on a new listing `new` makes (up to `limits.facts`), or
    /// as unlisted. Returns where it is listed.
    fn tally(
        &mut self,
        limits: &Limits,
        count: u64,
        new: impl FnOnce() -> Finding,
    ) -> Option<usize> {
        if let Some(&at) = self.index.get(self.scratch.as_str()) {
            if let Some(listed) = self.findings.get_mut(at) {
                listed.count += count;
            }
            Some(at)
        } else if self.findings.len() < limits.facts {
            let at = self.findings.len();
            self.index.insert(std::mem::take(&mut self.scratch), at);
            self.findings.push(new());
            Some(at)
        } else {
            self.unlisted += count;
            None
        }
    }

    /// Counts once more a finding [`Report::add`] listed at `at` (or, for
    /// `None`, did not list).
    pub(super) fn repeated(&mut self, at: Option<usize>) {
        self.total += 1;
        match at.and_then(|at| self.findings.get_mut(at)) {
            Some(listed) => listed.count += 1,
            None => self.unlisted += 1,
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for finding in &self.findings {
            write!(f, "line {}", finding.line)?;
            match finding.count {
                1 => {}
                2 => write!(f, " (and 1 more line)")?,
                n => write!(f, " (and {} more lines)", n - 1)?,
            }
            f.write_str(": ")?;
            if let Some(event) = &finding.event {
                write!(f, "{event}: ")?;
            }
            if let Some(field) = &finding.field {
                write!(f, "field `{field}`: ")?;
            }
            writeln!(f, "{}", finding.message)?;
        }
        if self.unlisted > 0 {
            writeln!(
                f,
                "{} more finding{} not listed (the report lists {} distinct ones)",
                self.unlisted,
                plural(self.unlisted),
                self.findings.len()
            )?;
        }
        let target = self
            .target
            .map_or_else(String::new, |t| format!(" against Dovecot {t}"));
        write!(
            f,
            "{} event{} checked{target}: ",
            self.events,
            plural(self.events)
        )?;
        match self.total {
            0 => f.write_str("no findings"),
            n => write!(
                f,
                "{n} finding{} ({} distinct)",
                plural(n),
                self.findings.len() as u64 + self.unlisted
            ),
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The most characters of a name a finding keeps: no schema name is
/// longer than 64, so a longer one is shown by its start.
pub(super) const NAME_CHARS: usize = 128;

/// The most characters of a message a finding keeps.
const MESSAGE_CHARS: usize = 1024;

/// `text`, cut after `max` characters (with `…`): what a finding holds of
/// text from the input, so that the report's memory stays bounded however
/// long the names in a line are.
pub(super) fn shortened(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((at, _)) => format!("{}…", &text[..at]),
    }
}

fn finding(
    line: u64,
    kind: FindingKind,
    event: Option<&str>,
    field: Option<&str>,
    message: &str,
) -> Finding {
    Finding {
        line,
        count: 1,
        kind,
        event: event.map(|e| shortened(e, NAME_CHARS)),
        field: field.map(|f| shortened(f, NAME_CHARS)),
        message: shortened(message, MESSAGE_CHARS),
    }
}
