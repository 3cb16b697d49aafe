//! `derive/src/target.rs`: the Dovecot release that the enabled version
//! features of `dovecot-events-derive` stand for, which
//! `#[derive(DovecotEvent)]` checks user structs against by default.

use std::fmt::Write as _;

use crate::features::feature_versions;
use dovecot_events_codegen::EventModel;
use dovecot_events_codegen::emit::header;

/// The module's source.
#[must_use]
pub fn generate(model: &EventModel) -> String {
    let mut out = header(model, "cargo xtask generate", "//");
    out.push_str(
        "/// The newest release whose version feature is enabled; the oldest\n\
         /// release the schema knows when none is.\n\
         pub(crate) const TARGET: &str = ",
    );
    let versions = feature_versions(model);
    for v in versions.iter().rev() {
        let _ = write!(
            out,
            "if cfg!(feature = \"{}\") {{\n    \"{v}\"\n}} else ",
            v.feature_name()
        );
    }
    let oldest = model
        .versions
        .first()
        .map_or_else(String::new, ToString::to_string);
    let _ = writeln!(out, "{{\n    \"{oldest}\"\n}};");
    out
}
