//! Questions the lint asks the resolved model: which events a name or a
//! wildcard means, which fields they carry, whether an item exists in the
//! target release, and what type a field has there.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use dovecot_events_codegen::Version;
use dovecot_events_codegen::diag::did_you_mean;
use dovecot_events_codegen::model::{Event, EventModel, Field, FieldType};
use dovecot_events_codegen::pattern_matches;

/// The group whose fields every event of a mail user's session can see
/// through its parent events; filters on them are fine on any event.
const SESSION_GROUP: &str = "mail_user";

/// Whether an item exists in the target release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Availability {
    Yes,
    NotYet(Version),
    Removed(Version, Option<String>),
}

/// `since <= target < removed`.
pub(crate) fn availability(
    since: Option<Version>,
    removed: Option<Version>,
    renamed_to: Option<&str>,
    target: Version,
) -> Availability {
    if let Some(since) = since.filter(|s| *s > target) {
        return Availability::NotYet(since);
    }
    match removed.filter(|r| *r <= target) {
        Some(removed) => Availability::Removed(removed, renamed_to.map(str::to_owned)),
        None => Availability::Yes,
    }
}

/// A message and a fix for an item that is not in the target release;
/// `what` names it (`event \`x\``), `use_new` turns a new name into the
/// text to write instead.
pub(crate) fn availability_problem(
    what: &str,
    availability: &Availability,
    target: Version,
    use_new: impl Fn(&str) -> String,
) -> Option<(String, Option<String>)> {
    match availability {
        Availability::Yes => None,
        Availability::NotYet(since) => Some((
            format!("{what} first appears in Dovecot {since}, after the target {target}"),
            Some(format!("remove it, or upgrade to Dovecot {since} or later")),
        )),
        Availability::Removed(removed, renamed) => {
            let mut message =
                format!("{what} was removed in Dovecot {removed}, before the target {target}");
            let fix = match renamed {
                Some(new) => {
                    let _ = write!(message, "; from {removed} on it is called `{new}`");
                    Some(format!("use `{}`", use_new(new)))
                }
                None => Some("remove it: Dovecot no longer sends it".to_owned()),
            };
            Some((message, fix))
        }
    }
}

/// The article and name of a type for messages.
pub(crate) fn type_name(ty: FieldType) -> &'static str {
    match ty {
        FieldType::String => "a string",
        FieldType::Integer => "a number",
        FieldType::Timestamp => "a timestamp",
        FieldType::Ip => "an IP address",
        FieldType::StringList => "a list of strings",
        FieldType::Enum => "a string with known values",
        FieldType::Flag => "a yes-flag",
    }
}

/// Dovecot's wildcard match: `*` is any text, `?` any one character;
/// with `escapes`, a backslash takes the next character literally (2.4).
pub(crate) fn wildcard_match(pattern: &str, text: &str, ignore_case: bool, escapes: bool) -> bool {
    let norm = |s: &str| -> Vec<char> {
        if ignore_case {
            s.to_lowercase().chars().collect()
        } else {
            s.chars().collect()
        }
    };
    let (p, t) = (norm(pattern), norm(text));
    let mut memo = vec![vec![None; t.len() + 1]; p.len() + 1];
    matches_at(&p, &t, 0, 0, escapes, &mut memo)
}

fn matches_at(
    p: &[char],
    t: &[char],
    i: usize,
    j: usize,
    escapes: bool,
    memo: &mut Vec<Vec<Option<bool>>>,
) -> bool {
    if let Some(known) = memo[i][j] {
        return known;
    }
    let result = match p.get(i) {
        None => j == t.len(),
        Some('*') => {
            matches_at(p, t, i + 1, j, escapes, memo)
                || (j < t.len() && matches_at(p, t, i, j + 1, escapes, memo))
        }
        Some('?') => j < t.len() && matches_at(p, t, i + 1, j + 1, escapes, memo),
        Some('\\') if escapes && i + 1 < p.len() => {
            j < t.len() && t[j] == p[i + 1] && matches_at(p, t, i + 2, j + 1, escapes, memo)
        }
        Some(c) => j < t.len() && t[j] == *c && matches_at(p, t, i + 1, j + 1, escapes, memo),
    };
    memo[i][j] = Some(result);
    result
}

