//! Holds exported events against the schema for one target Dovecot release.
//!
//! This is what `dovecot-eventgen verify` runs. It reads Dovecot's event
//! exporter output (JSON lines or tab-text) with its own small reader, because
//! the schema given on the command line may differ from the one the
//! `dovecot-events` crate was generated from.

use std::fmt::{self, Write as _};
use std::net::IpAddr;

use serde::Serialize;

use crate::diag::did_you_mean;
use crate::model::{Event, EventModel, Field, FieldType};
use crate::version::Version;

/// Re-exported: the same patterns as the emitters use.
pub use crate::select::pattern_matches;

/// The two serialisations of Dovecot's event exporter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputFormat {
    /// `format = json`: one JSON object per line.
    Json,
    /// `format = tab-text`: one line of tab-separated `key:value` parts.
    TabText,
}

impl InputFormat {
    /// Guesses the format from the first non-blank line: JSON starts with `{`.
    #[must_use]
    pub fn detect(input: &[u8]) -> InputFormat {
        let first = input
            .split(|b| *b == b'\n')
            .find(|line| line.iter().any(|b| !b.is_ascii_whitespace()));
        match first.and_then(|line| line.iter().find(|b| !b.is_ascii_whitespace())) {
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
    /// The value does not have the field's type.
    WrongType,
    /// An enum field carries a value the schema does not list for the target.
    UnknownEnumValue,
}

/// One problem found in the input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The 1-based line number in the input.
    pub line: usize,
    /// What the finding is about.
    pub kind: FindingKind,
    /// The event's name, when the line has one.
    pub event: Option<String>,
    /// The field's name, for field findings.
    pub field: Option<String>,
    /// A full-sentence explanation, with a fix where there is one.
    pub message: String,
}

/// The outcome of [`verify`].
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// The release the input was checked against.
    pub target: Option<Version>,
    /// How many non-blank lines were read.
    pub events: usize,
    /// Every problem, in input order.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Whether nothing was found.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
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
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for finding in &self.findings {
            write!(f, "line {}: ", finding.line)?;
            if let Some(event) = &finding.event {
                write!(f, "{event}: ")?;
            }
            if let Some(field) = &finding.field {
                write!(f, "field `{field}`: ")?;
            }
            writeln!(f, "{}", finding.message)?;
        }
        let target = self
            .target
            .map_or_else(String::new, |t| format!(" against Dovecot {t}"));
        let n = self.findings.len();
        write!(
            f,
            "{} event{} checked{target}: {}",
            self.events,
            if self.events == 1 { "" } else { "s" },
            if n == 0 {
                "no findings".to_owned()
            } else {
                format!("{n} finding{}", if n == 1 { "" } else { "s" })
            }
        )
    }
}

/// Checks every line of `input` against `model` as of release `target`.
///
/// Blank lines are skipped. A line that cannot be read is one
/// [`FindingKind::Malformed`] finding; it never stops the rest.
///
/// ```
/// use dovecot_events_codegen::verify::{self, FindingKind, InputFormat};
///
/// let model = dovecot_events_codegen::load_embedded().unwrap();
/// let input = br#"{"event":"imap_command_finished","fields":{"cmd_name":"SELECT","bogus":1}}"#;
/// let report = verify::verify(&model, input, InputFormat::Json, "2.3.19".parse().unwrap());
/// assert_eq!(report.findings.len(), 1);
/// assert_eq!(report.findings[0].kind, FindingKind::UnknownField);
/// ```
#[must_use]
pub fn verify(model: &EventModel, input: &[u8], format: InputFormat, target: Version) -> Report {
    let mut report = Report {
        target: Some(target),
        ..Report::default()
    };
    for (index, raw_line) in input.split(|b| *b == b'\n').enumerate() {
        let line = index + 1;
        let raw_line = raw_line.strip_suffix(b"\r").unwrap_or(raw_line);
        if raw_line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        report.events += 1;
        let parsed = std::str::from_utf8(raw_line)
            .map_err(|err| format!("the line is not valid UTF-8 ({err})"))
            .and_then(|text| match format {
                InputFormat::Json => read_json(text),
                InputFormat::TabText => read_tab_text(text),
            });
        match parsed {
            Ok(wire) => Checker {
                model,
                target,
                line,
                out: &mut report.findings,
            }
            .event(&wire),
            Err(message) => report.findings.push(Finding {
                line,
                kind: FindingKind::Malformed,
                event: None,
                field: None,
                message,
            }),
        }
    }
    report
}

