//! One timestamp type for both of Dovecot's time formats: RFC 3339 text
//! (`time-rfc3339`) and Unix seconds with a fraction (`time-unix`).

use std::fmt;

/// A point in time with nanosecond resolution, in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    secs: i64,
    nanos: u32,
}

impl Timestamp {
    /// The largest Unix seconds (2^32 − 1, in the year 2106) read with a
    /// fraction: below 2^32 adjacent floats are at most 2^-21 s (0.48 µs)
    /// apart, so a float read from six decimals rounds back to the same
    /// microsecond, and the text and the float readings of the same number
    /// agree. Whole seconds have no such limit.
    pub const MAX_FRACTIONAL_UNIX: i64 = 4_294_967_295;

    /// The earliest time RFC 3339 can write, `0000-01-01T00:00:00Z`.
    pub const MIN: Timestamp = Timestamp {
        secs: -62_167_219_200,
        nanos: 0,
    };

    /// The latest time RFC 3339 can write, `9999-12-31T23:59:59.999999999Z`.
    pub const MAX: Timestamp = Timestamp {
        secs: 253_402_300_799,
        nanos: 999_999_999,
    };

    /// Builds a timestamp from Unix seconds and nanoseconds; `None` when
    /// `nanos` is a second or more, or the time is outside the years 0 to
    /// 9999 that RFC 3339 can write.
    #[must_use]
    pub fn from_unix(secs: i64, nanos: u32) -> Option<Self> {
        (nanos < 1_000_000_000 && (Self::MIN.secs..=Self::MAX.secs).contains(&secs))
            .then_some(Timestamp { secs, nanos })
    }

    /// Seconds since the Unix epoch.
    #[must_use]
    pub fn unix_seconds(&self) -> i64 {
        self.secs
    }

    /// The fraction of the second, in nanoseconds.
    #[must_use]
    pub fn subsec_nanos(&self) -> u32 {
        self.nanos
    }

    /// Microseconds since the Unix epoch (Dovecot's own resolution).
    #[must_use]
    pub fn unix_micros(&self) -> i128 {
        i128::from(self.secs) * 1_000_000 + i128::from(self.nanos / 1000)
    }

    /// From Unix seconds with a fraction, as `time-unix` exports send them;
    /// rounded to the microsecond, Dovecot's resolution. `None` beyond
    /// [`Timestamp::MAX_FRACTIONAL_UNIX`] seconds either way, where a float no longer
    /// holds every microsecond.
    #[must_use]
    pub fn from_unix_f64(secs: f64) -> Option<Self> {
        if !secs.is_finite() || secs.abs() >= (Self::MAX_FRACTIONAL_UNIX + 1) as f64 {
            return None;
        }
        let micros = (secs * 1e6).round() as i64;
        Timestamp::from_unix(
            micros.div_euclid(1_000_000),
            (micros.rem_euclid(1_000_000) as u32) * 1000,
        )
    }

    /// Parses RFC 3339 (`2024-05-01T12:30:00.123456Z`, any offset) or Unix
    /// seconds with an optional fraction (`1714566600.123456`).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        // RFC 3339 starts with a four-digit year and `-`; Unix seconds have
        // at most a leading `-`.
        if text.as_bytes().get(4) == Some(&b'-') {
            parse_rfc3339(text.as_bytes())
        } else {
            parse_unix(text)
        }
    }
}

fn parse_unix(text: &str) -> Option<Timestamp> {
    parse_unix_bytes(text.as_bytes())
}

