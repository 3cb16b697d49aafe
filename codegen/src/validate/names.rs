//! The grammar of schema names, and what free text may hold.
//!
//! Names reach every output: Rust identifiers and string literals, Markdown
//! headings and code spans, reStructuredText targets, HTML attributes,
//! JavaScript keys, `cargo:` lines of build scripts. Rather than trusting
//! each output's escaping, a name may only use the characters Dovecot's own
//! names use, which none of those outputs treat specially:
//!
//! | names of | grammar |
//! | --- | --- |
//! | events, groups, enums | `[a-z][a-z0-9_]*` |
//! | fields | `[a-z0-9_]+`, `*` in a `pattern: true` field, and one leading space (Dovecot sends `" user_mask"`) |
//! | categories | `[a-z][a-z0-9_:*-]*` (`service:imap`, the pattern `service:*`) |
//! | reason codes | `[a-z][a-z0-9_:*-]*` (`imap:cmd_*`) |
//! | enum values | `[A-Za-z0-9][A-Za-z0-9_ .-]*`, not ending in a space (`OK`, `Failed temporarily`) |
//!
//! each at most [`MAX_NAME_CHARS`] characters. Descriptions and notes are
//! free text, but without control characters (other than line breaks and
//! tabs) and without the bidirectional-formatting characters that make text
//! display in an order other than the one it is read in.

use crate::diag::{Diagnostics, Location};
use crate::emit::is_bidi_control;
use crate::raw::{RawField, RawSchema, Spanned};

/// The longest name, in characters (the repository's longest is 42).
pub const MAX_NAME_CHARS: usize = 64;

/// The kinds of name, each with its grammar.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Event,
    Group,
    Enum,
    Field { pattern: bool },
    Category,
    Reason,
    EnumValue,
}

impl Kind {
    fn what(self) -> &'static str {
        match self {
            Kind::Event => "event name",
            Kind::Group => "group name",
            Kind::Enum => "enum name",
            Kind::Field { .. } => "field name",
            Kind::Category => "category name",
            Kind::Reason => "reason code",
            Kind::EnumValue => "enum value",
        }
    }

    fn grammar(self) -> &'static str {
        match self {
            Kind::Event | Kind::Group | Kind::Enum => {
                "a lowercase ASCII letter, then lowercase letters, digits and `_`"
            }
            Kind::Field { .. } => {
                "lowercase ASCII letters, digits and `_` (`*` in a `pattern: true` field, and one leading space as Dovecot sends ` user_mask`)"
            }
            Kind::Category | Kind::Reason => {
                "a lowercase ASCII letter, then lowercase letters, digits, `_`, `-`, `:` and `*`"
            }
            Kind::EnumValue => {
                "an ASCII letter or digit, then letters, digits, `_`, `-`, `.` and spaces, not ending in a space"
            }
        }
    }

    /// Whether `c` may stand at position `at` of a name of this kind.
    fn allows(self, at: usize, c: char) -> bool {
        let lower = c.is_ascii_lowercase();
        let digit = c.is_ascii_digit();
        match self {
            Kind::Event | Kind::Group | Kind::Enum => lower || (at > 0 && (digit || c == '_')),
            Kind::Field { pattern } => {
                lower || digit || c == '_' || (at == 0 && c == ' ') || (pattern && c == '*')
            }
            Kind::Category | Kind::Reason => {
                lower || (at > 0 && (digit || matches!(c, '_' | '-' | ':' | '*')))
            }
            Kind::EnumValue => {
                c.is_ascii_alphanumeric() || (at > 0 && matches!(c, '_' | '-' | '.' | ' '))
            }
        }
    }

    /// What is wrong with `name`, if anything.
    fn problem(self, name: &str) -> Option<String> {
        let count = name.chars().count();
        if count > MAX_NAME_CHARS {
            return Some(format!(
                "is {count} characters long, more than {MAX_NAME_CHARS}"
            ));
        }
        if let Some((at, c)) = name
            .chars()
            .enumerate()
            .find(|&(at, c)| !self.allows(at, c))
        {
            let shown = if c.is_ascii_graphic() {
                format!("`{c}`")
            } else {
                format!("U+{:04X}", u32::from(c))
            };
            let hint = match self {
                Kind::Field { pattern: false } if c == '*' => {
                    " (set `pattern: true` for a pattern)"
                }
                _ => "",
            };
            return Some(format!("has {shown} at character {}{hint}", at + 1));
        }
        let trimmed_end = matches!(self, Kind::EnumValue) && name.ends_with(' ');
        let only_space = matches!(self, Kind::Field { .. }) && name.trim().is_empty();
        (trimmed_end || only_space).then(|| "ends in a space".to_owned())
    }
}

