//! Located schema diagnostics, collected so that every problem is reported at
//! once.

use std::fmt;
use std::sync::Arc;

/// A position in a schema file: 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// The file as the user named it (relative to the schema directory's
    /// parent where possible).
    pub file: Arc<str>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One problem found in a schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where the problem is.
    pub location: Location,
    /// What is wrong, lowercase, without a trailing period.
    pub message: String,
    /// How to fix it, if there is something useful to say.
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Collects diagnostics across all stages; stages keep going after a problem
/// so that the user sees every problem in one run.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Records a problem without a hint.
    pub fn error(&mut self, location: &Location, message: impl Into<String>) {
        self.items.push(Diagnostic {
            location: location.clone(),
            message: message.into(),
            hint: None,
        });
    }

    /// Records a problem with a hint on how to fix it.
    pub fn error_with_hint(
        &mut self,
        location: &Location,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.items.push(Diagnostic {
            location: location.clone(),
            message: message.into(),
            hint: Some(hint.into()),
        });
    }

    /// Whether no problem was recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Ends collection: `Ok(value)` when nothing was recorded, otherwise every
    /// diagnostic, sorted by location so the output reads like a compiler's.
    pub fn finish<T>(mut self, value: T) -> Result<T, SchemaErrors> {
        if self.items.is_empty() {
            Ok(value)
        } else {
            self.items.sort_by(|a, b| a.location.cmp(&b.location));
            self.items.dedup();
            Err(SchemaErrors { items: self.items })
        }
    }
}

/// Every problem found in a schema; displays one located diagnostic per line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaErrors {
    items: Vec<Diagnostic>,
}

impl SchemaErrors {
    /// The individual diagnostics, in file order.
    #[must_use]
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.items
    }

    /// A single error that is not tied to a place in a YAML document, such as
    /// an unreadable directory.
    #[must_use]
    pub fn single(location: Location, message: String, hint: Option<String>) -> Self {
        SchemaErrors {
            items: vec![Diagnostic {
                location,
                message,
                hint,
            }],
        }
    }
}

impl fmt::Display for SchemaErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{item}")?;
        }
        let n = self.items.len();
        write!(
            f,
            "\n{n} schema error{} found",
            if n == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for SchemaErrors {}

/// The candidate closest to `name`, if it is close enough to be a likely typo.
///
/// Candidates whose length differs from `name`'s by more than the distance
/// allowed cannot be close and are not compared, so a name of any length
/// (from an export or a configuration) costs time in proportion to the
/// candidates' lengths only.
#[must_use]
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let length = name.chars().count();
    let limit = (length / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| c.chars().count().abs_diff(length) <= limit)
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["description", "since", "removed", "renamed_to"];
        assert_eq!(did_you_mean("descripton", names), Some("description"));
        assert_eq!(did_you_mean("sinse", names), Some("since"));
        assert_eq!(did_you_mean("colour", names), None);
        // A long name is compared with nothing, not with every candidate.
        assert_eq!(did_you_mean(&"x".repeat(1 << 20), names), None);
    }
}
