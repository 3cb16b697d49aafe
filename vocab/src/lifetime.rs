//! When an event, field, category or value exists, and what that means for
//! one release.

use crate::types::FieldType;
use crate::version::Version;

/// The releases in which an item exists: from `since` (the first release
/// that sends it; `None` for "from the oldest release the schema knows") up
/// to, not including, `removed`. `deprecated` marks a release from which
/// Dovecot's docs discourage it while it is still sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Lifetime {
    /// The first release with the item.
    pub since: Option<Version>,
    /// The release that deprecated it.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub deprecated: Option<Version>,
    /// The first release without it.
    pub removed: Option<Version>,
}

/// Where a release stands in an item's [`Lifetime`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// The release is older than the item.
    NotYet {
        /// The first release with the item.
        since: Version,
    },
    /// The item exists and is not deprecated.
    Current,
    /// The item exists but was deprecated.
    Deprecated {
        /// The release that deprecated it.
        since: Version,
    },
    /// The item was removed before or in the release.
    Removed {
        /// The first release without it.
        since: Version,
    },
}

impl Lifetime {
    /// Exists in every release.
    pub const ALWAYS: Lifetime = Lifetime {
        since: None,
        deprecated: None,
        removed: None,
    };

    /// Whether release `version` has the item.
    #[must_use]
    pub fn exists_in(&self, version: Version) -> bool {
        self.since.is_none_or(|s| s <= version) && self.removed.is_none_or(|r| version < r)
    }

    /// Where `version` stands in this lifetime.
    #[must_use]
    pub fn status_at(&self, version: Version) -> Status {
        if let Some(since) = self.since.filter(|s| *s > version) {
            return Status::NotYet { since };
        }
        if let Some(since) = self.removed.filter(|r| *r <= version) {
            return Status::Removed { since };
        }
        match self.deprecated.filter(|d| *d <= version) {
            Some(since) => Status::Deprecated { since },
            None => Status::Current,
        }
    }

    /// Whether the item exists at any point from `from` up to and including
    /// `to`.
    #[must_use]
    pub fn overlaps(&self, from: Version, to: Version) -> bool {
        self.since.is_none_or(|s| s <= to) && self.removed.is_none_or(|r| r > from)
    }
}

/// A field's type in release `at`: `base`, changed by the last of
/// `changes` (release, new type) made by then.
#[must_use]
pub fn type_at(
    base: FieldType,
    changes: impl IntoIterator<Item = (Version, Option<FieldType>)>,
    at: Version,
) -> FieldType {
    changes
        .into_iter()
        .filter(|(v, _)| *v <= at)
        .filter_map(|(_, ty)| ty)
        .last()
        .unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        text.parse().expect("valid version")
    }

    #[test]
    fn statuses() {
        let life = Lifetime {
            since: Some(v("2.3.7")),
            deprecated: Some(v("2.3.20")),
            removed: Some(v("2.4.0")),
        };
        assert_eq!(
            life.status_at(v("2.3.6")),
            Status::NotYet { since: v("2.3.7") }
        );
        assert_eq!(life.status_at(v("2.3.7")), Status::Current);
        assert_eq!(
            life.status_at(v("2.3.21")),
            Status::Deprecated { since: v("2.3.20") }
        );
        assert_eq!(
            life.status_at(v("2.4.0")),
            Status::Removed { since: v("2.4.0") }
        );
        assert!(!life.exists_in(v("2.4.0")) && life.exists_in(v("2.3.21")));
        assert!(Lifetime::ALWAYS.exists_in(v("9.9")));
        assert!(life.overlaps(v("2.3.0"), v("2.3.7")) && !life.overlaps(v("2.4.0"), v("2.4.4")));
    }

    #[test]
    fn retyping() {
        let changes = [(v("2.4.0"), Some(FieldType::Ip)), (v("2.4.1"), None)];
        assert_eq!(
            type_at(FieldType::String, changes, v("2.3.19")),
            FieldType::String
        );
        assert_eq!(
            type_at(FieldType::String, changes, v("2.4.2")),
            FieldType::Ip
        );
    }
}
