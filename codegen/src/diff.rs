//! Field-level changes between two Dovecot releases (`dovecot-eventgen diff`).

use std::fmt::Write as _;

use serde::Serialize;

use crate::Version;
use crate::model::{Event, EventModel, FieldType};

/// Everything that differs between two releases.
#[derive(Clone, Debug, Serialize)]
pub struct Diff {
    /// The older release.
    pub from: Version,
    /// The newer release.
    pub to: Version,
    /// Events sent by `to` but not by `from` (renamed ones excluded).
    pub events_added: Vec<EventChange>,
    /// Events sent by `from` but not by `to` (renamed ones excluded).
    pub events_removed: Vec<EventChange>,
    /// Events whose name changed, old → new.
    pub events_renamed: Vec<Rename>,
    /// Field changes on events both releases send (under the same or a new
    /// name).
    pub fields: Vec<FieldChange>,
}

/// An added or removed event.
#[derive(Clone, Debug, Serialize)]
pub struct EventChange {
    /// The event's name.
    pub event: String,
    /// The release that made the change.
    pub version: Option<Version>,
}

/// A renamed event.
#[derive(Clone, Debug, Serialize)]
pub struct Rename {
    /// The name in `from`.
    pub old: String,
    /// The name in `to`.
    pub new: String,
    /// The first release with the new name.
    pub version: Option<Version>,
}

/// What happened to one field of one event.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum FieldChangeKind {
    /// The field appeared.
    Added,
    /// The field is no longer sent.
    Removed,
    /// The field is sent under a new name.
    Renamed {
        /// Its name in `to`.
        new: String,
    },
    /// The field's wire type changed.
    Retyped {
        /// Its type in `from`.
        old: FieldType,
        /// Its type in `to`.
        new: FieldType,
    },
}

/// One field change.
#[derive(Clone, Debug, Serialize)]
pub struct FieldChange {
    /// The event's name in `to`.
    pub event: String,
    /// The field's name (in `from` for removals and renames).
    pub field: String,
    /// What happened.
    #[serde(flatten)]
    pub kind: FieldChangeKind,
    /// The release that made the change.
    pub version: Option<Version>,
}

impl Diff {
    /// Whether `to` no longer sends something `from` sent under the same
    /// name: removals and renames.
    #[must_use]
    pub fn has_removals(&self) -> bool {
        !self.events_removed.is_empty()
            || !self.events_renamed.is_empty()
            || self.fields.iter().any(|f| {
                matches!(
                    f.kind,
                    FieldChangeKind::Removed | FieldChangeKind::Renamed { .. }
                )
            })
    }

    /// Whether the releases send the same events and fields.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.events_added.is_empty()
            && self.events_removed.is_empty()
            && self.events_renamed.is_empty()
            && self.fields.is_empty()
    }
}

/// Follows `renamed_to` from `name` while the renames happened by `to`.
fn rename_target<'m>(model: &'m EventModel, event: &'m Event, to: Version) -> Option<&'m Event> {
    let mut current = event;
    for _ in 0..16 {
        let next = model.events.get(current.renamed_to.as_deref()?)?;
        if next.exists_in(to) {
            return Some(next);
        }
        current = next;
    }
    None
}

