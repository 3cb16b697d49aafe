//! The rules about releases: the `versions` list, and the versions and lifetimes that name them.

use std::collections::BTreeSet;

use super::all_fields;
use crate::diag::Diagnostics;
use crate::raw::*;
use dovecot_events_vocab::Version;

/// Exactly one ascending `versions` list: everything else is checked against
/// it, and features and docs are ordered by it.
pub(super) fn version_list(
    raw: &RawSchema,
    incomplete: bool,
    cx: &mut Diagnostics,
) -> BTreeSet<Version> {
    let mut known = BTreeSet::new();
    match raw.versions.as_slice() {
        // The list may be in the file that failed to parse.
        [] if incomplete => {}
        [] => {
            let location =
                crate::load::file_location(raw.paths.first().map_or("schema", String::as_str));
            cx.error_with_hint(
                &location,
                "the schema has no `versions` list",
                "add `versions: [2.3.0, …]` listing every Dovecot release the schema knows, oldest first",
            );
        }
        [first, rest @ ..] => {
            for extra in rest {
                cx.error_with_hint(
                    &extra.location,
                    "a second `versions` list",
                    format!("merge it into the list at {}", first.location),
                );
            }
            let mut previous: Option<&Spanned<Version>> = None;
            for version in &first.value {
                if let Some(prev) = previous
                    && version.value <= prev.value
                {
                    let what = if version.value == prev.value {
                        "listed twice"
                    } else {
                        "out of order"
                    };
                    cx.error_with_hint(
                        &version.location,
                        format!("version {} is {what} in `versions`", version.value),
                        "list every release once, oldest first",
                    );
                }
                known.insert(version.value);
                previous = Some(version);
            }
        }
    }
    known
}

/// Every version named anywhere is in the list, so a typo such as `2.3.12`
/// (never released) cannot slip in.
pub(super) fn versions_are_known(raw: &RawSchema, known: &BTreeSet<Version>, cx: &mut Diagnostics) {
    if known.is_empty() {
        return;
    }
    let mut check = |v: &Option<Spanned<Version>>| {
        if let Some(v) = v
            && !known.contains(&v.value)
        {
            let hint = match known.range(v.value..).next() {
                Some(next) => format!(
                    "add {} to `versions` if it is a real release, or use a listed one such as {next}",
                    v.value
                ),
                None => format!("add {} to `versions`", v.value),
            };
            cx.error_with_hint(
                &v.location,
                format!("version {} is not in the `versions` list", v.value),
                hint,
            );
        }
    };
    for c in &raw.categories {
        check(&c.since);
        check(&c.removed);
    }
    for r in &raw.reasons {
        check(&r.since);
    }
    for e in &raw.enums {
        for value in &e.values {
            check(&value.since);
            check(&value.removed);
        }
    }
    for field in all_fields(raw) {
        check(&field.since);
        check(&field.deprecated);
        check(&field.removed);
        for change in &field.changes {
            check(&Some(change.version.clone()));
        }
    }
    for inherit in raw
        .events
        .iter()
        .flat_map(|e| &e.inherits)
        .chain(raw.groups.iter().flat_map(|g| &g.inherits))
    {
        check(&inherit.since);
        check(&inherit.removed);
    }
    for context in raw.groups.iter().filter_map(|g| g.context.as_ref()) {
        for category in &context.categories {
            check(&category.since);
            check(&category.removed);
        }
        if let Some((since, removed)) = &context.global {
            check(since);
            check(removed);
        }
    }
    for e in &raw.events {
        check(&e.since);
        check(&e.deprecated);
        check(&e.removed);
        for change in &e.changes {
            check(&Some(change.version.clone()));
        }
    }
}

/// `removed` must come after `since`, and `renamed_to` needs `removed`
/// unless the name was never sent at all (a documentation error).
pub(super) fn lifetimes_are_ordered(raw: &RawSchema, cx: &mut Diagnostics) {
    fn ordered(
        what: &str,
        since: &Option<Spanned<Version>>,
        removed: &Option<Spanned<Version>>,
        cx: &mut Diagnostics,
    ) {
        if let (Some(since), Some(removed)) = (since, removed)
            && removed.value <= since.value
        {
            cx.error_with_hint(
                &removed.location,
                format!(
                    "{what} is removed in {} but only added in {}",
                    removed.value, since.value
                ),
                "`removed` is the first release without it and must be later than `since`",
            );
        }
    }
    fn renamed(
        what: &str,
        removed: &Option<Spanned<Version>>,
        renamed_to: &Option<Spanned<String>>,
        emitted: bool,
        cx: &mut Diagnostics,
    ) {
        if let Some(to) = renamed_to
            && removed.is_none()
            && emitted
        {
            cx.error_with_hint(
                &to.location,
                format!("{what} has `renamed_to` but no `removed`"),
                "add `removed:` with the first release that uses the new name, or `emitted: false` if Dovecot never sent the old name",
            );
        }
    }
    for c in &raw.categories {
        ordered(
            &format!("category `{}`", c.name.value),
            &c.since,
            &c.removed,
            cx,
        );
    }
    for e in &raw.enums {
        for v in &e.values {
            ordered(
                &format!("enum value `{}`", v.name.value),
                &v.since,
                &v.removed,
                cx,
            );
        }
    }
    for e in &raw.events {
        let what = format!("event `{}`", e.name.value);
        ordered(&what, &e.since, &e.removed, cx);
        renamed(&what, &e.removed, &e.renamed_to, e.emitted, cx);
    }
    for f in all_fields(raw) {
        let what = format!("field `{}`", f.name.value);
        ordered(&what, &f.since, &f.removed, cx);
        renamed(&what, &f.removed, &f.renamed_to, f.emitted, cx);
    }
}

/// A field cannot be sent by an event before the event itself exists.
pub(super) fn fields_start_after_their_event(raw: &RawSchema, cx: &mut Diagnostics) {
    for e in &raw.events {
        let Some(event_since) = &e.since else {
            continue;
        };
        for f in &e.fields {
            if let Some(since) = &f.since
                && since.value < event_since.value
            {
                cx.error_with_hint(
                    &since.location,
                    format!(
                        "field `{}` is said to appear in {}, before its event `{}` ({})",
                        f.name.value, since.value, e.name.value, event_since.value
                    ),
                    format!(
                        "use `since: {}` or later, or drop `since:` to inherit the event's",
                        event_since.value
                    ),
                );
            }
        }
    }
}
