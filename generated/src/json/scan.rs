//! A JSON scanner made for the one shape Dovecot exports: it reads the
//! envelope and the fields straight into the typed event, borrowing every
//! string without escapes. It accepts exactly RFC 8259 JSON (the same
//! documents serde_json accepts) and never panics.

use std::borrow::Cow;

use crate::assemble::{Assembler, Member, TIMESTAMP, Target};
use crate::error::{Error, ErrorKind, shown};
use crate::swar::{
    bytes_below, bytes_equal, eight_digits_value, first_flagged, leading_digits, word_at,
};
use crate::timestamp::{parse_dovecot, parse_unix_bytes};
use crate::{Timestamp, Value};

const FORMAT: &str = "JSON";

/// How deep a member this crate does not know may nest (serde_json's limit).
const MAX_DEPTH: usize = 128;

const WIRE: &str = "a string, an integer, a number or a list of strings";

/// Line and column (1-based, the column in bytes) of byte `offset`.
pub(super) fn position(text: &[u8], offset: usize) -> (u64, u64) {
    let before = &text[..offset.min(text.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() as u64 + 1;
    let start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    (line, (before.len() - start) as u64 + 1)
}

pub(super) fn parse<'a, T: Target<'a>>(text: &'a str) -> Result<T, Error> {
    let mut scanner = Scanner {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    // Dovecot writes the name first: knowing it before the event is built
    // spares building a nameless event and then replacing it.
    let name = scanner.leading_name();
    let leading = name.is_some();
    let mut asm = Assembler::new(FORMAT, name);
    match scanner.document(&mut asm, leading) {
        Ok(()) => asm.finish(),
        Err(error) => Err(asm.locate(error)),
    }
}

impl Member {
    /// The member whose key, quoted and followed by `:` as Dovecot writes
    /// it, starts `rest`, and the length of that text: a member found
    /// without reading its key as a string.
    #[inline]
    fn quoted(rest: &[u8]) -> Option<(Self, usize)> {
        let (member, key): (Self, &[u8]) = match rest.get(1)? {
            b'e' if rest.get(2) == Some(&b'v') => (Member::Event, b"\"event\":"),
            b'e' => (Member::EndTime, b"\"end_time\":"),
            b'h' => (Member::Hostname, b"\"hostname\":"),
            b's' => (Member::StartTime, b"\"start_time\":"),
            b'c' => (Member::Categories, b"\"categories\":"),
            b'f' => (Member::Fields, b"\"fields\":"),
            _ => return None,
        };
        rest.starts_with(key).then_some((member, key.len()))
    }
}

/// The index of the first byte at or after `from` that ends a run of plain
/// string bytes: `"`, `\\` or a control character (or the length). Looks at
/// eight bytes at a time.
#[inline]
fn special(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    while let Some(v) = word_at(bytes, i) {
        // Only bytes after the first flagged one can be flagged wrongly.
        let found = bytes_equal(v, b'"') | bytes_equal(v, b'\\') | bytes_below(v, 0x20);
        if found != 0 {
            return i + first_flagged(found);
        }
        i += 8;
    }
    while let Some(&b) = bytes.get(i) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        i += 1;
    }
    i
}

/// The end of `-?[0-9]*(\.[0-9]*)?` from `start`: the extent of Unix
/// seconds as Dovecot writes them, whose validity `parse_unix_bytes`
/// decides.
#[inline]
fn unix_extent(bytes: &[u8], start: usize) -> usize {
    let digits = |mut at: usize| {
        while bytes.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        at
    };
    let mut at = digits(start + usize::from(bytes.get(start) == Some(&b'-')));
    if bytes.get(at) == Some(&b'.') {
        at = digits(at + 1);
    }
    at
}

/// Unix seconds with at most six decimals, read exactly; `None` for more
/// decimals, which are read as a float and rounded to the microsecond,
/// Dovecot's resolution, as the serde path must (serde_json hands it a
/// float), so that both paths read every number alike.
#[inline]
fn micros_exact(number: &[u8]) -> Option<Timestamp> {
    let decimals = number
        .iter()
        .position(|b| *b == b'.')
        .map_or(0, |dot| number.len() - dot - 1);
    if decimals > 6 {
        return None;
    }
    parse_unix_bytes(number)
}

/// A JSON number as written.
enum Number {
    Int(i64),
    Float(f64),
}

/// An integer with its sign. `-0` is the float `-0.0`, as serde_json reads
/// it (so that the `Deserialize` path agrees; found by the `json` fuzz
/// target).
#[inline]
fn signed(negative: bool, value: i64) -> Number {
    match (negative, value) {
        (true, 0) => Number::Float(-0.0),
        (true, value) => Number::Int(-value),
        (false, value) => Number::Int(value),
    }
}

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    // --- Errors -------------------------------------------------------------

    /// Places an error at the current position.
    #[cold]
    fn here(&self, error: Error) -> Error {
        let (line, column) = position(self.bytes, self.pos);
        error.at(line, column)
    }

    #[cold]
    fn syntax(&self, message: &str) -> Error {
        self.here(Error::syntax(FORMAT, message))
    }

    #[cold]
    fn mismatch(&self, expected: &'static str, found: impl Into<String>) -> Error {
        self.here(Error::mismatch(FORMAT, expected, found))
    }

    /// The error for an unexpected byte (or the end) where `what` should be.
    #[cold]
    fn unexpected(&self, what: &str) -> Error {
        match self.bytes.get(self.pos) {
            None => self.syntax(&format!("EOF while parsing {what}")),
            Some(_) => self.syntax(&format!("expected {what}")),
        }
    }

    // --- Tokens -------------------------------------------------------------

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Skips whitespace and the byte `byte`.
    #[inline]
    fn expect(&mut self, byte: u8, what: &str) -> Result<(), Error> {
        self.skip_ws();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(what))
        }
    }

    /// After a member or item: `true` at `,`, `false` at `close`.
    #[inline]
    fn next_or_close(&mut self, close: u8, what: &str) -> Result<bool, Error> {
        self.skip_ws();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b) if b == close => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(self.unexpected(what)),
        }
    }

    /// A string, at its opening quote; borrowed unless it has escapes.
    ///
    /// Inlined in every caller: strings are most of what a document holds,
    /// and a call for each costs more than finding its end.
    #[inline(always)]
    fn string(&mut self) -> Result<Cow<'a, str>, Error> {
        let start = self.pos + 1;
        let end = special(self.bytes, start);
        if self.bytes.get(end) == Some(&b'"')
            && let Some(text) = self.text.get(start..end)
        {
            self.pos = end + 1;
            return Ok(Cow::Borrowed(text));
        }
        self.pos = end;
        self.string_end(start)
    }

    /// The end of a string that [`Scanner::string`] could not borrow,
    /// from the byte that stopped it.
    #[cold]
    #[inline(never)]
    fn string_end(&mut self, start: usize) -> Result<Cow<'a, str>, Error> {
        match self.peek() {
            Some(b'"') => {
                let text = self.text.get(start..self.pos).unwrap_or_default();
                self.pos += 1;
                Ok(Cow::Borrowed(text))
            }
            Some(b'\\') => self.escaped_string(start).map(Cow::Owned),
            Some(_) => Err(self.syntax("control character in a string")),
            None => Err(self.syntax("EOF while parsing a string")),
        }
    }

    /// The rest of a string that has escapes, from its first backslash.
    #[cold]
    fn escaped_string(&mut self, start: usize) -> Result<String, Error> {
        let mut out = String::from(self.text.get(start..self.pos).unwrap_or_default());
        loop {
            let run = self.pos;
            self.pos = special(self.bytes, run);
            out.push_str(self.text.get(run..self.pos).unwrap_or_default());
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = self.escape()?;
                    out.push(c);
                }
                Some(_) => return Err(self.syntax("control character in a string")),
                None => return Err(self.syntax("EOF while parsing a string")),
            }
        }
    }

    /// One escape, after its backslash.
    fn escape(&mut self) -> Result<char, Error> {
        let Some(b) = self.peek() else {
            return Err(self.syntax("EOF while parsing a string"));
        };
        self.pos += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                match first {
                    0xD800..=0xDBFF => {
                        if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                            return Err(self.syntax("lone leading surrogate in hex escape"));
                        }
                        self.pos += 2;
                        let second = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&second) {
                            return Err(self.syntax("invalid surrogate pair in hex escape"));
                        }
                        let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                        char::from_u32(code)
                            .ok_or_else(|| self.syntax("invalid unicode code point"))?
                    }
                    0xDC00..=0xDFFF => {
                        return Err(self.syntax("lone trailing surrogate in hex escape"));
                    }
                    code => char::from_u32(code)
                        .ok_or_else(|| self.syntax("invalid unicode code point"))?,
                }
            }
            _ => {
                self.pos -= 1;
                return Err(self.syntax("invalid escape"));
            }
        })
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = self
                .peek()
                .and_then(|b| char::from(b).to_digit(16))
                .ok_or_else(|| self.unexpected("a hex digit"))?;
            code = code * 16 + digit;
            self.pos += 1;
        }
        Ok(code)
    }

    /// A number, at its first byte (`-` or a digit).
    #[inline(always)]
    fn number(&mut self) -> Result<Number, Error> {
        // Most numbers Dovecot sends are integers of a few digits: read
        // those in one pass, up to seven digits as one eight-byte word, and
        // up to eighteen (which cannot overflow an `i64`) digit by digit.
        let negative = self.peek() == Some(b'-');
        let first = self.pos + usize::from(negative);
        if let Some(chunk) = self.bytes.get(first..first + 8) {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            let word = u64::from_le_bytes(word);
            let digits = leading_digits(word);
            if (1..8).contains(&digits)
                && (digits == 1 || chunk[0] != b'0')
                && !matches!(chunk[digits], b'.' | b'e' | b'E')
            {
                self.pos = first + digits;
                let value = eight_digits_value(word << (8 * (8 - digits))) as i64;
                return Ok(signed(negative, value));
            }
        }
        self.number_by_digit(negative, first)
    }

    /// [`Scanner::number`] after its first try.
    #[inline(never)]
    fn number_by_digit(&mut self, negative: bool, first: usize) -> Result<Number, Error> {
        let mut end = first;
        let mut value = 0u64;
        while let Some(&digit @ b'0'..=b'9') = self.bytes.get(end) {
            value = value.wrapping_mul(10).wrapping_add(u64::from(digit - b'0'));
            end += 1;
        }
        let digits = end - first;
        let plain = match digits {
            1 => true,
            2..=18 => self.bytes.get(first) != Some(&b'0'),
            _ => false,
        };
        if plain && !matches!(self.bytes.get(end), Some(b'.' | b'e' | b'E')) {
            self.pos = end;
            return Ok(signed(negative, value as i64));
        }
        self.number_slow()
    }

    /// [`Scanner::number`] for everything but short integers.
    fn number_slow(&mut self) -> Result<Number, Error> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.unexpected("a digit")),
        }
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            float = true;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.unexpected("a digit after `.`"));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            float = true;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.unexpected("a digit in the exponent"));
            }
            self.digits();
        }
        let literal = self.text.get(start..self.pos).unwrap_or_default();
        if float {
            match literal.parse::<f64>() {
                Ok(f) if f.is_finite() => Ok(Number::Float(f)),
                _ => {
                    self.pos = start;
                    Err(self.syntax("number out of range"))
                }
            }
        } else {
            let negative = literal.starts_with('-');
            literal
                .parse::<i64>()
                .map(|v| signed(negative && v == 0, v))
                .map_err(|_| {
                    self.pos = start;
                    self.mismatch("an integer Dovecot can send (signed 64-bit)", literal)
                })
        }
    }

    #[inline]
    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    /// `true`, `false` or `null`, at its first byte.
    fn literal(&mut self) -> Result<&'static str, Error> {
        for word in ["true", "false", "null"] {
            if self.bytes.get(self.pos..self.pos + word.len()) == Some(word.as_bytes()) {
                self.pos += word.len();
                return Ok(word);
            }
        }
        Err(self.unexpected("a value"))
    }

    /// Skips any value (a member this crate does not know).
    fn skip_value(&mut self, depth: usize) -> Result<(), Error> {
        self.skip_ws();
        match self.peek() {
            Some(b'"') => self.string().map(drop),
            Some(b'-' | b'0'..=b'9') => self.number().map(drop),
            Some(open @ (b'{' | b'[')) => {
                if depth >= MAX_DEPTH {
                    return Err(self.syntax("recursion limit exceeded"));
                }
                self.pos += 1;
                let close = if open == b'{' { b'}' } else { b']' };
                self.skip_ws();
                if self.peek() == Some(close) {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    if open == b'{' {
                        self.skip_ws();
                        if self.peek() != Some(b'"') {
                            return Err(self.unexpected("a string key"));
                        }
                        self.string()?;
                        self.expect(b':', "`:`")?;
                    }
                    self.skip_value(depth + 1)?;
                    let what = if open == b'{' {
                        "`,` or `}`"
                    } else {
                        "`,` or `]`"
                    };
                    if !self.next_or_close(close, what)? {
                        return Ok(());
                    }
                }
            }
            _ => self.literal().map(drop),
        }
    }

    /// What the value ahead is, for a type error; the value is skipped so
    /// that a syntax error inside it is reported first.
    #[cold]
    fn found(&mut self) -> Result<String, Error> {
        self.skip_ws();
        let start = self.pos;
        let kind = match self.peek() {
            Some(b'{') => Some("an object"),
            Some(b'[') => Some("an array"),
            _ => None,
        };
        self.skip_value(0)?;
        Ok(match kind {
            Some(kind) => kind.to_owned(),
            None => {
                let text = self.text.get(start..self.pos).unwrap_or_default();
                if text.starts_with('"') {
                    shown(text.get(1..text.len() - 1).unwrap_or_default())
                } else {
                    text.to_owned()
                }
            }
        })
    }

    /// A type error for the value ahead, placed at its start.
    #[cold]
    fn wrong(&mut self, expected: &'static str) -> Error {
        self.skip_ws();
        let start = self.pos;
        match self.found() {
            Ok(found) => {
                self.pos = start;
                self.mismatch(expected, found)
            }
            Err(syntax) => syntax,
        }
    }

    // --- The envelope -------------------------------------------------------

    /// `{"event":"<name>"` at the very start of the text, as Dovecot writes
    /// it: the name, with the scanner after it. Anything else leaves the
    /// scanner where it was, for [`Scanner::document`] to read (or report)
    /// in full.
    fn leading_name(&mut self) -> Option<Cow<'a, str>> {
        if !self.bytes.starts_with(b"{\"event\":\"") {
            return None;
        }
        self.pos = 9;
        match self.string() {
            Ok(name) => Some(name),
            Err(_) => {
                self.pos = 0;
                None
            }
        }
    }

    /// The document; `leading` when [`Scanner::leading_name`] has read its
    /// first member.
    fn document<T: Target<'a>>(
        &mut self,
        asm: &mut Assembler<'a, T>,
        leading: bool,
    ) -> Result<(), Error> {
        let mut more = if leading {
            self.next_or_close(b'}', "`,` or `}`")?
        } else {
            self.skip_ws();
            if self.peek() != Some(b'{') {
                return Err(match self.peek() {
                    None => self.syntax("EOF while parsing a value"),
                    Some(_) => self.wrong("a JSON object"),
                });
            }
            self.pos += 1;
            self.skip_ws();
            if self.peek() == Some(b'}') {
                self.pos += 1;
                false
            } else {
                true
            }
        };
        while more {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("a string key"));
            }
            let member = match Member::quoted(&self.bytes[self.pos..]) {
                Some((member, len)) => {
                    self.pos += len;
                    Some(member)
                }
                None => {
                    let key = self.string()?;
                    self.expect(b':', "`:`")?;
                    Member::of(key.as_bytes())
                }
            };
            self.skip_ws();
            match member {
                Some(member) => {
                    asm.enter(member).map_err(|e| self.here(e))?;
                    self.member(member, asm)
                        .map_err(|e| e.in_member(member.name()))?;
                }
                // A member a newer Dovecot may add.
                None => self.skip_value(1)?,
            }
            more = self.next_or_close(b'}', "`,` or `}`")?;
        }
        self.skip_ws();
        if self.pos < self.bytes.len() {
            return Err(self.syntax("trailing characters"));
        }
        Ok(())
    }

    /// One envelope member's value.
    fn member<T: Target<'a>>(
        &mut self,
        member: Member,
        asm: &mut Assembler<'a, T>,
    ) -> Result<(), Error> {
        match member {
            Member::Event => {
                let name = self.text_value()?;
                let start = self.pos;
                asm.name(name).map_err(|e| {
                    self.pos = start;
                    self.here(e)
                })?;
            }
            Member::Hostname => asm.hostname(self.text_value()?),
            Member::StartTime | Member::EndTime => {
                let time = self.time()?;
                asm.time(member, time);
            }
            Member::Categories => asm.categories(self.list("a list of strings")?),
            Member::Fields => self.fields(asm)?,
        }
        Ok(())
    }

    /// A string value.
    #[inline]
    fn text_value(&mut self) -> Result<Cow<'a, str>, Error> {
        if self.peek() == Some(b'"') {
            self.string()
        } else {
            Err(self.wrong("a string"))
        }
    }

    /// A list of strings, at its `[`.
    fn list(&mut self, expected: &'static str) -> Result<Vec<Cow<'a, str>>, Error> {
        if self.peek() != Some(b'[') {
            return Err(self.wrong(expected));
        }
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(items);
        }
        loop {
            self.skip_ws();
            items.push(self.text_value()?);
            if !self.next_or_close(b']', "`,` or `]`")? {
                return Ok(items);
            }
        }
    }

    /// A time: RFC 3339 text, or Unix seconds as a number.
    fn time(&mut self) -> Result<Timestamp, Error> {
        let start = self.pos;
        let parsed = match self.peek() {
            Some(b'"') => {
                // Dovecot's own form, quoted, read in place: it has only
                // digits and separators, so it is a string without escapes.
                if let Some(quoted) = self.bytes.get(start..start + 29)
                    && quoted[28] == b'"'
                    && let Ok(fixed) = <&[u8; 27]>::try_from(&quoted[1..28])
                    && let Some(time) = parse_dovecot(fixed)
                {
                    self.pos = start + 29;
                    return Ok(time);
                }
                let text = self.string()?;
                Timestamp::parse(&text).ok_or_else(|| shown(&text))
            }
            Some(b'-' | b'0'..=b'9') => {
                // Dovecot's `secs.micros`, read from the text in one pass:
                // exact, and faster than through a float.
                let end = unix_extent(self.bytes, start);
                if !matches!(self.bytes.get(end), Some(b'e' | b'E'))
                    && let Some(time) = micros_exact(&self.bytes[start..end])
                {
                    self.pos = end;
                    return Ok(time);
                }
                // Anything else by JSON's number grammar, then as a float
                // (an exponent, more than nine decimals). An integer past
                // 64 bits is no timestamp either.
                let number = match self.number() {
                    Ok(number) => number,
                    Err(error) if error.kind() == ErrorKind::Type => {
                        let end = unix_extent(self.bytes, start);
                        self.pos = start;
                        let found = self.text.get(start..end).unwrap_or_default();
                        return Err(self.mismatch(TIMESTAMP, found));
                    }
                    Err(error) => return Err(error),
                };
                let literal = self.text.get(start..self.pos).unwrap_or_default();
                match (micros_exact(literal.as_bytes()), number) {
                    (Some(time), _) => Ok(time),
                    (None, Number::Float(secs)) => {
                        Timestamp::from_unix_f64(secs).ok_or_else(|| literal.to_owned())
                    }
                    (None, Number::Int(_)) => Err(literal.to_owned()),
                }
            }
            _ => return Err(self.wrong(TIMESTAMP)),
        };
        parsed.map_err(|found| {
            self.pos = start;
            self.mismatch(TIMESTAMP, found)
        })
    }

    /// The `fields` object, at its `{`.
    fn fields<T: Target<'a>>(&mut self, asm: &mut Assembler<'a, T>) -> Result<(), Error> {
        if self.peek() != Some(b'{') {
            return Err(self.wrong("an object of fields"));
        }
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("a string key"));
            }
            let name = self.string()?;
            self.expect(b':', "`:`")?;
            self.skip_ws();
            let start = self.pos;
            let value = match self.wire() {
                Ok(value) => value,
                Err(error) => return Err(error.in_field(&name)),
            };
            if let Err(error) = asm.field(name, value) {
                self.pos = start;
                return Err(self.here(error));
            }
            if !self.next_or_close(b'}', "`,` or `}`")? {
                return Ok(());
            }
        }
    }

    /// One field's value in its wire form.
    #[inline]
    fn wire(&mut self) -> Result<Value<'a>, Error> {
        match self.peek() {
            Some(b'"') => self.string().map(Value::Str),
            Some(b'-' | b'0'..=b'9') => Ok(match self.number()? {
                Number::Int(i) => Value::Int(i),
                Number::Float(f) => Value::Float(f),
            }),
            Some(b'[') => self.list(WIRE).map(Value::List),
            _ => Err(self.wrong(WIRE)),
        }
    }
}
