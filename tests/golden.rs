//! Golden tests: the emitters' output for small fixture schemas, compared
//! with checked-in snapshots (bless with `EXPECTORATE=overwrite`), and the
//! snapshots compiled as real Rust.

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

/// The snapshots must compile warning-free against the real runtime crate.
#[test]
fn snapshots_compile() {
    trybuild::TestCases::new().pass("tests/compile/pass/*.rs");
}
