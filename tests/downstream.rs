//! Real downstream crates, built with cargo as a user would build them:
//!
//! - one crate per route of the README's "Using it from Rust", made from
//!   the README's own code blocks (`tests/downstream/readme/README.md`
//!   says how), which must build without a warning and read the real
//!   exports;
//! - `tests/downstream/buildrs`, whose `build.rs` generates its types with
//!   `dovecot_events_codegen::Builder` and reruns exactly when the schema
//!   changes;
//! - `tests/downstream/old_feature`, which proves that the version features
//!   of `dovecot-events` are a compile-time guarantee;
//! - `tests/downstream/compile_pass`, programs that must compile
//!   warning-free against the runtime and run: the golden code, derived
//!   structs of every field type and `schema!` over a schema directory.
//!
//! Each crate is copied into a scratch directory under the workspace's
//! target directory, with its path dependencies pointed at this checkout,
//! a link `repo` to it and the workspace's `Cargo.lock`, so the test needs
//! no network and leaves the checkout untouched. Every build uses the
//! workspace's own target directory, so the downstream crates share what
//! they compile (syn, the code generator, the derive crate, the runtime
//! once per feature set) with each other and, where features and profile
//! agree, with the workspace's own build. (The workspace unifies features
//! across its members, so most crates differ: syn gets `full` from clap's
//! derive, for one.) Cargo releases that directory's lock once it has
//! built the tests, before it runs them.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use test_support::{fixture, repo_root};

/// The workspace's target directory, which every downstream build shares.
fn target_dir() -> &'static Path {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is inside the target directory")
}

/// Where the scratch copies go.
fn scratch_dir() -> PathBuf {
    target_dir().join("downstream")
}

/// A fresh copy of `tests/downstream/<name>` (symlinks followed, so the
/// schema becomes a private copy), ready to build.
fn scratch_copy(name: &str) -> PathBuf {
    let dir = scratch_dir().join("crates").join(name);
    if dir.exists() {
        fs::remove_dir_all(&dir).expect("remove the previous copy");
    }
    copy_dir(&repo_root().join("tests/downstream").join(name), &dir);
    let manifest = dir.join("Cargo.toml");
    let text = fs::read_to_string(&manifest).expect("read the copied manifest");
    let root = repo_root().display().to_string();
    fs::write(
        &manifest,
        text.replace("\"../../../", &format!("\"{root}/")),
    )
    .expect("write the copied manifest");
    link_repo(&dir);
    // The dependencies are a subset of the workspace's, so its lock file
    // pins the same versions and `--offline` finds them all.
    fs::copy(repo_root().join("Cargo.lock"), dir.join("Cargo.lock")).expect("copy Cargo.lock");
    dir
}

/// Links `repo` in `dir` to this checkout.
fn link_repo(dir: &Path) {
    let link = dir.join("repo");
    if fs::read_link(&link).is_ok_and(|to| to == repo_root()) {
        return;
    }
    let _ = fs::remove_file(&link);
    std::os::unix::fs::symlink(repo_root(), &link).expect("link the repository");
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create a scratch directory");
    for entry in fs::read_dir(from).unwrap_or_else(|e| panic!("read {}: {e}", from.display())) {
        let entry = entry.expect("a directory entry");
        let name = entry.file_name();
        if name == "target" || name == "Cargo.lock" {
            continue;
        }
        let path = entry.path();
        // `metadata` follows symlinks, so `schema -> ../../../schema` is
        // copied as a real directory.
        if fs::metadata(&path).expect("stat").is_dir() {
            copy_dir(&path, &to.join(&name));
        } else {
            fs::copy(&path, to.join(&name)).expect("copy a file");
        }
    }
}

/// Writes a file only when its content differs, so that cargo sees an
/// unchanged crate as fresh.
fn write_if_changed(path: &Path, contents: &str) {
    if fs::read_to_string(path).is_ok_and(|old| old == contents) {
        return;
    }
    fs::create_dir_all(path.parent().expect("a file in a directory")).expect("create a directory");
    fs::write(path, contents).expect("write a scratch file");
}

