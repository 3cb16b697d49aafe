//! Load: YAML nodes → raw structs, checking shapes and keys as it goes.
//!
//! The loader never stops at a problem. It records a diagnostic, substitutes
//! a harmless default and carries on, so that one run reports everything.

use std::sync::Arc;

use crate::diag::{Diagnostics, Location, did_you_mean};
use crate::format::{self, Kind};
use crate::model::{Edition, FieldType, Unit};
use crate::raw::*;
use crate::yaml::{self, Node, NodeKind};
use dovecot_events_vocab::Version;

/// One schema file's path (as shown in diagnostics) and text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The path shown in diagnostics.
    pub path: String,
    /// The path relative to the schema directory, with `/` separators; it
    /// names the file in the schema hash, so the hash does not depend on
    /// where the schema is checked out.
    pub relative: String,
    /// The file's text.
    pub text: String,
}

/// Loads every file into one raw schema. `incomplete` is set when a file
/// could not be parsed at all, so later stages skip checks that would only
/// repeat that failure.
pub fn load(files: &[SourceFile], cx: &mut Diagnostics) -> (RawSchema, bool) {
    let mut schema = RawSchema::default();
    let mut incomplete = false;
    let mut budget = yaml::MAX_VALUES;
    for file in files {
        schema
            .sources
            .push((file.relative.clone(), file.text.clone()));
        schema.paths.push(file.path.clone());
        let name: Arc<str> = Arc::from(file.path.as_str());
        match yaml::parse(&name, &file.text, &mut budget) {
            Err(diag) => {
                incomplete = true;
                cx.error_with_hint(&diag.location, diag.message, diag.hint.unwrap_or_default());
            }
            Ok(None) => {}
            Ok(Some(root)) => load_file(&root, &mut schema, cx),
        }
    }
    (schema, incomplete)
}

fn load_file(root: &Node, schema: &mut RawSchema, cx: &mut Diagnostics) {
    let Some(map) = MapReader::new(root, &format::FILE, cx) else {
        return;
    };
    if let Some(node) = map.get("versions") {
        let list = seq(node, "versions", cx)
            .iter()
            .filter_map(|n| version(n, cx))
            .collect();
        schema.versions.push(Spanned {
            value: list,
            location: node.location.clone(),
        });
    }
    for (name, node) in map.entries("categories", cx) {
        if let Some(m) = MapReader::new(node, &format::CATEGORY, cx) {
            schema.categories.push(RawCategory {
                description: m.text("description", cx),
                parent: m.name("parent", cx),
                since: m.version("since", cx),
                removed: m.version("removed", cx),
                edition: m.edition(cx),
                note: m.opt_text("note", cx),
                name,
            });
        }
    }
    for (name, node) in map.entries("reasons", cx) {
        if let Some(m) = MapReader::new(node, &format::REASON, cx) {
            schema.reasons.push(RawReason {
                category: m.name("category", cx),
                description: m.text("description", cx),
                since: m.version("since", cx),
                removed: m.version("removed", cx),
                edition: m.edition(cx),
                note: m.opt_text("note", cx),
                name,
            });
        }
    }
    for (name, node) in map.entries("enums", cx) {
        if let Some(m) = MapReader::new(node, &format::ENUM, cx) {
            let values = m
                .entries("values", cx)
                .into_iter()
                .map(|(value, node)| enum_value(value, node, cx))
                .collect();
            schema.enums.push(RawEnum {
                description: m.text("description", cx),
                values,
                name,
            });
        }
    }
    for (name, node) in map.entries("global_fields", cx) {
        schema.global_fields.push(field(name, node, cx));
    }
    for (name, node) in map.entries("groups", cx) {
        if let Some(m) = MapReader::new(node, &format::GROUP, cx) {
            schema.groups.push(RawGroup {
                description: m.text("description", cx),
                note: m.opt_text("note", cx),
                inherits: m.inherits(cx),
                fields: m.fields(cx),
                context: None,
                name,
            });
        }
    }
    for (name, node) in map.entries("contexts", cx) {
        if let Some(m) = MapReader::new(node, &format::CONTEXT, cx) {
            let context = RawContext {
                categories: m.context_categories(cx),
                recognised_by: m.get("recognised_by").map(|n| names(n, cx)),
                global: m.get("global").and_then(|n| {
                    let g = MapReader::new(n, &format::GLOBAL, cx)?;
                    Some((g.version("since", cx), g.version("removed", cx)))
                }),
            };
            schema.groups.push(RawGroup {
                description: m.text("description", cx),
                note: m.opt_text("note", cx),
                inherits: m.inherits(cx),
                fields: m.fields(cx),
                context: Some(context),
                name,
            });
        }
    }
    for (name, node) in map.entries("events", cx) {
        if let Some(m) = MapReader::new(node, &format::EVENT, cx) {
            schema.events.push(RawEvent {
                category: m.name("category", cx),
                categories: m
                    .get("categories")
                    .map(|n| names(n, cx))
                    .unwrap_or_default(),
                description: m.text("description", cx),
                since: m.version("since", cx),
                deprecated: m.version("deprecated", cx),
                removed: m.version("removed", cx),
                renamed_to: m.name("renamed_to", cx),
                emitted: m.bool("emitted", true, cx),
                edition: m.edition(cx),
                note: m.opt_text("note", cx),
                inherits: m.inherits(cx),
                fields: m.fields(cx),
                changes: m.changes(cx),
                name,
            });
        }
    }
}