/// Unix seconds as Dovecot writes them: an optional `-`, digits without a
/// leading zero (as in JSON), and an optional fraction of one to nine
/// digits. Every step is checked, so any input gives an answer.
pub(crate) fn parse_unix_bytes(text: &[u8]) -> Option<Timestamp> {
    let (negative, text) = match text {
        [b'-', rest @ ..] => (true, rest),
        all => (false, all),
    };
    let (int, frac) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => (&text[..dot], Some(&text[dot + 1..])),
        None => (text, None),
    };
    // The seconds of any time RFC 3339 can write have at most 12 digits.
    if int.is_empty() || int.len() > 12 || (int.len() > 1 && int[0] == b'0') {
        return None;
    }
    if frac.is_some_and(|f| f.is_empty() || f.len() > 9) {
        return None;
    }
    let mut secs = 0i64;
    for &b in int {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        secs = secs * 10 + i64::from(digit);
    }
    if frac.is_some() && secs > Timestamp::MAX_FRACTIONAL_UNIX {
        return None;
    }
    let frac = frac.unwrap_or_default();
    let mut nanos = 0u32;
    for &b in frac {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        nanos = nanos * 10 + u32::from(digit);
    }
    nanos *= 10u32.pow(9 - frac.len() as u32);
    if negative {
        if nanos == 0 {
            Timestamp::from_unix(-secs, 0)
        } else {
            Timestamp::from_unix(-secs - 1, 1_000_000_000 - nanos)
        }
    } else {
        Timestamp::from_unix(secs, nanos)
    }
}

/// Dovecot's own form, `YYYY-MM-DDTHH:MM:SS.ffffffZ`, without the general
/// parser's searching: the text is read as four overlapping eight-byte
/// words, each holding two separators and six digits.
pub(crate) fn parse_dovecot(b: &[u8; 27]) -> Option<Timestamp> {
    // (offset, separator bytes within the word, what they must be).
    const WORDS: [(usize, u64, u64); 4] = [
        (0, 0xFF00_00FF_0000_0000, 0x2D00_002D_0000_0000), // YYYY-MM-
        (8, 0x0000_FF00_00FF_0000, 0x0000_3A00_0054_0000), // DDTHH:MM
        (16, 0x0000_0000_FF00_00FF, 0x0000_0000_2E00_003A), // :SS.ffff
        (19, 0xFF00_0000_0000_00FF, 0x5A00_0000_0000_002E), // .ffffffZ
    ];
    // Byte `i` of each result is the two-digit number at bytes `i` and
    // `i + 1` of its word.
    let mut pairs = [0u64; 4];
    for (pair, (at, separators, expected)) in pairs.iter_mut().zip(WORDS) {
        let mut bytes = [0; 8];
        bytes.copy_from_slice(&b[at..at + 8]);
        let word = u64::from_le_bytes(bytes);
        // With its separators replaced by `0`, the word is all digits.
        let digits = (word & !separators) | (separators & 0x3030_3030_3030_3030);
        if word & separators != expected || !eight_digits(digits) {
            return None;
        }
        // Each byte is now 0 to 9, so neither step carries into the next.
        let values = digits - 0x3030_3030_3030_3030;
        *pair = values * 10 + (values >> 8);
    }
    let at = |word: usize, byte: u32| ((pairs[word] >> (8 * byte)) & 0xFF) as u32;
    let year = at(0, 0) * 100 + at(0, 2);
    let (month, day) = (at(0, 5), at(1, 0));
    let (hour, minute, second) = (at(1, 3), at(1, 6), at(2, 1));
    let micros = at(3, 1) * 10_000 + at(3, 3) * 100 + at(3, 5);
    if !(1..=12).contains(&month) || day < 1 || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    if day > days_in_month(i64::from(year), i64::from(month)) as u32 {
        return None;
    }
    // `days_from_civil` in unsigned arithmetic: years counted from March,
    // so that a leap day ends the year, and 400 years (146_097 days) later
    // so that none is negative.
    const BEFORE_MONTH: [u32; 12] = [306, 337, 0, 31, 61, 92, 122, 153, 184, 214, 245, 275];
    let y = year + 400 - u32::from(month <= 2);
    let days = y * 365 + y / 4 - y / 100 + y / 400 + BEFORE_MONTH[month as usize - 1] + day - 1;
    let secs = (i64::from(days) - 146_097 - 719_468) * 86_400
        + i64::from(hour * 3600 + minute * 60 + second);
    Timestamp::from_unix(secs, micros * 1000)
}