/// Whether a value has unescaped wildcards.
pub(crate) fn has_wildcards(value: &str, escapes: bool) -> bool {
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if escapes => {
                chars.next();
            }
            '*' | '?' => return true,
            _ => {}
        }
    }
    false
}

/// The field of `event` called `name`, an exact name before a pattern.
pub(crate) fn event_field<'m>(event: &'m Event, name: &str) -> Option<&'m Field> {
    event
        .fields
        .iter()
        .find(|f| !f.pattern && f.name == name)
        .or_else(|| {
            event
                .fields
                .iter()
                .find(|f| f.pattern && pattern_matches(&f.name, name))
        })
}

/// Every definition of a field called `name`: on events, in groups and
/// among the global fields.
pub(crate) fn field_anywhere<'m>(model: &'m EventModel, name: &str) -> Vec<&'m Field> {
    let mut out: Vec<&Field> = model
        .events
        .values()
        .filter_map(|e| event_field(e, name))
        .collect();
    for group in model.groups.values() {
        out.extend(
            group
                .fields
                .iter()
                .filter(|f| f.name == name || (f.pattern && pattern_matches(&f.name, name))),
        );
    }
    out.extend(model.global_fields.iter().filter(|f| f.name == name));
    out
}

/// Fields any event may carry: the global ones and those of a mail user's
/// session, which events see through their parents.
pub(crate) fn ambient_field<'m>(model: &'m EventModel, name: &str) -> Option<&'m Field> {
    model
        .global_fields
        .iter()
        .find(|f| f.name == name)
        .or_else(|| {
            model
                .groups
                .get(SESSION_GROUP)?
                .fields
                .iter()
                .find(|f| f.name == name)
        })
}

/// Every plain field name in the model, for suggestions.
pub(crate) fn all_field_names(model: &EventModel) -> BTreeSet<&str> {
    let mut names: BTreeSet<&str> = model
        .events
        .values()
        .flat_map(|e| e.fields.iter())
        .chain(model.groups.values().flat_map(|g| g.fields.iter()))
        .chain(model.global_fields.iter())
        .filter(|f| !f.pattern)
        .map(|f| f.name.as_str())
        .collect();
    names.remove("");
    names
}

/// ` (did you mean \`x\`?)`-style suggestion text, as a fix.
pub(crate) fn suggest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    did_you_mean(name, candidates).map(|s| format!("did you mean `{s}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard_match(
            "imap_*",
            "imap_command_finished",
            false,
            false
        ));
        assert!(wildcard_match(
            "*_finished",
            "http_request_finished",
            false,
            false
        ));
        assert!(wildcard_match("a?c", "abc", false, false));
        assert!(!wildcard_match("IMAP_*", "imap_x", false, false));
        assert!(wildcard_match("IMAP_*", "imap_x", true, false));
        assert!(wildcard_match(r"a\*", "a*", false, true));
        assert!(!wildcard_match(r"a\*", "ab", false, true));
        assert!(has_wildcards("a*", false));
        assert!(!has_wildcards(r"a\*", true));
    }

    #[test]
    fn availability_windows() {
        let v = |s: &str| s.parse::<Version>().expect("version");
        assert_eq!(
            availability(Some(v("2.3.7")), None, None, v("2.3.19")),
            Availability::Yes
        );
        assert_eq!(
            availability(Some(v("2.4.0")), None, None, v("2.3.19")),
            Availability::NotYet(v("2.4.0"))
        );
        assert_eq!(
            availability(None, Some(v("2.3.9")), Some("cmd_name"), v("2.3.19")),
            Availability::Removed(v("2.3.9"), Some("cmd_name".to_owned()))
        );
    }
}
