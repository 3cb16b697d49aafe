//! The event-filter parser of `lint`, on any one-line text as the filter of
//! a `metric` block. The parser itself is private to `lint`, so the text
//! goes through `lint_str`, the public entry point, inside a minimal
//! configuration.

#![no_main]

use dovecot_events_fuzz::{lint, reads_files};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(filter) = std::str::from_utf8(data) else {
        return;
    };
    if filter.contains(['\n', '\r']) || filter.trim_start().starts_with('<') || reads_files(filter)
    {
        return;
    }
    lint(&format!("metric fuzz {{\n  filter = {filter}\n}}\n"));
});