/// Checks one name, recording a located error when it breaks its grammar.
fn name(kind: Kind, name: &Spanned<String>, cx: &mut Diagnostics) {
    if let Some(problem) = kind.problem(&name.value) {
        cx.error_with_hint(
            &name.location,
            format!("{} `{}` {problem}", kind.what(), shown(&name.value)),
            format!("a {} is {}", kind.what(), kind.grammar()),
        );
    }
}

/// A name for a message: escaped where it could not be shown as it is,
/// shortened where it is long.
fn shown(name: &str) -> String {
    let mut out: String = name.chars().take(MAX_NAME_CHARS).collect();
    if out.len() < name.len() {
        out.push('…');
    }
    if out
        .chars()
        .any(|c| c.is_control() || is_bidi_control(c) || c == '`')
    {
        out = out.escape_debug().to_string();
    }
    out
}

/// Every name in the schema follows its grammar.
pub fn names_follow_the_grammar(raw: &RawSchema, cx: &mut Diagnostics) {
    for c in &raw.categories {
        name(Kind::Category, &c.name, cx);
        if let Some(parent) = &c.parent {
            name(Kind::Category, parent, cx);
        }
    }
    for r in &raw.reasons {
        name(Kind::Reason, &r.name, cx);
        if let Some(category) = &r.category {
            name(Kind::Category, category, cx);
        }
    }
    for e in &raw.enums {
        name(Kind::Enum, &e.name, cx);
        for v in &e.values {
            name(Kind::EnumValue, &v.name, cx);
        }
    }
    let field = |f: &RawField, cx: &mut Diagnostics| {
        name(Kind::Field { pattern: f.pattern }, &f.name, cx);
        if let Some(to) = &f.renamed_to {
            name(Kind::Field { pattern: false }, to, cx);
        }
        if let Some(e) = &f.enum_name {
            name(Kind::Enum, e, cx);
        }
    };
    for f in &raw.global_fields {
        field(f, cx);
    }
    for g in &raw.groups {
        name(Kind::Group, &g.name, cx);
        for f in &g.fields {
            field(f, cx);
        }
    }
    for e in &raw.events {
        name(Kind::Event, &e.name, cx);
        for c in e.category.iter().chain(&e.categories) {
            name(Kind::Category, c, cx);
        }
        if let Some(to) = &e.renamed_to {
            name(Kind::Event, to, cx);
        }
        for f in &e.fields {
            field(f, cx);
        }
    }
    // An `inherits` entry names a group or an event, whose grammar is the
    // same.
    for inherit in raw
        .events
        .iter()
        .flat_map(|e| &e.inherits)
        .chain(raw.groups.iter().flat_map(|g| &g.inherits))
    {
        name(Kind::Group, &inherit.name, cx);
    }
}

