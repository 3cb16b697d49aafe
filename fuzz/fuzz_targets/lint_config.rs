//! `lint_str`, the public entry point of `dovecot-eventgen lint`, on any
//! text as a `dovecot.conf`. Inputs that would read other files
//! (`!include`, `<file` values) are left out: the fuzzer must not wander
//! the file system.

#![no_main]

use dovecot_events_fuzz::{lint, reads_files};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if reads_files(text) {
        return;
    }
    lint(text);
});
