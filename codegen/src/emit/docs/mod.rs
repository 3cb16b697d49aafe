//! The events reference in several formats (`dovecot-eventgen docs`).
//!
//! Every format is a pure function of the resolved model. [`restrict`]
//! narrows the model to one release first when the user asks for
//! `--target`, so the emitters never deal with versions they should hide.

use std::collections::BTreeMap;

use crate::Version;
use crate::diff::{self, Diff};
use crate::model::{Event, EventModel, Field, Group, Origin};

pub mod dovecot_docs;
pub mod html;
pub mod json;
pub mod markdown;
pub mod rst;

/// The formats `docs` can write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    /// Markdown for GitHub and VitePress.
    Markdown,
    /// reStructuredText in the style of Dovecot's 2.3 `list_of_events.rst`.
    Rst,
    /// JSON for tools.
    Json,
    /// One self-contained HTML page with search and a version filter.
    Html,
    /// The `events.js` and `updates.js` data Dovecot's documentation site
    /// renders its events pages from.
    DovecotDocs,
}

/// One file of documentation output: a name relative to the output
/// directory, and its contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocFile {
    /// The file's name, e.g. `events.md`.
    pub name: &'static str,
    /// Its contents.
    pub contents: String,
}

/// Renders `model` (already [`restrict`]ed if wanted) in `format`.
#[must_use]
pub fn render(model: &EventModel, format: Format) -> Vec<DocFile> {
    match format {
        Format::Markdown => vec![DocFile {
            name: "EVENTS.md",
            contents: markdown::generate(model),
        }],
        Format::Rst => vec![DocFile {
            name: "events.rst",
            contents: rst::generate(model),
        }],
        Format::Json => vec![DocFile {
            name: "events.json",
            contents: json::generate(model),
        }],
        Format::Html => vec![DocFile {
            name: "events.html",
            contents: html::generate(model),
        }],
        Format::DovecotDocs => vec![
            DocFile {
                name: "events.js",
                contents: dovecot_docs::events_js(model),
            },
            DocFile {
                name: "updates.js",
                contents: dovecot_docs::updates_js(model),
            },
        ],
    }
}

/// The model as one release sees it: only events and fields that release
/// sends (or documents), versions up to it, groups and enums unchanged.
#[must_use]
pub fn restrict(model: &EventModel, target: Version) -> EventModel {
    crate::select::Selection {
        target: Some(target),
        ..crate::select::Selection::default()
    }
    .apply(model)
}

/// Events grouped by root category, names sorted; events without a root
/// category come last, under `None`.
#[must_use]
pub fn by_category(model: &EventModel) -> Vec<(Option<&str>, Vec<&Event>)> {
    let mut map: BTreeMap<Option<&str>, Vec<&Event>> = BTreeMap::new();
    for event in model.events.values() {
        map.entry(event.category.as_deref())
            .or_default()
            .push(event);
    }
    let uncategorised = map.remove(&None);
    let mut out: Vec<_> = map.into_iter().collect();
    out.extend(uncategorised.map(|events| (None, events)));
    out
}

/// The diffs between each release and the one before it, skipping
/// releases that changed nothing.
#[must_use]
pub fn matrix(model: &EventModel) -> Vec<Diff> {
    model
        .versions
        .windows(2)
        .map(|pair| diff::diff(model, pair[0], pair[1]))
        .filter(|d| !d.is_empty())
        .collect()
}

/// An event's fields as its table shows them: global fields left out.
pub fn table_fields(event: &Event) -> impl Iterator<Item = &Field> {
    event.fields.iter().filter(|f| f.origin != Origin::Global)
}

/// An event's fields as the reference shows them.
pub struct EventFieldGroups<'m> {
    /// The fields it has whatever its parents are (its own, and those of
    /// shared groups), global fields left out.
    pub own: Vec<&'m Field>,
    /// What each context (kind of parent event) may add, in name order; a
    /// field several contexts bring is listed under each.
    pub contexts: Vec<(&'m Group, Vec<&'m Field>)>,
}

/// Splits an event's fields into its own and those of each context.
#[must_use]
pub fn event_field_groups<'m>(model: &'m EventModel, event: &'m Event) -> EventFieldGroups<'m> {
    let own = table_fields(event)
        .filter(|f| f.contexts.is_empty())
        .collect();
    let mut by_context: BTreeMap<&str, Vec<&Field>> = BTreeMap::new();
    for field in table_fields(event) {
        for context in &field.contexts {
            by_context.entry(context).or_default().push(field);
        }
    }
    let contexts = by_context
        .into_iter()
        .filter_map(|(name, fields)| Some((model.groups.get(name)?, fields)))
        .collect();
    EventFieldGroups { own, contexts }
}

/// A context's own fields, without those its parents bring.
pub fn context_fields(group: &Group) -> impl Iterator<Item = &Field> {
    group
        .fields
        .iter()
        .filter(|f| f.contexts.is_empty() || f.contexts.iter().all(|c| *c == group.name))
}

/// A context's name as words: `mail_user` → "mail user".
#[must_use]
pub fn context_title(group: &Group) -> String {
    group.name.replace(['_', '-'], " ")
}

/// The type column: `integer (bytes)`, `enum imap_tagged_reply_state`, and
/// `string; ip from 2.4.0` for retyped fields.
#[must_use]
pub fn type_text(field: &Field) -> String {
    field.type_text()
}

/// Where an inherited field comes from, for the "inherited" marker.
#[must_use]
pub fn inherited_from(field: &Field) -> Option<&str> {
    match &field.origin {
        Origin::Group(name) | Origin::Event(name) => Some(name),
        Origin::Own | Origin::Global => None,
    }
}

/// One-line remarks on an item's life: "Removed in 2.4.0 (now `x`)."
#[must_use]
pub fn life_text(
    removed: Option<Version>,
    renamed_to: Option<&str>,
    deprecated: Option<Version>,
    emitted: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(d) = deprecated.filter(|d| removed.is_none_or(|r| *d < r)) {
        out.push(format!("Deprecated in {d}."));
    }
    match (removed, renamed_to) {
        (Some(r), Some(new)) => out.push(format!("Renamed to `{new}` in {r}.")),
        (Some(r), None) => out.push(format!("Removed in {r}.")),
        _ => {}
    }
    if !emitted {
        out.push("Documented by Dovecot but never sent.".to_owned());
    }
    out
}

/// A version as text, or an empty string.
#[must_use]
pub fn show(version: Option<Version>) -> String {
    version.map_or_else(String::new, |v| v.to_string())
}

/// Collapses newlines so that text fits one table cell.
#[must_use]
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