/// Whether all eight bytes of `word` are ASCII digits: each byte's high
/// nibble must be 3, and stay 3 when 6 is added.
fn eight_digits(word: u64) -> bool {
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    let nibbles = (word & HIGH) | ((word.wrapping_add(0x0606_0606_0606_0606) & HIGH) >> 4);
    nibbles == 0x3333_3333_3333_3333
}

fn parse_rfc3339(b: &[u8]) -> Option<Timestamp> {
    if let Ok(fixed) = <&[u8; 27]>::try_from(b)
        && let Some(time) = parse_dovecot(fixed)
    {
        return Some(time);
    }
    parse_rfc3339_general(b)
}

fn parse_rfc3339_general(b: &[u8]) -> Option<Timestamp> {
    fn num(b: &[u8]) -> Option<i64> {
        if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(b.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
    }
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(&b[0..4])?, num(&b[5..7])?, num(&b[8..10])?);
    let (hour, minute, second) = (num(&b[11..13])?, num(&b[14..16])?, num(&b[17..19])?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &b[19..];
    let mut nanos = 0u32;
    if let Some(frac) = rest.strip_prefix(b".") {
        let len = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if len == 0 {
            return None;
        }
        for (i, d) in frac[..len].iter().enumerate() {
            if i < 9 {
                nanos = nanos * 10 + u32::from(d - b'0');
            }
        }
        for _ in len..9 {
            nanos *= 10;
        }
        rest = &frac[len..];
    }
    let offset = match rest {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (hours, minutes) = (num(&[*h1, *h2])?, num(&[*m1, *m2])?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let minutes = hours * 60 + minutes;
            if *sign == b'+' { minutes } else { -minutes }
        }
        _ => return None,
    };
    // A leap second is folded into the next second.
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
        - offset * 60;
    Timestamp::from_unix(secs, nanos)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl Timestamp {
    /// The time as RFC 3339 text, as [`Display`](fmt::Display) writes it,
    /// without formatting machinery or allocation (a receiver writes a few
    /// per event).
    #[must_use]
    pub fn rfc3339(&self) -> Rfc3339 {
        let days = self.secs.div_euclid(86_400);
        let rem = self.secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        let mut text = *b"0000-00-00T00:00:00.000000000Z";
        digits(&mut text[0..4], year);
        digits(&mut text[5..7], month);
        digits(&mut text[8..10], day);
        digits(&mut text[11..13], rem / 3600);
        digits(&mut text[14..16], rem % 3600 / 60);
        digits(&mut text[17..19], rem % 60);
        let len = if self.nanos.is_multiple_of(1000) {
            digits(&mut text[20..26], i64::from(self.nanos / 1000));
            text[26] = b'Z';
            27
        } else {
            digits(&mut text[20..29], i64::from(self.nanos));
            30
        };
        Rfc3339 { text, len }
    }
}

/// A [`Timestamp`] as RFC 3339 text in UTC: with microseconds, the form
/// Dovecot exports, or with nanoseconds when the time has a finer part, so
/// that nothing is lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rfc3339 {
    text: [u8; 30],
    len: usize,
}

impl Rfc3339 {
    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and punctuation are ever written.
        std::str::from_utf8(self.text.get(..self.len).unwrap_or_default()).unwrap_or_default()
    }
}

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// RFC 3339 in UTC, as [`Timestamp::rfc3339`] gives it.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.rfc3339().as_str())
    }
}

