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

use std::io::BufRead;
use std::sync::Arc;

use dovecot_events::RawEvent;
use dovecot_events::Repr;
use dovecot_events_codegen::Version;
use dovecot_events_codegen::lookup::{Found, Lookup, NameMap};
use dovecot_events_codegen::model::EventModel;
use dovecot_events_codegen::model::FieldType;
use serde::Serialize;

mod checks;
mod report;

use checks::{Checker, Memo, malformed};
pub use report::{Finding, FindingKind, Limits, Report};

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

/// One exported event's entries in the schema, found once for every
/// check that reads the event: the event, and per field in the order sent
/// its position in the event's `fields` (`None`: the schema has no such
/// event or field).
#[derive(Debug, Default)]
pub struct Matched<'l> {
    /// The event.
    pub event: Option<Found<'l>>,
    /// Per field of the exported event, in its order.
    pub fields: Vec<Option<usize>>,
}

impl<'l> Matched<'l> {
    /// Finds `raw`'s event and fields, reusing this value's memory.
    pub fn find(&mut self, lookup: &'l Lookup<'_>, raw: &RawEvent<'_>) {
        self.fields.clear();
        self.event = raw.name.as_deref().and_then(|name| lookup.event(name));
        if let Some(found) = &self.event {
            self.fields
                .extend(raw.fields.iter().map(|(name, _)| found.field_index(name)));
        }
    }

    /// Field number `i`'s type at the lookup's target, with its
    /// representation in the runtime.
    #[must_use]
    pub fn field_type(&self, i: usize) -> Option<(FieldType, Repr)> {
        let index = (*self.fields.get(i)?)?;
        self.event?.field_type(index)
    }
}

/// Checks events one at a time, as they arrive (the loop of [`verify`],
/// and a live receiver's check): each finding goes into one [`Report`].
pub struct Verifier<'m> {
    /// The model and target, and how events are found in it.
    lookup: Arc<Lookup<'m>>,
    /// The memory of the last [`Matched`] made here, for the next.
    scratch: Vec<Option<usize>>,
    memo: Memo,
    limits: Limits,
    report: Report,
    /// Per context, the categories that show it at the target (`None`:
    /// none can), asked for every field a context brings.
    recognised: NameMap<'m, Option<Vec<&'m str>>>,
    /// A number for each category in `recognised`.
    marks: NameMap<'m, u32>,
}

impl<'m> Verifier<'m> {
    /// A verifier of events against `model` as of release `target`.
    #[must_use]
    pub fn new(model: &'m EventModel, target: Version, limits: Limits) -> Self {
        Verifier::with_lookup(Arc::new(Lookup::new(model, target)), limits)
    }

    /// A verifier that finds events through `lookup` (shared with other
    /// verifiers or with the caller's own [`Matched`]), against the
    /// lookup's target.
    #[must_use]
    pub fn with_lookup(lookup: Arc<Lookup<'m>>, limits: Limits) -> Self {
        let model = lookup.model();
        let target = lookup.target();
        let recognised: NameMap<'m, Option<Vec<&'m str>>> = model
            .groups
            .values()
            .filter(|group| group.context.is_some())
            .map(|group| {
                let marks = group.recognised_in(target, &model.categories);
                (group.name.as_str(), marks)
            })
            .collect();
        let mut marks = NameMap::default();
        for mark in recognised.values().flatten().flatten() {
            let next = u32::try_from(marks.len()).unwrap_or(u32::MAX);
            marks.entry(*mark).or_insert(next);
        }
        Verifier {
            lookup,
            scratch: Vec::new(),
            memo: Memo::default(),
            limits,
            report: Report {
                target: Some(target),
                ..Report::default()
            },
            recognised,
            marks,
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
        let lookup = self.lookup.clone();
        let mut matched = Matched {
            event: None,
            fields: std::mem::take(&mut self.scratch),
        };
        matched.find(&lookup, event);
        self.matched(number, event, &matched);
        self.scratch = matched.fields;
    }

    /// Checks one event already read and matched against the schema (by
    /// this verifier's [`Lookup`] or one of the same model).
    pub fn matched(&mut self, number: u64, event: &RawEvent<'_>, matched: &Matched<'_>) {
        self.report.events += 1;
        self.checker(number).event(event, matched);
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
            model: self.lookup.model(),
            target: self.lookup.target(),
            line,
            report: &mut self.report,
            limits: &self.limits,
            recognised: &self.recognised,
            marks: &self.marks,
            memo: &mut self.memo,
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

    /// Lines checked by two verifiers (as a receiver's threads check them)
    /// and merged give the report one verifier gives for all of them, and
    /// a repeated fact counts as often as without the memo of facts.
    #[test]
    fn shards_merge_into_the_whole_report() {
        let model = dovecot_events_codegen::load_embedded().expect("embedded schema");
        let target: Version = "2.4.1".parse().expect("version");
        let lines = [
            r#"{"event":"imap_command_finished","categories":["imap"],"fields":{"cmd_name":"SELECT","bytes_in":1}}"#,
            r#"{"event":"imap_command_finished","categories":["imap"],"fields":{"cmd_name":"NOOP","bytes_in":2,"bogus":3}}"#,
            r#"{"event":"no_such_event"}"#,
            r#"{"event":"imap_command_finished","categories":["imap"],"fields":{"bytes_in":"x"}}"#,
            r#"{"event":"imap_command_finished","categories":["smtp-server"],"fields":{"user":"a"}}"#,
            r#"{"event":"imap_command_finished","categories":["imap"],"fields":{"bytes_in":3}}"#,
            "not an event",
        ];
        let limits = Limits::default();
        let mut whole = Verifier::new(&model, target, limits);
        let lookup = Arc::new(Lookup::new(&model, target));
        let mut parts = [
            Verifier::with_lookup(lookup.clone(), limits),
            Verifier::with_lookup(lookup, limits),
        ];
        for (i, line) in lines.iter().enumerate() {
            let number = i as u64 + 1;
            whole.line(number, line.as_bytes(), InputFormat::Json);
            parts[i % 2].line(number, line.as_bytes(), InputFormat::Json);
        }
        let whole = whole.finish();
        let merged = Report::merged([parts[0].report(), parts[1].report()], &limits);
        assert_eq!(merged.findings, whole.findings);
        assert_eq!(
            (merged.events, merged.total, merged.unlisted),
            (whole.events, whole.total, whole.unlisted)
        );
        assert_eq!(whole.events, 7);
        let bytes_in = whole
            .findings
            .iter()
            .find(|f| {
                f.field.as_deref() == Some("bytes_in") && f.kind == FindingKind::FieldNotInTarget
            })
            .expect("bytes_in is gone in 2.4");
        assert_eq!((bytes_in.line, bytes_in.count), (1, 4));
    }
}
