//! Real downstream crates (`tests/downstream/*`), built with cargo as a user
//! would build them: one generates its types in `build.rs` with
//! `dovecot_events_codegen::Builder`, the other proves that the version
//! features of `dovecot-events` are a compile-time guarantee.
//!
//! Each crate is copied into a scratch directory under the workspace's
//! target directory, with its path dependencies pointed at this checkout and
//! the workspace's `Cargo.lock`, so the test needs no network and leaves the
//! checkout untouched. All builds share one target directory
//! (`target/downstream`), so only the first run compiles the dependencies.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use test_support::repo_root;

/// The target directory every downstream build shares.
fn target_dir() -> PathBuf {
    // The test binary is `<target>/<profile>/deps/downstream-<hash>`.
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.ancestors()
        .nth(3)
        .expect("the test binary is inside a target directory")
        .join("downstream")
}

/// A fresh copy of `tests/downstream/<name>` (symlinks followed, so the
/// schema becomes a private copy), ready to build.
fn scratch_copy(name: &str) -> PathBuf {
    let dir = target_dir().join("crates").join(name);
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
    // The dependencies are a subset of the workspace's, so its lock file
    // pins the same versions and `--offline` finds them all.
    fs::copy(repo_root().join("Cargo.lock"), dir.join("Cargo.lock")).expect("copy Cargo.lock");
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create a scratch directory");
    for entry in fs::read_dir(from).expect("read a downstream crate directory") {
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

/// Runs cargo in `dir`, offline, against the shared target directory.
fn cargo(dir: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO"))
        .args(args)
        .arg("--offline")
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
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
