//! Holds exported events against the schema for one target Dovecot release
//! (`dovecot-eventgen verify`).
//!
//! Lines are read by the `dovecot-events` runtime's own readers, into its
//! schema-agnostic [`RawEvent`]: whatever a program parsing the same lines
//! accepts, skips or keeps (an unknown tab-text item, a value cut short
//! with `...`), this check accepts, skips or keeps too. Only the schema
//! given on the command line is this module's own: which events and fields
//! exist in the target release, and what their values must look like.
//!
//! Input is read line by line, so memory stays constant in its size: the
//! report counts every finding but keeps one entry per distinct fact
//! (with the number of lines and the first line it is on), up to
//! [`Limits::facts`].

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Write as _};
use std::io::BufRead;

use dovecot_events::{Fit, RawEvent, Value};
use dovecot_events_codegen::diag::did_you_mean;
use dovecot_events_codegen::model::{Event, EventModel, Field, FieldType};
use dovecot_events_codegen::{Status, Version};
use serde::Serialize;

/// The two serialisations of Dovecot's event exporter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputFormat {
    /// `format = json`: one JSON object per line.
    Json,
    /// `format = tab-text`: one line of tab-separated `key:value` items.
    TabText,
}

impl InputFormat {
    /// Guesses the format from a line: JSON starts with `{`.
    #[must_use]
    pub fn detect(line: &[u8]) -> InputFormat {
        match line.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => InputFormat::Json,
            _ => InputFormat::TabText,
        }
    }
}

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