/// A field value as it came off the wire.
#[derive(Debug)]
enum WireValue {
    Str(String),
    Int,
    Float,
    List(Vec<WireValue>),
    Other(&'static str),
}

/// The parts of one exported event the checker needs.
#[derive(Debug, Default)]
struct WireEvent {
    name: Option<String>,
    fields: Vec<(String, WireValue)>,
}

fn read_json(text: &str) -> Result<WireEvent, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|err| {
        // serde_json counts lines inside the document; the caller has the
        // real line number, so only the column is worth keeping.
        let message = err.to_string();
        let message = message.split(" at line ").next().unwrap_or_default();
        format!("not a JSON event: {message} at column {}", err.column())
    })?;
    let serde_json::Value::Object(object) = value else {
        return Err("not a JSON event: expected an object".to_owned());
    };
    let mut event = WireEvent::default();
    for (key, value) in object {
        match key.as_str() {
            "event" => match value {
                serde_json::Value::String(name) => event.name = Some(name),
                _ => return Err("the `event` member is not a string".to_owned()),
            },
            "fields" => match value {
                serde_json::Value::Object(fields) => {
                    event.fields = fields
                        .into_iter()
                        .map(|(name, value)| (name, json_value(value)))
                        .collect();
                }
                _ => return Err("the `fields` member is not an object".to_owned()),
            },
            _ => {}
        }
    }
    Ok(event)
}

fn json_value(value: serde_json::Value) -> WireValue {
    match value {
        serde_json::Value::String(text) => WireValue::Str(text),
        serde_json::Value::Number(n) if n.is_i64() || n.is_u64() => WireValue::Int,
        serde_json::Value::Number(_) => WireValue::Float,
        serde_json::Value::Array(items) => {
            WireValue::List(items.into_iter().map(json_value).collect())
        }
        serde_json::Value::Null => WireValue::Other("null"),
        serde_json::Value::Bool(_) => WireValue::Other("a boolean"),
        serde_json::Value::Object(_) => WireValue::Other("an object"),
    }
}

fn read_tab_text(text: &str) -> Result<WireEvent, String> {
    let mut event = WireEvent::default();
    for part in text.split('\t') {
        let part = tab_unescape(part)?;
        let Some((key, value)) = part.split_once(':') else {
            return Err(format!("tab-text part `{part}` has no `key:` prefix"));
        };
        match key {
            "event" => event.name = Some(value.to_owned()),
            "field" => {
                let Some((name, value)) = value.split_once('=') else {
                    return Err(format!("tab-text field `{value}` has no `=`"));
                };
                event
                    .fields
                    .push((name.to_owned(), WireValue::Str(value.to_owned())));
            }
            "hostname" | "start_time" | "end_time" | "category" => {}
            _ => return Err(format!("unknown tab-text part `{key}:`")),
        }
    }
    Ok(event)
}

/// Reverses Dovecot's tab escaping: `\x01` followed by `1`, `t`, `r`, `n`
/// or `0` stands for `\x01`, tab, CR, LF and NUL.
fn tab_unescape(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\x01' {
            out.push(c);
            continue;
        }
        out.push(match chars.next() {
            Some('1') => '\x01',
            Some('t') => '\t',
            Some('r') => '\r',
            Some('n') => '\n',
            Some('0') => '\0',
            other => {
                return Err(format!(
                    "invalid tab-text escape \\x01 followed by {}",
                    other.map_or("the end of the line".to_owned(), |c| format!("{c:?}"))
                ));
            }
        });
    }
    Ok(out)
}