/// Descriptions, notes and the other free text hold no control characters
/// but line breaks and tabs, and no bidirectional-formatting characters.
/// The text has no location of its own, so the error points at the name of
/// what it describes.
pub fn text_is_plain(raw: &RawSchema, cx: &mut Diagnostics) {
    let mut check = |owner: &str, at: &Location, key: &str, text: &str| {
        let Some(c) = text
            .chars()
            .find(|&c| (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c))
        else {
            return;
        };
        let kind = if is_bidi_control(c) {
            "bidirectional-formatting"
        } else {
            "control"
        };
        cx.error_with_hint(
            at,
            format!(
                "the {key} of {owner} has the {kind} character U+{:04X}",
                u32::from(c)
            ),
            "remove it: such characters change how text displays or break the generated files",
        );
    };
    fn field(f: &RawField, check: &mut dyn FnMut(&str, &Location, &str, &str)) {
        let owner = format!("field `{}`", shown(&f.name.value));
        check(&owner, &f.name.location, "description", &f.description);
        for note in f.note.iter().chain(f.changes.iter().map(|c| &c.note)) {
            check(&owner, &f.name.location, "note", note);
        }
    }
    for c in &raw.categories {
        let owner = format!("category `{}`", shown(&c.name.value));
        check(&owner, &c.name.location, "description", &c.description);
        if let Some(note) = &c.note {
            check(&owner, &c.name.location, "note", note);
        }
    }
    for r in &raw.reasons {
        let owner = format!("reason `{}`", shown(&r.name.value));
        check(&owner, &r.name.location, "description", &r.description);
        if let Some(note) = &r.note {
            check(&owner, &r.name.location, "note", note);
        }
    }
    for e in &raw.enums {
        let owner = format!("enum `{}`", shown(&e.name.value));
        check(&owner, &e.name.location, "description", &e.description);
        for v in &e.values {
            let owner = format!("enum value `{}`", shown(&v.name.value));
            check(&owner, &v.name.location, "description", &v.description);
        }
    }
    for f in &raw.global_fields {
        field(f, &mut check);
    }
    for g in &raw.groups {
        let owner = format!("group `{}`", shown(&g.name.value));
        check(&owner, &g.name.location, "description", &g.description);
        if let Some(note) = &g.note {
            check(&owner, &g.name.location, "note", note);
        }
        for i in &g.inherits {
            if let Some(when) = &i.when {
                check(&owner, &i.name.location, "`when`", when);
            }
        }
        for f in &g.fields {
            field(f, &mut check);
        }
    }
    for e in &raw.events {
        let owner = format!("event `{}`", shown(&e.name.value));
        check(&owner, &e.name.location, "description", &e.description);
        for note in e.note.iter().chain(e.changes.iter().map(|c| &c.note)) {
            check(&owner, &e.name.location, "note", note);
        }
        for i in &e.inherits {
            if let Some(when) = &i.when {
                check(&owner, &i.name.location, "`when`", when);
            }
        }
        for f in &e.fields {
            field(f, &mut check);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grammar_takes_dovecots_names_and_nothing_that_could_inject() {
        let good = [
            (Kind::Event, "imap_command_finished"),
            (Kind::Field { pattern: false }, " user_mask"),
            (Kind::Field { pattern: true }, "http_hdr_*"),
            (Kind::Category, "service:*"),
            (Kind::Category, "auth-master-client-login"),
            (Kind::Reason, "imap:cmd_*"),
            (Kind::EnumValue, "Failed temporarily"),
            (Kind::EnumValue, "OK"),
        ];
        for (kind, name) in good {
            assert_eq!(kind.problem(name), None, "{name:?}");
        }
        let bad = [
            (Kind::Event, "x\n<script>alert(1)</script>"),
            (Kind::Event, "Imap"),
            (Kind::Event, "_x"),
            (Kind::Event, "a\u{202e}b"),
            (Kind::Event, "a`b"),
            (Kind::Group, "a b"),
            (Kind::Field { pattern: false }, "id_param_*"),
            (Kind::Field { pattern: false }, "  x"),
            (Kind::Field { pattern: false }, " "),
            (Kind::Field { pattern: false }, "a=b"),
            (Kind::Category, "service:\n.. raw:: html"),
            (Kind::EnumValue, "OK "),
            (Kind::EnumValue, " OK"),
            (Kind::EnumValue, "a|b"),
        ];
        for (kind, name) in bad {
            assert!(kind.problem(name).is_some(), "{name:?}");
        }
        assert!(Kind::Event.problem(&"a".repeat(65)).is_some());
        assert_eq!(Kind::Event.problem(&"a".repeat(64)), None);
    }

    #[test]
    fn messages_show_names_safely() {
        assert_eq!(shown("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(shown("x\ny"), "x\\ny");
        assert_eq!(shown(&"a".repeat(70)), format!("{}…", "a".repeat(64)));
    }
}
