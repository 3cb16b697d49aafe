//! The repository's tasks, run for real: the checked-in generated files
//! are exactly what the schema produces, `check` catches drift, and
//! `generate` repairs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dovecot_events_codegen::load_dir;
use xtask::files;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ has a parent")
}

fn xtask(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run xtask")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A scratch copy of the parts of the repository that `check` and
/// `generate` read and write, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("dovecot-xtask-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        copy_dir(&repo().join("schema"), &dir.join("schema"));
        copy_dir(&repo().join("generated"), &dir.join("generated"));
        copy_dir(&repo().join("derive"), &dir.join("derive"));
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let path = entry.expect("dir entry").path();
        let dest = to.join(path.file_name().expect("named entry"));
        if path.is_dir() {
            copy_dir(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).expect("copy file");
        }
    }
}

#[test]
fn generated_files_match_the_schema() {
    let model = load_dir(&repo().join("schema")).expect("the repository schema is valid");
    let outputs = files::outputs(&model, repo()).expect("read the manifests");
    let stale = files::stale(repo(), &outputs);
    if stale.is_empty() {
        return;
    }
    files::write_changed(repo(), &outputs).expect("rewrite generated files");
    panic!(
        "generated files were out of date and have been rewritten: {}\nrun `cargo xtask generate` and commit the result",
        stale.join(", ")
    );
}

#[test]
fn generation_is_deterministic() {
    let first = load_dir(&repo().join("schema")).expect("valid schema");
    let second = load_dir(&repo().join("schema")).expect("valid schema");
    assert_eq!(
        files::outputs(&first, repo()).expect("outputs"),
        files::outputs(&second, repo()).expect("outputs")
    );
}

#[test]
fn embedded_schema_is_the_repository_schema() {
    let embedded = dovecot_events_codegen::embedded_sources();
    let on_disk =
        dovecot_events_codegen::read_dir_sources(&repo().join("schema")).expect("readable schema");
    let names = |files: &[dovecot_events_codegen::SourceFile]| -> Vec<(String, String)> {
        files
            .iter()
            .map(|f| (f.relative.clone(), f.text.clone()))
            .collect()
    };
    assert_eq!(names(&embedded), names(&on_disk));
}

#[test]
fn check_passes_on_the_repository_and_catches_drift() {
    let scratch = Scratch::new("check");
    let root = scratch.0.to_str().expect("utf-8 temp path");
    let schema = scratch.0.join("schema");
    let schema = schema.to_str().expect("utf-8 temp path");
    let check = || xtask(&["check", "--root", root, "--schema", schema], &scratch.0);

    let out = check();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    // A hand edit to a generated file.
    let generated = scratch.0.join("generated/src/generated/events/imap.rs");
    let original = std::fs::read_to_string(&generated).expect("read generated code");
    std::fs::write(&generated, format!("{original}\n// edited by hand\n")).expect("edit");
    let out = check();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("out of date: generated/src/generated/events/imap.rs"));
    std::fs::write(&generated, &original).expect("restore");

    // A schema change without regeneration.
    let versions = scratch.0.join("schema/dovecot.yaml");
    let yaml = std::fs::read_to_string(&versions).expect("read schema");
    std::fs::write(
        &versions,
        format!("{yaml}\n# a comment changes the schema hash\n"),
    )
    .expect("edit");
    let out = check();
    assert_eq!(out.status.code(), Some(1));

    // `generate` repairs it, touching only what changed, and `check` agrees.
    let out = xtask(
        &["generate", "--root", root, "--schema", schema],
        &scratch.0,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Every output whose header names the schema hash changes, nothing else.
    let stdout = text(&out.stdout);
    assert!(
        !stdout.contains(" 0 changed")
            && stdout.contains("wrote")
            && !stdout.contains("Cargo.toml"),
        "{stdout}"
    );
    assert_eq!(check().status.code(), Some(0));
    let out = xtask(
        &["generate", "--root", root, "--schema", schema],
        &scratch.0,
    );
    assert!(
        text(&out.stdout).contains("0 changed"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn outside_the_repository_generate_explains_itself() {
    let out = xtask(&["generate"], &std::env::temp_dir());
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("pass --root"),
        "{}",
        text(&out.stderr)
    );
}
