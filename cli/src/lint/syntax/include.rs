//! `!include` and `<file` values: finding the files, catching recursion,
//! and bounding how much one configuration may read.

use std::path::Path;
use std::sync::Arc;

use super::super::report::Rule;
use super::config::Reader;
use super::paths::{MAX_FILES, MAX_NESTING, glob, identity, normalize, read_regular, relative_to};
use super::text::Text;
use dovecot_events_codegen::diag::Location;

impl Reader<'_> {
    /// Reads a `<path` value; an unreadable file is a finding and an empty
    /// value.
    pub(super) fn value_file(&mut self, including: &str, path: &str, at: Location) -> Text {
        let shown = normalize(&relative_to(including, path).display().to_string());
        if !self.count_read(&at) {
            return Text::empty_at(at.file, at.line, at.column);
        }
        match read_regular(Path::new(&shown)) {
            Ok(text) => {
                let file: Arc<str> = Arc::from(shown.as_str());
                let mut out = Text::empty_at(file.clone(), 1, 1);
                out.pos.clear();
                let (mut line, mut column) = (1, 1);
                for c in text.chars() {
                    out.chars.push(c);
                    out.pos.push((line, column));
                    if c == '\n' {
                        line += 1;
                        column = 1;
                    } else {
                        column += 1;
                    }
                }
                out.pos.push((line, column));
                if !self.files.contains(&shown) {
                    self.files.push(shown);
                }
                out
            }
            Err(err) => {
                self.sink.error(
                    Rule::Include,
                    at.clone(),
                    format!("cannot read the value file `{shown}`: {err}"),
                    None,
                );
                Text::empty_at(at.file, at.line, at.column)
            }
        }
    }

    /// Counts one more file read; false, after a finding the first time,
    /// past [`MAX_FILES`].
    fn count_read(&mut self, at: &Location) -> bool {
        self.reads += 1;
        if self.reads == MAX_FILES + 1 {
            self.sink.error(
                Rule::Include,
                at.clone(),
                format!(
                    "the configuration reads more than {MAX_FILES} files; the rest is not read"
                ),
                Some(
                    "check for includes that fan out (every file including `*.conf`, say)"
                        .to_owned(),
                ),
            );
        }
        self.reads <= MAX_FILES
    }

    pub(super) fn include(&mut self, including: &str, pattern: &str, try_only: bool, at: Location) {
        let full = relative_to(including, pattern);
        let mut paths = match glob(&full) {
            Ok(paths) => paths,
            Err(message) => {
                self.sink.error(
                    Rule::Include,
                    at,
                    format!("`!include {pattern}` is not read: {message}"),
                    Some("name fewer alternatives".to_owned()),
                );
                return;
            }
        };
        paths.sort();
        if paths.is_empty() {
            if !try_only {
                self.sink.error(
                    Rule::Include,
                    at,
                    format!("`!include {pattern}` matches no file"),
                    Some("fix the path (it is relative to the including file's directory), or use `!include_try` for an optional file".to_owned()),
                );
            }
            return;
        }
        for path in paths {
            let shown = normalize(&path.display().to_string());
            if self.chain.contains(&identity(&shown)) || self.chain.len() >= MAX_NESTING {
                self.sink.error(
                    Rule::Include,
                    at.clone(),
                    format!("recursive include of `{shown}`"),
                    Some("remove the `!include` that leads back to an including file".to_owned()),
                );
                continue;
            }
            if !self.count_read(&at) {
                return;
            }
            match read_regular(&path) {
                Ok(text) => self.file(&shown, &text, false),
                Err(err) if !try_only => self.sink.error(
                    Rule::Include,
                    at.clone(),
                    format!("cannot read the included file `{shown}`: {err}"),
                    None,
                ),
                Err(_) => {}
            }
        }
    }
}