fn enum_value(name: Spanned<String>, node: &Node, cx: &mut Diagnostics) -> RawEnumValue {
    if let NodeKind::Map(_) = node.kind
        && let Some(m) = MapReader::new(node, &format::ENUM_VALUE, cx)
    {
        return RawEnumValue {
            description: m.text("description", cx),
            since: m.version("since", cx),
            removed: m.version("removed", cx),
            name,
        };
    }
    RawEnumValue {
        description: text(node, "an enum value's description", cx),
        since: None,
        removed: None,
        name,
    }
}

fn field(name: Spanned<String>, node: &Node, cx: &mut Diagnostics) -> RawField {
    let m = MapReader::new(node, &format::FIELD, cx);
    let Some(m) = m else {
        return RawField {
            ty: Spanned {
                value: FieldType::String,
                location: name.location.clone(),
            },
            name,
            unit: None,
            enum_name: None,
            description: String::new(),
            since: None,
            deprecated: None,
            removed: None,
            renamed_to: None,
            emitted: true,
            pattern: false,
            note: None,
            changes: Vec::new(),
        };
    };
    let ty = m
        .one_of("type", &FieldType::ALL, cx)
        .unwrap_or_else(|| Spanned {
            value: FieldType::String,
            location: node.location.clone(),
        });
    RawField {
        ty,
        unit: m.one_of("unit", &Unit::ALL, cx),
        enum_name: m.name("enum", cx),
        description: m.text("description", cx),
        since: m.version("since", cx),
        deprecated: m.version("deprecated", cx),
        removed: m.version("removed", cx),
        renamed_to: m.name("renamed_to", cx),
        emitted: m.bool("emitted", true, cx),
        pattern: m.bool("pattern", false, cx),
        note: m.opt_text("note", cx),
        changes: m.changes(cx),
        name,
    }
}

/// Reads one mapping of a known kind, reporting unknown, duplicate and
/// missing keys up front.
struct MapReader<'n> {
    kind: &'static Kind,
    entries: Vec<(&'n str, &'n Node)>,
}

