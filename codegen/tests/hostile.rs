//! Schemas written to break the loader: names that would inject markup or
//! code, text that displays out of order, nesting and inheritance built to
//! exhaust the stack or the clock, and schema directories holding things
//! that are not schema files. Each ends in a located error.

use std::path::{Path, PathBuf};

use dovecot_events_codegen::{Error, SourceFile, load_sources, read_dir_sources};

const BASE: &str =
    "versions: [2.3.0, 2.4.0]\ncategories:\n  auth:\n    description: Authentication.\n";

fn load(case: &str) -> Result<dovecot_events_codegen::EventModel, Vec<String>> {
    let files = [
        SourceFile {
            path: "base.yaml".into(),
            relative: "base.yaml".into(),
            text: BASE.into(),
        },
        SourceFile {
            path: "case.yaml".into(),
            relative: "case.yaml".into(),
            text: case.into(),
        },
    ];
    load_sources(&files).map_err(|errors| {
        errors
            .diagnostics()
            .iter()
            .map(ToString::to_string)
            .collect()
    })
}

fn errors(case: &str) -> Vec<String> {
    load(case).expect_err("the case is refused")
}

#[test]
fn names_that_would_inject_markup_are_refused_where_written() {
    let found = errors(
        "events:\n  \"x\\n<script>alert(1)</script>\":\n    category: auth\n    description: X.\n",
    );
    assert_eq!(
        found[0],
        "case.yaml:2:3: event name `x\\n<script>alert(1)</script>` has U+000A at character 2\n  \
         hint: a event name is a lowercase ASCII letter, then lowercase letters, digits and `_`"
    );
    let found = errors("categories:\n  \"service:\\n.. raw:: html\":\n    description: X.\n");
    assert!(
        found[0].starts_with("case.yaml:2:3: category name `service:\\n.. raw:: html` has U+000A"),
        "{found:?}"
    );
    let found = errors(
        "events:\n  login:\n    category: auth\n    description: X.\n    fields:\n      id_*: { type: string, description: X. }\n",
    );
    assert!(
        found[0].contains(
            "field name `id_*` has `*` at character 4 (set `pattern: true` for a pattern)"
        ),
        "{found:?}"
    );
}

#[test]
fn bidirectional_controls_are_refused_in_names_and_text() {
    let found = errors("events:\n  \"login\\u202e\":\n    category: auth\n    description: X.\n");
    assert!(
        found[0]
            .starts_with("case.yaml:2:3: event name `login\\u{202e}` has U+202E at character 6"),
        "{found:?}"
    );
    let found = errors("events:\n  login:\n    category: auth\n    description: \"a \\u202e b\"\n");
    assert_eq!(
        found,
        [
            "case.yaml:2:3: the description of event `login` has the bidirectional-formatting character U+202E\n  \
          hint: remove it: such characters change how text displays or break the generated files"
        ]
    );
    let found = errors(
        "events:\n  login:\n    category: auth\n    description: X.\n    fields:\n      user:\n        type: string\n        description: X.\n        note: \"bell \\a\"\n",
    );
    assert!(
        found[0].contains("the note of field `user` has the control character U+0007"),
        "{found:?}"
    );
}

/// Found by the `schema` fuzz target: an error about the schema as a whole
/// named a file `schema` that does not exist.
#[test]
fn a_missing_versions_list_is_located_in_the_first_file() {
    let files = [SourceFile {
        path: "dir/only.yaml".into(),
        relative: "only.yaml".into(),
        text: String::new(),
    }];
    let errors = load_sources(&files).expect_err("no versions");
    assert_eq!(
        errors.diagnostics()[0].to_string(),
        "dir/only.yaml:1:1: the schema has no `versions` list\n  \
         hint: add `versions: [2.3.0, …]` listing every Dovecot release the schema knows, oldest first"
    );
}

#[test]
fn every_name_of_the_repository_schema_follows_the_grammar() {
    dovecot_events_codegen::load_embedded().expect("the embedded schema is valid");
}

#[test]
fn deep_nesting_is_a_located_error() {
    // The reproducer: 177,000 nested block sequences, 355 KB.
    let deep = format!("{}x\n", "- ".repeat(177_000));
    let found = errors(&deep);
    assert!(found[0].starts_with("case.yaml:1:129: "), "{found:?}");
    assert!(found[0].contains("nest more than 64 levels"), "{found:?}");
}

/// Inheritance shaped to be slow: a long chain (deep recursion before),
/// and chained diamonds (exponentially many paths before).
#[test]
fn inheritance_graphs_built_to_be_slow_are_bounded() {
    let mut chain = String::from("groups:\n");
    for i in 0..2_000 {
        chain.push_str(&format!(
            "  g{i}:\n    description: G.\n    inherits: [g{}]\n",
            i + 1
        ));
    }
    chain.push_str("  g2000:\n    description: G.\n    inherits: [g0]\n");
    let found = errors(&chain);
    assert!(
        found
            .iter()
            .any(|e| e.contains("inheritance cycle: g0 → g1 → g2 → g3 → g4 → g5 → … (1990 more) …")),
        "{:?}",
        &found[..found.len().min(3)]
    );
    assert!(
        found
            .iter()
            .any(|e| e.contains("inherits from more than 256 groups"))
    );

    let mut diamonds = String::from("groups:\n");
    for i in 0..64 {
        for side in ["a", "b"] {
            diamonds.push_str(&format!(
                "  {side}{i}:\n    description: D.\n    inherits: [a{0}, b{0}]\n",
                i + 1
            ));
        }
    }
    diamonds.push_str("  a64:\n    description: D.\n  b64:\n    description: D.\n");
    load(&diamonds).expect("2^64 paths, 130 groups: valid and quick");
}

