//! The checked-in generated files must be exactly what the schema produces.
//! On a difference this test rewrites them (so `git diff` shows the drift)
//! and fails.

use dovecot_events_codegen::{files, load_dir};
use test_support::repo_root;

#[test]
fn generated_files_match_the_schema() {
    let model = load_dir(&repo_root().join("schema")).expect("the repository schema is valid");
    let outputs = files::outputs(&model, repo_root()).expect("read the manifests");
    let stale: Vec<&str> = files::stale(repo_root(), &outputs)
        .iter()
        .map(|o| o.path.as_str())
        .collect();
    if stale.is_empty() {
        return;
    }
    files::write_changed(repo_root(), &outputs).expect("rewrite generated files");
    panic!(
        "generated files were out of date and have been rewritten: {}\nrun `cargo run -p dovecot-events-codegen -- generate` and commit the result",
        stale.join(", ")
    );
}

#[test]
fn generation_is_deterministic() {
    let first = load_dir(&repo_root().join("schema")).expect("valid schema");
    let second = load_dir(&repo_root().join("schema")).expect("valid schema");
    assert_eq!(
        files::outputs(&first, repo_root()).expect("outputs"),
        files::outputs(&second, repo_root()).expect("outputs")
    );
    assert_eq!(
        dovecot_events_codegen::emit::resolved::generate(&first),
        dovecot_events_codegen::emit::resolved::generate(&second)
    );
}

#[test]
fn embedded_schema_is_the_repository_schema() {
    let embedded = dovecot_events_codegen::embedded_sources();
    let on_disk = dovecot_events_codegen::read_dir_sources(&repo_root().join("schema"))
        .expect("readable schema");
    let names = |files: &[dovecot_events_codegen::SourceFile]| -> Vec<(String, String)> {
        files
            .iter()
            .map(|f| (f.relative.clone(), f.text.clone()))
            .collect()
    };
    assert_eq!(names(&embedded), names(&on_disk));
}