impl<'n> MapReader<'n> {
    fn new(node: &'n Node, kind: &'static Kind, cx: &mut Diagnostics) -> Option<Self> {
        let NodeKind::Map(items) = &node.kind else {
            cx.error_with_hint(
                &node.location,
                format!("expected a mapping ({}), found {}", kind.name, node.shape()),
                format!("write the {} as `key: value` lines", kind.name),
            );
            return None;
        };
        let mut entries: Vec<(&'n str, &'n Node)> = Vec::new();
        for (key, value) in items {
            let Some(name) = scalar(key) else {
                cx.error(&key.location, "mapping keys must be plain text");
                continue;
            };
            if kind.key(name).is_none() {
                let known = kind.keys.iter().map(|k| k.name);
                let hint = match did_you_mean(name, known) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!(
                        "{} {} accepts: {}",
                        article(kind.name),
                        kind.name,
                        kind.keys
                            .iter()
                            .map(|k| k.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                cx.error_with_hint(
                    &key.location,
                    format!("unknown key `{name}` in {}", kind.name),
                    hint,
                );
                continue;
            }
            if entries.iter().any(|(seen, _)| *seen == name) {
                cx.error_with_hint(
                    &key.location,
                    format!("duplicate key `{name}` in {}", kind.name),
                    "remove one of the two entries",
                );
                continue;
            }
            entries.push((name, value));
        }
        for required in kind.keys.iter().filter(|k| k.required) {
            if !entries.iter().any(|(name, _)| *name == required.name) {
                cx.error_with_hint(
                    &node.location,
                    format!("{} is missing required key `{}`", kind.name, required.name),
                    format!("add `{}:` ({})", required.name, required.doc.to_lowercase()),
                );
            }
        }
        Some(MapReader { kind, entries })
    }

    /// The value of `key`, unless absent or `null`.
    fn get(&self, key: &str) -> Option<&'n Node> {
        debug_assert!(
            self.kind.key(key).is_some(),
            "`{key}` is read but not in the `{}` key table",
            self.kind.name
        );
        self.entries
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, node)| *node)
            .filter(|node| !node.is_null())
    }

    fn text(&self, key: &str, cx: &mut Diagnostics) -> String {
        self.get(key).map(|n| text(n, key, cx)).unwrap_or_default()
    }

    fn opt_text(&self, key: &str, cx: &mut Diagnostics) -> Option<String> {
        self.get(key).map(|n| text(n, key, cx))
    }

    fn name(&self, key: &str, cx: &mut Diagnostics) -> Option<Spanned<String>> {
        self.get(key).and_then(|n| name(n, cx))
    }

    fn version(&self, key: &str, cx: &mut Diagnostics) -> Option<Spanned<Version>> {
        self.get(key).and_then(|n| version(n, cx))
    }

    fn bool(&self, key: &str, default: bool, cx: &mut Diagnostics) -> bool {
        let Some(node) = self.get(key) else {
            return default;
        };
        match &node.kind {
            NodeKind::Scalar { text, plain: true } if text == "true" => true,
            NodeKind::Scalar { text, plain: true } if text == "false" => false,
            _ => {
                cx.error_with_hint(
                    &node.location,
                    format!(
                        "`{key}` must be `true` or `false`, found {}",
                        describe(node)
                    ),
                    format!("write `{key}: {}`", !default),
                );
                default
            }
        }
    }

    fn one_of<T: Copy>(
        &self,
        key: &str,
        table: &[(&'static str, T)],
        cx: &mut Diagnostics,
    ) -> Option<Spanned<T>> {
        let node = self.get(key)?;
        let word = scalar(node).unwrap_or_default();
        if let Some((_, value)) = table.iter().find(|(name, _)| *name == word) {
            return Some(Spanned {
                value: *value,
                location: node.location.clone(),
            });
        }
        let names = table.iter().map(|(name, _)| *name);
        let hint = match did_you_mean(word, names.clone()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("use one of: {}", names.collect::<Vec<_>>().join(", ")),
        };
        cx.error_with_hint(
            &node.location,
            format!("unknown {key} {}", describe(node)),
            hint,
        );
        None
    }

    fn edition(&self, cx: &mut Diagnostics) -> Edition {
        self.one_of(
            "edition",
            &[("open", Edition::Open), ("pro", Edition::Pro)],
            cx,
        )
        .map_or(Edition::Open, |s| s.value)
    }

    fn entries(&self, key: &str, cx: &mut Diagnostics) -> Vec<(Spanned<String>, &'n Node)> {
        let Some(node) = self.get(key) else {
            return Vec::new();
        };
        let NodeKind::Map(items) = &node.kind else {
            cx.error_with_hint(
                &node.location,
                format!(
                    "`{key}` must be a mapping from names, found {}",
                    node.shape()
                ),
                format!("write `{key}:` followed by indented `name:` entries"),
            );
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|(k, v)| name(k, cx).map(|n| (n, v)))
            .collect()
    }

    fn fields(&self, cx: &mut Diagnostics) -> Vec<RawField> {
        self.entries("fields", cx)
            .into_iter()
            .map(|(name, node)| field(name, node, cx))
            .collect()
    }

    fn changes(&self, cx: &mut Diagnostics) -> Vec<RawChange> {
        let Some(node) = self.get("changes") else {
            return Vec::new();
        };
        seq(node, "changes", cx)
            .iter()
            .filter_map(|item| {
                let m = MapReader::new(item, &format::CHANGE, cx)?;
                Some(RawChange {
                    version: m.version("version", cx)?,
                    ty: m.one_of("type", &FieldType::ALL, cx).map(|s| s.value),
                    note: m.text("note", cx),
                })
            })
            .collect()
    }

    fn inherits(&self, cx: &mut Diagnostics) -> Vec<RawInherit> {
        let Some(node) = self.get("inherits") else {
            return Vec::new();
        };
        let items: Vec<&Node> = match &node.kind {
            NodeKind::Seq(items) => items.iter().collect(),
            _ => vec![node],
        };
        items
            .into_iter()
            .filter_map(|item| {
                if let NodeKind::Map(_) = item.kind {
                    let m = MapReader::new(item, &format::INHERIT, cx)?;
                    Some(RawInherit {
                        name: m.name("from", cx)?,
                        when: m.opt_text("when", cx),
                        since: m.version("since", cx),
                        removed: m.version("removed", cx),
                    })
                } else {
                    Some(RawInherit {
                        name: name(item, cx)?,
                        when: None,
                        since: None,
                        removed: None,
                    })
                }
            })
            .collect()
    }

    fn context_categories(&self, cx: &mut Diagnostics) -> Vec<RawContextCategory> {
        let Some(node) = self.get("categories") else {
            return Vec::new();
        };
        let items: Vec<&Node> = match &node.kind {
            NodeKind::Seq(items) => items.iter().collect(),
            _ => vec![node],
        };
        items
            .into_iter()
            .filter_map(|item| {
                if let NodeKind::Map(_) = item.kind {
                    let m = MapReader::new(item, &format::CONTEXT_CATEGORY, cx)?;
                    Some(RawContextCategory {
                        name: m.name("category", cx)?,
                        since: m.version("since", cx),
                        removed: m.version("removed", cx),
                    })
                } else {
                    Some(RawContextCategory {
                        name: name(item, cx)?,
                        since: None,
                        removed: None,
                    })
                }
            })
            .collect()
    }
}

/// "a" or "an" for a kind's name.
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn scalar(node: &Node) -> Option<&str> {
    match &node.kind {
        NodeKind::Scalar { text, .. } => Some(text),
        _ => None,
    }
}

fn describe(node: &Node) -> String {
    match scalar(node) {
        Some(text) => format!("`{text}`"),
        None => node.shape().to_owned(),
    }
}

fn text(node: &Node, what: &str, cx: &mut Diagnostics) -> String {
    match scalar(node) {
        Some(text) => text.trim().to_owned(),
        None => {
            cx.error_with_hint(
                &node.location,
                format!("`{what}` must be text, found {}", node.shape()),
                "quote the text or use a `|` block",
            );
            String::new()
        }
    }
}

fn name(node: &Node, cx: &mut Diagnostics) -> Option<Spanned<String>> {
    match scalar(node) {
        Some(text) if !text.is_empty() => Some(Spanned {
            value: text.to_owned(),
            location: node.location.clone(),
        }),
        _ => {
            cx.error_with_hint(
                &node.location,
                format!("expected a name, found {}", node.shape()),
                "write the name as plain text",
            );
            None
        }
    }
}

fn names(node: &Node, cx: &mut Diagnostics) -> Vec<Spanned<String>> {
    seq(node, "list of names", cx)
        .iter()
        .filter_map(|n| name(n, cx))
        .collect()
}

fn seq<'n>(node: &'n Node, what: &str, cx: &mut Diagnostics) -> &'n [Node] {
    match &node.kind {
        NodeKind::Seq(items) => items,
        _ => {
            cx.error_with_hint(
                &node.location,
                format!("`{what}` must be a sequence, found {}", node.shape()),
                "write `[a, b]` or one `- item` per line",
            );
            &[]
        }
    }
}

fn version(node: &Node, cx: &mut Diagnostics) -> Option<Spanned<Version>> {
    let text = scalar(node).unwrap_or_default();
    match text.parse::<Version>() {
        Ok(value) => Some(Spanned {
            value,
            location: node.location.clone(),
        }),
        Err(err) => {
            cx.error_with_hint(
                &node.location,
                err.to_string(),
                "write a release number such as `2.3.7`",
            );
            None
        }
    }
}

/// A location for problems that concern a file as a whole.
#[must_use]
pub fn file_location(path: &str) -> Location {
    Location {
        file: Arc::from(path),
        line: 1,
        column: 1,
    }
}
