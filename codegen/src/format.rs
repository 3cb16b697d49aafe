//! The schema format's key tables: which keys each kind of mapping accepts,
//! what they hold and what they mean.
//!
//! The loader rejects keys that are not listed here, and the JSON Schema for
//! editors is generated from the same tables, so the two cannot disagree.

/// What a key's value must look like.
#[derive(Clone, Copy, Debug)]
pub enum Shape {
    /// Free text.
    Text,
    /// A Dovecot version.
    Version,
    /// `true` or `false`.
    Bool,
    /// A name of something defined elsewhere, or `null`.
    Name,
    /// A list of names.
    Names,
    /// A list of versions.
    Versions,
    /// One of a fixed set of words.
    OneOf(&'static [&'static str]),
    /// A mapping from names to values of the given kind.
    MapOf(&'static Kind),
    /// A sequence of values of the given kind.
    SeqOf(&'static Kind),
    /// One mapping of the given kind.
    Map(&'static Kind),
    /// A list whose items are a name or a mapping of the given kind.
    NamesOr(&'static Kind),
}

/// One accepted key.
#[derive(Debug)]
pub struct Key {
    /// The key as written in YAML.
    pub name: &'static str,
    /// Its value's shape.
    pub shape: Shape,
    /// Whether the key must be present.
    pub required: bool,
    /// What the key means, for the JSON Schema.
    pub doc: &'static str,
}

/// A kind of mapping in the format.
#[derive(Debug)]
pub struct Kind {
    /// The kind's name, used for JSON Schema definitions and messages.
    pub name: &'static str,
    /// What it describes.
    pub doc: &'static str,
    /// The keys it accepts.
    pub keys: &'static [Key],
}

impl Kind {
    /// The key named `name`, if the kind accepts it.
    #[must_use]
    pub fn key(&self, name: &str) -> Option<&'static Key> {
        self.keys.iter().find(|k| k.name == name)
    }
}

const fn key(name: &'static str, shape: Shape, doc: &'static str) -> Key {
    Key {
        name,
        shape,
        required: false,
        doc,
    }
}

const fn required(name: &'static str, shape: Shape, doc: &'static str) -> Key {
    Key {
        name,
        shape,
        required: true,
        doc,
    }
}

/// Schema spellings of field types.
pub const TYPES: &[&str] = &[
    "string",
    "integer",
    "timestamp",
    "ip",
    "string_list",
    "enum",
    "flag",
];

/// Schema spellings of integer units.
pub const UNITS: &[&str] = &[
    "bytes",
    "count",
    "microseconds",
    "milliseconds",
    "seconds",
    "port",
    "id",
];

/// Schema spellings of editions.
pub const EDITIONS: &[&str] = &["open", "pro"];

/// A change over time.
pub static CHANGE: Kind = Kind {
    name: "change",
    doc: "A change in a later release that is neither an addition nor a removal",
    keys: &[
        required(
            "version",
            Shape::Version,
            "The first release with the change",
        ),
        key(
            "type",
            Shape::OneOf(TYPES),
            "The field's type from this release on",
        ),
        required("note", Shape::Text, "What changed"),
    ],
};

/// A field.
pub static FIELD: Kind = Kind {
    name: "field",
    doc: "A field of an event, group or the global set",
    keys: &[
        required("type", Shape::OneOf(TYPES), "The value type"),
        key("unit", Shape::OneOf(UNITS), "What an integer counts"),
        key(
            "enum",
            Shape::Name,
            "The named enum (from `enums`) of an `enum` field",
        ),
        required("description", Shape::Text, "What the field holds"),
        key(
            "since",
            Shape::Version,
            "The first release that sends the field (default: the event's)",
        ),
        key(
            "deprecated",
            Shape::Version,
            "The release that deprecated it",
        ),
        key(
            "removed",
            Shape::Version,
            "The first release without the field",
        ),
        key(
            "renamed_to",
            Shape::Name,
            "The field's name from `removed` on",
        ),
        key(
            "emitted",
            Shape::Bool,
            "False for fields Dovecot documents but never sends",
        ),
        key(
            "pattern",
            Shape::Bool,
            "True when the name is a pattern in which `*` matches any text",
        ),
        key(
            "note",
            Shape::Text,
            "A remark, such as where docs and source disagree",
        ),
        key("changes", Shape::SeqOf(&CHANGE), "Other changes over time"),
    ],
};

/// A long-form inheritance entry.
pub static INHERIT: Kind = Kind {
    name: "inherit",
    doc: "An inherited group or event, with a note on when its fields are present",
    keys: &[
        required("from", Shape::Name, "The group or event inherited from"),
        key("when", Shape::Text, "When the inherited fields are present"),
        key(
            "since",
            Shape::Version,
            "The first release in which this inheritance holds (default: always)",
        ),
        key(
            "removed",
            Shape::Version,
            "The first release in which it no longer holds (default: never)",
        ),
    ],
};

/// A category a context adds, in long form.
pub static CONTEXT_CATEGORY: Kind = Kind {
    name: "context_category",
    doc: "A category a context adds to every event below it, with its lifetime",
    keys: &[
        required("category", Shape::Name, "The category"),
        key("since", Shape::Version, "The first release that adds it"),
        key(
            "removed",
            Shape::Version,
            "The first release that no longer adds it",
        ),
    ],
};

/// When a context is pushed as a process's global event.
pub static GLOBAL: Kind = Kind {
    name: "global",
    doc: "The releases in which a context is pushed as the process's global event, so that every event the process emits meanwhile has it as an ancestor",
    keys: &[
        key(
            "since",
            Shape::Version,
            "The first release that pushes it (default: always)",
        ),
        key(
            "removed",
            Shape::Version,
            "The first release that no longer does",
        ),
    ],
};

/// A context: a kind of parent event.
pub static CONTEXT: Kind = Kind {
    name: "context",
    doc: "A kind of parent event (a mail user, an IMAP client, a dict, a connection...): the fields and categories it gives every event below it",
    keys: &[
        required(
            "description",
            Shape::Text,
            "What the context is, for an operator",
        ),
        key(
            "note",
            Shape::Text,
            "A remark for maintainers, such as the source the facts come from",
        ),
        key(
            "inherits",
            Shape::NamesOr(&INHERIT),
            "The contexts that may be its parents, and groups whose fields it includes",
        ),
        key(
            "categories",
            Shape::NamesOr(&CONTEXT_CATEGORY),
            "Categories the context adds to every event below it",
        ),
        key(
            "recognised_by",
            Shape::Names,
            "Categories that show an exported event has this context (default: its own categories)",
        ),
        key(
            "global",
            Shape::Map(&GLOBAL),
            "When the context is pushed as the process's global event",
        ),
        key(
            "fields",
            Shape::MapOf(&FIELD),
            "The fields the context sets",
        ),
    ],
};

/// An event.
pub static EVENT: Kind = Kind {
    name: "event",
    doc: "An event Dovecot emits",
    keys: &[
        key(
            "category",
            Shape::Name,
            "The root category; omitted for events that only carry their parent's categories",
        ),
        key(
            "categories",
            Shape::Names,
            "Other categories the event carries",
        ),
        required("description", Shape::Text, "What the event reports"),
        key(
            "since",
            Shape::Version,
            "The first release that sends the event",
        ),
        key(
            "deprecated",
            Shape::Version,
            "The release that deprecated it",
        ),
        key(
            "removed",
            Shape::Version,
            "The first release without the event",
        ),
        key(
            "renamed_to",
            Shape::Name,
            "The event's name from `removed` on",
        ),
        key(
            "emitted",
            Shape::Bool,
            "False for names Dovecot documents but never sends",
        ),
        key(
            "edition",
            Shape::OneOf(EDITIONS),
            "`pro` for events of the commercial edition only",
        ),
        key(
            "note",
            Shape::Text,
            "A remark, such as where docs and source disagree",
        ),
        key(
            "inherits",
            Shape::NamesOr(&INHERIT),
            "Groups and events whose fields this event carries too",
        ),
        key("fields", Shape::MapOf(&FIELD), "The event's own fields"),
        key("changes", Shape::SeqOf(&CHANGE), "Other changes over time"),
    ],
};

/// A field group.
pub static GROUP: Kind = Kind {
    name: "group",
    doc: "A named, reusable set of fields",
    keys: &[
        required("description", Shape::Text, "What the group is for"),
        key(
            "note",
            Shape::Text,
            "A remark, such as when Dovecot adds these fields",
        ),
        key(
            "inherits",
            Shape::NamesOr(&INHERIT),
            "Groups and events whose fields this group includes",
        ),
        key("fields", Shape::MapOf(&FIELD), "The group's own fields"),
    ],
};

/// One enum value in long form.
pub static ENUM_VALUE: Kind = Kind {
    name: "enum_value",
    doc: "One value of an enum",
    keys: &[
        required("description", Shape::Text, "What the value means"),
        key(
            "since",
            Shape::Version,
            "The first release that sends the value",
        ),
        key(
            "removed",
            Shape::Version,
            "The first release that no longer sends it",
        ),
    ],
};

/// An enum.
pub static ENUM: Kind = Kind {
    name: "enum",
    doc: "A named set of string values; generated code keeps unknown values",
    keys: &[
        required("description", Shape::Text, "What the values describe"),
        required(
            "values",
            Shape::MapOf(&TEXT_OR_ENUM_VALUE),
            "The values as Dovecot sends them",
        ),
    ],
};

/// An enum value: a description, or the long form.
pub static TEXT_OR_ENUM_VALUE: Kind = Kind {
    name: "enum_value_or_text",
    doc: "A value's description, or its long form",
    keys: &[],
};

/// A category.
pub static CATEGORY: Kind = Kind {
    name: "category",
    doc: "An event category",
    keys: &[
        required("description", Shape::Text, "What the category covers"),
        key("parent", Shape::Name, "The parent category"),
        key(
            "since",
            Shape::Version,
            "The first release with the category",
        ),
        key("removed", Shape::Version, "The first release without it"),
        key(
            "edition",
            Shape::OneOf(EDITIONS),
            "`pro` for categories of the commercial edition only",
        ),
        key(
            "note",
            Shape::Text,
            "Remarks, such as where docs and source disagree",
        ),
    ],
};

/// A reason code.
pub static REASON: Kind = Kind {
    name: "reason",
    doc: "An event reason code, as carried in `reason_code`",
    keys: &[
        key(
            "category",
            Shape::Name,
            "The category the reason belongs to",
        ),
        required("description", Shape::Text, "What the reason means"),
        key("since", Shape::Version, "The first release with the reason"),
        key("removed", Shape::Version, "The first release without it"),
        key(
            "edition",
            Shape::OneOf(EDITIONS),
            "`pro` for reasons of the commercial edition only",
        ),
        key(
            "note",
            Shape::Text,
            "Remarks, such as where docs and source disagree",
        ),
    ],
};

/// A schema file.
pub static FILE: Kind = Kind {
    name: "file",
    doc: "One file of the dovecot-events schema",
    keys: &[
        key(
            "versions",
            Shape::Versions,
            "The Dovecot releases the schema knows, oldest first (in one file only)",
        ),
        key("categories", Shape::MapOf(&CATEGORY), "Event categories"),
        key("reasons", Shape::MapOf(&REASON), "Event reason codes"),
        key("enums", Shape::MapOf(&ENUM), "Named sets of string values"),
        key(
            "global_fields",
            Shape::MapOf(&FIELD),
            "Fields any event may carry",
        ),
        key("groups", Shape::MapOf(&GROUP), "Reusable sets of fields"),
        key(
            "contexts",
            Shape::MapOf(&CONTEXT),
            "Kinds of parent event, and what they give the events below them",
        ),
        key("events", Shape::MapOf(&EVENT), "Events"),
    ],
};
