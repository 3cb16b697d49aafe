//! Schema text made safe for each output. Descriptions and notes are plain
//! text with `code` spans in single backticks; every emitter shows them as
//! exactly that, whatever characters they hold, so no text can add markup,
//! a directive, a code block (which rustdoc would compile and run as a
//! doctest) or code. Validation already refuses control and bidirectional
//! characters; the emitters escape them again, since a model can also be
//! built in code.

use super::is_bidi_control;

/// Control characters (but line breaks and tabs) and bidirectional
/// formatting characters as visible `\u{…}` escapes.
#[must_use]
pub fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// One line of schema text as CommonMark (and rustdoc) inline content that
/// renders as the same text. A code span (a single backtick, text without
/// backticks, a single backtick) is kept as written. Everywhere else, what
/// could start HTML, an entity, a link or an escape is escaped with a
/// backslash (`<`, `&`, `[`, `]`, every other backtick, and a backslash
/// before punctuation or at the end), and so is what would make the line
/// start a block (a heading, list, quote, rule or fence). Leading white
/// space, which could start an indented code block, is dropped.
#[must_use]
pub fn markdown_line(line: &str) -> String {
    let line = visible(line.trim_start());
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len() + 8);
    let block = block_marker(&chars);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '`'
            && let Some(end) = code_span_end(&chars, i)
        {
            out.extend(&chars[i..=end]);
            i = end + 1;
            continue;
        }
        let special = match c {
            '`' | '<' | '&' | '[' | ']' => true,
            '\\' => chars.get(i + 1).is_none_or(char::is_ascii_punctuation),
            _ => Some(i) == block,
        };
        if special {
            out.push('\\');
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Schema text of any number of lines as Markdown: each line as
/// [`markdown_line`] makes it.
#[must_use]
pub fn markdown_text(text: &str) -> String {
    text.lines()
        .map(markdown_line)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Where the code span opened by the single backtick at `open` closes: at
/// the next backtick, when neither is part of a longer run.
fn code_span_end(chars: &[char], open: usize) -> Option<usize> {
    if open > 0 && chars[open - 1] == '`' || chars.get(open + 1) == Some(&'`') {
        return None;
    }
    let close = open + 1 + chars[open + 1..].iter().position(|&c| c == '`')?;
    (chars.get(close + 1) != Some(&'`') && close > open + 1).then_some(close)
}

/// Where the character is that would make the line start a Markdown block
/// (a heading, quote, list item, rule, setext underline or fence), if any.
fn block_marker(chars: &[char]) -> Option<usize> {
    let first = *chars.first()?;
    let next = chars.get(1).copied();
    let space_or_end = |c: Option<char>| c.is_none_or(|c| c == ' ' || c == '\t');
    match first {
        '#' | '>' => Some(0),
        '-' | '+' | '*' | '=' | '_' | '~' if space_or_end(next) || next == Some(first) => Some(0),
        c if c.is_ascii_digit() => {
            let digits = chars.iter().take_while(|c| c.is_ascii_digit()).count();
            (matches!(chars.get(digits), Some('.' | ')'))
                && space_or_end(chars.get(digits + 1).copied()))
            .then_some(digits)
        }
        _ => None,
    }
}

/// Schema text on one line as reStructuredText inline content that renders
/// as the same text: backslashes and `|` (substitutions) are escaped, and so
/// is a word that starts explicit markup (`..` or `__` alone, which a
/// wrapped table cell could put first on a line), an inline target
/// (`` _` ``), a reference's end (`word_`, `` `text`__ ``) and a role (`` :name:` ``
/// or `` `:name: ``, such as `:download:`, which would make Sphinx copy a
/// file).
#[must_use]
pub fn rst_text(text: &str) -> String {
    let text = visible(&text.split_whitespace().collect::<Vec<_>>().join(" "));
    text.split(' ').map(rst_word).collect::<Vec<_>>().join(" ")
}

fn rst_word(word: &str) -> String {
    if word == ".." || word == "__" {
        return format!("\\{word}");
    }
    let mut word = word.replace('\\', "\\\\").replace('|', "\\|");
    if word.starts_with("_`") {
        word.insert(0, '\\');
    }
    // A role before interpreted text: `:name:` then a backtick, the name
    // of letters, digits and `_.+-:`.
    if let Some(tick) = word.find(":`") {
        let start = word[..tick]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || "_.+-:".contains(c)))
            .map_or(0, |at| at + 1);
        if word[start..].starts_with(':') && start < tick {
            word.insert(start, '\\');
        }
    }
    // A role after it: a backtick, then `:name:`.
    if let Some(tick) = word.rfind("`:")
        && word[tick + 2..].contains(':')
    {
        word.insert(tick + 1, '\\');
    }
    // A reference ends in `_` or `__`, then perhaps punctuation.
    let tail = word.len()
        - word
            .chars()
            .rev()
            .take_while(|c| ".,;:!?)]}'\"".contains(*c))
            .count();
    let underscores = word[..tail].chars().rev().take_while(|&c| c == '_').count();
    if underscores > 0 && underscores < tail {
        for at in (tail - underscores..tail).rev() {
            word.insert(at, '\\');
        }
    }
    word
}

