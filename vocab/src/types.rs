//! What a field carries, and who sends an item.

/// Which Dovecot edition sends an item.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Edition {
    /// The open-source server.
    #[default]
    Open,
    /// Dovecot's commercial edition only.
    Pro,
}

impl Edition {
    /// Every edition with its schema spelling.
    pub const ALL: [(&'static str, Edition); 2] = [("open", Edition::Open), ("pro", Edition::Pro)];

    /// The schema spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Edition::Open => "open",
            Edition::Pro => "pro",
        }
    }
}

/// What kind of value a field carries, refined beyond the wire form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
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
    /// A string from a known, open set of values.
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
        match self {
            FieldType::String => "string",
            FieldType::Integer => "integer",
            FieldType::Timestamp => "timestamp",
            FieldType::Ip => "ip",
            FieldType::StringList => "string_list",
            FieldType::Enum => "enum",
            FieldType::Flag => "flag",
        }
    }

    /// The type a schema spelling names.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
    }

    /// The type with an article, for messages: `an IP address`.
    #[must_use]
    pub fn described(self) -> &'static str {
        match self {
            FieldType::String => "a string",
            FieldType::Integer => "a number",
            FieldType::Timestamp => "a timestamp",
            FieldType::Ip => "an IP address",
            FieldType::StringList => "a list of strings",
            FieldType::Enum => "a string with known values",
            FieldType::Flag => "a yes-flag",
        }
    }

    /// How the runtime holds a value of this type with this unit.
    #[must_use]
    pub fn repr(self, unit: Option<Unit>) -> Repr {
        match (self, unit) {
            (FieldType::String, _) => Repr::Text,
            (FieldType::Integer, None) => Repr::I64,
            (FieldType::Integer, Some(Unit::Port)) => Repr::U16,
            (FieldType::Integer, Some(_)) => Repr::U64,
            (FieldType::Timestamp, _) => Repr::Timestamp,
            (FieldType::Ip, _) => Repr::Ip,
            (FieldType::StringList, _) => Repr::TextList,
            (FieldType::Enum, _) => Repr::Enum,
            (FieldType::Flag, _) => Repr::Flag,
        }
    }
}

/// What an integer field counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
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
        match self {
            Unit::Bytes => "bytes",
            Unit::Count => "count",
            Unit::Microseconds => "microseconds",
            Unit::Milliseconds => "milliseconds",
            Unit::Seconds => "seconds",
            Unit::Port => "port",
            Unit::Id => "id",
        }
    }

    /// The unit a schema spelling names.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, u)| *u)
    }
}

/// The Rust type that holds a field's value in the generated structs,
/// decided by [`FieldType::repr`]; the code generator writes these types and
/// the runtime converts wire values into them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Repr {
    /// `Cow<str>`.
    Text,
    /// `i64`: an integer without a unit may be negative.
    I64,
    /// `u64`: sizes, counts, durations and ids.
    U64,
    /// `u16`: ports.
    U16,
    /// The runtime's `Timestamp`.
    Timestamp,
    /// `std::net::IpAddr`.
    Ip,
    /// `Vec<Cow<str>>`.
    TextList,
    /// The field's generated open enum.
    Enum,
    /// `bool`.
    Flag,
}
