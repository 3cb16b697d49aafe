//! Dovecot's tab-text export format (`format = tab-text`).
//!
//! One line is one event: TAB-separated items `event:NAME`,
//! `hostname:HOST`, `start_time:TIME`, `end_time:TIME`, one
//! `category:NAME` per category and one `field:KEY=VALUE` per field, each
//! present only if the exporter's `exporter_include` asks for it. Names and
//! values are escaped with byte 0x01 followed by `1`, `t`, `r`, `n` or `0`
//! for 0x01, TAB, CR, LF and NUL (Dovecot's `str_append_tabescaped`). A
//! string list is escaped item by item, joined with TAB, and escaped again;
//! the parser undoes both for fields the schema types as string lists, and
//! [`split_list`] does it for any other value.
//!
//! Tab-text carries every value as text, so known fields are converted by
//! their schema type, and unknown fields are kept as
//! [`Value::Str`] (unescaped once). Items with a
//! prefix this crate does not know (`word:`) are skipped, so a newer Dovecot
//! that adds one does not break parsing; anything else that is not an item
//! is an error.
//!
//! ```
//! use dovecot_events::{Event, Value, tab_text};
//!
//! let line = "event:imap_command_finished\thostname:mx1\tcategory:imap\t\
//!             field:cmd_name=SELECT\tfield:new_field=a\x01tb\n";
//! let exported = tab_text::from_str(line)?;
//! assert_eq!(exported.name(), Some("imap_command_finished"));
//! # #[cfg(feature = "v2_3_13")] {
//! let Event::ImapCommandFinished(cmd) = &exported.event else { panic!("typed") };
//! assert_eq!(cmd.cmd_name.as_deref(), Some("SELECT"));
//! assert_eq!(cmd.unknown_fields.get("new_field"), Some(&Value::Str("a\tb".into())));
//! # }
//! # Ok::<(), dovecot_events::Error>(())
//! ```

use std::borrow::Cow;

use crate::Value;
use crate::assemble::{Assembler, Member, Target};
use crate::error::{Error, shown};
use crate::export::ExportedEvent;
use crate::raw::RawEvent;
use crate::swar::{bytes_below, bytes_equal, first_flagged, word_at};

const FORMAT: &str = "tab-text";
const ESCAPE: char = '\x01';

/// Parses one tab-text line (a trailing `\n` or `\r\n` is allowed) into an
/// exported event. An empty line is an event the exporter was told to
/// include nothing of.
///
/// # Errors
///
/// Returns an [`Error`] for an item that is not tab-text, a `field:` item
/// without `=`, a repeated `event:`, `hostname:`, `start_time:` or
/// `end_time:` item, a time that is not a timestamp, and a known field whose
/// value does not fit its type.
pub fn from_str(line: &str) -> Result<ExportedEvent<'_>, Error> {
    parse(line)
}

/// Parses one tab-text line into a [`RawEvent`]: the same rules as
/// [`from_str`], without typing the fields.
///
/// # Errors
///
/// As [`from_str`], except that no field has a type to mismatch.
pub fn from_str_raw(line: &str) -> Result<RawEvent<'_>, Error> {
    parse(line)
}

fn parse<'a, T: Target<'a>>(line: &'a str) -> Result<T, Error> {
    let line = strip_newline(line);
    // Dovecot writes the `event:` item first. Knowing the name before the
    // event is built spares building a nameless event and then replacing
    // it, which moves the whole enum (its largest variant is over a
    // kilobyte).
    let (name, start) = match leading_name(line) {
        Some((name, start)) => (Some(Cow::Borrowed(name)), start),
        None => (None, 0),
    };
    let mut parser = Parser {
        asm: Assembler::new(FORMAT, name),
    };
    scan(&mut parser, line, start)?;
    parser.asm.finish()
}

/// The event's name when the line starts with an `event:` item without
/// escapes, and where the next item starts (past the line's end when there
/// is none).
fn leading_name(line: &str) -> Option<(&str, usize)> {
    let rest = line.strip_prefix("event:")?;
    let end = tab_or_escape(rest.as_bytes(), 0);
    match rest.as_bytes().get(end) {
        Some(b'\t') | None => Some((&rest[..end], "event:".len() + end + 1)),
        Some(_) => None,
    }
}

