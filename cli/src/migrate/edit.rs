//! Edits of configuration files by position: a replacement of the text
//! between two `(line, column)` positions of one file, columns counted in
//! characters as the lint's locations are. Everything outside the edits
//! stays byte for byte.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::lint::syntax::config::Setting;
use crate::lint::syntax::config::ValueKind;
use crate::lint::syntax::text::Text;

/// A 1-based `(line, column)` position.
pub(crate) type Pos = (usize, usize);

/// Replace `start..end` of `file` with `text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Edit {
    pub(crate) file: Arc<str>,
    pub(crate) start: Pos,
    pub(crate) end: Pos,
    pub(crate) text: String,
}

impl Edit {
    /// Replaces the characters `span` of a value's text, when they are on
    /// one line of one file.
    pub(crate) fn in_text(text: &Text, span: (usize, usize), new: &str) -> Option<Edit> {
        let (start, end) = span;
        if end <= start || end > text.chars.len() {
            return None;
        }
        let first = text.pos[start];
        let last = text.pos[end - 1];
        (first.0 == last.0 && last.1 >= first.1).then(|| Edit {
            file: text.file.clone(),
            start: first,
            end: (last.0, last.1 + 1),
            text: new.to_owned(),
        })
    }

    /// Replaces whole physical lines `first..=last` of `file`.
    pub(crate) fn lines(file: Arc<str>, first: usize, last: usize, new: String) -> Edit {
        Edit {
            file,
            start: (first, 1),
            end: (last + 1, 1),
            text: new,
        }
    }
}

/// The physical lines a setting occupies: its key's line through the line
/// of its value's last character (a `<file` value's own file aside).
pub(crate) fn setting_lines(setting: &Setting) -> (Arc<str>, usize, usize) {
    let first = setting.key_at.line;
    let same_file = *setting.value.file == *setting.key_at.file && setting.kind != ValueKind::File;
    let last = match setting.value.chars.len() {
        n if n > 0 && same_file => setting.value.pos[n - 1].0.max(first),
        _ => first,
    };
    (setting.key_at.file.clone(), first, last)
}

/// The byte offset of a position in `text`: a column past the line's end
/// is the line's end, a line past the text's end the text's end.
fn offset(line_starts: &[usize], text: &str, (line, column): Pos) -> usize {
    let Some(&start) = line_starts.get(line.saturating_sub(1)) else {
        return text.len();
    };
    let rest = &text[start..];
    let line_len = rest.find('\n').unwrap_or(rest.len());
    rest[..line_len]
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(start + line_len, |(i, _)| start + i)
}

/// Applies the edits of one file to its text; overlapping edits after the
/// first are dropped and returned.
pub(crate) fn apply(text: &str, edits: &[Edit]) -> (String, Vec<Edit>) {
    let mut line_starts = vec![0];
    line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    let mut ranges: Vec<(usize, usize, &Edit)> = edits
        .iter()
        .map(|e| {
            let start = offset(&line_starts, text, e.start);
            let end = offset(&line_starts, text, e.end).max(start);
            (start, end, e)
        })
        .collect();
    ranges.sort_by_key(|(start, end, _)| (*start, *end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut dropped = Vec::new();
    for (start, end, edit) in ranges {
        if start < at {
            dropped.push(edit.clone());
            continue;
        }
        out.push_str(&text[at..start]);
        out.push_str(&edit.text);
        at = end;
    }
    out.push_str(&text[at..]);
    (out, dropped)
}

/// Groups edits by file, in the order the files were read.
pub(crate) fn by_file(edits: Vec<Edit>) -> BTreeMap<Arc<str>, Vec<Edit>> {
    let mut out: BTreeMap<Arc<str>, Vec<Edit>> = BTreeMap::new();
    for edit in edits {
        out.entry(edit.file.clone()).or_default().push(edit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(start: Pos, end: Pos, text: &str) -> Edit {
        Edit {
            file: Arc::from("t"),
            start,
            end,
            text: text.to_owned(),
        }
    }

    #[test]
    fn edits_by_position() {
        let text = "a = é1\nb = 2\nc = 3";
        let (out, dropped) = apply(
            text,
            &[
                edit((1, 5), (1, 7), "x"),
                edit((2, 1), (3, 1), ""),
                edit((3, 5), (3, 6), "y"),
            ],
        );
        assert_eq!(out, "a = x\nc = y");
        assert!(dropped.is_empty());
        let (out, dropped) = apply(text, &[edit((1, 1), (2, 1), ""), edit((1, 5), (1, 6), "z")]);
        assert_eq!(out, "b = 2\nc = 3");
        assert_eq!(dropped.len(), 1);
        let (out, _) = apply(text, &[edit((1, 1), (1, 1), "# ")]);
        assert_eq!(out, "# a = é1\nb = 2\nc = 3");
    }
}
