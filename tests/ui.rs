//! Compile-time behaviour of `#[derive(DovecotEvent)]` and `schema!`, as
//! trybuild UI tests: each `tests/ui/{derive,schema}/*.rs` must fail to
//! compile with exactly the errors in its `.stderr` (bless with
//! `TRYBUILD=overwrite`), and each `tests/ui/pass/*.rs` must compile and run.
//!
//! trybuild compiles every case inside a crate of its own under
//! `$CARGO_TARGET_DIR/tests/trybuild/`, and `schema!` resolves its path
//! against that crate's directory. So that the cases can name the
//! repository's schemas wherever the target directory is, this test first
//! puts a link named `repo` to the repository there.

use std::path::{Path, PathBuf};

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/derive/*.rs");
    cases.pass("tests/ui/pass/derive_*.rs");
    if link_repository() {
        cases.compile_fail("tests/ui/schema/*.rs");
        cases.pass("tests/ui/pass/schema_*.rs");
    }
}

/// The directory trybuild builds its crate in, as trybuild computes it.
#[cfg(unix)]
fn trybuild_crate_dir() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = std::process::Command::new(cargo)
        .args(["metadata", "--format-version=1", "--no-deps", "--offline"])
        .current_dir(test_support::repo_root())
        .output()
        .expect("run cargo metadata");
    assert!(output.status.success(), "cargo metadata failed");
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let target = metadata["target_directory"]
        .as_str()
        .expect("cargo metadata names the target directory");
    Path::new(target)
        .join("tests/trybuild")
        .join(env!("CARGO_PKG_NAME"))
}

/// Links `repo` in trybuild's crate directory to this repository; false
/// where that cannot be done (the `schema!` cases are then skipped).
#[cfg(unix)]
fn link_repository() -> bool {
    let dir = trybuild_crate_dir();
    std::fs::create_dir_all(&dir).expect("create trybuild's crate directory");
    let link = dir.join("repo");
    let root = test_support::repo_root();
    if std::fs::read_link(&link).is_ok_and(|to| to == root) {
        return true;
    }
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(root, &link).expect("link the repository");
    true
}

#[cfg(not(unix))]
fn link_repository() -> bool {
    eprintln!("note: the schema! UI cases need a symbolic link and run on Unix only");
    false
}
