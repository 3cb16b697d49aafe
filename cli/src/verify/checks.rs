//! The checks of one event against the schema, and the wording of their findings.

use std::borrow::Cow;
use std::fmt::Write as _;

use dovecot_events::{Fit, RawEvent, Value};
use dovecot_events_codegen::diag::did_you_mean;
use dovecot_events_codegen::lookup::{Found, NameMap};
use dovecot_events_codegen::model::{Event, EventModel, Field, FieldType};
use dovecot_events_codegen::{Status, Version};

use super::Matched;
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
    pub(super) recognised: &'r NameMap<'m, Option<Vec<&'m str>>>,
    /// A number for each category that shows a context.
    pub(super) marks: &'r NameMap<'m, u32>,
    pub(super) memo: &'r mut Memo,
}

/// What the checks made of each event and field of the model, by event
/// number and field index: what depends only on the target (whether the
/// release sends it, which categories show a field's contexts) and the last
/// finding of a field whose event's categories show none of them. A live
/// check meets the same facts again and again; a repeat then costs a
/// lookup instead of composing the finding's message again.
#[derive(Debug, Default)]
pub(super) struct Memo {
    events: Vec<Option<EventMemo>>,
    /// Every distinct [`Needs`] of a field met so far, numbered for
    /// [`FieldMemo::needs`]: fields of one context share one.
    needs: Vec<Needs>,
    /// The last time a field (event number, field index) came with
    /// categories that show none of its contexts; rare, so kept apart
    /// from what every event reads.
    misplaced: std::collections::HashMap<(usize, usize), Misplaced>,
    /// The numbers (in [`Checker::marks`]) of the categories of the event
    /// being checked.
    shown: Vec<u32>,
    /// Per field of the event being checked, what is remembered of it:
    /// whether the target sends it, and whether the event's categories
    /// show one of its contexts.
    known: Vec<(Option<Verdict>, Option<bool>)>,
}

#[derive(Debug)]
struct EventMemo {
    status: Verdict,
    /// Per field, in 8 bytes, so that the facts of an event's fields lie
    /// close together (a receiver interleaves many events, and the memory
    /// of each is seldom in the processor's cache).
    fields: Vec<FieldMemo>,
}

#[derive(Clone, Copy, Debug, Default)]
struct FieldMemo {
    /// Whether the target sends it ([`Verdict::code`]; 0: not known yet).
    sent: u32,
    /// Its [`Needs`]: 0 not known yet, else one more than its number in
    /// [`Memo::needs`].
    needs: u32,
}

/// A field on an event whose categories show none of its contexts.
#[derive(Clone, Debug)]
struct Misplaced {
    /// The name it was sent as (a pattern matches several).
    name: Box<str>,
    categories: Box<[Box<str>]>,
    /// Where the finding is listed.
    at: Option<usize>,
}

/// What a field needs of its event's categories to be plausible.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Needs {
    /// Nothing: it comes with no context, or with one the categories
    /// cannot tell.
    Nothing,
    /// One of these categories (by number), when the event has any.
    AnyOf(Vec<u32>),
}

impl Needs {
    /// Whether an event whose categories have the numbers `shown` meets it.
    fn met(&self, shown: &[u32]) -> bool {
        match self {
            Needs::Nothing => true,
            Needs::AnyOf(any) => any.iter().any(|mark| shown.contains(mark)),
        }
    }
}

/// A fact's finding: none, listed in the report at an index, or beyond
/// the report's limit.
#[derive(Clone, Copy, Debug)]
enum Verdict {
    Clean,
    Found(Option<usize>),
}

impl Verdict {
    /// The verdict as a non-zero number, or 0 for one too large to keep
    /// (which is then judged again, at a cost, when next met).
    fn code(self) -> u32 {
        match self {
            Verdict::Clean => 1,
            Verdict::Found(None) => 2,
            Verdict::Found(Some(at)) => u32::try_from(at)
                .ok()
                .and_then(|at| at.checked_add(3))
                .unwrap_or(0),
        }
    }

    fn from_code(code: u32) -> Option<Verdict> {
        match code {
            0 => None,
            1 => Some(Verdict::Clean),
            2 => Some(Verdict::Found(None)),
            n => Some(Verdict::Found(usize::try_from(n - 3).ok())),
        }
    }
}

