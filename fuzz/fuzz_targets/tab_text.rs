//! The tab-text readers (`from_slice`, `from_slice_raw`, `from_slice_lossy`
//! and its raw form) on any bytes: none may panic, the raw readers accept
//! whatever the typed ones accept, a valid UTF-8 line reads the same
//! through `from_str`, and an accepted event written as JSON reads back
//! equal.

#![no_main]

use dovecot_events::tab_text;
use dovecot_events_fuzz::round_trip;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let typed = tab_text::from_slice(data);
    let raw = tab_text::from_slice_raw(data);
    let lossy = tab_text::from_slice_lossy(data);
    let lossy_raw = tab_text::from_slice_lossy_raw(data);
    if typed.is_ok() {
        assert!(
            raw.is_ok(),
            "the raw reader rejects what the typed one accepts"
        );
        assert!(
            lossy.is_ok(),
            "the lossy reader rejects what the strict one accepts"
        );
    }
    if lossy.is_ok() {
        assert!(
            lossy_raw.is_ok(),
            "the raw lossy reader rejects what the typed one accepts"
        );
    }
    if let Ok(text) = std::str::from_utf8(data) {
        assert_eq!(
            tab_text::from_str(text),
            typed,
            "from_str and from_slice disagree"
        );
        assert_eq!(
            tab_text::from_str_raw(text),
            raw,
            "the raw readers disagree"
        );
    }
    for event in [typed.as_ref(), lossy.as_ref()].into_iter().flatten() {
        round_trip(event);
    }
});
