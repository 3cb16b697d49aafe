//! Schema diagnostics: every kind of mistake is reported with its exact
//! message, hint and `file:line:column`, all of them in one run, and no
//! input makes the loader panic.
//!
//! Most cases are two in-memory files: `base.yaml` ([`BASE`]: the versions
//! and one category) and `case.yaml`, written indented in the test and
//! dedented by [`yaml`], so line 1 is the case's first YAML line.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use dovecot_events_codegen::{EventModel, SchemaErrors, SourceFile, load_sources};

/// Valid on its own; every case adds `case.yaml` to it.
const BASE: &str = "\
versions: [2.3.0, 2.3.7, 2.3.9, 2.4.0]
categories:
  auth:
    description: Authentication.
";

/// Strips the leading line break and the common indentation.
fn yaml(text: &str) -> String {
    let text = text.strip_prefix('\n').unwrap_or(text);
    let indent = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = String::new();
    for line in text.lines() {
        out.push_str(line.get(indent..).unwrap_or("").trim_end());
        out.push('\n');
    }
    out
}

fn source(path: &str, text: &str) -> SourceFile {
    SourceFile {
        path: path.to_owned(),
        relative: path.to_owned(),
        text: text.to_owned(),
    }
}

/// Loads `base.yaml` plus `files` (name, indented YAML).
fn load_with_base(files: &[(&str, &str)]) -> Result<EventModel, SchemaErrors> {
    let mut sources = vec![source("base.yaml", BASE)];
    sources.extend(files.iter().map(|(path, text)| source(path, &yaml(text))));
    load_sources(&sources)
}

