//! The schema as written: one struct per kind of mapping, every name and
//! version with the place it was written, nothing resolved yet.

use crate::diag::Location;
use crate::model::{Edition, FieldType, Unit};
use dovecot_events_vocab::Version;

/// A value and where it was written.
#[derive(Clone, Debug)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it starts.
    pub location: Location,
}

/// All schema files merged, in file order.
#[derive(Debug, Default)]
pub struct RawSchema {
    /// Every `versions` list found (only one is allowed).
    pub versions: Vec<Spanned<Vec<Spanned<Version>>>>,
    /// Categories.
    pub categories: Vec<RawCategory>,
    /// Reason codes.
    pub reasons: Vec<RawReason>,
    /// Enums.
    pub enums: Vec<RawEnum>,
    /// Global fields.
    pub global_fields: Vec<RawField>,
    /// Field groups.
    pub groups: Vec<RawGroup>,
    /// Events.
    pub events: Vec<RawEvent>,
    /// The text of every file read, as (relative path, text), for the
    /// source hash.
    pub sources: Vec<(String, String)>,
    /// Every file read, as shown in diagnostics.
    pub paths: Vec<String>,
}

/// A category as written.
#[derive(Debug)]
pub struct RawCategory {
    /// Its name.
    pub name: Spanned<String>,
    /// Description.
    pub description: String,
    /// Parent category.
    pub parent: Option<Spanned<String>>,
    /// First release.
    pub since: Option<Spanned<Version>>,
    /// First release without it.
    pub removed: Option<Spanned<Version>>,
    /// Edition.
    pub edition: Edition,
    /// Remarks.
    pub note: Option<String>,
}

/// A reason code as written.
#[derive(Debug)]
pub struct RawReason {
    /// The reason code.
    pub name: Spanned<String>,
    /// Its category.
    pub category: Option<Spanned<String>>,
    /// Description.
    pub description: String,
    /// First release.
    pub since: Option<Spanned<Version>>,
    /// First release without it.
    pub removed: Option<Spanned<Version>>,
    /// Edition.
    pub edition: Edition,
    /// Remarks.
    pub note: Option<String>,
}

/// An enum as written.
#[derive(Debug)]
pub struct RawEnum {
    /// Its name.
    pub name: Spanned<String>,
    /// Description.
    pub description: String,
    /// Its values; empty is a validation error.
    pub values: Vec<RawEnumValue>,
}

/// An enum value as written.
#[derive(Debug)]
pub struct RawEnumValue {
    /// The value.
    pub name: Spanned<String>,
    /// Description.
    pub description: String,
    /// First release.
    pub since: Option<Spanned<Version>>,
    /// First release without it.
    pub removed: Option<Spanned<Version>>,
}

/// A change entry as written.
#[derive(Debug)]
pub struct RawChange {
    /// The release.
    pub version: Spanned<Version>,
    /// A new type from that release on.
    pub ty: Option<FieldType>,
    /// What changed.
    pub note: String,
}

/// A field as written.
#[derive(Debug)]
pub struct RawField {
    /// The name as Dovecot sends it.
    pub name: Spanned<String>,
    /// Its type.
    pub ty: Spanned<FieldType>,
    /// Its unit.
    pub unit: Option<Spanned<Unit>>,
    /// Its enum, for `type: enum`.
    pub enum_name: Option<Spanned<String>>,
    /// Description.
    pub description: String,
    /// First release.
    pub since: Option<Spanned<Version>>,
    /// Deprecation release.
    pub deprecated: Option<Spanned<Version>>,
    /// First release without it.
    pub removed: Option<Spanned<Version>>,
    /// New name.
    pub renamed_to: Option<Spanned<String>>,
    /// False when never sent.
    pub emitted: bool,
    /// True for name patterns.
    pub pattern: bool,
    /// A remark.
    pub note: Option<String>,
    /// Other changes.
    pub changes: Vec<RawChange>,
}

/// An inheritance entry as written.
#[derive(Debug)]
pub struct RawInherit {
    /// What is inherited.
    pub name: Spanned<String>,
    /// When its fields are present.
    pub when: Option<String>,
    /// The first release in which the inheritance holds.
    pub since: Option<Spanned<Version>>,
    /// The first release in which it no longer holds.
    pub removed: Option<Spanned<Version>>,
}

/// A category a context adds, as written.
#[derive(Debug)]
pub struct RawContextCategory {
    /// The category.
    pub name: Spanned<String>,
    /// First release that adds it.
    pub since: Option<Spanned<Version>>,
    /// First release that no longer adds it.
    pub removed: Option<Spanned<Version>>,
}

/// A first release and a first release without, either optional.
pub type RawBounds = (Option<Spanned<Version>>, Option<Spanned<Version>>);

/// What makes a group a context, as written.
#[derive(Debug, Default)]
pub struct RawContext {
    /// Categories it adds.
    pub categories: Vec<RawContextCategory>,
    /// Categories that identify it, if not its own.
    pub recognised_by: Option<Vec<Spanned<String>>>,
    /// When it is pushed as the global event, if ever: since, removed.
    pub global: Option<RawBounds>,
}

/// A field group or a context as written: a context is a group that
/// stands for a kind of parent event.
#[derive(Debug)]
pub struct RawGroup {
    /// Its name.
    pub name: Spanned<String>,
    /// What makes it a context, for one written under `contexts`.
    pub context: Option<RawContext>,
    /// Description.
    pub description: String,
    /// A remark.
    pub note: Option<String>,
    /// What it inherits.
    pub inherits: Vec<RawInherit>,
    /// Its own fields.
    pub fields: Vec<RawField>,
}

/// An event as written.
#[derive(Debug)]
pub struct RawEvent {
    /// Its name.
    pub name: Spanned<String>,
    /// Root category.
    pub category: Option<Spanned<String>>,
    /// Other categories.
    pub categories: Vec<Spanned<String>>,
    /// Description.
    pub description: String,
    /// First release.
    pub since: Option<Spanned<Version>>,
    /// Deprecation release.
    pub deprecated: Option<Spanned<Version>>,
    /// First release without it.
    pub removed: Option<Spanned<Version>>,
    /// New name.
    pub renamed_to: Option<Spanned<String>>,
    /// False when never sent.
    pub emitted: bool,
    /// Edition.
    pub edition: Edition,
    /// A remark.
    pub note: Option<String>,
    /// What it inherits.
    pub inherits: Vec<RawInherit>,
    /// Its own fields.
    pub fields: Vec<RawField>,
    /// Other changes.
    pub changes: Vec<RawChange>,
}
