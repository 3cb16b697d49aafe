//! Reading bytes eight at a time in a `u64` ("SIMD within a register"),
//! for the parsers' hot loops, without `unsafe`.

/// Every byte set to 0x01.
pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;
/// Every byte's high bit.
pub(crate) const HIGH: u64 = 0x8080_8080_8080_8080;

/// The eight bytes at `at`, the first in the lowest byte, if there are
/// eight.
#[inline]
pub(crate) fn word_at(bytes: &[u8], at: usize) -> Option<u64> {
    let chunk = bytes.get(at..at + 8)?;
    let mut word = [0; 8];
    word.copy_from_slice(chunk);
    Some(u64::from_le_bytes(word))
}

/// The high bit of each byte of `word` that is zero. A borrow only reaches
/// bytes after the first zero, so the lowest flag is always right.
#[inline]
pub(crate) fn zero_bytes(word: u64) -> u64 {
    word.wrapping_sub(ONES) & !word & HIGH
}

/// The high bit of each byte of `word` below `limit` (at most 0x80), with
/// the same caveat as [`zero_bytes`].
#[inline]
pub(crate) fn bytes_below(word: u64, limit: u8) -> u64 {
    word.wrapping_sub(ONES * u64::from(limit)) & !word & HIGH
}

/// The high bit of each byte of `word` equal to `byte`, with the same
/// caveat as [`zero_bytes`].
#[inline]
pub(crate) fn bytes_equal(word: u64, byte: u8) -> u64 {
    zero_bytes(word ^ (ONES * u64::from(byte)))
}

/// The index within the word of the lowest flagged byte.
#[inline]
pub(crate) fn first_flagged(flags: u64) -> usize {
    (flags.trailing_zeros() / 8) as usize
}

/// How many of the eight bytes of `word`, from its lowest, are ASCII digits.
#[inline]
pub(crate) fn leading_digits(word: u64) -> usize {
    let values = word.wrapping_sub(ONES * u64::from(b'0'));
    // A byte is flagged when its value is above 9 (the high bit of the
    // value itself, or of the value plus 0x76); a borrow or carry only
    // reaches bytes after the first flagged one.
    let other = (values | values.wrapping_add(ONES * 0x76)) & HIGH;
    first_flagged(other)
}

/// The number spelled by the ASCII digits of `word`, the first in its
/// lowest byte (a zero byte reads as the digit 0): pairs of digits, then
/// fours, then all eight, each step one multiplication.
#[inline]
pub(crate) fn eight_digits_value(word: u64) -> u64 {
    let pairs = (word & 0x0F0F_0F0F_0F0F_0F0F).wrapping_mul((10 << 8) | 1) >> 8;
    let fours = (pairs & 0x00FF_00FF_00FF_00FF).wrapping_mul((100 << 16) | 1) >> 16;
    ((fours & 0x0000_FFFF_0000_FFFF).wrapping_mul((10_000 << 32) | 1) >> 32) & 0xFFFF_FFFF
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_find_the_first_matching_byte() {
        let word = u64::from_le_bytes(*b"ab=\tcd=\x01");
        assert_eq!(first_flagged(bytes_equal(word, b'=')), 2);
        assert_eq!(first_flagged(bytes_below(word, 0x0A)), 3);
        assert_eq!(bytes_equal(word, b'z'), 0);
    }
}
