//! Compile-time behaviour of `#[derive(DovecotEvent)]` and `schema!`, as
//! trybuild UI tests: each `tests/ui/{derive,schema}/*.rs` must fail to
//! compile with exactly the errors in its `.stderr` (bless with
//! `TRYBUILD=overwrite`). Code that must compile and run is built by the
//! workspace's `tests/downstream.rs` instead, as real crates.
//!
//! These tests live in this crate, rather than with the workspace's other
//! cross-crate tests, because trybuild builds every dependency and
//! dev-dependency of the crate under test, twice (with two sets of compiler
//! flags): here that is the runtime and its few dependencies, there it
//! would be the CLI, clap and everything the other tests use.
//!
//! trybuild compiles every case inside a crate of its own under
//! `$CARGO_TARGET_DIR/tests/trybuild/`, and `schema!` resolves its path
//! against that crate's directory. So that the cases can name the
//! repository's schemas wherever the target directory is, this test first
//! puts a link named `repo` to the repository there.

use std::path::Path;

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/derive/*.rs");
    if link_repository() {
        cases.compile_fail("tests/ui/schema/*.rs");
    }
}

/// Links `repo` in trybuild's crate directory to the repository; false
/// where that cannot be done (the `schema!` cases are then skipped).
#[cfg(unix)]
fn link_repository() -> bool {
    // The target directory holds CARGO_TARGET_TMPDIR; trybuild builds in
    // `<target>/tests/trybuild/<crate name>`.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is inside the target directory");
    let dir = target.join("tests/trybuild").join(env!("CARGO_PKG_NAME"));
    std::fs::create_dir_all(&dir).expect("create trybuild's crate directory");
    let link = dir.join("repo");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate is in the repository");
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
