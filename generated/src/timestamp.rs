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
    /// rounded to the microsecond, Dovecot's resolution.
    #[must_use]
    pub fn from_unix_f64(secs: f64) -> Option<Self> {
        if !secs.is_finite() || secs.abs() > 1e15 {
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
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let negative = int.starts_with('-');
    let digits = int.strip_prefix('-').unwrap_or(int);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: i64 = digits.parse().ok()?;
    let mut nanos: u32 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    for _ in frac.len()..9 {
        nanos *= 10;
    }
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
/// parser's searching.
fn parse_dovecot(b: &[u8; 27]) -> Option<Timestamp> {
    const DIGITS: [usize; 20] = [
        0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22, 23, 24, 25,
    ];
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if b[19] != b'.' || b[26] != b'Z' || DIGITS.iter().any(|&i| !b[i].is_ascii_digit()) {
        return None;
    }
    let n = |range: std::ops::Range<usize>| {
        b[range]
            .iter()
            .fold(0i64, |n, d| n * 10 + i64::from(d - b'0'))
    };
    let (year, month, day) = (n(0..4), n(5..7), n(8..10));
    let (hour, minute, second) = (n(11..13), n(14..16), n(17..19));
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    Timestamp::from_unix(secs, n(20..26) as u32 * 1000)
}

fn parse_rfc3339(b: &[u8]) -> Option<Timestamp> {
    if let Ok(fixed) = <&[u8; 27]>::try_from(b)
        && let Some(time) = parse_dovecot(fixed)
    {
        return Some(time);
    }
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
            let minutes = num(&[*h1, *h2])? * 60 + num(&[*m1, *m2])?;
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

/// RFC 3339 in UTC with microseconds, the form Dovecot exports (with
/// nanoseconds when the time has a finer part, so that nothing is lost).
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.secs.div_euclid(86_400);
        let rem = self.secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60,
        )?;
        if self.nanos.is_multiple_of(1000) {
            write!(f, ".{:06}Z", self.nanos / 1000)
        } else {
            write!(f, ".{:09}Z", self.nanos)
        }
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
        ] {
            assert!(Timestamp::parse(bad).is_none(), "{bad}");
        }
    }
}