impl Checker<'_, '_> {
    /// Adds a finding; returns where the report lists it.
    pub(super) fn push(
        &mut self,
        kind: FindingKind,
        event: Option<&str>,
        field: Option<&str>,
        message: String,
    ) -> Option<usize> {
        self.report
            .add(self.limits, self.line, kind, event, field, &message)
    }

    pub(super) fn event(&mut self, raw: &RawEvent<'_>, matched: &Matched<'_>) {
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
        let Some(found) = matched.event else {
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
        let event = found.event;
        let remembered = self
            .memo
            .events
            .get(found.number)
            .and_then(Option::as_ref)
            .map(|memo| memo.status);
        let status = self.verdict(
            remembered,
            FindingKind::EventNotInTarget,
            Some(name),
            None,
            |checker| {
                availability(
                    "event",
                    event.lifetime.status_at(checker.target),
                    event.renamed_to.as_deref(),
                    checker.target,
                )
            },
        );
        if remembered.is_none() {
            if self.memo.events.len() <= found.number {
                self.memo.events.resize_with(found.number + 1, || None);
            }
            self.memo.events[found.number] = Some(EventMemo {
                status,
                fields: vec![FieldMemo::default(); event.fields.len()],
            });
        }
        if let Verdict::Found(_) = status {
            // One fact: the fields of an event the target does not send
            // cannot be judged against it.
            return;
        }
        self.memo.shown.clear();
        for category in &raw.categories {
            if let Some(&mark) = self.marks.get(category.as_ref()) {
                self.memo.shown.push(mark);
            }
        }
        // What is remembered of every field is read before any of it is
        // used: the reads do not depend on each other, so the processor
        // overlaps their cache misses instead of waiting for one per field
        // (the memory of the many events a receiver interleaves is seldom
        // in the cache).
        let mut known = std::mem::take(&mut self.memo.known);
        known.clear();
        if let Some(Some(memo)) = self.memo.events.get(found.number) {
            let (shown, needs) = (&self.memo.shown, &self.memo.needs);
            known.extend(matched.fields.iter().map(|index| {
                let Some(place) = index.and_then(|i| memo.fields.get(i)) else {
                    return (None, None);
                };
                (
                    Verdict::from_code(place.sent),
                    place
                        .needs
                        .checked_sub(1)
                        .and_then(|n| needs.get(n as usize))
                        .map(|needs| needs.met(shown)),
                )
            }));
        }
        for (i, (field_name, value)) in raw.fields.iter().enumerate() {
            let index = matched.fields.get(i).copied().flatten();
            let remembered = known.get(i).copied().unwrap_or((None, None));
            self.field(found, &raw.categories, field_name, value, index, remembered);
        }
        self.memo.known = known;
    }

    fn field(
        &mut self,
        found: Found<'_>,
        categories: &[Cow<'_, str>],
        name: &str,
        value: &Value<'_>,
        index: Option<usize>,
        (remembered, fits): (Option<Verdict>, Option<bool>),
    ) {
        let (number, event) = (found.number, found.event);
        let Some((index, field, (ty, repr))) =
            index.and_then(|i| Some((i, event.fields.get(i)?, found.field_type(i)?)))
        else {
            self.unknown_field(event, name);
            return;
        };
        // Read again when not remembered before this event: an earlier
        // field of it may have been the same one.
        let remembered = remembered.or_else(|| {
            self.memo
                .events
                .get(number)
                .and_then(Option::as_ref)
                .and_then(|memo| Verdict::from_code(memo.fields.get(index)?.sent))
        });
        let sent = self.verdict(
            remembered,
            FindingKind::FieldNotInTarget,
            Some(&event.name),
            Some(name),
            |checker| checker.status(field),
        );
        if remembered.is_none()
            && let Some(Some(memo)) = self.memo.events.get_mut(number)
            && let Some(place) = memo.fields.get_mut(index)
        {
            place.sent = sent.code();
        }
        if !categories.is_empty() && !fits.unwrap_or_else(|| self.fits(number, index, field)) {
            self.misplaced(found, index, field, name, categories);
        }
        match value.fit(repr) {
            Ok(Fit::Truncated) => {}
            Ok(Fit::Typed) if ty == FieldType::Enum => self.enum_value(event, field, value),
            Ok(Fit::Typed) => {}
            Err(error) => {
                self.push(
                    FindingKind::WrongType,
                    Some(&event.name),
                    Some(name),
                    format!("expected {}, found {}", error.expected, error.found),
                );
            }
        }
    }

    /// The `remembered` verdict of a fact, its finding counted once more;
    /// or, when none is remembered, the verdict `judge` gives (a message:
    /// a finding of `kind`, pushed).
    fn verdict(
        &mut self,
        remembered: Option<Verdict>,
        kind: FindingKind,
        event: Option<&str>,
        field: Option<&str>,
        judge: impl FnOnce(&Self) -> Option<String>,
    ) -> Verdict {
        if let Some(verdict) = remembered {
            if let Verdict::Found(at) = verdict {
                self.report.repeated(at);
            }
            return verdict;
        }
        match judge(self) {
            None => Verdict::Clean,
            Some(message) => Verdict::Found(self.push(kind, event, field, message)),
        }
    }

    /// Whether field `index` of event `number` may come with the event's
    /// categories ([`Memo::shown`]): whether one of them shows one of its
    /// contexts, or nothing can be told.
    fn fits(&mut self, number: usize, index: usize, field: &Field) -> bool {
        let Some(place) = self
            .memo
            .events
            .get(number)
            .and_then(Option::as_ref)
            .and_then(|memo| memo.fields.get(index))
        else {
            return true;
        };
        if let Some(needs) = place.needs.checked_sub(1)
            && let Some(needs) = self.memo.needs.get(needs as usize)
        {
            return needs.met(&self.memo.shown);
        }
        let needs = self.needs(field);
        let met = needs.met(&self.memo.shown);
        let known = match self.memo.needs.iter().position(|n| *n == needs) {
            Some(at) => at,
            None => {
                self.memo.needs.push(needs);
                self.memo.needs.len() - 1
            }
        };
        if let Some(Some(memo)) = self.memo.events.get_mut(number)
            && let Some(place) = memo.fields.get_mut(index)
        {
            place.needs = u32::try_from(known)
                .ok()
                .and_then(|n| n.checked_add(1))
                .unwrap_or(0);
        }
        met
    }

    /// What `field` needs of its event's categories.
    fn needs(&self, field: &Field) -> Needs {
        let mut any = Vec::new();
        for context in &field.contexts {
            match self.recognised.get(context.as_str()) {
                Some(Some(marks)) => {
                    any.extend(marks.iter().filter_map(|m| self.marks.get(m).copied()));
                }
                _ => return Needs::Nothing,
            }
        }
        if field.contexts.is_empty() {
            Needs::Nothing
        } else {
            Needs::AnyOf(any)
        }
    }

    fn unknown_field(&mut self, event: &Event, name: &str) {
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
    }

    /// Why the target does not send `field`, if it does not.
    fn status(&self, field: &Field) -> Option<String> {
        if field.emitted {
            availability(
                "field",
                field.lifetime.status_at(self.target),
                field.renamed_to.as_deref(),
                self.target,
            )
        } else {
            Some("Dovecot's docs list this field, but no release of Dovecot sends it".to_owned())
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

    /// Reports `field` (index `index` of the event) on an event with
    /// `categories`, which show none of its contexts. The finding's message
    /// names the categories, so a repeat with the same ones is counted
    /// without composing it again.
    fn misplaced(
        &mut self,
        found: Found<'_>,
        index: usize,
        field: &Field,
        name: &str,
        categories: &[Cow<'_, str>],
    ) {
        let same = |seen: &Misplaced| {
            *seen.name == *name
                && seen.categories.len() == categories.len()
                && seen
                    .categories
                    .iter()
                    .zip(categories)
                    .all(|(a, b)| **a == **b)
        };
        let place = self.memo.misplaced.get(&(found.number, index));
        if let Some(seen) = place.filter(|seen| same(seen)) {
            let at = seen.at;
            self.report.repeated(at);
            return;
        }
        let Some(message) = self.implausible(field, categories) else {
            return;
        };
        let at = self.push(
            FindingKind::FieldNotInContext,
            Some(&found.event.name),
            Some(name),
            message,
        );
        self.memo.misplaced.insert(
            (found.number, index),
            Misplaced {
                name: name.into(),
                categories: categories.iter().map(|c| Box::from(&**c)).collect(),
                at,
            },
        );
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
        // The common case, a value the release sends, allocates nothing.
        if def
            .values
            .iter()
            .any(|v| v.name == **text && v.lifetime.exists_in(target))
        {
            return;
        }
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
