//! Static metadata about every event, field, category and enum the schema
//! knows, including names Dovecot documents but never sends.

use core::cmp::Ordering;
use core::fmt;

/// A Dovecot release number such as `2.3.19.1` (two to four parts), ordered
/// numerically.
///
/// This mirrors the code generator's version type so that the runtime crate
/// needs no dependency on the generator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Version {
    parts: [u16; 4],
    len: u8,
}

impl Version {
    /// Builds a version from two to four numeric parts.
    ///
    /// # Panics
    ///
    /// Panics (at compile time in `const` context) for fewer than two or more
    /// than four parts.
    #[must_use]
    pub const fn new(parts: &[u16]) -> Self {
        assert!(parts.len() >= 2 && parts.len() <= 4);
        let mut out = [0; 4];
        let mut i = 0;
        while i < parts.len() {
            out[i] = parts[i];
            i += 1;
        }
        Version {
            parts: out,
            len: parts.len() as u8,
        }
    }

    /// The numeric parts as written.
    #[must_use]
    pub fn parts(&self) -> &[u16] {
        &self.parts[..usize::from(self.len)]
    }

    /// Parses `2.3.19.1`-style text; `None` when it is not a version.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = [0u16; 4];
        let mut len = 0usize;
        for piece in text.split('.') {
            if len == 4 || piece.is_empty() || !piece.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            parts[len] = piece.parse().ok()?;
            len += 1;
        }
        (len >= 2).then_some(Version {
            parts,
            len: len as u8,
        })
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts.cmp(&other.parts).then(self.len.cmp(&other.len))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, part) in self.parts().iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{part}")?;
        }
        Ok(())
    }
}

/// Which Dovecot edition sends an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Edition {
    /// The open-source server.
    Open,
    /// Dovecot's commercial edition only.
    Pro,
}

/// A field's value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// Free text.
    String,
    /// A signed integer.
    Integer,
    /// A point in time.
    Timestamp,
    /// An IP address.
    Ip,
    /// A list of strings.
    StringList,
    /// A string from a known, open set of values.
    Enum,
    /// A string that is only ever `yes` when present.
    Flag,
}

/// What an integer field counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Bytes.
    Bytes,
    /// A number of things.
    Count,
    /// Microseconds.
    Microseconds,
    /// Milliseconds.
    Milliseconds,
    /// Seconds.
    Seconds,
    /// A TCP or UDP port.
    Port,
    /// An identifier.
    Id,
}

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
    /// The first release that sends it on this event.
    pub since: Option<Version>,
    /// The release that deprecated it.
    pub deprecated: Option<Version>,
    /// The first release that no longer sends it.
    pub removed: Option<Version>,
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
}

impl FieldMeta {
    /// Whether Dovecot `version` sends this field (on an event that exists
    /// in that version).
    #[must_use]
    pub fn exists_in(&self, version: Version) -> bool {
        self.emitted && in_range(version, self.since, self.removed)
    }

    /// Whether `name` is this field's name, or matches its pattern.
    #[must_use]
    pub fn matches(&self, name: &str) -> bool {
        if self.pattern {
            wildcard_match(self.name, name)
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
    /// The first release that sends it.
    pub since: Option<Version>,
    /// The release that deprecated it.
    pub deprecated: Option<Version>,
    /// The first release that no longer sends it.
    pub removed: Option<Version>,
    /// Its name from `removed` on.
    pub renamed_to: Option<&'static str>,
    /// False for names Dovecot documents but never sends.
    pub emitted: bool,
    /// Which edition sends it.
    pub edition: Edition,
    /// A remark, such as where Dovecot's docs and source disagree.
    pub note: Option<&'static str>,
    /// Fields, own, inherited and global, sorted by name.
    pub fields: &'static [FieldMeta],
}

impl EventMeta {
    /// The field named `name` (patterns included), if the schema knows it.
    #[must_use]
    pub fn field(&self, name: &str) -> Option<&'static FieldMeta> {
        match self.fields.binary_search_by(|f| f.name.cmp(name)) {
            Ok(i) => Some(&self.fields[i]),
            Err(_) => self.fields.iter().find(|f| f.pattern && f.matches(name)),
        }
    }

    /// Whether Dovecot `version` sends this event.
    #[must_use]
    pub fn exists_in(&self, version: Version) -> bool {
        self.emitted && in_range(version, self.since, self.removed)
    }

    /// The fields Dovecot `version` sends on this event.
    pub fn fields_in(&self, version: Version) -> impl Iterator<Item = &'static FieldMeta> {
        self.fields.iter().filter(move |f| f.exists_in(version))
    }
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
    /// The first release with it.
    pub since: Option<Version>,
    /// The first release without it.
    pub removed: Option<Version>,
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
    /// The first release that sends it.
    pub since: Option<Version>,
    /// The first release that no longer sends it.
    pub removed: Option<Version>,
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

fn in_range(version: Version, since: Option<Version>, removed: Option<Version>) -> bool {
    since.is_none_or(|s| s <= version) && removed.is_none_or(|r| version < r)
}

/// `*` matches any run of characters, everything else itself.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            let Some(rest) = text.strip_prefix(head) else {
                return false;
            };
            (0..=rest.len())
                .filter(|&i| rest.is_char_boundary(i))
                .any(|i| wildcard_match(tail, &rest[i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard_match("id_param_*", "id_param_name"));
        assert!(wildcard_match("id_param_*", "id_param_"));
        assert!(!wildcard_match("id_param_*", "id_para"));
        assert!(wildcard_match("a*b*c", "axxbyyc"));
    }

    #[test]
    fn versions() {
        let v = Version::parse("2.3.19.1").expect("valid");
        assert_eq!(v.to_string(), "2.3.19.1");
        assert!(Version::new(&[2, 3, 19]) < v);
        assert!(Version::parse("2.x").is_none());
    }
}
