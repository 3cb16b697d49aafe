//! The schema pipeline (`load_sources`: YAML, load, validate, resolve) on
//! any text as one schema file. A schema that loads is also rendered in
//! every documentation format and as Rust, and the Rust must parse.

#![no_main]

use dovecot_events_codegen::emit::docs::{self, Format};
use dovecot_events_codegen::{SourceFile, load_sources};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let files = [SourceFile {
        path: "fuzz/schema.yaml".into(),
        relative: "schema.yaml".into(),
        text: text.to_owned(),
    }];
    let model = match load_sources(&files) {
        Ok(model) => model,
        Err(errors) => {
            // Every diagnostic is located in the one file there is.
            for diagnostic in errors.diagnostics() {
                assert_eq!(&*diagnostic.location.file, "fuzz/schema.yaml");
                assert!(diagnostic.location.line >= 1 && diagnostic.location.column >= 1);
            }
            return;
        }
    };
    for format in [
        Format::Markdown,
        Format::Rst,
        Format::Json,
        Format::Html,
        Format::DovecotDocs,
    ] {
        let _ = docs::render(&model, format);
    }
    let config = dovecot_events_codegen::builder::Config::default();
    let tokens = config
        .model_tokens(&model, quote::quote!(::dovecot_events))
        .expect("the default options fit any schema");
    if let Err(error) = syn::parse2::<syn::File>(tokens) {
        panic!("generated Rust does not parse: {error}");
    }
});
