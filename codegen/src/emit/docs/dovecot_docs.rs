//! The data Dovecot's documentation site renders its events pages from:
//! `data/events.js` (events keyed by name, with root category, inherited
//! pseudo-events, fields and added/changed/removed tags) and `updates.js`
//! (tag → release). Field groups become pseudo-event entries so that
//! `inherit` works as it does there. Beyond what those files carry today,
//! every field gets a `type`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{one_line, type_text};
use crate::Version;
use crate::emit::escape::js_single_quoted;
use crate::model::{Change, Edition, EventModel, Field, Origin};

/// The `events.js` module.
#[must_use]
pub fn events_js(model: &EventModel) -> String {
    let first = model.versions.first().copied();
    let mut out = header(model);
    out.push_str("export const events = {\n");
    for group in model.groups.values() {
        let own: Vec<&Field> = group
            .fields
            .iter()
            .filter(|f| f.origin == Origin::Own)
            .collect();
        let mut text = one_line(&group.description);
        if let Some(note) = &group.note {
            text.push_str("\n\n");
            text.push_str(&one_line(note));
        }
        let _ = writeln!(out, "\n\t{}: {{", key(&group.name));
        out.push_str("\t\t// A group of fields other events inherit; never sent itself.\n");
        inherit_line(&mut out, group.inherits.iter().map(String::as_str));
        fields(&mut out, &group.name, &own, None, first);
        let _ = writeln!(out, "\t\ttext: {}\n\t}},", template(&text));
    }
    for event in model.events.values() {
        let _ = writeln!(out, "\n\t{}: {{", key(&event.name));
        if let Some(root) = &event.category {
            let _ = writeln!(out, "\t\troot: {},", js_single_quoted(root));
        }
        if let Some(since) = event.lifetime.since.filter(|s| Some(*s) > first) {
            tags(
                &mut out,
                2,
                "added",
                &[(tag(&event.name, None, "added"), since, None)],
            );
        }
        let changed: Vec<(String, Version, Option<String>)> = event
            .changes
            .iter()
            .map(|c| {
                (
                    change_tag(&event.name, None, c),
                    c.version,
                    Some(one_line(&c.note)),
                )
            })
            .collect();
        tags(&mut out, 2, "changed", &changed);
        if let Some(d) = event.lifetime.deprecated {
            tags(
                &mut out,
                2,
                "deprecated",
                &[(tag(&event.name, None, "deprecated"), d, None)],
            );
        }
        if let Some(r) = event.lifetime.removed {
            let text = event
                .renamed_to
                .as_ref()
                .map(|n| format!("Renamed to `{n}`."));
            tags(
                &mut out,
                2,
                "removed",
                &[(tag(&event.name, None, "removed"), r, text)],
            );
        }
        let mut tag_names = Vec::new();
        if event.edition == Edition::Pro {
            tag_names.push("pro");
        }
        if !event.emitted {
            tag_names.push("never-sent");
        }
        if !tag_names.is_empty() {
            let list: Vec<String> = tag_names.iter().map(|t| format!("'{t}'")).collect();
            let _ = writeln!(out, "\t\ttags: [ {} ],", list.join(", "));
        }
        inherit_line(&mut out, event.inherits.iter().map(|i| i.name.as_str()));
        let own: Vec<&Field> = event
            .fields
            .iter()
            .filter(|f| f.origin == Origin::Own)
            .collect();
        fields(&mut out, &event.name, &own, event.lifetime.since, first);
        let mut text = one_line(&event.description);
        if let Some(note) = &event.note {
            text.push_str("\n\n");
            text.push_str(&one_line(note));
        }
        let _ = writeln!(out, "\t\ttext: {}\n\t}},", template(&text));
    }
    out.push_str("\n};\n");
    out
}

/// The `updates.js` module: every tag `events.js` uses, with its release.
#[must_use]
pub fn updates_js(model: &EventModel) -> String {
    let mut map: BTreeMap<String, Version> = BTreeMap::new();
    let first = model.versions.first().copied();
    for group in model.groups.values() {
        for f in &group.fields {
            collect_field_tags(&mut map, &group.name, f, None, first);
        }
    }
    for event in model.events.values() {
        if let Some(since) = event.lifetime.since.filter(|s| Some(*s) > first) {
            map.insert(tag(&event.name, None, "added"), since);
        }
        for c in &event.changes {
            map.insert(change_tag(&event.name, None, c), c.version);
        }
        if let Some(d) = event.lifetime.deprecated {
            map.insert(tag(&event.name, None, "deprecated"), d);
        }
        if let Some(r) = event.lifetime.removed {
            map.insert(tag(&event.name, None, "removed"), r);
        }
        for f in event.fields.iter().filter(|f| f.origin == Origin::Own) {
            collect_field_tags(&mut map, &event.name, f, event.lifetime.since, first);
        }
    }
    let mut out = header(model);
    out.push_str("export const updates = {\n");
    for (tag, version) in map {
        let _ = writeln!(out, "\t{tag}: '{version}',");
    }
    out.push_str("};\n");
    out
}