/// The changes from release `from` to release `to` (`from` < `to`; if not,
/// the result describes going back).
#[must_use]
pub fn diff(model: &EventModel, from: Version, to: Version) -> Diff {
    let mut out = Diff {
        from,
        to,
        events_added: Vec::new(),
        events_removed: Vec::new(),
        events_renamed: Vec::new(),
        fields: Vec::new(),
    };
    let mut renamed_into = std::collections::BTreeSet::new();
    for event in model.events.values() {
        let (before, after) = (event.exists_in(from), event.exists_in(to));
        if before && !after {
            if let Some(new) = rename_target(model, event, to) {
                renamed_into.insert(new.name.as_str());
                out.events_renamed.push(Rename {
                    old: event.name.clone(),
                    new: new.name.clone(),
                    version: event.lifetime.removed,
                });
                field_changes(event, new, from, to, &mut out.fields);
            } else {
                out.events_removed.push(EventChange {
                    event: event.name.clone(),
                    version: event.lifetime.removed,
                });
            }
        } else if before && after {
            field_changes(event, event, from, to, &mut out.fields);
        }
    }
    for event in model.events.values() {
        if !event.exists_in(from)
            && event.exists_in(to)
            && !renamed_into.contains(event.name.as_str())
        {
            out.events_added.push(EventChange {
                event: event.name.clone(),
                version: event.lifetime.since,
            });
        }
    }
    out
}

fn field_changes(old: &Event, new: &Event, from: Version, to: Version, out: &mut Vec<FieldChange>) {
    let mut renamed_into = std::collections::BTreeSet::new();
    for field in old.fields.iter().filter(|f| f.exists_in(from)) {
        let push = |out: &mut Vec<FieldChange>, kind| {
            out.push(FieldChange {
                event: new.name.clone(),
                field: field.name.clone(),
                kind,
                version: field.lifetime.removed,
            });
        };
        match new.fields.iter().find(|f| f.name == field.name) {
            Some(same) if same.exists_in(to) => {
                let (a, b) = (field.type_at(from), same.type_at(to));
                if a != b {
                    let version = same
                        .changes
                        .iter()
                        .filter(|c| c.ty.is_some() && c.version > from && c.version <= to)
                        .map(|c| c.version)
                        .next_back();
                    out.push(FieldChange {
                        event: new.name.clone(),
                        field: field.name.clone(),
                        kind: FieldChangeKind::Retyped { old: a, new: b },
                        version,
                    });
                }
            }
            _ => match field
                .renamed_to
                .as_deref()
                .and_then(|n| new.fields.iter().find(|f| f.name == n && f.exists_in(to)))
            {
                Some(target) => {
                    renamed_into.insert(target.name.as_str());
                    push(
                        out,
                        FieldChangeKind::Renamed {
                            new: target.name.clone(),
                        },
                    );
                }
                None => push(out, FieldChangeKind::Removed),
            },
        }
    }
    for field in new.fields.iter().filter(|f| f.exists_in(to)) {
        let existed = old
            .fields
            .iter()
            .any(|f| f.name == field.name && f.exists_in(from));
        if !existed && !renamed_into.contains(field.name.as_str()) {
            out.push(FieldChange {
                event: new.name.clone(),
                field: field.name.clone(),
                kind: FieldChangeKind::Added,
                version: field.lifetime.since,
            });
        }
    }
}

fn at(version: Option<Version>) -> String {
    version.map_or_else(String::new, |v| format!(" ({v})"))
}