struct Checker<'m, 'o> {
    model: &'m EventModel,
    target: Version,
    line: usize,
    out: &'o mut Vec<Finding>,
}

impl Checker<'_, '_> {
    fn push(&mut self, kind: FindingKind, event: &str, field: Option<&str>, message: String) {
        self.out.push(Finding {
            line: self.line,
            kind,
            event: Some(event.to_owned()),
            field: field.map(str::to_owned),
            message,
        });
    }

    fn event(&mut self, wire: &WireEvent) {
        let Some(name) = wire.name.as_deref() else {
            // Without a name (exporter_include without `name`) only the
            // global fields can be judged.
            self.out.push(Finding {
                line: self.line,
                kind: FindingKind::Malformed,
                event: None,
                field: None,
                message: "the event has no name; include `name` in the exporter's \
                          `exporter_include` to check it"
                    .to_owned(),
            });
            return;
        };
        let Some(event) = self.model.events.get(name) else {
            let hint = did_you_mean(name, self.model.events.keys().map(String::as_str))
                .map_or_else(String::new, |s| format!(" (did you mean `{s}`?)"));
            self.push(
                FindingKind::UnknownEvent,
                name,
                None,
                format!("the schema has no event of this name{hint}"),
            );
            return;
        };
        if let Some(message) = lifetime_problem(
            "the event",
            event.since,
            event.removed,
            event.renamed_to.as_deref(),
            self.target,
        ) {
            self.push(FindingKind::EventNotInTarget, name, None, message);
        }
        for (field_name, value) in &wire.fields {
            self.field(event, field_name, value);
        }
    }

    fn field(&mut self, event: &Event, name: &str, value: &WireValue) {
        let field = event
            .fields
            .iter()
            .find(|f| !f.pattern && f.name == name)
            .or_else(|| {
                event
                    .fields
                    .iter()
                    .find(|f| f.pattern && pattern_matches(&f.name, name))
            });
        let Some(field) = field else {
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
                &event.name,
                Some(name),
                format!("the schema does not list this field for the event{hint}"),
            );
            return;
        };
        if let Some(message) = lifetime_problem(
            "the field",
            field.since,
            field.removed,
            field.renamed_to.as_deref(),
            self.target,
        ) {
            self.push(
                FindingKind::FieldNotInTarget,
                &event.name,
                Some(name),
                message,
            );
        }
        let ty = type_at(field, self.target);
        if let Err(message) = check_type(ty, value) {
            self.push(FindingKind::WrongType, &event.name, Some(name), message);
            return;
        }
        if ty == FieldType::Enum {
            self.enum_value(event, field, value);
        }
    }

    fn enum_value(&mut self, event: &Event, field: &Field, value: &WireValue) {
        let (Some(enum_name), WireValue::Str(text)) = (&field.enum_name, value) else {
            return;
        };
        let Some(def) = self.model.enums.get(enum_name) else {
            return;
        };
        let target = self.target;
        let known = def.values.iter().any(|v| {
            v.name == *text
                && v.since.is_none_or(|s| s <= target)
                && v.removed.is_none_or(|r| r > target)
        });
        if !known {
            let listed: Vec<&str> = def.values.iter().map(|v| v.name.as_str()).collect();
            self.push(
                FindingKind::UnknownEnumValue,
                &event.name,
                Some(&field.name),
                format!(
                    "value `{text}` is not one of {} in Dovecot {target} (`{}`)",
                    enum_name,
                    listed.join("`, `")
                ),
            );
        }
    }
}

/// The field's wire type as of `target`, after any retyping changes.
fn type_at(field: &Field, target: Version) -> FieldType {
    field
        .changes
        .iter()
        .filter(|c| c.version <= target)
        .filter_map(|c| c.ty)
        .next_back()
        .unwrap_or(field.ty)
}

