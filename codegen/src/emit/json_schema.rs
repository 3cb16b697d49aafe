//! The JSON Schema of the schema format, for editors, generated from the
//! loader's key tables in [`crate::format`].

use serde_json::{Map, Value, json};

use crate::format::{self, Kind, Shape};

const VERSION_PATTERN: &str = r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*)){1,3}$";

/// The JSON Schema (draft 2020-12), pretty-printed.
#[must_use]
pub fn generate() -> String {
    let kinds: [&Kind; 10] = [
        &format::FILE,
        &format::CATEGORY,
        &format::REASON,
        &format::ENUM,
        &format::ENUM_VALUE,
        &format::FIELD,
        &format::CHANGE,
        &format::GROUP,
        &format::INHERIT,
        &format::EVENT,
    ];
    let mut defs = Map::new();
    for kind in kinds {
        defs.insert(kind.name.to_owned(), object(kind));
    }
    defs.insert(
        "version".into(),
        json!({
            "description": "A Dovecot release: two to four dot-separated numbers",
            "type": "string",
            "pattern": VERSION_PATTERN,
        }),
    );
    defs.insert(
        format::TEXT_OR_ENUM_VALUE.name.into(),
        json!({
            "description": format::TEXT_OR_ENUM_VALUE.doc,
            "oneOf": [{ "type": "string" }, { "$ref": "#/$defs/enum_value" }],
        }),
    );
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/dovecot-events/dovecot-events/schema/schema.json",
        "title": "dovecot-events schema file",
        "description": format::FILE.doc,
        "$ref": "#/$defs/file",
        "$defs": defs,
    });
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

fn object(kind: &Kind) -> Value {
    let properties: Map<String, Value> = kind
        .keys
        .iter()
        .map(|key| {
            let mut value = shape(key.shape);
            if let Value::Object(map) = &mut value {
                map.insert("description".into(), key.doc.into());
            }
            (key.name.to_owned(), value)
        })
        .collect();
    let required: Vec<&str> = kind
        .keys
        .iter()
        .filter(|k| k.required)
        .map(|k| k.name)
        .collect();
    json!({
        "description": kind.doc,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

fn shape(shape: Shape) -> Value {
    match shape {
        Shape::Version => json!({ "$ref": "#/$defs/version" }),
        Shape::Text => json!({ "type": "string" }),
        Shape::Bool => json!({ "type": "boolean" }),
        Shape::Name => json!({ "type": ["string", "null"] }),
        Shape::Names => json!({ "type": "array", "items": { "type": "string" } }),
        Shape::Versions => json!({ "type": "array", "items": { "$ref": "#/$defs/version" } }),
        Shape::OneOf(words) => json!({ "enum": words }),
        Shape::MapOf(kind) => json!({
            "type": "object",
            "additionalProperties": { "$ref": format!("#/$defs/{}", kind.name) },
        }),
        Shape::SeqOf(kind) => json!({
            "type": "array",
            "items": { "$ref": format!("#/$defs/{}", kind.name) },
        }),
        Shape::NamesOr(kind) => {
            let item = json!({ "oneOf": [
                { "type": "string" },
                { "$ref": format!("#/$defs/{}", kind.name) },
            ]});
            json!({ "oneOf": [
                { "type": "string" },
                { "type": "array", "items": item },
            ]})
        }
    }
}