/// Feeds the items of `line` from byte `start` to the parser. One pass over
/// the bytes, eight at a time, finds the items and whether each has
/// escapes.
fn scan<'a, T: Target<'a>>(
    parser: &mut Parser<'a, T>,
    line: &'a str,
    mut start: usize,
) -> Result<(), Error> {
    if start > line.len() {
        return Ok(());
    }
    let bytes = line.as_bytes();
    let mut escaped = false;
    let mut at = start;
    loop {
        at = tab_or_escape(bytes, at);
        match bytes.get(at) {
            Some(b'\t') => {
                parser.item(&line[start..at], escaped, start + 1)?;
                start = at + 1;
                escaped = false;
            }
            Some(_) => escaped = true,
            None => break,
        }
        at += 1;
    }
    parser.item(&line[start..], escaped, start + 1)
}

/// Parses one tab-text line given as bytes.
///
/// Dovecot cuts a string longer than the exporter's `format_max_field_len`
/// at a byte count, which can split a UTF-8 character, and appends `...`:
/// such a partial character before the final `...` of a value becomes
/// U+FFFD. Any other invalid UTF-8 is an error; see [`from_slice_lossy`].
///
/// # Errors
///
/// As [`from_str`], and [`ErrorKind::Encoding`](crate::ErrorKind::Encoding)
/// for bytes that are not UTF-8.
pub fn from_slice(line: &[u8]) -> Result<ExportedEvent<'_>, Error> {
    slice(line, false)
}

/// [`from_slice`] into a [`RawEvent`].
///
/// # Errors
///
/// As [`from_slice`], except that no field has a type to mismatch.
pub fn from_slice_raw(line: &[u8]) -> Result<RawEvent<'_>, Error> {
    slice(line, false)
}

/// [`from_slice_lossy`] into a [`RawEvent`].
///
/// # Errors
///
/// As [`from_str_raw`].
pub fn from_slice_lossy_raw(line: &[u8]) -> Result<RawEvent<'_>, Error> {
    slice(line, true)
}

/// Parses one tab-text line given as bytes, replacing invalid UTF-8 with
/// U+FFFD, as Dovecot's own JSON exporter does for the same event (its
/// tab-text exporter passes such bytes through, e.g. from 8-bit IMAP
/// command arguments).
///
/// # Errors
///
/// As [`from_str`].
pub fn from_slice_lossy(line: &[u8]) -> Result<ExportedEvent<'_>, Error> {
    slice(line, true)
}

/// Parses tab-text lines, one event per line (an empty line is an event with
/// nothing included). Errors carry the line number within `text`.
pub fn from_lines(text: &str) -> impl Iterator<Item = Result<ExportedEvent<'_>, Error>> {
    text.lines()
        .zip(1u64..)
        .map(|(line, number)| from_str(line).map_err(|e| e.with_line(number)))
}

/// Undoes Dovecot's tab escaping once (`str_tabunescape`): 0x01 followed by
/// `0`, `1`, `t`, `r` or `n` becomes NUL, 0x01, TAB, CR or LF, 0x01 followed
/// by any other character becomes that character, and a 0x01 at the end is
/// dropped. Borrows when there is nothing to undo.
#[must_use]
pub fn unescape(text: &str) -> Cow<'_, str> {
    match text.find(ESCAPE) {
        None => Cow::Borrowed(text),
        Some(first) => Cow::Owned(unescape_from(text, first)),
    }
}

fn unescape_from(text: &str, first: usize) -> String {
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..first]);
    let mut chars = text[first..].chars();
    while let Some(c) = chars.next() {
        if c != ESCAPE {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('0') => out.push('\0'),
            Some('1') => out.push(ESCAPE),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Escapes text as Dovecot's `str_append_tabescaped` does.
#[must_use]
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.contains(['\x01', '\t', '\r', '\n', '\0']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\0' => out.push_str("\x010"),
            '\x01' => out.push_str("\x011"),
            '\t' => out.push_str("\x01t"),
            '\r' => out.push_str("\x01r"),
            '\n' => out.push_str("\x01n"),
            other => out.push(other),
        }
    }
    Cow::Owned(out)
}

/// Splits a string-list value that has been unescaped once (what the
/// parser keeps for an unknown field) into its items: split at TAB, then
/// unescape each item.
#[must_use]
pub fn split_list(value: &str) -> Vec<Cow<'_, str>> {
    value.split('\t').map(unescape).collect()
}