/// Each diagnostic as displayed: `file:line:column: message` and, if any,
/// `\n  hint: …`.
fn errors(files: &[(&str, &str)]) -> Vec<String> {
    let errors = load_with_base(files).expect_err("the case has mistakes");
    errors
        .diagnostics()
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// The diagnostics of `base.yaml` plus one `case.yaml`.
fn case_errors(text: &str) -> Vec<String> {
    errors(&[("case.yaml", text)])
}

#[test]
fn yaml_syntax_error() {
    assert_eq!(
        case_errors(
            "
            events:
              login:
                category: auth
               description: One space too few.
            "
        ),
        [
            "case.yaml:4:4: YAML syntax error: while parsing a block mapping, did not find expected key\n  \
             hint: check indentation, quoting and `key: value` syntax around this place"
        ]
    );
    assert_eq!(
        case_errors(
            "
            events:
              login:
                category: auth
                description: \"never closed
            "
        ),
        [
            "case.yaml:4:18: YAML syntax error: while scanning a quoted scalar, found unexpected end of stream\n  \
             hint: check indentation, quoting and `key: value` syntax around this place"
        ]
    );
}

#[test]
fn syntax_error_in_the_versions_file_is_not_echoed_as_a_missing_list() {
    let sources = [source("base.yaml", "versions: [2.3.0\ncategories: {}\n")];
    let errors = load_sources(&sources).expect_err("unclosed list");
    let messages: Vec<&str> = errors
        .diagnostics()
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(messages.len(), 1, "{errors}");
    assert!(messages[0].starts_with("YAML syntax error"), "{errors}");
}

#[test]
fn unknown_key_suggests_the_closest_key() {
    assert_eq!(
        case_errors(
            "
            events:
              login:
                category: auth
                description: A user logged in.
                sinse: 2.3.7
            "
        ),
        ["case.yaml:5:5: unknown key `sinse` in event\n  hint: did you mean `since`?"]
    );
}

#[test]
fn unknown_key_without_a_close_match_lists_the_accepted_keys() {
    assert_eq!(
        case_errors(
            "
            colour: blue
            categories:
              imap:
                description: IMAP.
                colour: blue
            "
        ),
        [
            "case.yaml:1:1: unknown key `colour` in file\n  \
             hint: a file accepts: versions, categories, reasons, enums, global_fields, groups, contexts, events",
            "case.yaml:5:5: unknown key `colour` in category\n  \
             hint: a category accepts: description, parent, since, removed, edition, note",
        ]
    );
}

#[test]
fn unknown_type_suggests_the_closest_type() {
    assert_eq!(
        case_errors(
            "
            events:
              login:
                category: auth
                description: A user logged in.
                fields:
                  bytes: { type: integr, description: Bytes. }
            "
        ),
        ["case.yaml:6:22: unknown type `integr`\n  hint: did you mean `integer`?"]
    );
}

#[test]
fn duplicate_event_across_two_files() {
    let event = "
        events:
          login:
            category: auth
            description: A user logged in.
        ";
    assert_eq!(
        errors(&[("a.yaml", event), ("b.yaml", event)]),
        ["b.yaml:2:3: duplicate event `login`\n  \
             hint: it is already defined at a.yaml:2:3; remove or rename one of them"]
    );
}

#[test]
fn duplicate_field_in_one_map() {
    assert_eq!(
        case_errors(
            "
            events:
              login:
                category: auth
                description: A user logged in.
                fields:
                  user: { type: string, description: The user. }
                  user: { type: string, description: The user again. }
            "
        ),
        ["case.yaml:7:7: duplicate field `user` in event `login`\n  \
             hint: it is already defined at case.yaml:6:7; remove or rename one of them"]
    );
}

#[test]
fn duplicate_group() {
    assert_eq!(
        case_errors(
            "
            groups:
              peer:
                description: The peer.
              peer:
                description: The peer, again.
            "
        ),
        ["case.yaml:4:3: duplicate group `peer`\n  \
             hint: it is already defined at case.yaml:2:3; remove or rename one of them"]
    );
}

#[test]
fn duplicate_key_in_one_mapping() {
    assert_eq!(
        case_errors(
            "
            events:
              login:
                category: auth
                description: A user logged in.
                description: Twice.
            "
        ),
        [
            "case.yaml:5:5: duplicate key `description` in event\n  hint: remove one of the two entries"
        ]
    );
}

#[test]
fn dangling_inherits() {
    assert_eq!(
        case_errors(
            "
            groups:
              peer:
                description: The peer.
            events:
              login:
                category: auth
                description: A user logged in.
                inherits: [pear]
            "
        ),
        [
            "case.yaml:8:16: `inherits` names `pear`, which is neither a group nor an event\n  \
             hint: did you mean `peer`?"
        ]
    );
}

#[test]
fn inheritance_cycle() {
    assert_eq!(
        case_errors(
            "
            groups:
              a:
                description: A.
                inherits: [b]
              b:
                description: B.
                inherits: [a]
            "
        ),
        ["case.yaml:2:3: inheritance cycle: a → b → a\n  \
             hint: remove one of the `inherits` entries in the cycle"]
    );
}

#[test]
fn inheritance_cycle_is_reported_on_a_member_of_the_cycle() {
    // `alpha` sorts first and leads into the cycle without being part of it.
    assert_eq!(
        case_errors(
            "
            groups:
              alpha:
                description: Leads into the cycle.
                inherits: [m]
              m:
                description: M.
                inherits: [n]
              n:
                description: N.
                inherits: [m]
            "
        ),
        ["case.yaml:5:3: inheritance cycle: m → n → m\n  \
             hint: remove one of the `inherits` entries in the cycle"]
    );
}

const MALFORMED: &str = "expected two to four dot-separated numbers such as `2.3.7` or `2.3.19.1`\n  \
     hint: write a release number such as `2.3.7`";

#[test]
fn malformed_versions() {
    assert_eq!(
        case_errors(
            "
            events:
              login:
                category: auth
                description: A user logged in.
                since: 2.3.x
                fields:
                  user: { type: string, description: The user., removed: 2.03 }
            "
        ),
        [
            format!("case.yaml:5:12: malformed version `2.3.x`: {MALFORMED}"),
            format!("case.yaml:7:62: malformed version `2.03`: {MALFORMED}"),
        ]
    );
}

#[test]
fn version_not_in_the_versions_list() {
    assert_eq!(
        case_errors(
            "
            events:
              login:
                category: auth
                description: A user logged in.
                since: 2.3.12
                removed: 2.5.0
            "
        ),
        [
            "case.yaml:5:12: version 2.3.12 is not in the `versions` list\n  \
             hint: add 2.3.12 to `versions` if it is a real release, or use a listed one such as 2.4.0",
            "case.yaml:6:14: version 2.5.0 is not in the `versions` list\n  \
             hint: add 2.5.0 to `versions`",
        ]
    );
}

#[test]
fn field_since_before_its_event() {
    assert_eq!(
        case_errors(
            "
            events:
              login:
                category: auth
                description: A user logged in.
                since: 2.3.7
                fields:
                  user: { type: string, description: The user., since: 2.3.0 }
            "
        ),
        [
            "case.yaml:7:60: field `user` is said to appear in 2.3.0, before its event `login` (2.3.7)\n  \
             hint: use `since: 2.3.7` or later, or drop `since:` to inherit the event's"
        ]
    );
}

#[test]
fn removed_not_after_since() {
    assert_eq!(
        case_errors(
            "
            events:
              login:
                category: auth
                description: A user logged in.
                since: 2.3.9
                removed: 2.3.7
              logout:
                category: auth
                description: A user logged out.
                fields:
                  user: { type: string, description: The user., since: 2.3.9, removed: 2.3.9 }
            "
        ),
        [
            "case.yaml:6:14: event `login` is removed in 2.3.7 but only added in 2.3.9\n  \
             hint: `removed` is the first release without it and must be later than `since`",
            "case.yaml:11:76: field `user` is removed in 2.3.9 but only added in 2.3.9\n  \
             hint: `removed` is the first release without it and must be later than `since`",
        ]
    );
}

#[test]
fn enum_without_values() {
    let hint = "hint: list its values under `values:`, or use `type: string` for open-ended text";
    assert_eq!(
        case_errors(
            "
            enums:
              empty:
                description: Nothing.
                values: {}
              null_values:
                description: Nothing either.
                values:
            "
        ),
        [
            format!("case.yaml:2:3: enum `empty` has no values\n  {hint}"),
            format!("case.yaml:5:3: enum `null_values` has no values\n  {hint}"),
        ]
    );
}

#[test]
fn event_names_colliding_as_rust_types() {
    assert_eq!(
        case_errors(
            "
            events:
              foo_bar:
                category: auth
                description: Underscore.
              foo__bar:
                category: auth
                description: Two underscores.
            "
        ),
        [
            "case.yaml:5:3: `foo_bar` and `foo__bar` both become the Rust type `FooBar`\n  \
             hint: rename one of them (the other is at case.yaml:2:3)"
        ]
    );
}

#[test]
fn field_names_colliding_as_rust_members() {
    assert_eq!(
        case_errors(
            "
            events:
              login:
                category: auth
                description: A user logged in.
                fields:
                  \" user_name\": { type: string, description: Leading space. }
                  user_name: { type: string, description: Underscore. }
            "
        ),
        [
            "case.yaml:7:7: ` user_name` and `user_name` both become the Rust field `user_name` of event `login`\n  \
             hint: rename one of them (the other is at case.yaml:6:7)"
        ]
    );
}

#[test]
fn enum_values_colliding_as_rust_variants() {
    assert_eq!(
        case_errors(
            "
            enums:
              transport:
                description: How the connection is protected.
                values:
                  TLS: Upper case.
                  tls: Lower case.
            "
        ),
        [
            "case.yaml:6:7: `TLS` and `tls` both become the Rust variant `Tls` of enum `transport`\n  \
             hint: rename one of them (the other is at case.yaml:5:7)"
        ]
    );
}

#[test]
fn rust_keywords_are_valid_names() {
    let model = load_with_base(&[(
        "case.yaml",
        "
        enums:
          which:
            description: Keyword values.
            values: { self: S., type: T. }
        events:
          login:
            category: auth
            description: A user logged in.
            fields:
              type: { type: string, description: A keyword. }
              async: { type: string, description: A 2018 keyword. }
              self: { type: string, description: Not even a raw identifier. }
        ",
    )])
    .expect("keywords are valid schema names");
    let event = &model.events["login"];
    let rust_name = |name: &str| {
        event
            .fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.rust_name.as_str())
            .expect("the field is resolved")
    };
    assert_eq!(rust_name("type"), "type");
    assert_eq!(rust_name("async"), "async");
    assert_eq!(rust_name("self"), "self_");
    let variants: Vec<&str> = model.enums["which"]
        .values
        .iter()
        .map(|v| v.rust_name.as_str())
        .collect();
    assert_eq!(variants, ["Self_", "Type"]);
}

