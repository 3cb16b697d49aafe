//! A JSON scanner made for the one shape Dovecot exports: it reads the
//! envelope and the fields straight into the typed event, borrowing every
//! string without escapes. It accepts exactly RFC 8259 JSON (the same
//! documents serde_json accepts) and never panics.

use std::borrow::Cow;

use super::lex::Number;
use crate::assemble::{Assembler, Member, TIMESTAMP, Target};
use crate::error::{Error, ErrorKind, shown};
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

pub(super) struct Scanner<'a> {
    pub(super) text: &'a str,
    pub(super) bytes: &'a [u8],
    pub(super) pos: usize,
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
    pub(super) fn syntax(&self, message: &str) -> Error {
        self.here(Error::syntax(FORMAT, message))
    }

    #[cold]
    pub(super) fn mismatch(&self, expected: &'static str, found: impl Into<String>) -> Error {
        self.here(Error::mismatch(FORMAT, expected, found))
    }

    /// The error for an unexpected byte (or the end) where `what` should be.
    #[cold]
    pub(super) fn unexpected(&self, what: &str) -> Error {
        match self.bytes.get(self.pos) {
            None => self.syntax(&format!("EOF while parsing {what}")),
            Some(_) => self.syntax(&format!("expected {what}")),
        }
    }

    // --- Tokens -------------------------------------------------------------

    #[inline]
    pub(super) fn peek(&self) -> Option<u8> {
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
