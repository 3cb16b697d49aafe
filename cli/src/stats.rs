//! Coverage counts of a resolved schema (`dovecot-eventgen stats`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use dovecot_events_codegen::Version;
use dovecot_events_codegen::model::{Edition, EventModel};

/// Counts over the whole schema, per category and per release.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    /// Events in the schema, never-sent ones included.
    pub events: usize,
    /// Events only the commercial edition sends.
    pub pro_events: usize,
    /// Events Dovecot documents but never sends.
    pub unemitted_events: usize,
    /// Event/field pairs after inheritance, global fields left out.
    pub event_fields: usize,
    /// Distinct field names over all events.
    pub distinct_fields: usize,
    /// Field groups (mixins), contexts left out.
    pub groups: usize,
    /// Contexts: kinds of parent event.
    pub contexts: usize,
    /// Enums.
    pub enums: usize,
    /// Categories.
    pub categories: usize,
    /// Event reason codes.
    pub reasons: usize,
    /// Releases.
    pub versions: usize,
    /// Counts per root category (`-` for events without one).
    pub per_category: BTreeMap<String, CategoryStats>,
    /// What each release changed, oldest first.
    pub per_version: Vec<VersionStats>,
}

/// Counts for one root category.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CategoryStats {
    /// Events with this root category.
    pub events: usize,
    /// Of which only in the commercial edition.
    pub pro: usize,
    /// Their event/field pairs.
    pub fields: usize,
}

/// What one release changed.
#[derive(Clone, Debug, Serialize)]
pub struct VersionStats {
    /// The release.
    pub version: Version,
    /// Events that exist in it.
    pub events: usize,
    /// Events it introduced.
    pub events_added: usize,
    /// Events it no longer sends.
    pub events_removed: usize,
    /// Event/field pairs it introduced on events that already existed.
    pub fields_added: usize,
    /// Event/field pairs it no longer sends.
    pub fields_removed: usize,
}

/// Counts `model`.
#[must_use]
pub fn stats(model: &EventModel) -> Stats {
    let own = |f: &&dovecot_events_codegen::model::Field| {
        f.origin != dovecot_events_codegen::model::Origin::Global
    };
    let mut stats = Stats {
        events: model.events.len(),
        groups: model
            .groups
            .values()
            .filter(|g| g.context.is_none())
            .count(),
        contexts: model
            .groups
            .values()
            .filter(|g| g.context.is_some())
            .count(),
        enums: model.enums.len(),
        categories: model.categories.len(),
        reasons: model.reasons.len(),
        versions: model.versions.len(),
        ..Stats::default()
    };
    let mut names = std::collections::BTreeSet::new();
    for event in model.events.values() {
        let fields = event.fields.iter().filter(own).count();
        stats.event_fields += fields;
        stats.pro_events += usize::from(event.edition == Edition::Pro);
        stats.unemitted_events += usize::from(!event.emitted);
        names.extend(event.fields.iter().filter(own).map(|f| f.name.as_str()));
        let category = stats
            .per_category
            .entry(event.category.clone().unwrap_or_else(|| "-".to_owned()))
            .or_default();
        category.events += 1;
        category.pro += usize::from(event.edition == Edition::Pro);
        category.fields += fields;
    }
    stats.distinct_fields = names.len();
    for &version in &model.versions {
        let mut row = VersionStats {
            version,
            events: 0,
            events_added: 0,
            events_removed: 0,
            fields_added: 0,
            fields_removed: 0,
        };
        for event in model.events.values().filter(|e| e.emitted) {
            let exists = event.lifetime.since.is_none_or(|s| s <= version)
                && event.lifetime.removed.is_none_or(|r| r > version);
            row.events += usize::from(exists);
            row.events_added += usize::from(event.lifetime.since == Some(version));
            row.events_removed += usize::from(event.lifetime.removed == Some(version));
            for field in event.fields.iter().filter(own).filter(|f| f.emitted) {
                row.fields_added += usize::from(
                    field.lifetime.since == Some(version) && event.lifetime.since != Some(version),
                );
                row.fields_removed += usize::from(
                    field.lifetime.removed == Some(version)
                        && event.lifetime.removed != Some(version),
                );
            }
        }
        stats.per_version.push(row);
    }
    stats
}

impl Stats {
    /// The human-readable report.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} events ({} sent only by the commercial edition, {} documented but never sent), \
             {} event/field pairs over {} distinct field names",
            self.events,
            self.pro_events,
            self.unemitted_events,
            self.event_fields,
            self.distinct_fields
        );
        let _ = writeln!(
            out,
            "{} contexts, {} groups, {} enums, {} categories, {} reason codes, {} releases",
            self.contexts, self.groups, self.enums, self.categories, self.reasons, self.versions
        );
        let _ = writeln!(
            out,
            "\nPer root category: its events, how many of them only the commercial edition \
             sends, and their event/field pairs."
        );
        let _ = writeln!(
            out,
            "  {:<24} {:>6} {:>10} {:>7}",
            "category", "events", "commercial", "fields"
        );
        for (name, row) in &self.per_category {
            let name = if name == "-" { "(none)" } else { name };
            let _ = writeln!(
                out,
                "  {:<24} {:>6} {:>10} {:>7}",
                name, row.events, row.pro, row.fields
            );
        }
        let _ = writeln!(
            out,
            "\nPer release: the events it sends, the events it added and removed, and the \
             fields it added to and removed from events that already existed."
        );
        let _ = writeln!(
            out,
            "  {:<10} {:>6} {:>7} {:>7} {:>7} {:>7}",
            "release", "events", "+events", "-events", "+fields", "-fields"
        );
        for row in &self.per_version {
            let _ = writeln!(
                out,
                "  {:<10} {:>6} {:>7} {:>7} {:>7} {:>7}",
                row.version.to_string(),
                row.events,
                row.events_added,
                row.events_removed,
                row.fields_added,
                row.fields_removed
            );
        }
        out
    }
}