#[test]
fn missing_required_key() {
    assert_eq!(
        case_errors(
            "
            events:
              login:
                category: auth
            "
        ),
        [
            "case.yaml:3:5: event is missing required key `description`\n  \
             hint: add `description:` (what the event reports)"
        ]
    );
}

#[test]
fn field_kind_mismatches() {
    assert_eq!(
        case_errors(
            "
            enums:
              transport:
                description: How the connection is protected.
                values: { tls: TLS. }
            events:
              login:
                category: auth
                description: A user logged in.
                fields:
                  user: { type: string, enum: transport, description: Not an enum. }
                  secured: { type: enum, description: Which enum? }
                  name: { type: string, unit: bytes, description: Not a number. }
            "
        ),
        [
            "case.yaml:10:35: field `user` has `enum:` but its type is string\n  \
             hint: set `type: enum`, or remove `enum:`",
            "case.yaml:11:24: field `secured` has `type: enum` but no `enum:`\n  \
             hint: add `enum: NAME` naming an entry of `enums`",
            "case.yaml:12:35: field `name` has a unit but its type is string\n  \
             hint: units refine integers only: set `type: integer` or remove `unit:`",
        ]
    );
}

fn codegen_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

const FIVE_MISTAKES: &str = "tests/fixtures/bad/five_mistakes";

