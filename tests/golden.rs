//! Golden tests: the emitters' output for small fixture schemas, compared
//! with checked-in snapshots (bless with `EXPECTORATE=overwrite`). The Rust
//! snapshot is compiled and run as real code by `tests/downstream.rs`
//! (`tests/downstream/compile_pass/src/bin/golden_small.rs`).

use dovecot_eventgen::resolved;
use dovecot_events_codegen::emit::rust;
use test_support::fixture;

fn options() -> rust::RustOptions {
    rust::RustOptions {
        runtime: quote::quote!(::dovecot_events),
        command: "cargo test --test golden".into(),
        type_attributes: vec![("*".into(), quote::quote!(#[doc(alias = "dovecot")]))],
        field_attributes: vec![("*.user".into(), quote::quote!(#[doc(alias = "login")]))],
        version_features: false,
        runtime_metadata: false,
    }
}

#[test]
fn small_schema_rust() {
    let model = dovecot_events_codegen::load_dir(&fixture("schemas/small")).expect("valid fixture");
    let code = rust::generate(&model, &options());
    expectorate::assert_contents("tests/fixtures/golden/small.rs", &code);
}

#[test]
fn small_schema_resolved_json() {
    let model = dovecot_events_codegen::load_dir(&fixture("schemas/small")).expect("valid fixture");
    expectorate::assert_contents(
        "tests/fixtures/golden/small.resolved.json",
        &resolved::generate(&model),
    );
}