/// Runs cargo in `dir`, offline, against the shared target directory.
fn cargo(dir: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO"))
        .args(args)
        .arg("--offline")
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        // The workspace's own profile setting (see its Cargo.toml), so
        // the leaf crates both build with the same features are shared.
        .env("CARGO_PROFILE_DEV_DEBUG", "line-tables-only")
        .env("CARGO_TERM_COLOR", "never")
        .output()
        .expect("run cargo");
    eprintln!(
        "cargo {} in {}: {}\n{}",
        args.join(" "),
        dir.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The messages of a `cargo build --message-format=json`.
fn messages(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// Every diagnostic of one level (`warning`, `error`) the compiler gave,
/// rendered.
fn diagnostics(output: &Output, level: &str) -> Vec<String> {
    messages(output)
        .into_iter()
        .filter(|m| m["reason"] == "compiler-message" && m["message"]["level"] == level)
        .map(|m| m["message"]["rendered"].as_str().unwrap_or("?").to_owned())
        .collect()
}

/// The executables a build produced, by target name.
fn executables(output: &Output) -> BTreeMap<String, PathBuf> {
    messages(output)
        .into_iter()
        .filter(|m| m["reason"] == "compiler-artifact")
        .filter_map(|m| {
            let exe = m["executable"].as_str()?;
            Some((m["target"]["name"].as_str()?.to_owned(), PathBuf::from(exe)))
        })
        .collect()
}

/// Builds the crate in `dir`: it must succeed without a warning. Returns
/// its executables.
fn build_clean(dir: &Path) -> BTreeMap<String, PathBuf> {
    let output = cargo(dir, &["build", "--bins", "--message-format=json"]);
    assert!(
        output.status.success(),
        "{} does not build:\n{}{}",
        dir.display(),
        diagnostics(&output, "error").join("\n"),
        stderr(&output)
    );
    let warnings = diagnostics(&output, "warning");
    assert!(
        warnings.is_empty(),
        "{} builds with warnings:\n{}",
        dir.display(),
        warnings.join("\n")
    );
    executables(&output)
}

/// Runs a built program; it must succeed. Returns its standard output.
fn run(program: &Path, args: &[PathBuf]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("run {}: {err}", program.display()));
    assert!(
        output.status.success(),
        "{} failed ({}):\n{}{}",
        program.display(),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A `cargo build -v` of the build-script crate: whether its build script
/// ran, and the generated file.
struct Build {
    output: Output,
    script_ran: bool,
    generated: Option<String>,
}

fn build_verbose(dir: &Path) -> Build {
    let output = cargo(dir, &["build", "-v", "--message-format=json"]);
    // `-v` prints "Running `…/downstream-buildrs-<hash>/build-script-build`"
    // each time cargo runs the script (and not when it is fresh).
    let script_ran = stderr(&output).lines().any(|line| {
        line.trim_start().starts_with("Running `")
            && line.contains("/downstream-buildrs-")
            && line.trim_end().ends_with("/build-script-build`")
    });
    let generated = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| {
            message["reason"] == "build-script-executed"
                && message["package_id"]
                    .as_str()
                    .is_some_and(|id| id.contains("#downstream-buildrs@"))
        })
        .find_map(|message| message["out_dir"].as_str().map(PathBuf::from))
        .and_then(|out_dir| fs::read_to_string(out_dir.join("dovecot_events.rs")).ok());
    Build {
        output,
        script_ran,
        generated,
    }
}

/// Replaces the one occurrence of `from` in a file.
fn edit(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).expect("read a file to edit");
    assert_eq!(
        text.matches(from).count(),
        1,
        "{from:?} in {}",
        path.display()
    );
    fs::write(path, text.replace(from, to)).expect("write the edited file");
}

/// The 1-based line of `needle` in a file.
fn line_of(path: &Path, needle: &str) -> usize {
    fs::read_to_string(path)
        .expect("read a file")
        .lines()
        .position(|line| line.contains(needle))
        .expect("the text is in the file")
        + 1
}

#[test]
fn build_script_crate_builds_tests_and_regenerates_only_on_schema_edits() {
    let dir = scratch_copy("buildrs");
    let imap = dir.join("schema/events/imap.yaml");

    let first = build_verbose(&dir);
    assert!(first.output.status.success(), "the downstream crate builds");
    assert!(first.script_ran, "a fresh copy runs the build script");
    let generated = first.generated.expect("the generated file");
    assert!(generated.contains("pub struct ImapCommandFinished ="));
    assert!(
        !generated.contains("pub struct AuthRequestFinished ="),
        "the category filter keeps only IMAP events"
    );
    let item = generated
        .find("pub struct ImapCommandFinished =")
        .expect("the struct");
    // The attributes between the struct's doc comment and the struct.
    let attributes = &generated[generated[..item].rfind("///").expect("a doc comment")..item];
    assert!(
        attributes.contains("#[doc(alias = \"imap_command\")]"),
        "the type attribute is applied: {attributes}"
    );

    let tests = cargo(&dir, &["test"]);
    assert!(tests.status.success(), "the downstream crate's tests pass");
    assert!(String::from_utf8_lossy(&tests.stdout).contains("test result: ok. 4 passed"));

    // An edit the build script does not read: the crate is rebuilt, the
    // script is not rerun.
    edit(
        &dir.join("src/lib.rs"),
        "pub type ParseError",
        "// An unrelated edit.\npub type ParseError",
    );
    fs::write(dir.join("NOTES.md"), "Not read by build.rs.\n").expect("write a new file");
    let unrelated = build_verbose(&dir);
    assert!(unrelated.output.status.success());
    assert!(
        stderr(&unrelated.output).contains("Compiling downstream-buildrs"),
        "cargo saw the edit"
    );
    assert!(
        !unrelated.script_ran,
        "an unrelated edit does not rerun the build script"
    );

    // An edit of the schema: the script reruns and the output follows it.
    edit(
        &imap,
        "An IMAP command of a logged-in client has completed",
        "An IMAP command (edited downstream) has completed",
    );
    let schema_edit = build_verbose(&dir);
    assert!(schema_edit.output.status.success());
    assert!(
        schema_edit.script_ran,
        "a schema edit reruns the build script"
    );
    assert!(
        schema_edit
            .generated
            .expect("the generated file")
            .contains("An IMAP command (edited downstream) has completed"),
        "the generated code follows the schema edit"
    );

    // Schema errors in two files (the renamed key is two errors: an
    // unknown key and a missing one): the build fails and shows every one,
    // located.
    edit(
        &imap,
        "description: An IMAP command (edited downstream)",
        "descripton: An IMAP command (edited downstream)",
    );
    let typo_line = line_of(&imap, "descripton: An IMAP command");
    let auth = dir.join("schema/events/auth.yaml");
    let auth_text = fs::read_to_string(&auth).expect("read auth.yaml");
    let (type_line, type_at) = auth_text
        .lines()
        .enumerate()
        .find_map(|(n, line)| line.find("type: string").map(|at| (n + 1, at)))
        .expect("a string field in auth.yaml");
    fs::write(&auth, auth_text.replacen("type: string", "type: strng", 1))
        .expect("write auth.yaml");
    let broken = build_verbose(&dir);
    assert!(
        !broken.output.status.success(),
        "schema errors fail the build"
    );
    let text = stderr(&broken.output);
    for expected in [
        format!("schema/events/imap.yaml:{typo_line}:5: unknown key `descripton`"),
        format!(
            "schema/events/auth.yaml:{type_line}:{}: unknown type `strng`",
            type_at + "type: ".len() + 1
        ),
        "missing required key `description`".to_owned(),
        "3 schema errors found".to_owned(),
    ] {
        assert!(text.contains(&expected), "{expected:?} in:\n{text}");
    }

    // Fixing the schema is enough to build again: the failed run had
    // already told cargo which files to watch.
    edit(&imap, "descripton:", "description:");
    fs::write(&auth, &auth_text).expect("restore auth.yaml");
    let fixed = build_verbose(&dir);
    assert!(fixed.output.status.success(), "the fixed schema builds");
    assert!(fixed.script_ran);
}

#[test]
fn version_features_are_a_compile_time_guarantee() {
    let dir = scratch_copy("old_feature");

    // Only `v2_3_8`: reading `cmd_name` (Dovecot 2.3.9) is an error, and
    // the only one (the deprecated 2.3.8 name still compiles).
    let old = cargo(&dir, &["check", "--message-format=short"]);
    assert!(
        !old.status.success(),
        "a 2.3.9 field does not compile with v2_3_8"
    );
    let text = stderr(&old);
    let line = line_of(&dir.join("src/lib.rs"), "cmd.cmd_name");
    let expected = format!("src/lib.rs:{line}:9: error[E0609]: no field `cmd_name`");
    assert!(text.contains(&expected), "{expected:?} in:\n{text}");
    assert!(text.contains("due to 1 previous error"), "{text}");

    // The control: the same code with `v2_3_9`.
    let new = cargo(
        &dir,
        &[
            "check",
            "--message-format=short",
            "--features",
            "dovecot-events/v2_3_9",
        ],
    );
    assert!(new.status.success(), "the same code compiles with v2_3_9");
}

/// The programs of `tests/downstream/compile_pass` compile without a
/// warning and run.
#[test]
fn compile_pass_programs_build_warning_free_and_run() {
    let dir = scratch_copy("compile_pass");
    let programs = build_clean(&dir);
    let names: Vec<&str> = programs.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["derive_real_events", "golden_small", "schema_real_events"]
    );
    for program in programs.values() {
        run(program, &[]);
    }
}

/// One route of the README: its files, gathered from its code blocks.
#[derive(Default)]
struct Route {
    manifest: String,
    build_rs: Option<String>,
    items: String,
    example: String,
}

/// The README's code blocks that follow a `<!-- downstream: … -->`
/// comment, gathered per route.
fn readme_routes(readme: &str) -> BTreeMap<String, Route> {
    let mut routes: BTreeMap<String, Route> = BTreeMap::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        let Some(targets) = line
            .trim()
            .strip_prefix("<!-- downstream:")
            .and_then(|rest| rest.strip_suffix("-->"))
        else {
            continue;
        };
        let fence = lines.next().unwrap_or_default();
        assert!(
            fence.starts_with("```"),
            "a code block must follow {line:?}, found {fence:?}"
        );
        let mut block = String::new();
        for code in lines.by_ref() {
            if code.starts_with("```") {
                break;
            }
            block.push_str(code);
            block.push('\n');
        }
        for target in targets.split(',') {
            let mut words = target.split_whitespace();
            let (Some(name), Some(part), None) = (words.next(), words.next(), words.next()) else {
                panic!("expected `ROUTE PART` in {line:?}");
            };
            let route = routes.entry(name.to_owned()).or_default();
            match part {
                "Cargo.toml" => route.manifest.push_str(&block),
                "build.rs" => route.build_rs = Some(block.clone()),
                "items" => route.items.push_str(&block),
                "example" => route.example.push_str(&block),
                other => panic!("unknown part `{other}` in {line:?}"),
            }
        }
    }
    routes
}

