//! The resolved model: the one thing every emitter reads.
//!
//! Inheritance is flattened, defaults are filled in and versions are
//! normalised, so an emitter never has to look anything up elsewhere.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

#[cfg(feature = "serde")]
use serde::Serialize;

pub use dovecot_events_vocab::{Edition, FieldType, Lifetime, Unit, Version};

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
    /// When it exists.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub lifetime: Lifetime,
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
    /// When it exists.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub lifetime: Lifetime,
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
    /// When it exists.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub lifetime: Lifetime,
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
    /// When it exists.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub lifetime: Lifetime,
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
    /// The contexts (parent events) that bring the field to the event;
    /// empty when the event has it whatever its parents are.
    pub contexts: Vec<String>,
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

    /// The field's type in release `at`, after any retyping changes.
    #[must_use]
    pub fn type_at(&self, at: Version) -> FieldType {
        dovecot_events_vocab::type_at(self.ty, self.changes.iter().map(|c| (c.version, c.ty)), at)
    }

    /// Whether Dovecot `version` sends this field (on an event that exists
    /// then).
    #[must_use]
    pub fn exists_in(&self, version: Version) -> bool {
        self.emitted && self.lifetime.exists_in(version)
    }

    /// Whether `name` is this field's name, or matches its pattern.
    #[must_use]
    pub fn matches(&self, name: &str) -> bool {
        if self.pattern {
            dovecot_events_vocab::pattern_matches(&self.name, name)
        } else {
            self.name == name
        }
    }

    /// Whether the field becomes a member of the generated Rust struct:
    /// fields that are never sent and name patterns do not.
    #[must_use]
    pub fn in_struct(&self) -> bool {
        self.emitted && !self.pattern
    }
}

/// What makes a group a context: a kind of parent event.
#[derive(Clone, Debug, Default)]
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct ContextInfo {
    /// The categories it adds to every event below it.
    pub categories: Vec<ContextCategory>,
    /// The categories that show an exported event has it (its own unless
    /// the schema says otherwise); none means it cannot be told apart.
    pub recognised_by: Vec<String>,
    /// The releases in which it is pushed as the process's global event,
    /// making it an ancestor of every event its process emits meanwhile.
    pub global: Option<Lifetime>,
}

/// A category a context adds.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(Serialize))]
pub struct ContextCategory {
    /// The category.
    pub name: String,
    /// When the context adds it.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub lifetime: Lifetime,
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
    /// For a context (a kind of parent event), what makes it one.
    pub context: Option<ContextInfo>,
}

impl Group {
    /// Whether `version` has a category that shows an exported event
    /// descends from this context; `None` when the context cannot be told
    /// apart by categories then.
    #[must_use]
    pub fn recognised_in(
        &self,
        version: Version,
        categories: &BTreeMap<String, Category>,
    ) -> Option<Vec<&str>> {
        let context = self.context.as_ref()?;
        let live: Vec<&str> = context
            .recognised_by
            .iter()
            .filter(|name| {
                categories
                    .get(*name)
                    .is_none_or(|c| c.lifetime.exists_in(version))
                    && context
                        .categories
                        .iter()
                        .find(|c| c.name == **name)
                        .is_none_or(|c| c.lifetime.exists_in(version))
            })
            .map(String::as_str)
            .collect();
        (!live.is_empty()).then_some(live)
    }
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
    /// When it exists.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub lifetime: Lifetime,
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
    /// Every context that may be an ancestor of the event, by name.
    pub contexts: Vec<String>,
    /// Its fields: own, inherited and global, own first.
    pub fields: Vec<Field>,
    /// Other changes over time.
    pub changes: Vec<Change>,
    /// Where each field (not a pattern) is in `fields`, built on the first
    /// [`Event::field`] lookup.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub(crate) index: FieldIndex,
}

/// [`Event::fields`] by name: a receiver looks up every field of every
/// event it is sent, several times, and a scan of the event's (often 50)
/// fields made those lookups the costliest step of its live check.
#[derive(Clone, Debug, Default)]
pub(crate) struct FieldIndex(OnceLock<(NameMap<usize>, usize, bool)>);

/// A map from field names, hashed for speed rather than for resistance to
/// chosen keys: its keys come from the schema, and lookups of names from
/// outside only read it.
type NameMap<V> = HashMap<String, V, BuildHasherDefault<NameHasher>>;

/// The multiply-rotate hash of rustc's `FxHasher`, eight bytes at a time,
/// for maps keyed by the schema's names: the default SipHash cost more
/// than the lookups it serves. It does not resist chosen keys, so a map
/// keyed by names from outside the schema should not use it.
#[derive(Debug, Default)]
pub struct NameHasher(u64);

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
        }
        for &byte in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(byte)).wrapping_mul(K);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
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
    /// The first release in which it no longer holds.
    pub removed: Option<Version>,
}

impl Event {
    /// The field called `name`: one of that name, or else the first whose
    /// pattern matches it.
    #[must_use]
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.field_index(name).and_then(|i| self.fields.get(i))
    }

    /// Where [`Event::field`]'s answer is in `fields`.
    #[must_use]
    pub fn field_index(&self, name: &str) -> Option<usize> {
        let (index, len, patterns) = self.index.0.get_or_init(|| {
            let mut index =
                NameMap::with_capacity_and_hasher(self.fields.len(), Default::default());
            for (i, field) in self.fields.iter().enumerate() {
                if !field.pattern {
                    index.entry(field.name.clone()).or_insert(i);
                }
            }
            (
                index,
                self.fields.len(),
                self.fields.iter().any(|f| f.pattern),
            )
        });
        // `fields` is public and may have changed since the index was
        // built (a selection drops fields), so an answer is checked, and a
        // miss is trusted only while no pattern could match and the list
        // has its length of then.
        match index.get(name) {
            Some(&i)
                if self
                    .fields
                    .get(i)
                    .is_some_and(|f| !f.pattern && f.name == name) =>
            {
                return Some(i);
            }
            None if !patterns && *len == self.fields.len() => return None,
            _ => {}
        }
        self.fields
            .iter()
            .position(|f| !f.pattern && f.name == name)
            .or_else(|| {
                self.fields
                    .iter()
                    .position(|f| f.pattern && f.matches(name))
            })
    }

    /// Whether Dovecot `version` sends this event.
    #[must_use]
    pub fn exists_in(&self, version: Version) -> bool {
        self.emitted && self.lifetime.exists_in(version)
    }

    /// Whether the event becomes a Rust type: names that are never sent are
    /// kept in the metadata only.
    #[must_use]
    pub fn in_rust(&self) -> bool {
        self.emitted
    }
}