#[test]
fn flattening_is_bounded() {
    let mut text = String::from("groups:\n  big:\n    description: B.\n    fields:\n");
    for i in 0..1_000 {
        text.push_str(&format!(
            "      f{i}: {{ type: string, description: F. }}\n"
        ));
    }
    text.push_str("events:\n");
    for i in 0..600 {
        text.push_str(&format!(
            "  e{i}:\n    category: auth\n    description: E.\n    inherits: [big]\n"
        ));
    }
    let found = errors(&text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains(
            "the schema's events and groups hold more than 500000 fields after inheritance"
        ),
        "{found:?}"
    );
}

/// A fresh directory under the target directory, removed first if left
/// over.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

fn schema_errors(dir: &Path) -> Vec<String> {
    match read_dir_sources(dir) {
        Err(Error::Schema(errors)) => errors
            .diagnostics()
            .iter()
            .map(ToString::to_string)
            .collect(),
        Err(other) => panic!("expected schema errors, got {other}"),
        Ok(files) => panic!("expected schema errors, read {} files", files.len()),
    }
}

#[test]
fn a_file_that_is_not_utf8_is_located_to_the_byte() {
    let dir = scratch("not-utf8");
    std::fs::write(dir.join("a.yaml"), b"versions: [2.3.0]\n# caf\xe9\n").expect("write");
    let found = schema_errors(&dir);
    let path = dir.join("a.yaml");
    assert_eq!(
        found,
        [format!(
            "{}:2:6: the file is not UTF-8: byte 0xe9 at byte offset 23 does not start a UTF-8 character\n  \
             hint: save the file as UTF-8",
            path.display()
        )]
    );
}

#[cfg(unix)]
#[test]
fn only_regular_files_are_read_and_links_are_followed_once() {
    use std::os::unix::fs::symlink;

    let dir = scratch("special-files");
    std::fs::write(dir.join("a.yaml"), BASE).expect("write");
    // A link loop: `loop/` points back at its parent, so following links
    // naively finds `a.yaml` again and again.
    symlink(&dir, dir.join("loop")).expect("symlink");
    symlink(dir.join("a.yaml"), dir.join("b.yaml")).expect("symlink");
    let files = read_dir_sources(&dir).expect("readable");
    assert_eq!(files.len(), 1, "each file once");
    assert_eq!(files[0].relative, "a.yaml");

    symlink("/dev/zero", dir.join("zero.yaml")).expect("symlink");
    symlink(dir.join("missing"), dir.join("dangling.yaml")).expect("symlink");
    let status = std::process::Command::new("mkfifo")
        .arg(dir.join("fifo.yaml"))
        .status();
    let fifo = status.is_ok_and(|s| s.success());
    let found = schema_errors(&dir);
    let mut expected = vec![
        format!(
            "{}:1:1: the symbolic link cannot be followed: No such file or directory (os error 2)",
            dir.join("dangling.yaml").display()
        ),
        format!(
            "{}:1:1: not a regular file (a FIFO, socket or device is never read)",
            dir.join("zero.yaml").display()
        ),
    ];
    if fifo {
        expected.insert(
            1,
            format!(
                "{}:1:1: not a regular file (a FIFO, socket or device is never read)",
                dir.join("fifo.yaml").display()
            ),
        );
    } else {
        eprintln!("mkfifo is missing: the FIFO case was not tried");
    }
    let first_lines: Vec<&str> = found
        .iter()
        .map(|e| e.lines().next().unwrap_or_default())
        .collect();
    assert_eq!(first_lines, expected);
}

#[test]
fn a_file_past_the_size_limit_is_refused_unread() {
    let dir = scratch("large");
    let file = std::fs::File::create(dir.join("big.yaml")).expect("create");
    file.set_len(dovecot_events_codegen::MAX_FILE_BYTES + 1)
        .expect("sparse file");
    let found = schema_errors(&dir);
    assert!(
        found[0].contains("the file is larger than 16 MiB, the most a schema file may hold"),
        "{found:?}"
    );
}

#[cfg(unix)]
#[test]
fn a_path_with_a_control_character_is_refused() {
    let dir = scratch("control-name");
    std::fs::write(dir.join("a\nb.yaml"), BASE).expect("write");
    let found = schema_errors(&dir);
    assert!(
        found[0].contains(
            "a\\nb.yaml:1:1: the file's path has a control or bidirectional-formatting character"
        ),
        "{found:?}"
    );
}

/// A model built in code skips validation; its text still cannot put a
/// bidirectional character into the generated Rust, which rustc refuses
/// (`text_direction_codepoint_in_literal`), nor start a doctest.
#[test]
fn generated_rust_holds_no_bidirectional_character_whatever_the_model() {
    let mut model = dovecot_events_codegen::load_embedded().expect("valid");
    for event in model.events.values_mut() {
        event.description = "a \u{202e} b\n    indented code\n```rust\nfn main() {}\n```".into();
        for field in &mut event.fields {
            field.description = "\u{2066}x\u{2069}".into();
        }
    }
    let tokens = dovecot_events_codegen::builder::Config::default()
        .model_tokens(&model, quote::quote!(::dovecot_events))
        .expect("generated");
    let code = tokens.to_string();
    assert!(!code.contains(['\u{202e}', '\u{2066}', '\u{2069}']));
    assert!(code.contains("\\\\u{202e}") || code.contains("\\u{202e}"));
    assert!(!code.contains("\" ```"), "a fence reaches rustdoc");
    assert!(
        code.contains("\" \\\\`\\\\`\\\\`rust\""),
        "the fence is escaped"
    );
    assert!(
        !code.contains("\"     indented"),
        "an indented code block reaches rustdoc"
    );
}