/// A route's `[dependencies]` with each `"0.1"` of a dovecot-events crate
/// replaced by the path of this checkout.
fn local_manifest(route: &str, manifest: &str) -> String {
    let mut out = format!(
        "[package]\nname = \"readme-{route}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[workspace]\n\n"
    );
    for line in manifest.lines() {
        let path = |dir: &str| format!("path = \"{}\"", repo_root().join(dir).display());
        let line = if let Some(rest) = line.strip_prefix("dovecot-events-codegen = ") {
            let rest = rest.replace("version = \"0.1\"", &path("codegen"));
            let rest = rest.replace("\"0.1\"", &format!("{{ {} }}", path("codegen")));
            format!("dovecot-events-codegen = {rest}")
        } else if let Some(rest) = line.strip_prefix("dovecot-events = ") {
            let rest = rest.replace("version = \"0.1\"", &path("generated"));
            let rest = rest.replace("\"0.1\"", &format!("{{ {} }}", path("generated")));
            format!("dovecot-events = {rest}")
        } else {
            line.to_owned()
        };
        assert!(
            !line.contains("\"0.1\""),
            "README route {route}: a dependency this test cannot point at the checkout: {line}"
        );
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Each route of the README's "Using it from Rust", built from the README's
/// own code blocks as a binary crate: it compiles without a warning, runs
/// the README's example and reads the real exports of Dovecot 2.3.19 with
/// the route's types.
#[test]
fn readme_routes_build_warning_free_and_read_the_captures() {
    let readme = fs::read_to_string(repo_root().join("README.md")).expect("read README.md");
    let routes = readme_routes(&readme);
    let names: Vec<&str> = routes.keys().map(String::as_str).collect();
    assert_eq!(names, ["buildrs", "derive", "plain", "schema"]);
    let captures: Vec<PathBuf> = ["json-unix.jsonl", "json-rfc3339.jsonl", "tab-text.txt"]
        .iter()
        .map(|file| fixture(&format!("exports/2.3.19/{file}")))
        .collect();
    for (name, route) in &routes {
        let dir = scratch_dir().join("readme").join(name);
        assert!(
            route.manifest.contains("[dependencies]"),
            "route {name}: no Cargo.toml block"
        );
        write_if_changed(
            &dir.join("Cargo.toml"),
            &local_manifest(name, &route.manifest),
        );
        if let Some(build_rs) = &route.build_rs {
            write_if_changed(&dir.join("build.rs"), build_rs);
        }
        let harness = fs::read_to_string(
            repo_root()
                .join("tests/downstream/readme")
                .join(format!("{name}.rs")),
        )
        .expect("the route's harness");
        let example: String = route
            .example
            .lines()
            .map(|line| format!("    {line}\n"))
            .collect();
        let main = format!(
            "{}\n#[allow(clippy::unnecessary_wraps)]\nfn readme_example() -> Result<(), Box<dyn std::error::Error>> {{\n{example}    Ok(())\n}}\n\n{harness}",
            route.items
        );
        write_if_changed(&dir.join("src/main.rs"), &main);
        let lock = fs::read_to_string(repo_root().join("Cargo.lock")).expect("read Cargo.lock");
        write_if_changed(&dir.join("Cargo.lock"), &lock);

        let programs = build_clean(&dir);
        let program = programs
            .get(&format!("readme-{name}"))
            .unwrap_or_else(|| panic!("route {name}: no program built: {programs:?}"));
        let out = run(program, &captures);
        let counts = out
            .lines()
            .find_map(|line| line.strip_prefix("read "))
            .unwrap_or_else(|| panic!("route {name}: no summary in {out:?}"));
        let (read, typed) = counts
            .strip_suffix(" typed")
            .and_then(|c| c.split_once(" events, "))
            .unwrap_or_else(|| panic!("route {name}: summary {counts:?}"));
        let (read, typed): (usize, usize) = (
            read.parse().expect("a count"),
            typed.parse().expect("a count"),
        );
        assert!(read > 400 && typed > 0, "route {name}: {out}");
    }
}