/// [`split_list`] keeping borrowed text borrowed from the original input.
pub(crate) fn split_list_cow(value: Cow<'_, str>) -> Vec<Cow<'_, str>> {
    match value {
        Cow::Borrowed(s) => split_list(s),
        Cow::Owned(s) => s
            .split('\t')
            .map(|item| Cow::Owned(unescape(item).into_owned()))
            .collect(),
    }
}

/// The index of the first TAB or 0x01 at or after `from` (or the length).
/// Looks at eight bytes at a time.
#[inline]
fn tab_or_escape(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    while let Some(word) = word_at(bytes, i) {
        // One test finds every byte below 0x0A, which takes in TAB (0x09)
        // and the escape byte (0x01). The rare other control bytes in that
        // range are stepped over.
        let found = bytes_below(word, 0x0A);
        if found != 0 {
            let at = i + first_flagged(found);
            if matches!(bytes[at], b'\t' | 0x01) {
                return at;
            }
            i = at + 1;
            continue;
        }
        i += 8;
    }
    while let Some(&b) = bytes.get(i) {
        if b == b'\t' || b == 0x01 {
            break;
        }
        i += 1;
    }
    i
}

/// The index of the first `=` in a `field:` item's text. Looks at eight
/// bytes at a time: most names are longer than eight bytes.
#[inline]
fn equals_sign(bytes: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(word) = word_at(bytes, i) {
        let found = bytes_equal(word, b'=');
        if found != 0 {
            return Some(i + first_flagged(found));
        }
        i += 8;
    }
    bytes[i..].iter().position(|b| *b == b'=').map(|at| i + at)
}

fn strip_newline(line: &str) -> &str {
    let line = line.strip_suffix('\n').unwrap_or(line);
    line.strip_suffix('\r').unwrap_or(line)
}

fn slice<'a, T: Target<'a>>(line: &'a [u8], lossy: bool) -> Result<T, Error> {
    // `parse` takes off the line break itself (taking it off here too
    // would take off a second `\r`, which is part of the line).
    if let Ok(text) = std::str::from_utf8(line) {
        return parse(text);
    }
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut parser = Parser {
        asm: Assembler::new(FORMAT, None),
    };
    let mut start = 0;
    for bytes in line.split(|b| *b == b'\t') {
        let column = start + 1;
        start += bytes.len() + 1;
        let escaped = bytes.contains(&0x01);
        match std::str::from_utf8(bytes) {
            Ok(text) => parser.item(text, escaped, column)?,
            Err(error) => {
                if !lossy && !cut_character(bytes, error.valid_up_to()) {
                    return Err(parser.locate(encoding_error(bytes, error), column));
                }
                let item = Item::parse(&String::from_utf8_lossy(bytes), escaped)
                    .map(Item::into_owned)
                    .map_err(|e| parser.locate(e, column))?;
                parser.accept(item, column)?;
            }
        }
    }
    parser.asm.finish()
}

/// Whether the invalid UTF-8 at `valid_up_to` is the start of a character
/// cut short, followed only by the `...` that marks a truncated value.
fn cut_character(item: &[u8], valid_up_to: usize) -> bool {
    let Some(cut) = item[valid_up_to..].strip_suffix(b"...") else {
        return false;
    };
    let needed = match cut.first() {
        Some(0xC2..=0xDF) => 2,
        Some(0xE0..=0xEF) => 3,
        Some(0xF0..=0xF4) => 4,
        _ => return false,
    };
    cut.len() < needed && cut[1..].iter().all(|b| (0x80..=0xBF).contains(b))
}

fn encoding_error(item: &[u8], error: std::str::Utf8Error) -> Error {
    let valid_up_to = error.valid_up_to();
    let valid = std::str::from_utf8(&item[..valid_up_to]).unwrap_or_default();
    let mut out = Error::encoding(
        FORMAT,
        format!(
            "byte 0x{:02x} at column {}",
            item.get(valid_up_to).copied().unwrap_or_default(),
            valid_up_to + 1
        ),
    );
    if let Some((name, _)) = valid.strip_prefix("field:").and_then(|f| f.split_once('=')) {
        out = out.in_field(&unescape(name));
    }
    out
}

/// One TAB-separated item.
enum Item<'s> {
    /// An empty item (Dovecot leaves one where an event has no categories),
    /// or one with a prefix this crate does not know.
    Skip,
    Event(Cow<'s, str>),
    Hostname(Cow<'s, str>),
    StartTime(Cow<'s, str>),
    EndTime(Cow<'s, str>),
    Category(Cow<'s, str>),
    Field(Cow<'s, str>, Cow<'s, str>),
}

impl<'s> Item<'s> {
    /// Parses an item; `escaped` says whether it contains 0x01.
    fn parse(text: &'s str, escaped: bool) -> Result<Self, Error> {
        let unescape = |s: &'s str| {
            if escaped {
                unescape(s)
            } else {
                Cow::Borrowed(s)
            }
        };
        if let Some(rest) = text.strip_prefix("field:") {
            let Some(eq) = rest.bytes().position(|b| b == b'=') else {
                return Err(Error::syntax(
                    FORMAT,
                    format!("field item {} has no `=`", shown(rest)),
                ));
            };
            return Ok(Item::Field(
                unescape(&rest[..eq]),
                unescape(&rest[eq + 1..]),
            ));
        }
        if let Some(rest) = text.strip_prefix("category:") {
            return Ok(Item::Category(unescape(rest)));
        }
        if text.is_empty() {
            return Ok(Item::Skip);
        }
        let Some(colon) = text.bytes().position(|b| b == b':') else {
            return Err(not_an_item(text));
        };
        let rest = &text[colon + 1..];
        Ok(match &text[..colon] {
            "event" => Item::Event(unescape(rest)),
            "hostname" => Item::Hostname(unescape(rest)),
            "start_time" => Item::StartTime(Cow::Borrowed(rest)),
            "end_time" => Item::EndTime(Cow::Borrowed(rest)),
            // An item a newer Dovecot may add.
            key if !key.is_empty() && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') => {
                Item::Skip
            }
            _ => return Err(not_an_item(text)),
        })
    }

    fn into_owned(self) -> Item<'static> {
        let own = |s: Cow<'_, str>| Cow::Owned(s.into_owned());
        match self {
            Item::Skip => Item::Skip,
            Item::Event(s) => Item::Event(own(s)),
            Item::Hostname(s) => Item::Hostname(own(s)),
            Item::StartTime(s) => Item::StartTime(own(s)),
            Item::EndTime(s) => Item::EndTime(own(s)),
            Item::Category(s) => Item::Category(own(s)),
            Item::Field(name, value) => Item::Field(own(name), own(value)),
        }
    }
}

fn not_an_item(text: &str) -> Error {
    Error::syntax(FORMAT, format!("{} is not a tab-text item", shown(text)))
}

/// Feeds the items of one line to the assembler.
struct Parser<'a, T> {
    asm: Assembler<'a, T>,
}

impl<'a, T: Target<'a>> Parser<'a, T> {
    /// Adds the event's name and the position to an error.
    #[cold]
    fn locate(&self, error: Error, column: usize) -> Error {
        self.asm.locate(error).at(1, column as u64)
    }

    #[inline(always)]
    fn item(&mut self, text: &'a str, escaped: bool, column: usize) -> Result<(), Error> {
        if !escaped && let Some(done) = self.plain_item(text) {
            return done.map_err(|e| self.locate(e, column));
        }
        match Item::parse(text, escaped) {
            Ok(item) => self.accept(item, column),
            Err(error) => Err(self.locate(error, column)),
        }
    }

    /// The items of nearly every line, without escapes, read without
    /// building an [`Item`]; `None` for anything else.
    #[inline(always)]
    fn plain_item(&mut self, text: &'a str) -> Option<Result<(), Error>> {
        if let Some(rest) = text.strip_prefix("field:") {
            let eq = equals_sign(rest.as_bytes())?;
            let (name, value) = (&rest[..eq], &rest[eq + 1..]);
            return Some(
                self.asm
                    .field(Cow::Borrowed(name), Value::Str(Cow::Borrowed(value))),
            );
        }
        let done = match text.as_bytes().first()? {
            b'c' => {
                let name = text.strip_prefix("category:")?;
                self.asm.category(Cow::Borrowed(name));
                Ok(())
            }
            b'h' => {
                let name = text.strip_prefix("hostname:")?;
                self.asm
                    .enter(Member::Hostname)
                    .map(|()| self.asm.hostname(Cow::Borrowed(name)))
            }
            b's' => {
                let time = text.strip_prefix("start_time:")?;
                self.time(Member::StartTime, time)
            }
            b'e' => {
                let time = text.strip_prefix("end_time:")?;
                self.time(Member::EndTime, time)
            }
            _ => return None,
        };
        Some(done)
    }

    fn time(&mut self, member: Member, text: &str) -> Result<(), Error> {
        self.asm.enter(member)?;
        self.asm.time_text(member, text)
    }

    fn accept(&mut self, item: Item<'a>, column: usize) -> Result<(), Error> {
        let result = match item {
            Item::Skip => Ok(()),
            Item::Field(name, value) => self.asm.field(name, Value::Str(value)),
            Item::Category(name) => {
                self.asm.category(name);
                Ok(())
            }
            Item::Event(name) => self
                .asm
                .enter(Member::Event)
                .and_then(|()| self.asm.name(name)),
            Item::Hostname(name) => self
                .asm
                .enter(Member::Hostname)
                .map(|()| self.asm.hostname(name)),
            Item::StartTime(text) => self.time(Member::StartTime, &text),
            Item::EndTime(text) => self.time(Member::EndTime, &text),
        };
        result.map_err(|e| self.locate(e, column))
    }
}