/// The outcome of [`verify`].
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
    #[serde(skip)]
    index: BTreeMap<(FindingKind, Option<String>, Option<String>, String), usize>,
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

    fn add(&mut self, limits: &Limits, finding: Finding) {
        self.total += 1;
        let key = (
            finding.kind,
            finding.event.clone(),
            finding.field.clone(),
            finding.message.clone(),
        );
        if let Some(&at) = self.index.get(&key) {
            self.findings[at].count += 1;
        } else if self.findings.len() < limits.facts {
            self.index.insert(key, self.findings.len());
            self.findings.push(finding);
        } else {
            self.unlisted += 1;
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

/// Checks every line of `input` against `model` as of release `target`.
///
/// `format` `None` decides from the first non-blank line. Blank lines are
/// skipped. A line that cannot be read is one [`FindingKind::Malformed`]
/// finding; it never stops the rest.
///
/// ```
/// use dovecot_eventgen::verify::{self, FindingKind, InputFormat, Limits};
///
/// let model = dovecot_events_codegen::load_embedded().unwrap();
/// let input = &br#"{"event":"imap_command_finished","fields":{"cmd_name":"SELECT","bogus":1}}"#[..];
/// let report = verify::verify(&model, input, Some(InputFormat::Json), "2.3.19".parse().unwrap(), Limits::default())?;
/// assert_eq!(report.findings.len(), 1);
/// assert_eq!(report.findings[0].kind, FindingKind::UnknownField);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
///
/// Reading `input` failed.
pub fn verify(
    model: &EventModel,
    mut input: impl BufRead,
    format: Option<InputFormat>,
    target: Version,
    limits: Limits,
) -> std::io::Result<Report> {
    let mut verifier = Verifier::new(model, target, limits);
    let mut format = format;
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        let cap = u64::try_from(limits.line_bytes)
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let read = std::io::Read::take(input.by_ref(), cap).read_until(b'\n', &mut line)?;
        if read == 0 {
            break;
        }
        number += 1;
        if line.len() > limits.line_bytes && line.last() != Some(&b'\n') {
            skip_line(&mut input)?;
            verifier.too_long(number);
            continue;
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let format = *format.get_or_insert_with(|| InputFormat::detect(text));
        verifier.line(number, text, format);
    }
    Ok(verifier.finish())
}

/// Checks events one at a time, as they arrive (the loop of [`verify`],
/// and a live receiver's check): each finding goes into one [`Report`].
pub struct Verifier<'m> {
    model: &'m EventModel,
    target: Version,
    limits: Limits,
    report: Report,
    /// Per context, the categories that show it at the target (`None`:
    /// none can), asked for every field a context brings.
    recognised: HashMap<&'m str, Option<Vec<&'m str>>>,
}

impl<'m> Verifier<'m> {
    /// A verifier of events against `model` as of release `target`.
    #[must_use]
    pub fn new(model: &'m EventModel, target: Version, limits: Limits) -> Self {
        let recognised = model
            .groups
            .values()
            .filter(|group| group.context.is_some())
            .map(|group| {
                let marks = group.recognised_in(target, &model.categories);
                (group.name.as_str(), marks)
            })
            .collect();
        Verifier {
            model,
            target,
            limits,
            report: Report {
                target: Some(target),
                ..Report::default()
            },
            recognised,
        }
    }

    /// Checks one exported event as sent (a line without its line break),
    /// numbered `number` in the report.
    pub fn line(&mut self, number: u64, text: &[u8], format: InputFormat) {
        let parsed = match format {
            InputFormat::Json => dovecot_events::json::from_slice_raw(text),
            // Dovecot's tab-text exporter passes 8-bit bytes through as it
            // got them; its JSON exporter replaces them, as this does.
            InputFormat::TabText => dovecot_events::tab_text::from_slice_lossy_raw(text),
        };
        match parsed {
            Ok(event) => self.event(number, &event),
            Err(error) => {
                self.report.events += 1;
                let message = malformed(&error.to_string());
                self.checker(number)
                    .push(FindingKind::Malformed, None, None, message);
            }
        }
    }

    /// Checks one event already read.
    pub fn event(&mut self, number: u64, event: &RawEvent<'_>) {
        self.report.events += 1;
        self.checker(number).event(event);
    }

    /// Counts a line too long to read as a finding.
    pub fn too_long(&mut self, number: u64) {
        self.report.events += 1;
        let message = format!(
            "the line is longer than {} bytes, the longest line this check reads",
            self.limits.line_bytes
        );
        self.checker(number)
            .push(FindingKind::Malformed, None, None, message);
    }

    /// The report so far.
    #[must_use]
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// The finished report.
    #[must_use]
    pub fn finish(self) -> Report {
        self.report
    }

    fn checker(&mut self, line: u64) -> Checker<'m, '_> {
        Checker {
            model: self.model,
            target: self.target,
            line,
            report: &mut self.report,
            limits: &self.limits,
            recognised: &self.recognised,
        }
    }
}

/// Reads past the rest of a line that is too long to hold.
fn skip_line(input: &mut impl BufRead) -> std::io::Result<()> {
    loop {
        let buffer = input.fill_buf()?;
        if buffer.is_empty() {
            return Ok(());
        }
        match buffer.iter().position(|b| *b == b'\n') {
            Some(at) => {
                input.consume(at + 1);
                return Ok(());
            }
            None => {
                let len = buffer.len();
                input.consume(len);
            }
        }
    }
}

/// The reader's error without its position on the line's first (and only)
/// line: the report gives the line number itself.
fn malformed(error: &str) -> String {
    error.strip_prefix("line 1, ").unwrap_or(error).to_owned()
}

/// The most characters of a name a finding keeps: no schema name is
/// longer than 64, so a longer one is shown by its start.
const NAME_CHARS: usize = 128;

/// The most characters of a message a finding keeps.
const MESSAGE_CHARS: usize = 1024;

/// `text`, cut after `max` characters (with `…`): what a finding holds of
/// text from the input, so that the report's memory stays bounded however
/// long the names in a line are.
fn shortened(text: &str, max: usize) -> String {
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
    message: String,
) -> Finding {
    Finding {
        line,
        count: 1,
        kind,
        event: event.map(|e| shortened(e, NAME_CHARS)),
        field: field.map(|f| shortened(f, NAME_CHARS)),
        message: shortened(&message, MESSAGE_CHARS),
    }
}

struct Checker<'m, 'r> {
    model: &'m EventModel,
    target: Version,
    line: u64,
    report: &'r mut Report,
    limits: &'r Limits,
    recognised: &'r HashMap<&'m str, Option<Vec<&'m str>>>,
}

impl Checker<'_, '_> {
    fn push(
        &mut self,
        kind: FindingKind,
        event: Option<&str>,
        field: Option<&str>,
        message: String,
    ) {
        let finding = finding(self.line, kind, event, field, message);
        self.report.add(self.limits, finding);
    }

    fn event(&mut self, raw: &RawEvent<'_>) {
        let Some(name) = raw.name.as_deref() else {
            self.push(
                FindingKind::Malformed,
                None,
                None,
                "the event has no name; include `name` in the exporter's `exporter_include` \
                 to check it"
                    .to_owned(),
            );
            return;
        };
        let Some(event) = self.model.events.get(name) else {
            let hint = did_you_mean(name, self.model.events.keys().map(String::as_str))
                .map_or_else(String::new, |s| format!(" (did you mean `{s}`?)"));
            self.push(
                FindingKind::UnknownEvent,
                Some(name),
                None,
                format!("the schema has no event of this name{hint}"),
            );
            return;
        };
        if let Some(message) = availability(
            "event",
            event.lifetime.status_at(self.target),
            event.renamed_to.as_deref(),
            self.target,
        ) {
            // One fact: the fields of an event the target does not send
            // cannot be judged against it.
            self.push(FindingKind::EventNotInTarget, Some(name), None, message);
            return;
        }
        for (field_name, value) in raw.fields.iter() {
            self.field(event, &raw.categories, field_name, value);
        }
    }

    fn field(&mut self, event: &Event, categories: &[Cow<'_, str>], name: &str, value: &Value<'_>) {
        let Some(field) = event.field(name) else {
            let elsewhere = self.contexts_with(name);
            if !elsewhere.is_empty() {
                self.push(
                    FindingKind::UnknownField,
                    Some(&event.name),
                    Some(name),
                    format!(
                        "the field comes with the {} context{}, which the schema does not list as a possible parent of this event",
                        list(&elsewhere),
                        if elsewhere.len() == 1 { "" } else { "s" }
                    ),
                );
                return;
            }
            let hint = did_you_mean(
                name,
                event
                    .fields
                    .iter()
                    .filter(|f| !f.pattern)
                    .map(|f| f.name.as_str()),
            )
            .map_or_else(String::new, |s| format!(" (did you mean `{s}`?)"));
            self.push(
                FindingKind::UnknownField,
                Some(&event.name),
                Some(name),
                format!("the schema does not list this field for the event{hint}"),
            );
            return;
        };
        if !field.emitted {
            self.push(
                FindingKind::FieldNotInTarget,
                Some(&event.name),
                Some(name),
                "Dovecot's docs list this field, but no release of Dovecot sends it".to_owned(),
            );
        } else if let Some(message) = availability(
            "field",
            field.lifetime.status_at(self.target),
            field.renamed_to.as_deref(),
            self.target,
        ) {
            self.push(
                FindingKind::FieldNotInTarget,
                Some(&event.name),
                Some(name),
                message,
            );
        }
        if let Some(message) = self.implausible(field, categories) {
            self.push(
                FindingKind::FieldNotInContext,
                Some(&event.name),
                Some(name),
                message,
            );
        }
        let ty = field.type_at(self.target);
        match value.fit(ty.repr(field.unit)) {
            Ok(Fit::Truncated) => {}
            Ok(Fit::Typed) if ty == FieldType::Enum => self.enum_value(event, field, value),
            Ok(Fit::Typed) => {}
            Err(error) => self.push(
                FindingKind::WrongType,
                Some(&event.name),
                Some(name),
                format!("expected {}, found {}", error.expected, error.found),
            ),
        }
    }

    /// The contexts of the model that set a field called `name`.
    fn contexts_with(&self, name: &str) -> Vec<&str> {
        self.model
            .groups
            .values()
            .filter(|g| g.context.is_some() && g.fields.iter().any(|f| f.matches(name)))
            .map(|g| g.name.as_str())
            .collect()
    }

    /// Why `field` cannot be on an event with these categories: it comes
    /// only with contexts whose identifying categories are all missing.
    /// Nothing can be said when the export leaves out categories.
    fn implausible(&self, field: &Field, categories: &[Cow<'_, str>]) -> Option<String> {
        if field.contexts.is_empty() || categories.is_empty() {
            return None;
        }
        let mut needed: Vec<String> = Vec::new();
        for name in &field.contexts {
            match self.recognised.get(name.as_str())? {
                None => return None,
                Some(marks) if marks.iter().any(|m| categories.iter().any(|c| c == m)) => {
                    return None;
                }
                Some(marks) => needed.push(format!("{name} (category {})", list(marks))),
            }
        }
        Some(format!(
            "the field comes only with the context{} {}, but the event's categories ({}) show none of them",
            if needed.len() == 1 { "" } else { "s" },
            needed.join(", "),
            list(&categories.iter().map(|c| &**c).collect::<Vec<_>>()),
        ))
    }

    fn enum_value(&mut self, event: &Event, field: &Field, value: &Value<'_>) {
        // Only the start of a long value is shown (and compared).
        let (Some(enum_name), Value::Str(text)) = (&field.enum_name, value) else {
            return;
        };
        let Some(def) = self.model.enums.get(enum_name) else {
            return;
        };
        let target = self.target;
        let live: Vec<&str> = def
            .values
            .iter()
            .filter(|v| v.lifetime.exists_in(target))
            .map(|v| v.name.as_str())
            .collect();
        if !live.contains(&&**text) {
            let mut listed = String::new();
            for (i, name) in live.iter().enumerate() {
                let sep = match i {
                    0 => "",
                    _ if i + 1 == live.len() => " or ",
                    _ => ", ",
                };
                let _ = write!(listed, "{sep}`{name}`");
            }
            self.push(
                FindingKind::UnknownEnumValue,
                Some(&event.name),
                Some(&field.name),
                format!(
                    "value `{}` is not one Dovecot {target} sends for this field; it sends \
                     {listed}",
                    shortened(text, NAME_CHARS)
                ),
            );
        }
    }
}

/// `a`, `` `a` or `b` `` style: names in backticks joined for a sentence.
fn list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// Why release `target` does not have an event or field in `status`, or
/// `None` when it does.
fn availability(
    what: &str,
    status: Status,
    renamed_to: Option<&str>,
    target: Version,
) -> Option<String> {
    match status {
        Status::Current | Status::Deprecated { .. } => None,
        Status::NotYet { since } => Some(format!(
            "Dovecot {since} is the first release that sends this {what}; Dovecot {target} does not"
        )),
        Status::Removed { since } => {
            let mut message = format!(
                "Dovecot {since} stopped sending this {what}, so Dovecot {target} does not send it"
            );
            if let Some(new) = renamed_to {
                let _ = write!(message, "; from {since} on it is called `{new}`");
            }
            Some(message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_format() {
        assert_eq!(InputFormat::detect(b"  {\"event\":1}"), InputFormat::Json);
        assert_eq!(
            InputFormat::detect(b"event:x\tfield:a=1"),
            InputFormat::TabText
        );
    }
}