fn lifetime_problem(
    what: &str,
    since: Option<Version>,
    removed: Option<Version>,
    renamed_to: Option<&str>,
    target: Version,
) -> Option<String> {
    if let Some(since) = since.filter(|s| *s > target) {
        return Some(format!(
            "{what} first appears in Dovecot {since}, after the target {target}"
        ));
    }
    let removed = removed.filter(|r| *r <= target)?;
    let mut message =
        format!("{what} was removed in Dovecot {removed}, before the target {target}");
    if let Some(new) = renamed_to {
        let _ = write!(message, "; from {removed} on it is called `{new}`");
    }
    Some(message)
}

fn check_type(ty: FieldType, value: &WireValue) -> Result<(), String> {
    let expected = match ty {
        FieldType::String | FieldType::Enum => "a string",
        FieldType::Integer => "an integer",
        FieldType::Timestamp => "a timestamp (RFC 3339 text or Unix seconds)",
        FieldType::Ip => "an IP address",
        FieldType::StringList => "a list of strings",
        FieldType::Flag => "the flag value `yes`",
    };
    let ok = match (ty, value) {
        (FieldType::String | FieldType::Enum, WireValue::Str(_)) => true,
        (FieldType::Integer, WireValue::Int) => true,
        (FieldType::Integer, WireValue::Str(text)) => {
            text.parse::<i64>().is_ok() || text.parse::<u64>().is_ok()
        }
        (FieldType::Timestamp, WireValue::Int | WireValue::Float) => true,
        (FieldType::Timestamp, WireValue::Str(text)) => looks_like_timestamp(text),
        (FieldType::Ip, WireValue::Str(text)) => text.parse::<IpAddr>().is_ok(),
        (FieldType::StringList, WireValue::List(items)) => {
            items.iter().all(|item| matches!(item, WireValue::Str(_)))
        }
        // Tab-text joins a list into one string.
        (FieldType::StringList, WireValue::Str(_)) => true,
        (FieldType::Flag, WireValue::Str(text)) => text == "yes",
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("expected {expected}, found {}", describe(value)))
    }
}

fn looks_like_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    let rfc3339 = bytes.len() >= 20
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes[10] == b'T'
        && bytes[..4].iter().all(u8::is_ascii_digit);
    rfc3339 || text.parse::<f64>().is_ok_and(f64::is_finite)
}

fn describe(value: &WireValue) -> String {
    match value {
        WireValue::Str(text) => {
            let shown: String = text.chars().take(40).collect();
            let more = if shown.len() < text.len() { "…" } else { "" };
            format!("the string `{shown}{more}`")
        }
        WireValue::Int => "an integer".to_owned(),
        WireValue::Float => "a fractional number".to_owned(),
        WireValue::List(_) => "a list".to_owned(),
        WireValue::Other(what) => (*what).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(pattern_matches("id_param_*", "id_param_name"));
        assert!(pattern_matches("id_param_*", "id_param_"));
        assert!(!pattern_matches("id_param_*", "id_name"));
        assert!(pattern_matches("a*b*c", "axxbyyc"));
        assert!(!pattern_matches("a*b*c", "axxbyy"));
        assert!(pattern_matches("exact", "exact"));
    }

    #[test]
    fn tab_escapes() {
        assert_eq!(
            tab_unescape("a\x01tb\x011\x01n").as_deref(),
            Ok("a\tb\x01\n")
        );
        assert!(tab_unescape("bad\x01").is_err());
        assert!(tab_unescape("bad\x01x").is_err());
    }

    #[test]
    fn detects_format() {
        assert_eq!(InputFormat::detect(b"\n  {\"event\":1}"), InputFormat::Json);
        assert_eq!(
            InputFormat::detect(b"event:x\tfield:a=1"),
            InputFormat::TabText
        );
    }
}
