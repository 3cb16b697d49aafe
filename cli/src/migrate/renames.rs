//! What the schema says an event or field is called in the target release:
//! its successor through `renamed_to`, or why it has none.

use std::collections::BTreeSet;

use crate::lint::checks::names::{
    Availability, ambient_field, availability, event_field, field_anywhere,
};
use dovecot_events_codegen::Version;
use dovecot_events_codegen::model::{EventModel, Field};

/// How many renames a chain may have (a loop in the schema ends there).
const MAX_CHAIN: usize = 16;

/// What becomes of a name in the target release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Fate {
    /// It exists there (or the schema does not know it): leave it.
    Keep,
    /// It is called this there.
    Rename(String),
    /// It has no successor; the reason, from the schema.
    Gone(String),
}

fn with_note(mut reason: String, note: Option<&String>) -> String {
    if let Some(note) = note {
        reason.push_str(": ");
        reason.push_str(note.trim().trim_end_matches('.'));
    }
    reason
}

/// The fate of event `name` in release `to`.
pub(crate) fn event(model: &EventModel, name: &str, to: Version) -> Fate {
    let mut current = name.to_owned();
    for _ in 0..MAX_CHAIN {
        let Some(event) = model.events.get(&current) else {
            return if current == name {
                Fate::Keep
            } else {
                Fate::Rename(current)
            };
        };
        match availability(
            event.lifetime.since,
            event.lifetime.removed,
            event.renamed_to.as_deref(),
            to,
        ) {
            Availability::Yes if current == name => return Fate::Keep,
            Availability::Yes => return Fate::Rename(current),
            Availability::NotYet(since) => {
                return Fate::Gone(format!(
                    "event `{current}` first appears in Dovecot {since}, after {to}"
                ));
            }
            Availability::Removed(_, Some(next)) => current = next,
            Availability::Removed(removed, None) => {
                return Fate::Gone(with_note(
                    format!("event `{current}` was removed in Dovecot {removed} with no successor"),
                    event.note.as_ref(),
                ));
            }
        }
    }
    Fate::Keep
}

/// The fate of field `name` on the events `events` (the names before and
/// after their renames; `None` for any event) in release `to`.
pub(crate) fn field(
    model: &EventModel,
    events: Option<&BTreeSet<String>>,
    name: &str,
    to: Version,
) -> Fate {
    let live = |f: &Field| {
        availability(f.lifetime.since, f.lifetime.removed, None, to) == Availability::Yes
    };
    let mut defs: Vec<&Field> = match events {
        Some(events) => events
            .iter()
            .filter_map(|e| model.events.get(e))
            .filter_map(|e| event_field(e, name))
            .collect(),
        None => field_anywhere(model, name),
    };
    if defs.is_empty() {
        defs.extend(ambient_field(model, name));
    }
    if defs.is_empty() || defs.iter().any(|f| live(f)) {
        return Fate::Keep;
    }
    let renamed: BTreeSet<&str> = defs
        .iter()
        .filter_map(|f| f.renamed_to.as_deref())
        .collect();
    match renamed.len() {
        1 => Fate::Rename(renamed.into_iter().next().unwrap_or(name).to_owned()),
        0 => {
            let def = defs[0];
            let reason = match def.lifetime.removed {
                Some(removed) if removed <= to => {
                    format!("field `{name}` was removed in Dovecot {removed} with no successor")
                }
                _ => match def.lifetime.since {
                    Some(since) => {
                        format!("field `{name}` first appears in Dovecot {since}, after {to}")
                    }
                    None => format!("field `{name}` does not exist in Dovecot {to}"),
                },
            };
            Fate::Gone(with_note(reason, def.note.as_ref()))
        }
        _ => Fate::Gone(format!(
            "field `{name}` is renamed differently on different events (`{}`)",
            renamed.into_iter().collect::<Vec<_>>().join("`, `")
        )),
    }
}
