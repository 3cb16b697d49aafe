//! The resolved model: the one thing every emitter reads.
//!
//! Inheritance is flattened, defaults are filled in and versions are
//! normalised, so an emitter never has to look anything up elsewhere.

use std::collections::BTreeMap;

#[cfg(feature = "serde")]
use serde::Serialize;

use crate::version::Version;

/// A whole resolved schema.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct EventModel {
    /// Known Dovecot releases, oldest first.
    pub versions: Vec<Version>,
    /// Categories by name.
    pub categories: BTreeMap<String, Category>,
    /// Event reason codes by name.
    pub reasons: BTreeMap<String, Reason>,
    /// Named value sets by name.
    pub enums: BTreeMap<String, EnumDef>,
    /// Fields every event may carry.
    pub global_fields: Vec<Field>,
    /// Field groups by name, with their own inheritance flattened.
    pub groups: BTreeMap<String, Group>,
    /// Events by name, with inheritance flattened.
    pub events: BTreeMap<String, Event>,
    /// A hex digest of the schema sources, for `@generated` headers.
    pub source_hash: String,
}

/// Dovecot's editions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Edition {
    /// In the open-source server.
    #[default]
    Open,
    /// Only in the commercial edition.
    Pro,
}

/// What kind of value a field carries, refined beyond the wire form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum FieldType {
    /// Free text (`event_add_str`).
    String,
    /// A signed integer (`event_add_int`).
    Integer,
    /// A point in time (`event_add_timeval`).
    Timestamp,
    /// An IP address (`event_add_ip`, or a string holding one).
    Ip,
    /// A list of strings (`event_strlist_*`).
    StringList,
    /// A string from a known set of values.
    Enum,
    /// A string that is only ever `yes` when present.
    Flag,
}

impl FieldType {
    /// Every type with its schema spelling.
    pub const ALL: [(&'static str, FieldType); 7] = [
        ("string", FieldType::String),
        ("integer", FieldType::Integer),
        ("timestamp", FieldType::Timestamp),
        ("ip", FieldType::Ip),
        ("string_list", FieldType::StringList),
        ("enum", FieldType::Enum),
        ("flag", FieldType::Flag),
    ];

    /// The schema spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, t)| *t == self)
            .map_or("string", |(name, _)| name)
    }
}

/// What an integer counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Unit {
    /// A size in bytes.
    Bytes,
    /// A number of things.
    Count,
    /// A duration in microseconds.
    Microseconds,
    /// A duration in milliseconds.
    Milliseconds,
    /// A duration in seconds.
    Seconds,
    /// A TCP or UDP port.
    Port,
    /// An identifier.
    Id,
}

impl Unit {
    /// Every unit with its schema spelling.
    pub const ALL: [(&'static str, Unit); 7] = [
        ("bytes", Unit::Bytes),
        ("count", Unit::Count),
        ("microseconds", Unit::Microseconds),
        ("milliseconds", Unit::Milliseconds),
        ("seconds", Unit::Seconds),
        ("port", Unit::Port),
        ("id", Unit::Id),
    ];

    /// The schema spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, u)| *u == self)
            .map_or("count", |(name, _)| name)
    }
}

/// A change over time that is not an addition or a removal.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct Change {
    /// The first release with the change.
    pub version: Version,
    /// The field's type from this release on, if the change retyped it.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "type", skip_serializing_if = "Option::is_none")
    )]
    pub ty: Option<FieldType>,
    /// What changed.
    pub note: String,
}

/// An event category.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct Category {
    /// The category's name.
    pub name: String,
    /// What the category covers.
    pub description: String,
    /// The parent category, if any.
    pub parent: Option<String>,
    /// The first release with the category.
    pub since: Option<Version>,
    /// The first release without it.
    pub removed: Option<Version>,
    /// Which edition has it.
    pub edition: Edition,
    /// Remarks, such as where docs and source disagree.
    pub note: Option<String>,
}

/// An event reason code.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct Reason {
    /// The reason code.
    pub name: String,
    /// The category the reason belongs to.
    pub category: Option<String>,
    /// What the reason means.
    pub description: String,
    /// The first release with the reason.
    pub since: Option<Version>,
    /// The first release without it.
    pub removed: Option<Version>,
    /// Which edition uses it.
    pub edition: Edition,
    /// Remarks, such as where docs and source disagree.
    pub note: Option<String>,
}

/// A named set of string values.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct EnumDef {
    /// The enum's schema name.
    pub name: String,
    /// The Rust type name.
    pub rust_name: String,
    /// What the values describe.
    pub description: String,
    /// The values, in schema order.
    pub values: Vec<EnumValue>,
}

/// One value of an enum.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct EnumValue {
    /// The value as Dovecot sends it.
    pub name: String,
    /// The Rust variant name.
    pub rust_name: String,
    /// What the value means.
    pub description: String,
    /// The first release that sends the value.
    pub since: Option<Version>,
    /// The first release that no longer sends it.
    pub removed: Option<Version>,
}

