//! The scanner's strings, numbers and literals: one JSON token read at the current position.

use std::borrow::Cow;

use super::scan::Scanner;
use crate::error::Error;
use crate::swar::{
    bytes_below, bytes_equal, eight_digits_value, first_flagged, leading_digits, word_at,
};

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

/// A JSON number as written.
pub(super) enum Number {
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

impl<'a> Scanner<'a> {
    /// A string, at its opening quote; borrowed unless it has escapes.
    ///
    /// Inlined in every caller: strings are most of what a document holds,
    /// and a call for each costs more than finding its end.
    #[inline(always)]
    pub(super) fn string(&mut self) -> Result<Cow<'a, str>, Error> {
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
    pub(super) fn number(&mut self) -> Result<Number, Error> {
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
    pub(super) fn literal(&mut self) -> Result<&'static str, Error> {
        for word in ["true", "false", "null"] {
            if self.bytes.get(self.pos..self.pos + word.len()) == Some(word.as_bytes()) {
                self.pos += word.len();
                return Ok(word);
            }
        }
        Err(self.unexpected("a value"))
    }
}