/// The five mistakes of [`FIVE_MISTAKES`], as `path:line:column: message`.
fn five_mistakes() -> [String; 5] {
    let base = format!("{FIVE_MISTAKES}/base.yaml");
    let events = format!("{FIVE_MISTAKES}/events.yaml");
    [
        format!("{base}:6:3: enum `transport` has no values"),
        format!("{events}:5:12: version 2.3.12 is not in the `versions` list"),
        format!("{events}:7:21: unknown type `strng`"),
        format!("{events}:8:35: field `port` has a unit but its type is string"),
        format!("{events}:12:16: `inherits` names `loginn`, which is neither a group nor an event"),
    ]
}

#[test]
fn every_mistake_is_reported_at_once_in_file_order() {
    let dir = codegen_dir().join(FIVE_MISTAKES);
    let sources: Vec<SourceFile> = ["base.yaml", "events.yaml"]
        .iter()
        .map(|name| {
            let text = std::fs::read_to_string(dir.join(name)).expect("fixture is readable");
            source(&format!("{FIVE_MISTAKES}/{name}"), &text)
        })
        .collect();
    let errors = load_sources(&sources).expect_err("five mistakes");
    let diagnostics = errors.diagnostics();
    let located: Vec<String> = diagnostics
        .iter()
        .map(|d| format!("{}: {}", d.location, d.message))
        .collect();
    assert_eq!(located, five_mistakes());
    let positions: Vec<(&str, usize, usize)> = diagnostics
        .iter()
        .map(|d| (d.location.file.as_ref(), d.location.line, d.location.column))
        .collect();
    let mut sorted = positions.clone();
    sorted.sort_unstable();
    assert_eq!(positions, sorted, "diagnostics are in file order");

    let text = errors.to_string();
    let headlines: Vec<&str> = text
        .lines()
        .filter(|line| line.starts_with(FIVE_MISTAKES))
        .collect();
    assert_eq!(headlines, five_mistakes());
    assert_eq!(
        text.lines().filter(|l| l.starts_with("  hint: ")).count(),
        5
    );
    assert_eq!(text.lines().last(), Some("5 schema errors found"));
}