/// Writes `value` into all of `into` in decimal, zero-padded; a value
/// that does not fit keeps its last digits (the years of a `Timestamp`
/// and the other parts always fit).
fn digits(into: &mut [u8], mut value: i64) {
    for place in into.iter_mut().rev() {
        // `value` is never negative here; `rem_euclid` keeps a digit a
        // digit even so.
        *place = b'0' + value.rem_euclid(10) as u8;
        value /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_round_trips_at_the_limits() {
        for t in [
            Timestamp::MIN,
            Timestamp::MAX,
            Timestamp::from_unix(-1, 5).expect("valid"),
        ] {
            assert_eq!(Timestamp::parse(&t.to_string()), Some(t), "{t}");
        }
        assert_eq!(Timestamp::MIN.to_string(), "0000-01-01T00:00:00.000000Z");
        assert_eq!(Timestamp::MAX.to_string(), "9999-12-31T23:59:59.999999999Z");
        assert!(Timestamp::from_unix(Timestamp::MAX.unix_seconds() + 1, 0).is_none());
        assert_eq!(
            Timestamp::parse("-1.5"),
            Timestamp::from_unix(-2, 500_000_000)
        );
    }

    #[test]
    fn both_formats_agree() {
        let a = Timestamp::parse("2024-05-01T12:30:00.123456Z").expect("rfc3339");
        let b = Timestamp::parse("1714566600.123456").expect("unix");
        let c = Timestamp::from_unix_f64(1_714_566_600.123_456).expect("float");
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a.to_string(), "2024-05-01T12:30:00.123456Z");
    }

    /// A float read from six decimals rounds back to them up to
    /// `MAX_FRACTIONAL_UNIX`; beyond it (where floats are more than half a
    /// microsecond apart) a fraction is refused by both readings, so they
    /// never disagree. Found by the differential property test with
    /// `8796232517.827729`, which a float holds as `…827728`.
    #[test]
    fn text_and_float_agree_up_to_the_fraction_limit() {
        for text in [
            "4294967295.999999",
            "4294967295.000001",
            "4294967294.827729",
            "1796232517.827144",
            "-4294967295.999999",
        ] {
            let float: f64 = text.parse().expect("a float");
            assert_eq!(
                Timestamp::parse(text),
                Timestamp::from_unix_f64(float),
                "{text}"
            );
            assert!(Timestamp::parse(text).is_some(), "{text}");
        }
        for text in ["8796232517.827729", "4294967296.5"] {
            let float: f64 = text.parse().expect("a float");
            assert_eq!(Timestamp::parse(text), None, "{text}");
            assert_eq!(Timestamp::from_unix_f64(float), None, "{text}");
        }
        assert!(
            Timestamp::parse("8796232517").is_some(),
            "whole seconds have no limit"
        );
    }

    /// The fast path for Dovecot's own form agrees with the general parser
    /// on every one-byte change of a valid time, valid or not.
    #[test]
    fn dovecot_form_agrees_with_the_general_parser() {
        for base in [
            "2026-11-23T20:35:56.669039Z",
            "0000-01-01T00:00:00.000000Z",
            "9999-12-31T23:59:59.999999Z",
            "2016-12-31T23:59:60.000000Z",
            "2024-02-29T12:00:00.500000Z",
        ] {
            let base: [u8; 27] = base.as_bytes().try_into().expect("27 bytes");
            for at in 0..27 {
                for byte in 0..=255u8 {
                    let mut text = base;
                    text[at] = byte;
                    let fast = parse_dovecot(&text);
                    assert!(
                        fast.is_none() || fast == parse_rfc3339_general(&text),
                        "{:?}",
                        String::from_utf8_lossy(&text)
                    );
                }
            }
            assert!(parse_dovecot(&base).is_some());
        }
    }

    #[test]
    fn offsets_and_rejects() {
        let a = Timestamp::parse("2024-05-01T14:30:00+02:00").expect("offset");
        assert_eq!(a.unix_seconds(), 1_714_566_600);
        for bad in [
            "2024-13-01T00:00:00Z",
            "2024-02-30T00:00:00Z",
            "x",
            "",
            "1.2.3",
            "2024-05-01T12:30:00",
            "2024-05-01",
            "99999999999999",
            "-",
            "--1",
            "2024-05-01T12:30:00+99:99",
            "2024-05-01T12:30:00+24:00",
            "0001",
            "01.5",
            "0.5000000000",
            "9223372036854775808",
            "99999999999999999999",
            "1.",
            ".5",
        ] {
            assert!(Timestamp::parse(bad).is_none(), "{bad}");
        }
    }
}