/// A JavaScript string literal in single quotes holding `text` exactly.
#[must_use]
pub fn js_single_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            c if c.is_control() || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}') => {
                out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_keeps_code_spans_and_escapes_the_rest() {
        assert_eq!(
            markdown_line("named `event_<name>` as <name> & [x](y), a->b"),
            "named `event_<name>` as \\<name> \\& \\[x\\](y), a->b"
        );
        // A lone backtick opens no code span, so what follows is escaped.
        assert_eq!(
            markdown_line("`x <script>alert(1)</script>"),
            "\\`x \\<script>alert(1)\\</script>"
        );
        assert_eq!(markdown_line("``x``"), "\\`\\`x\\`\\`");
        assert_eq!(markdown_line("    indented"), "indented");
        assert_eq!(markdown_line("```rust"), "\\`\\`\\`rust");
        assert_eq!(markdown_line("~~~"), "\\~~~");
        assert_eq!(markdown_line("# not a heading"), "\\# not a heading");
        assert_eq!(markdown_line("1. not a list"), "1\\. not a list");
        assert_eq!(markdown_line("2024 was"), "2024 was");
        assert_eq!(markdown_line("2.3.11 to 2.3.16"), "2.3.11 to 2.3.16");
        assert_eq!(markdown_line("- item"), "\\- item");
        assert_eq!(markdown_line("-1 is"), "-1 is");
        assert_eq!(
            markdown_line("the \\Seen flag, C:\\"),
            "the \\Seen flag, C:\\\\"
        );
        assert_eq!(markdown_line("a\u{202e}b"), "a\\u{202e}b");
    }

    #[test]
    fn rst_defuses_markup() {
        assert_eq!(rst_text("x\n.. raw:: html"), "x \\.. raw:: html");
        assert_eq!(
            rst_text("as `service:` plus (1, ...) and `x`:sub:"),
            "as `service:` plus (1, ...) and `x`\\:sub:"
        );
        assert_eq!(
            rst_text(":download:`/etc/passwd` and |sub| and link_, `x <javascript:y>`__."),
            "\\:download:`/etc/passwd` and \\|sub\\| and link\\_, `x <javascript:y>`\\_\\_."
        );
        assert_eq!(
            rst_text("_`target` and C:\\dir and __"),
            "\\_`target` and C:\\\\dir and \\__"
        );
        assert_eq!(
            rst_text("Plain `code` text (as before)."),
            "Plain `code` text (as before)."
        );
    }

    #[test]
    fn javascript_strings_hold_any_text() {
        assert_eq!(
            js_single_quoted("a'b\\c\n\u{2028}"),
            "'a\\'b\\\\c\\u{a}\\u{2028}'"
        );
    }
}
