//! The checks of one event against the schema, and the wording of their findings.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;

use dovecot_events::{Fit, RawEvent, Value};
use dovecot_events_codegen::diag::did_you_mean;
use dovecot_events_codegen::model::{Event, EventModel, Field, FieldType};
use dovecot_events_codegen::{Status, Version};

use super::report::{FindingKind, Limits, NAME_CHARS, Report, shortened};

/// The reader's error without its position on the line's first (and only)
/// line: the report gives the line number itself.
pub(super) fn malformed(error: &str) -> String {
    error.strip_prefix("line 1, ").unwrap_or(error).to_owned()
}

pub(super) struct Checker<'m, 'r> {
    pub(super) model: &'m EventModel,
    pub(super) target: Version,
    pub(super) line: u64,
    pub(super) report: &'r mut Report,
    pub(super) limits: &'r Limits,
    pub(super) recognised: &'r HashMap<&'m str, Option<Vec<&'m str>>>,
}

impl Checker<'_, '_> {
    pub(super) fn push(
        &mut self,
        kind: FindingKind,
        event: Option<&str>,
        field: Option<&str>,
        message: String,
    ) {
        self.report
            .add(self.limits, self.line, kind, event, field, &message);
    }

    pub(super) fn event(&mut self, raw: &RawEvent<'_>) {
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