/// Malformed inputs that must be reported, not crash the loader.
fn malformed_inputs() -> Vec<(&'static str, String)> {
    let event =
        |extra: &str| format!("events:\n  x:\n    category: auth\n    description: X.\n{extra}");
    let mut laughs = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        let prev = format!("*l{}", i - 1);
        laughs.push_str(&format!("l{i}: &l{i} [{}]\n", vec![prev; 10].join(", ")));
    }
    vec![
        ("empty file", String::new()),
        ("only whitespace", " \n\n  \n".into()),
        ("only a comment", "# nothing\n".into()),
        ("scalar document", "just text\n".into()),
        ("number document", "42\n".into()),
        ("null document", "~\n".into()),
        ("list at top level", "- a\n- b\n".into()),
        ("flow list at top level", "[versions, events]\n".into()),
        ("events is a number", "events: 5\n".into()),
        ("events is a list", "events: [a, b]\n".into()),
        ("event is a number", "events: {x: 5}\n".into()),
        ("event is null", "events: {x: }\n".into()),
        ("fields as a list", event("    fields: [a, b]\n")),
        ("fields is a scalar", event("    fields: none\n")),
        ("field is a number", event("    fields: {a: 5}\n")),
        ("field is a list", event("    fields: {a: [1]}\n")),
        ("type is a list", event("    fields: {a: {type: [x]}}\n")),
        ("inherits is a number", event("    inherits: 5\n")),
        ("inherits entry is empty", event("    inherits: [{}]\n")),
        (
            "inherits from a list",
            event("    inherits: [{from: [a]}]\n"),
        ),
        ("changes is a number", event("    changes: 5\n")),
        ("change is a number", event("    changes: [5]\n")),
        (
            "change lacks note",
            event("    changes: [{version: 2.3.0}]\n"),
        ),
        ("category is a map", event("    categories: {a: b}\n")),
        ("emitted is not a bool", event("    emitted: maybe\n")),
        ("versions is a number", "versions: 5\n".into()),
        ("versions holds a list", "versions: [[2.3.0]]\n".into()),
        (
            "versions twice",
            "versions: [2.3.0]\nversions: [2.4.0]\n".into(),
        ),
        ("huge version part", "versions: [2.3.0, 99999.1]\n".into()),
        ("empty versions", "versions: []\n".into()),
        (
            "enum values as a list",
            "enums: {e: {description: E., values: [a, b]}}\n".into(),
        ),
        (
            "enum value is a list",
            "enums: {e: {description: E., values: {a: [b]}}}\n".into(),
        ),
        ("list as a key", "{[a, b]: c}\n".into()),
        ("map as a key", "events: {{a: b}: c}\n".into()),
        ("null key", "~: x\n".into()),
        ("empty key", "\"\": x\n".into()),
        (
            "deep flow lists (10k)",
            format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
        ),
        (
            "deep flow maps (10k)",
            format!("events: {}x{}", "{a: ".repeat(10_000), "}".repeat(10_000)),
        ),
        (
            "deep block lists (1k)",
            (0..1_000)
                .map(|i| format!("{}-\n", " ".repeat(i)))
                .collect(),
        ),
        ("tab indentation", "events:\n\tx: 1\n".into()),
        ("tab after a key", "events:\t{}\n".into()),
        (
            "anchor and alias",
            "groups:\n  g: &g {description: G.}\n  h: *g\n".into(),
        ),
        ("alias as a key", "a: &k events\n*k : {}\n".into()),
        ("unknown alias", "events: *nope\n".into()),
        ("self-referencing alias", "events: &a [*a]\n".into()),
        ("nested aliases (billion laughs)", laughs),
        ("two documents", "events: {}\n---\nevents: {}\n".into()),
        ("document end only", "...\n".into()),
        ("directive", "%YAML 1.2\n---\nevents: {}\n".into()),
        ("tags", "events: !!map {x: !custom 1}\n".into()),
        ("byte order mark", "\u{feff}versions: [2.3.0]\n".into()),
        (
            "carriage returns",
            "versions: [2.3.0]\r\nevents: {}\r\n".into(),
        ),
        ("NUL character", "events: \"\0\"\n".into()),
        ("unclosed quote", "events: 'x\n".into()),
        ("lone brace", "{\n".into()),
        ("lone bracket", "]\n".into()),
        ("colons", ": :\n".into()),
        ("nested dashes", "- - - -\n".into()),
        ("question marks", "? ? ?\n".into()),
        (
            "non-ASCII names",
            event("    fields: {\"é*ü\": {type: string, description: U.}}\n"),
        ),
        ("long line", format!("events: {}\n", "x".repeat(100_000))),
    ]
}

#[test]
fn malformed_input_never_panics() {
    for (name, text) in malformed_inputs() {
        for with_base in [false, true] {
            let mut sources = Vec::new();
            if with_base {
                sources.push(source("base.yaml", BASE));
            }
            sources.push(source("case.yaml", &text));
            let result = catch_unwind(AssertUnwindSafe(|| load_sources(&sources)));
            let Ok(result) = result else {
                panic!("loading {name:?} (with base: {with_base}) panicked");
            };
            if let Err(errors) = result {
                for d in errors.diagnostics() {
                    assert!(
                        d.location.line >= 1 && d.location.column >= 1,
                        "{name:?}: location is not 1-based: {d}"
                    );
                    assert!(!d.message.is_empty(), "{name:?}: empty message at {d}");
                }
            }
        }
    }
}

#[test]
fn nested_aliases_are_refused_quickly() {
    let mut laughs = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        let prev = format!("*l{}", i - 1);
        laughs.push_str(&format!("l{i}: &l{i} [{}]\n", vec![prev; 10].join(", ")));
    }
    let errors = load_sources(&[source("base.yaml", BASE), source("case.yaml", &laughs)])
        .expect_err("too many values");
    let messages: Vec<String> = errors
        .diagnostics()
        .iter()
        .filter(|d| d.message.starts_with("aliases"))
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        messages,
        [
            "case.yaml:5:45: aliases expand to more than 100000 values\n  \
          hint: write the values out, or use fewer nested aliases"
        ]
    );
}
