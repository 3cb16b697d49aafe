//! Dovecot release numbers.
//!
//! Dovecot versions have two to four numeric parts (`2.3`, `2.3.7`,
//! `2.3.19.1`), which semver cannot hold, so the project has its own type.

use core::cmp::Ordering;
use core::fmt;
use core::str::FromStr;

/// A Dovecot release number such as `2.3.19.1`, ordered numerically.
///
/// Missing trailing parts compare as zero, so `2.3` < `2.3.0.1`, while the
/// text form keeps the parts given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Version {
    parts: [u16; 4],
    len: u8,
}

impl Version {
    /// Builds a version from its numeric parts (two to four of them).
    ///
    /// # Panics
    ///
    /// Panics (at compile time in a `const`) when `parts` has fewer than two
    /// or more than four elements; use [`str::parse`] for untrusted input.
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

    /// Parses `2.3.19.1`-style text; `None` when it is not a version. The
    /// same as [`str::parse`] without the error's text.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }

    /// The Cargo feature named after this release, e.g. `v2_3_19_1`.
    #[must_use]
    pub fn feature_name(&self) -> String {
        let parts: Vec<String> = self.parts().iter().map(u16::to_string).collect();
        format!("v{}", parts.join("_"))
    }

    /// Whether `self` is `series` or a release of it: `2.4.1` is in the
    /// series `2.4`, and in `2.4.1` itself.
    #[must_use]
    pub fn is_in_series(&self, series: Version) -> bool {
        self.parts().starts_with(series.parts())
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

/// Why a text is not a Dovecot version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionError {
    text: String,
}

impl fmt::Display for VersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "malformed version `{}`: expected two to four dot-separated numbers such as `2.3.7` or `2.3.19.1`",
            self.text
        )
    }
}

impl std::error::Error for VersionError {}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = || VersionError {
            text: text.chars().take(64).collect(),
        };
        let mut parts = [0u16; 4];
        let mut len = 0usize;
        for piece in text.split('.') {
            if len == 4 || piece.is_empty() || !piece.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            // A leading zero ("2.03") would make two spellings of one release.
            if piece.len() > 1 && piece.starts_with('0') {
                return Err(err());
            }
            parts[len] = piece.parse().map_err(|_| err())?;
            len += 1;
        }
        if len < 2 {
            return Err(err());
        }
        Ok(Version {
            parts,
            len: len as u8,
        })
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        text.parse().expect("valid version")
    }

    #[test]
    fn parses_two_to_four_parts() {
        assert_eq!(v("2.3").parts(), &[2, 3]);
        assert_eq!(v("2.3.19.1").parts(), &[2, 3, 19, 1]);
        assert_eq!(v("2.3.19.1").to_string(), "2.3.19.1");
        assert_eq!(v("2.3.19.1").feature_name(), "v2_3_19_1");
        assert_eq!(Version::new(&[2, 3, 19, 1]), v("2.3.19.1"));
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "2",
            "2.",
            ".3",
            "2.3.4.5.6",
            "2.x",
            "v2.3",
            "2.03",
            "2.3 ",
            "99999.1",
        ] {
            assert!(Version::parse(bad).is_none(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn orders_numerically() {
        let mut versions = [
            v("2.3.10"),
            v("2.4.0"),
            v("2.3.9"),
            v("2.3.19.1"),
            v("2.3.19"),
        ];
        versions.sort();
        let text: Vec<String> = versions.iter().map(ToString::to_string).collect();
        assert_eq!(text, ["2.3.9", "2.3.10", "2.3.19", "2.3.19.1", "2.4.0"]);
        assert!(v("2.3") < v("2.3.0.1"));
    }

    #[test]
    fn series() {
        assert!(v("2.4.1").is_in_series(v("2.4")));
        assert!(v("2.4.1").is_in_series(v("2.4.1")));
        assert!(!v("2.4.1").is_in_series(v("2.3")));
        assert!(!v("2.4").is_in_series(v("2.4.1")));
    }
}
