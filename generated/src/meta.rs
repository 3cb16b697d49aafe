//! Static metadata about every event, field, category and enum the schema
//! knows, including names Dovecot documents but never sends.

pub use dovecot_events_vocab::{Edition, FieldType, Lifetime, Status, Unit, Version};

/// Where a field of an event was declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// On the event itself.
    Own,
    /// In the named field group.
    Group(&'static str),
    /// On the named event, which this one inherits.
    Event(&'static str),
    /// A global field, which any event may carry.
    Global,
}

/// A change over time that is neither an addition nor a removal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChangeMeta {
    /// The first release with the change.
    pub version: Version,
    /// The type from that release on, if it changed.
    pub ty: Option<FieldType>,
    /// What changed.
    pub note: &'static str,
}

/// Everything the schema knows about one field of one event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FieldMeta {
    /// The name as Dovecot sends it (a pattern with `*` when `pattern`).
    pub name: &'static str,
    /// The value type.
    pub ty: FieldType,
    /// The unit of an integer.
    pub unit: Option<Unit>,
    /// The schema name of an enum field's value set.
    pub enum_name: Option<&'static str>,
    /// What the field holds.
    pub description: &'static str,
    /// The releases that send it on this event.
    pub lifetime: Lifetime,
    /// Its name from `removed` on.
    pub renamed_to: Option<&'static str>,
    /// False for fields Dovecot documents but never sends.
    pub emitted: bool,
    /// True when `name` is a pattern.
    pub pattern: bool,
    /// A remark, such as where Dovecot's docs and source disagree.
    pub note: Option<&'static str>,
    /// Other changes over time.
    pub changes: &'static [ChangeMeta],
    /// Where it was declared.
    pub origin: Origin,
    /// The contexts (kinds of parent event) that bring it to the event;
    /// empty when the event has it whatever its parents are.
    pub contexts: &'static [&'static str],
}

impl FieldMeta {
    /// A field with every member at its most common value: text, no unit,
    /// in every release, sent, declared on the event itself. The generated
    /// tables state only what differs from it.
    pub const DEFAULT: FieldMeta = FieldMeta {
        name: "",
        ty: FieldType::String,
        unit: None,
        enum_name: None,
        description: "",
        lifetime: Lifetime::ALWAYS,
        renamed_to: None,
        emitted: true,
        pattern: false,
        note: None,
        changes: &[],
        origin: Origin::Own,
        contexts: &[],
    };

    /// Whether Dovecot `version` sends this field (on an event that exists
    /// in that version).
    #[must_use]
    pub fn exists_in(&self, version: Version) -> bool {
        self.emitted && self.lifetime.exists_in(version)
    }

    /// Whether `name` is this field's name, or matches its pattern.
    #[must_use]
    pub fn matches(&self, name: &str) -> bool {
        if self.pattern {
            dovecot_events_vocab::pattern_matches(self.name, name)
        } else {
            self.name == name
        }
    }
}

/// Everything the schema knows about one event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventMeta {
    /// The name as Dovecot sends it.
    pub name: &'static str,
    /// The generated struct's name in [`crate::events`], if the event has one.
    pub rust_name: Option<&'static str>,
    /// The root category, if the event has one of its own.
    pub category: Option<&'static str>,
    /// Other categories the event carries.
    pub categories: &'static [&'static str],
    /// What the event reports.
    pub description: &'static str,
    /// The releases that send it.
    pub lifetime: Lifetime,
    /// Its name from `removed` on.
    pub renamed_to: Option<&'static str>,
    /// False for names Dovecot documents but never sends.
    pub emitted: bool,
    /// Which edition sends it.
    pub edition: Edition,
    /// A remark, such as where Dovecot's docs and source disagree.
    pub note: Option<&'static str>,
    /// Every context (kind of parent event) that may be an ancestor.
    pub contexts: &'static [&'static str],
    /// Fields, own, inherited and global, sorted by name.
    pub fields: &'static [&'static FieldMeta],
}

impl EventMeta {
    /// The field named `name` (patterns included), if the schema knows it.
    #[must_use]
    pub fn field(&self, name: &str) -> Option<&'static FieldMeta> {
        match self.fields.binary_search_by(|f| f.name.cmp(name)) {
            Ok(i) => Some(self.fields[i]),
            Err(_) => self
                .fields
                .iter()
                .copied()
                .find(|f| f.pattern && f.matches(name)),
        }
    }

    /// Whether Dovecot `version` sends this event.
    #[must_use]
    pub fn exists_in(&self, version: Version) -> bool {
        self.emitted && self.lifetime.exists_in(version)
    }

    /// The fields Dovecot `version` sends on this event.
    pub fn fields_in(&self, version: Version) -> impl Iterator<Item = &'static FieldMeta> {
        self.fields
            .iter()
            .copied()
            .filter(move |f| f.exists_in(version))
    }
}

/// A context: a kind of parent event (a mail user, an IMAP client, a
/// dict, a connection, …). An exported event carries the fields and
/// categories of every ancestor, so its categories tell which contexts it
/// was emitted under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ContextMeta {
    /// Its name in the schema.
    pub name: &'static str,
    /// What it is.
    pub description: &'static str,
    /// The categories it adds to every event below it.
    pub categories: &'static [&'static str],
    /// The categories that show an exported event has it.
    pub recognised_by: &'static [&'static str],
    /// The contexts that may be its parents.
    pub parents: &'static [&'static str],
    /// When it is pushed as the process's global event, if ever.
    pub global: Option<Lifetime>,
}

/// The context named `name`.
#[must_use]
pub fn context(name: &str) -> Option<&'static ContextMeta> {
    crate::CONTEXTS.iter().find(|c| c.name == name)
}

/// A category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CategoryMeta {
    /// Its name.
    pub name: &'static str,
    /// What it covers.
    pub description: &'static str,
    /// Its parent, if any.
    pub parent: Option<&'static str>,
    /// The releases that have it.
    pub lifetime: Lifetime,
    /// Which edition has it.
    pub edition: Edition,
}

/// One value of an enum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EnumValueMeta {
    /// The value as Dovecot sends it.
    pub name: &'static str,
    /// What it means.
    pub description: &'static str,
    /// The releases that send it.
    pub lifetime: Lifetime,
}

/// A named value set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EnumMeta {
    /// The schema name.
    pub name: &'static str,
    /// The generated type's name in [`crate::enums`].
    pub rust_name: &'static str,
    /// What the values describe.
    pub description: &'static str,
    /// The values.
    pub values: &'static [EnumValueMeta],
}

/// The event named `name`, including documented-only and removed names.
#[must_use]
pub fn event(name: &str) -> Option<&'static EventMeta> {
    let events = crate::EVENTS;
    events
        .binary_search_by(|e| e.name.cmp(name))
        .ok()
        .map(|i| &events[i])
}

/// The events Dovecot `version` sends.
pub fn events_in(version: Version) -> impl Iterator<Item = &'static EventMeta> {
    crate::EVENTS.iter().filter(move |e| e.exists_in(version))
}

/// The category named `name`.
#[must_use]
pub fn category(name: &str) -> Option<&'static CategoryMeta> {
    crate::CATEGORIES.iter().find(|c| c.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        let event = event("imap_command_finished").expect("known event");
        assert!(event.field("cmd_name").is_some());
        assert!(event.field("no_such_field").is_none());
        assert!(category("imap").is_some());
    }
}