impl Diff {
    /// Plain text, one change per line.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut out = format!("Dovecot {} → {}\n", self.from, self.to);
        if self.is_empty() {
            out.push_str("No event or field changed between these releases.\n");
            return out;
        }
        out.push_str(
            "Legend: + added, - removed, ~ renamed (old → new), * type changed (old → new); \
             the release that made the change is in parentheses.\n",
        );
        for e in &self.events_added {
            let _ = writeln!(out, "+ event {}{}", e.event, at(e.version));
        }
        for e in &self.events_removed {
            let _ = writeln!(out, "- event {}{}", e.event, at(e.version));
        }
        for r in &self.events_renamed {
            let _ = writeln!(out, "~ event {} → {}{}", r.old, r.new, at(r.version));
        }
        for f in &self.fields {
            let line = match &f.kind {
                FieldChangeKind::Added => format!("+ field {}.{}", f.event, f.field),
                FieldChangeKind::Removed => format!("- field {}.{}", f.event, f.field),
                FieldChangeKind::Renamed { new } => {
                    format!("~ field {}.{} → {new}", f.event, f.field)
                }
                FieldChangeKind::Retyped { old, new } => format!(
                    "* field {}.{}: {} → {}",
                    f.event,
                    f.field,
                    old.as_str(),
                    new.as_str()
                ),
            };
            let _ = writeln!(out, "{line}{}", at(f.version));
        }
        let _ = writeln!(out, "{}", self.summary());
        out
    }

    /// One sentence counting the changes of each kind.
    #[must_use]
    pub fn summary(&self) -> String {
        let count = |kind: fn(&FieldChangeKind) -> bool| {
            self.fields.iter().filter(|f| kind(&f.kind)).count()
        };
        let events = [
            (self.events_added.len(), "added"),
            (self.events_removed.len(), "removed"),
            (self.events_renamed.len(), "renamed"),
        ];
        let fields = [
            (count(|k| *k == FieldChangeKind::Added), "added"),
            (count(|k| *k == FieldChangeKind::Removed), "removed"),
            (
                count(|k| matches!(k, FieldChangeKind::Renamed { .. })),
                "renamed",
            ),
            (
                count(|k| matches!(k, FieldChangeKind::Retyped { .. })),
                "with a new type",
            ),
        ];
        format!(
            "In all: {} {}; {} {}.",
            counted(
                self.events_added.len() + self.events_removed.len() + self.events_renamed.len(),
                "event change"
            ),
            changes(&events),
            counted(self.fields.len(), "field change"),
            changes(&fields),
        )
    }

    /// A Markdown section with one table per kind of change.
    #[must_use]
    pub fn to_markdown(&self) -> String {
        let mut out = format!("## Dovecot {} → {}\n\n", self.from, self.to);
        if self.is_empty() {
            out.push_str("No changes to events or fields.\n");
            return out;
        }
        let events: Vec<(String, String, String)> = self
            .events_added
            .iter()
            .map(|e| ("added".to_owned(), code(&e.event), show(e.version)))
            .chain(
                self.events_removed
                    .iter()
                    .map(|e| ("removed".to_owned(), code(&e.event), show(e.version))),
            )
            .chain(self.events_renamed.iter().map(|r| {
                (
                    format!("renamed to {}", code(&r.new)),
                    code(&r.old),
                    show(r.version),
                )
            }))
            .collect();
        if !events.is_empty() {
            out.push_str("### Events\n\n| event | change | release |\n| --- | --- | --- |\n");
            for (change, event, version) in events {
                let _ = writeln!(out, "| {event} | {change} | {version} |");
            }
            out.push('\n');
        }
        if !self.fields.is_empty() {
            out.push_str(
                "### Fields\n\n| event | field | change | release |\n| --- | --- | --- | --- |\n",
            );
            for f in &self.fields {
                let change = match &f.kind {
                    FieldChangeKind::Added => "added".to_owned(),
                    FieldChangeKind::Removed => "removed".to_owned(),
                    FieldChangeKind::Renamed { new } => format!("renamed to {}", code(new)),
                    FieldChangeKind::Retyped { old, new } => {
                        format!("type {} → {}", old.as_str(), new.as_str())
                    }
                };
                let _ = writeln!(
                    out,
                    "| {} | {} | {change} | {} |",
                    code(&f.event),
                    code(&f.field),
                    show(f.version)
                );
            }
        }
        out
    }

    /// The machine-readable form.
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

fn code(name: &str) -> String {
    format!("`{name}`")
}

fn show(version: Option<Version>) -> String {
    version.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

/// `1 event`, `3 events`.
fn counted(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// `(3 added, 1 removed)`, leaving out kinds that did not happen.
fn changes(kinds: &[(usize, &str)]) -> String {
    let parts: Vec<String> = kinds
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, kind)| format!("{n} {kind}"))
        .collect();
    if parts.is_empty() {
        "(none)".to_owned()
    } else {
        format!("({})", parts.join(", "))
    }
}