fn collect_field_tags(
    map: &mut BTreeMap<String, Version>,
    owner: &str,
    f: &Field,
    owner_since: Option<Version>,
    first: Option<Version>,
) {
    if let Some(since) = f
        .lifetime
        .since
        .filter(|s| Some(*s) > first && Some(*s) > owner_since)
    {
        map.insert(tag(owner, Some(&f.name), "added"), since);
    }
    for c in &f.changes {
        map.insert(change_tag(owner, Some(&f.name), c), c.version);
    }
    if let Some(d) = f.lifetime.deprecated {
        map.insert(tag(owner, Some(&f.name), "deprecated"), d);
    }
    if let Some(r) = f.lifetime.removed {
        map.insert(tag(owner, Some(&f.name), "removed"), r);
    }
}

fn header(model: &EventModel) -> String {
    format!(
        "/* @generated by dovecot-eventgen from the dovecot-events schema (hash {}).\n * Do not edit by hand: run `dovecot-eventgen docs --format dovecot-docs`. */\n\n",
        model.source_hash
    )
}

fn fields(
    out: &mut String,
    owner: &str,
    fields: &[&Field],
    owner_since: Option<Version>,
    first: Option<Version>,
) {
    if fields.is_empty() {
        return;
    }
    out.push_str("\t\tfields: {\n");
    for f in fields {
        let _ = writeln!(out, "\t\t\t{}: {{", key(&f.name));
        if let Some(since) = f
            .lifetime
            .since
            .filter(|s| Some(*s) > first && Some(*s) > owner_since)
        {
            tags(
                out,
                4,
                "added",
                &[(tag(owner, Some(&f.name), "added"), since, None)],
            );
        }
        let changed: Vec<(String, Version, Option<String>)> = f
            .changes
            .iter()
            .map(|c| {
                (
                    change_tag(owner, Some(&f.name), c),
                    c.version,
                    Some(one_line(&c.note)),
                )
            })
            .collect();
        tags(out, 4, "changed", &changed);
        if let Some(d) = f.lifetime.deprecated {
            tags(
                out,
                4,
                "deprecated",
                &[(tag(owner, Some(&f.name), "deprecated"), d, None)],
            );
        }
        if let Some(r) = f.lifetime.removed {
            let text = f.renamed_to.as_ref().map(|n| format!("Renamed to `{n}`."));
            tags(
                out,
                4,
                "removed",
                &[(tag(owner, Some(&f.name), "removed"), r, text)],
            );
        }
        let _ = writeln!(out, "\t\t\t\ttype: {},", js_single_quoted(&type_text(f)));
        let mut text = one_line(&f.description);
        if !f.emitted {
            text.push_str(" Documented, but Dovecot never sends it.");
        }
        if f.pattern {
            text.push_str(" The name is a pattern: `*` stands for any text.");
        }
        if let Some(note) = &f.note {
            text.push_str("\n\n");
            text.push_str(&one_line(note));
        }
        let _ = writeln!(out, "\t\t\t\ttext: {}\n\t\t\t}},", template(&text));
    }
    out.push_str("\t\t},\n");
}

fn tags(out: &mut String, depth: usize, kind: &str, entries: &[(String, Version, Option<String>)]) {
    if entries.is_empty() {
        return;
    }
    let indent = "\t".repeat(depth);
    let _ = writeln!(out, "{indent}{kind}: {{");
    for (tag, _, text) in entries {
        let value = text.as_deref().map_or_else(|| "false".to_owned(), template);
        let _ = writeln!(out, "{indent}\t{tag}: {value},");
    }
    let _ = writeln!(out, "{indent}}},");
}

fn inherit_line<'a>(out: &mut String, names: impl Iterator<Item = &'a str>) {
    let names: Vec<String> = names.map(js_single_quoted).collect();
    match names.len() {
        0 => {}
        1 => {
            let _ = writeln!(out, "\t\tinherit: {},", names[0]);
        }
        _ => {
            let _ = writeln!(out, "\t\tinherit: [ {} ],", names.join(", "));
        }
    }
}

fn tag(owner: &str, field: Option<&str>, kind: &str) -> String {
    let mut tag = format!("events_{}", ident_part(owner));
    if let Some(field) = field {
        tag.push('_');
        tag.push_str(&ident_part(field));
    }
    tag.push('_');
    tag.push_str(kind);
    tag
}

fn change_tag(owner: &str, field: Option<&str>, change: &Change) -> String {
    let version: Vec<String> = change.version.parts().iter().map(u16::to_string).collect();
    format!("{}_{}", tag(owner, field, "changed"), version.join("_"))
}

/// Tag names are JavaScript identifiers: anything else becomes `_`.
fn ident_part(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// An object key: bare when it is an identifier, quoted otherwise.
fn key(name: &str) -> String {
    let ident = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ident {
        name.to_owned()
    } else {
        js_single_quoted(name)
    }
}

/// A JavaScript template literal holding `text` exactly.
fn template(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('`', "\\`")
        .replace("${", "\\${");
    format!("`{escaped}`")
}
