//! Which Dovecot release a command works against, for every command that
//! takes one (`verify`, `lint`, `diff`, `docs`): a release the schema
//! knows, a series such as `2.4` or `2.3.11` for its newest release, or,
//! where the command allows it, nothing for the newest release of all.

use dovecot_events_codegen::{EventModel, Version};

/// A release resolved for a command, with the note that says how, when it
/// was not given exactly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The release.
    pub version: Version,
    /// A sentence for standard error when the release was chosen for the
    /// user (no release given, or a series).
    pub note: Option<String>,
}

/// Resolves `asked` against the releases `model` knows.
///
/// `None` is the newest release; `flag` names where a release is given
/// (`--target`), for the note that says so. A version that is not a
/// release but begins some (`2.4`, `2.3.11`) is the newest of them.
///
/// ```
/// use dovecot_eventgen::target::resolve;
///
/// let model = dovecot_events_codegen::load_embedded().unwrap();
/// let exact = resolve(&model, Some("2.3.19".parse().unwrap()), "--target").unwrap();
/// assert_eq!((exact.version.to_string(), exact.note), ("2.3.19".to_owned(), None));
/// let series = resolve(&model, Some("2.3".parse().unwrap()), "--target").unwrap();
/// assert_eq!(series.version.to_string(), "2.3.21.1");
/// assert!(resolve(&model, Some("2.3.12".parse().unwrap()), "--target").is_err());
/// ```
///
/// # Errors
///
/// A sentence naming the closest releases the schema knows, when `asked`
/// is neither a release nor the start of one.
pub fn resolve(model: &EventModel, asked: Option<Version>, flag: &str) -> Result<Resolved, String> {
    let newest = model
        .versions
        .iter()
        .max()
        .copied()
        .ok_or_else(|| "the schema lists no Dovecot release".to_owned())?;
    let Some(asked) = asked else {
        return Ok(Resolved {
            version: newest,
            note: Some(format!(
                "checking against Dovecot {newest}, the newest release the schema knows \
                 (give {flag} to choose another)"
            )),
        });
    };
    if model.versions.contains(&asked) {
        return Ok(Resolved {
            version: asked,
            note: None,
        });
    }
    let in_series = model
        .versions
        .iter()
        .filter(|v| v.parts().starts_with(asked.parts()))
        .max();
    if let Some(&version) = in_series {
        return Ok(Resolved {
            version,
            note: Some(format!(
                "{asked} stands for the newest release of that series, Dovecot {version}"
            )),
        });
    }
    let before = model.versions.iter().filter(|v| **v < asked).max();
    let after = model.versions.iter().filter(|v| **v > asked).min();
    Err(match (before, after) {
        (Some(before), Some(after)) => format!(
            "Dovecot {asked} is not a release the schema knows; the nearest ones are \
             {before} and {after}"
        ),
        (Some(_), None) => format!(
            "Dovecot {asked} is newer than every release the schema knows; the newest is \
             {newest}"
        ),
        (None, _) => format!(
            "Dovecot {asked} is older than every release the schema knows; the oldest is {}",
            model.versions.iter().min().copied().unwrap_or(newest)
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> EventModel {
        dovecot_events_codegen::load_embedded().expect("the embedded schema loads")
    }

    fn v(text: &str) -> Version {
        text.parse().expect("a version")
    }

    #[test]
    fn exact_releases_series_and_the_default() {
        let model = model();
        let newest = *model.versions.iter().max().expect("releases");
        let default = resolve(&model, None, "--target").expect("newest");
        assert_eq!(default.version, newest);
        assert!(default.note.expect("a note").contains("newest release"));

        let exact = resolve(&model, Some(v("2.3.19")), "--target").expect("a release");
        assert_eq!(
            exact,
            Resolved {
                version: v("2.3.19"),
                note: None
            }
        );

        // A series, at any depth: 2.3.11 has only 2.3.11.2 and 2.3.11.3.
        for (asked, expected) in [
            ("2.4", newest),
            ("2.3", v("2.3.21.1")),
            ("2.3.11", v("2.3.11.3")),
        ] {
            let resolved = resolve(&model, Some(v(asked)), "--target").expect("a series");
            assert_eq!(resolved.version, expected, "{asked}");
            let note = resolved.note.expect("a note");
            assert!(note.contains(&format!("Dovecot {expected}")), "{note}");
        }
    }

    #[test]
    fn unknown_releases_name_their_neighbours() {
        let model = model();
        let error = resolve(&model, Some(v("2.3.12")), "--target").expect_err("unknown");
        assert_eq!(
            error,
            "Dovecot 2.3.12 is not a release the schema knows; the nearest ones are 2.3.11.3 and 2.3.13"
        );
        let newer = resolve(&model, Some(v("9.0")), "--target").expect_err("unknown");
        assert!(newer.contains("newer than every release"), "{newer}");
        let older = resolve(&model, Some(v("1.2")), "--target").expect_err("unknown");
        assert!(older.contains("older than every release"), "{older}");
    }
}