/// Where a resolved field came from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize))]
#[cfg_attr(
    feature = "serde",
    serde(tag = "kind", content = "name", rename_all = "snake_case")
)]
pub enum Origin {
    /// Declared on the event or group itself.
    Own,
    /// Inherited from a field group.
    Group(String),
    /// Inherited from another event.
    Event(String),
    /// A global field.
    Global,
}

/// A resolved field.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct Field {
    /// The name as Dovecot sends it.
    pub name: String,
    /// The Rust field name (snake case, keyword-safe, without `r#`).
    pub rust_name: String,
    /// The value type.
    #[cfg_attr(feature = "serde", serde(rename = "type"))]
    pub ty: FieldType,
    /// The unit of an integer.
    pub unit: Option<Unit>,
    /// The enum of an `enum` field.
    #[cfg_attr(feature = "serde", serde(rename = "enum"))]
    pub enum_name: Option<String>,
    /// What the field holds.
    pub description: String,
    /// The first release that sends the field on this event.
    pub since: Option<Version>,
    /// The release that deprecated it.
    pub deprecated: Option<Version>,
    /// The first release that no longer sends it.
    pub removed: Option<Version>,
    /// Its name from `removed` on.
    pub renamed_to: Option<String>,
    /// False for fields Dovecot documents but never sends.
    pub emitted: bool,
    /// True when `name` is a pattern with `*`.
    pub pattern: bool,
    /// Remarks, such as where docs and source disagree.
    pub note: Option<String>,
    /// Other changes over time.
    pub changes: Vec<Change>,
    /// Where the field was declared.
    pub origin: Origin,
}

impl Field {
    /// The type as the docs show it: `integer (bytes)`,
    /// `enum imap_tagged_reply_state`, and `string; ip from 2.4.0` for
    /// retyped fields.
    #[must_use]
    pub fn type_text(&self) -> String {
        let mut text = self.base_type(self.ty);
        for change in &self.changes {
            if let Some(ty) = change.ty {
                text.push_str(&format!("; {} from {}", self.base_type(ty), change.version));
            }
        }
        text
    }

    fn base_type(&self, ty: FieldType) -> String {
        match (ty, self.unit, &self.enum_name) {
            (FieldType::Integer, Some(unit), _) => format!("integer ({})", unit.as_str()),
            (FieldType::Enum, _, Some(name)) => format!("enum {name}"),
            (FieldType::StringList, _, _) => "string list".to_owned(),
            _ => ty.as_str().to_owned(),
        }
    }

    /// Whether the field becomes a member of the generated Rust struct:
    /// fields that are never sent and name patterns do not.
    #[must_use]
    pub fn in_struct(&self) -> bool {
        self.emitted && !self.pattern
    }
}

/// A resolved field group.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct Group {
    /// The group's name.
    pub name: String,
    /// What the group is for.
    pub description: String,
    /// A remark, such as when Dovecot adds these fields.
    pub note: Option<String>,
    /// The groups it inherits, directly.
    pub inherits: Vec<String>,
    /// Its fields, inherited ones included.
    pub fields: Vec<Field>,
}

/// A resolved event.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct Event {
    /// The event name as Dovecot sends it.
    pub name: String,
    /// The Rust struct name.
    pub rust_name: String,
    /// The root category, if the event has one of its own.
    pub category: Option<String>,
    /// Other categories the event carries.
    pub categories: Vec<String>,
    /// What the event reports.
    pub description: String,
    /// The first release that sends the event.
    pub since: Option<Version>,
    /// The release that deprecated it.
    pub deprecated: Option<Version>,
    /// The first release that no longer sends it.
    pub removed: Option<Version>,
    /// Its name from `removed` on.
    pub renamed_to: Option<String>,
    /// False for names Dovecot documents but never sends.
    pub emitted: bool,
    /// Which edition sends it.
    pub edition: Edition,
    /// Remarks, such as where docs and source disagree.
    pub note: Option<String>,
    /// What it inherits from directly, with the note on when, if any.
    pub inherits: Vec<Inherit>,
    /// Its fields: own, inherited and global, own first.
    pub fields: Vec<Field>,
    /// Other changes over time.
    pub changes: Vec<Change>,
}

/// One direct inheritance of an event.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct Inherit {
    /// The group or event inherited from.
    pub name: String,
    /// When the inherited fields are present, if not always.
    pub when: Option<String>,
    /// The first release in which the inheritance holds.
    pub since: Option<Version>,
}

impl Event {
    /// Whether the event becomes a Rust type: names that are never sent are
    /// kept in the metadata only.
    #[must_use]
    pub fn in_rust(&self) -> bool {
        self.emitted
    }
}
