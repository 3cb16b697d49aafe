//! An interrupted `generate` leaves `.NAME.PID.tmp` files behind: git
//! ignores them, and the next write of the same file removes them (see
//! `dovecot_events_codegen::write_atomic`).

use std::process::Command;

use test_support::repo_root;

#[test]
fn git_ignores_the_temporary_files_of_an_interrupted_write() {
    let names = [
        "generated/src/generated/.enums.rs.4194305.tmp",
        "generated/.EVENTS.md.12.tmp",
        ".Cargo.toml.777.tmp",
    ];
    let output = Command::new("git")
        .arg("check-ignore")
        .arg("--no-index")
        .args(names)
        .current_dir(repo_root())
        .output();
    let output = match output {
        Ok(output) if output.status.code() != Some(128) => output,
        // Not a git checkout (a packaged crate) or no git at all.
        other => {
            assert!(
                std::env::var_os("CI").is_none(),
                "git check-ignore cannot run under CI: {other:?}"
            );
            eprintln!("SKIPPED: git check-ignore cannot run here: {other:?}");
            return;
        }
    };
    let ignored = String::from_utf8_lossy(&output.stdout);
    for name in names {
        assert!(ignored.lines().any(|l| l == name), "{name} is not ignored");
    }
    // A file merely ending in `.tmp` is not swept up.
    let plain = Command::new("git")
        .args(["check-ignore", "--no-index", "-q", "notes.tmp"])
        .current_dir(repo_root())
        .status()
        .expect("git ran above");
    assert!(!plain.success(), "notes.tmp should not be ignored");
}

#[test]
fn the_next_write_removes_a_dead_writers_temporary_file() {
    let dir = std::env::temp_dir().join(format!("dovecot-temp-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    // Above Linux's largest pid, so no process has it.
    let stale = dir.join(".EVENTS.md.4194305.tmp");
    let other = dir.join(".other.md.4194305.tmp");
    std::fs::write(&stale, "half a file").expect("write");
    std::fs::write(&other, "someone else's").expect("write");
    dovecot_events_codegen::write_if_changed(&dir.join("EVENTS.md"), b"whole").expect("written");
    assert!(!stale.exists(), "the dead writer's file is removed");
    assert!(
        other.exists(),
        "another file's temporary file is left alone"
    );
    std::fs::remove_dir_all(&dir).expect("clean up");
}
