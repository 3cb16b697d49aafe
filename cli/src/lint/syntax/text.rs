//! A configuration value's text, with the source position of every
//! character, so that findings inside a value (a filter's token, a
//! `fields` word) point at the right line and column even when the value
//! was continued over lines, unquoted or read from a `<file`.

use std::sync::Arc;

use dovecot_events_codegen::diag::Location;

/// A value's text with the source position of each character.
#[derive(Clone, Debug)]
pub(crate) struct Text {
    /// The file the characters come from.
    pub(crate) file: Arc<str>,
    /// The characters, after continuation and unquoting.
    pub(crate) chars: Vec<char>,
    /// `(line, column)` of each character, plus one for the end.
    pub(crate) pos: Vec<(usize, usize)>,
}

impl Text {
    /// The location of character `index`; the end for indexes past it.
    pub(crate) fn location(&self, index: usize) -> Location {
        let (line, column) = self.pos[index.min(self.pos.len() - 1)];
        Location {
            file: self.file.clone(),
            line,
            column,
        }
    }

    /// The text as a string.
    pub(crate) fn string(&self) -> String {
        self.chars.iter().collect()
    }

    /// The characters `start..end` as a string.
    pub(crate) fn slice(&self, start: usize, end: usize) -> String {
        self.chars[start.min(self.chars.len())..end.min(self.chars.len())]
            .iter()
            .collect()
    }

    /// The whitespace-separated words with the index of their first
    /// character.
    pub(crate) fn words(&self) -> Vec<(String, usize)> {
        let mut words = Vec::new();
        let mut start = None;
        for (i, c) in self.chars.iter().chain(std::iter::once(&' ')).enumerate() {
            match (c.is_whitespace(), start) {
                (false, None) => start = Some(i),
                (true, Some(s)) => {
                    words.push((self.slice(s, i), s));
                    start = None;
                }
                _ => {}
            }
        }
        words
    }

    /// A one-line text in the file `t.conf`, for tests.
    #[cfg(test)]
    pub(crate) fn plain(text: &str) -> Text {
        let chars: Vec<char> = text.chars().collect();
        let pos = (1..=chars.len() + 1).map(|column| (1, column)).collect();
        Text {
            file: Arc::from("t.conf"),
            chars,
            pos,
        }
    }

    /// An empty text at a position.
    pub(crate) fn empty_at(file: Arc<str>, line: usize, column: usize) -> Text {
        Text {
            file,
            chars: Vec::new(),
            pos: vec![(line, column)],
        }
    }
}
