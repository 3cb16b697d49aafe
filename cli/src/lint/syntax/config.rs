//! Reads a Dovecot configuration into a tree of sections and settings, with
//! the location of every character of every value.
//!
//! The rules follow `config_parse_line()` in Dovecot's
//! `src/config/config-parser.c` (2.3 and 2.4 agree on them): leading blanks
//! are skipped; `#` outside quotes starts a comment; a line ending in `\`
//! continues on the next one (joined with one space, the next line's leading
//! blanks dropped), while an empty or comment line in between ends the
//! setting and drops the continued text; `key = value`, with `"…"` or `'…'`
//! around the whole value unescaped, `<path` reading the value from a file
//! and a `$` in an unquoted value meaning variable expansion; `name [label] {`
//! and `}`; `!include` and `!include_try` with a glob relative to the
//! including file, read in sorted order, in place.

use std::sync::Arc;

use super::super::report::{Rule, Sink};
use super::paths::identity;
use super::text::Text;
use dovecot_events_codegen::Version;
use dovecot_events_codegen::diag::Location;

/// How a value was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ValueKind {
    /// As is.
    Plain,
    /// In quotes, which were removed.
    Quoted,
    /// `<path`: the text is the file's content for the settings the lint
    /// checks, otherwise the path.
    File,
    /// Contains `$`: Dovecot expands variables, so the text is not final.
    Variable,
}

/// `key = value`.
#[derive(Clone, Debug)]
pub(crate) struct Setting {
    pub(crate) key: String,
    pub(crate) key_at: Location,
    pub(crate) value: Text,
    pub(crate) kind: ValueKind,
}

/// `kind [name] { … }`.
#[derive(Clone, Debug)]
pub(crate) struct Section {
    pub(crate) kind: String,
    pub(crate) name: Option<String>,
    pub(crate) at: Location,
    pub(crate) name_at: Location,
    /// The closing `}` (the opening line when it is missing).
    pub(crate) end_at: Location,
    pub(crate) items: Vec<Item>,
}

impl Section {
    /// The settings directly inside the section.
    pub(crate) fn settings(&self) -> impl Iterator<Item = &Setting> {
        self.items.iter().filter_map(|item| match item {
            Item::Setting(s) => Some(s),
            Item::Section(_) => None,
        })
    }

    /// The sections directly inside the section.
    pub(crate) fn sections(&self) -> impl Iterator<Item = &Section> {
        self.items.iter().filter_map(|item| match item {
            Item::Section(s) => Some(s),
            Item::Setting(_) => None,
        })
    }

    /// The last setting named `key` (a later one overrides an earlier one).
    pub(crate) fn setting(&self, key: &str) -> Option<&Setting> {
        self.settings().filter(|s| s.key == key).last()
    }
}

/// One entry of a section or of the top level.
#[derive(Clone, Debug)]
pub(crate) enum Item {
    Setting(Setting),
    Section(Section),
}

/// A whole configuration.
#[derive(Debug)]
pub(crate) struct Config {
    /// The top level, as a section without kind.
    pub(crate) root: Section,
    /// Every file read, in reading order.
    pub(crate) files: Vec<String>,
    /// The release named in a `doveconf -n` header on the first line, and
    /// where.
    pub(crate) doveconf: Option<(Version, Location)>,
}

/// Which `<file` values are read: those of the settings `keys` anywhere,
/// and every value inside the blocks `sections`. Others keep the path as
/// their text (TLS keys, say, are none of the reader's business).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ValueFiles<'a> {
    pub(crate) keys: &'a [&'a str],
    pub(crate) sections: &'a [&'a str],
}

/// Reads `text` as the file `name`, following includes on disk.
pub(crate) fn read(name: &str, text: &str, value_files: ValueFiles<'_>, sink: &mut Sink) -> Config {
    let file: Arc<str> = Arc::from(name);
    let root = Section {
        kind: String::new(),
        name: None,
        at: Location {
            file: file.clone(),
            line: 1,
            column: 1,
        },
        name_at: Location {
            file: file.clone(),
            line: 1,
            column: 1,
        },
        end_at: Location {
            file,
            line: 1,
            column: 1,
        },
        items: Vec::new(),
    };
    let mut reader = Reader {
        stack: vec![root],
        files: Vec::new(),
        chain: Vec::new(),
        reads: 1,
        value_files,
        doveconf: None,
        sink,
    };
    reader.file(name, text, true);
    while reader.stack.len() > 1 {
        let open = reader.stack.pop().unwrap_or_else(|| unreachable!());
        reader.sink.error(
            Rule::ConfigSyntax,
            open.at.clone(),
            format!("missing `}}` for `{}`", open.kind),
            Some("close the section with a line holding only `}`".to_owned()),
        );
        reader.close(open);
    }
    let root = reader.stack.pop().unwrap_or_else(|| unreachable!());
    Config {
        root,
        files: reader.files,
        doveconf: reader.doveconf,
    }
}

/// `# 2.3.19 (9f2ff5ed7d): /etc/dovecot/dovecot.conf`, as `doveconf -n`
/// prints it: the release and where it is.
fn header(file: &Arc<str>, chars: &[char]) -> Option<(Version, Location)> {
    let line: String = chars.iter().collect();
    let rest = line.strip_prefix("# ")?;
    let word = rest.split([' ', ':']).next().unwrap_or_default();
    let version = word.parse::<Version>().ok()?;
    if !rest[word.len()..].starts_with(" (") && !rest[word.len()..].starts_with(':') {
        return None;
    }
    let at = Location {
        file: file.clone(),
        line: 1,
        column: 3,
    };
    Some((version, at))
}

pub(super) struct Reader<'s> {
    /// Open sections, the top level first.
    pub(super) stack: Vec<Section>,
    pub(super) files: Vec<String>,
    /// The include chain, to catch recursion.
    pub(super) chain: Vec<String>,
    /// How many files were read, counting repeats, against [`MAX_FILES`].
    pub(super) reads: usize,
    pub(super) value_files: ValueFiles<'s>,
    pub(super) doveconf: Option<(Version, Location)>,
    pub(super) sink: &'s mut Sink,
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\x0b' | '\x0c')
}

/// A logical line being assembled from continued physical lines.
struct Pending {
    chars: Vec<char>,
    pos: Vec<(usize, usize)>,
    first_line: usize,
    first_column: usize,
}

impl Reader<'_> {
    fn close(&mut self, section: Section) {
        if let Some(parent) = self.stack.last_mut() {
            parent.items.push(Item::Section(section));
        }
    }

    /// Reads one file; `main` for the main file, whose first line may be a
    /// `doveconf -n` header.
    pub(super) fn file(&mut self, name: &str, text: &str, main: bool) {
        let file: Arc<str> = Arc::from(name);
        self.files.push(name.to_owned());
        self.chain.push(identity(name));
        let mut pending: Option<Pending> = None;
        for (index, raw) in text.split('\n').enumerate() {
            let line_no = index + 1;
            let chars: Vec<char> = raw.trim_end_matches('\r').chars().collect();
            if index == 0 && main {
                self.doveconf = header(&file, &chars);
            }
            let start = chars
                .iter()
                .position(|c| !is_blank(*c))
                .unwrap_or(chars.len());
            if start == chars.len() || chars[start] == '#' {
                if let Some(p) = pending.take() {
                    self.sink.error(
                        Rule::ConfigSyntax,
                        Location {
                            file: file.clone(),
                            line: p.first_line,
                            column: p.first_column,
                        },
                        format!(
                            "this setting is continued with `\\` into an empty or comment line \
                             (line {line_no}), where Dovecot drops it"
                        ),
                        Some("remove the blank or comment line, or the trailing `\\`".to_owned()),
                    );
                }
                continue;
            }
            let end = self.strip_comment(&file, line_no, &chars, start);
            let mut end = end;
            while end > start && is_blank(chars[end - 1]) {
                end -= 1;
            }
            let p = pending.get_or_insert_with(|| Pending {
                chars: Vec::new(),
                pos: Vec::new(),
                first_line: line_no,
                first_column: start + 1,
            });
            if chars[end - 1] == '\\' {
                let backslash = end - 1;
                let mut seg_end = backslash;
                while seg_end > start && is_blank(chars[seg_end - 1]) {
                    seg_end -= 1;
                }
                if seg_end > start {
                    for (i, c) in chars.iter().enumerate().take(seg_end).skip(start) {
                        p.chars.push(*c);
                        p.pos.push((line_no, i + 1));
                    }
                    p.chars.push(' ');
                    p.pos.push((line_no, backslash + 1));
                }
                continue;
            }
            for (i, c) in chars.iter().enumerate().take(end).skip(start) {
                p.chars.push(*c);
                p.pos.push((line_no, i + 1));
            }
            p.pos.push((line_no, end + 1));
            let p = pending.take().unwrap_or_else(|| unreachable!());
            let line = Text {
                file: file.clone(),
                chars: p.chars,
                pos: p.pos,
            };
            self.logical_line(name, &line);
        }
        if let Some(p) = pending {
            self.sink.error(
                Rule::ConfigSyntax,
                Location {
                    file,
                    line: p.first_line,
                    column: p.first_column,
                },
                "the file ends inside a line continued with `\\`",
                Some("remove the trailing `\\`".to_owned()),
            );
        }
        self.chain.pop();
    }

    /// The index where a comment starts (or the line's length), warning
    /// like Dovecot about a `#` glued to the text before it.
    fn strip_comment(
        &mut self,
        file: &Arc<str>,
        line: usize,
        chars: &[char],
        start: usize,
    ) -> usize {
        let mut p = start;
        while p < chars.len() {
            let c = chars[p];
            if c == '\'' || c == '"' {
                p += 1;
                while p < chars.len() && chars[p] != c {
                    if chars[p] == '\\' && p + 1 < chars.len() {
                        p += 1;
                    }
                    p += 1;
                }
                if p >= chars.len() {
                    break;
                }
            } else if c == '#' {
                if !is_blank(chars[p - 1]) {
                    self.sink.warning(
                        Rule::ConfigSyntax,
                        Location {
                            file: file.clone(),
                            line,
                            column: p + 1,
                        },
                        "Dovecot treats this `#` as the start of a comment",
                        Some(
                            "put a space before it, or quote the value if it is part of it"
                                .to_owned(),
                        ),
                    );
                }
                return p;
            }
            p += 1;
        }
        chars.len()
    }

    fn logical_line(&mut self, name: &str, line: &Text) {
        let chars = &line.chars;
        let n = chars.len();
        let mut i = 0;
        let key;
        if chars[0] == '"' {
            // 2.4 allows a quoted key.
            i = 1;
            let mut k = String::new();
            while i < n && chars[i] != '"' {
                if chars[i] == '\\' && i + 1 < n {
                    i += 1;
                }
                k.push(chars[i]);
                i += 1;
            }
            i = (i + 1).min(n);
            key = k;
        } else {
            while i < n && !is_blank(chars[i]) && chars[i] != '=' {
                i += 1;
            }
            key = line.slice(0, i);
        }
        let key_at = line.location(0);
        while i < n && is_blank(chars[i]) {
            i += 1;
        }
        if key == "!include" || key == "!include_try" {
            let pattern = line.slice(i, n);
            self.include(name, &pattern, key == "!include_try", line.location(i));
            return;
        }
        if i < n && chars[i] == '=' {
            i += 1;
            while i < n && is_blank(chars[i]) {
                i += 1;
            }
            let setting = self.value(name, key, key_at, line, i);
            if let Some(section) = self.stack.last_mut() {
                section.items.push(Item::Setting(setting));
            }
            return;
        }
        if key == "}" && i == n {
            if self.stack.len() > 1 {
                let mut section = self.stack.pop().unwrap_or_else(|| unreachable!());
                section.end_at = key_at;
                self.close(section);
            } else {
                self.sink.error(
                    Rule::ConfigSyntax,
                    key_at,
                    "unexpected `}`: no section is open",
                    Some("remove it, or the `}` that closed the section too early".to_owned()),
                );
            }
            return;
        }
        self.section_begin(key, key_at, line, i);
    }

    fn value(
        &mut self,
        name: &str,
        key: String,
        key_at: Location,
        line: &Text,
        i: usize,
    ) -> Setting {
        let n = line.chars.len();
        let chars = &line.chars;
        let rest = |start: usize, end: usize| Text {
            file: line.file.clone(),
            chars: chars[start..end].to_vec(),
            pos: line.pos[start..=end].to_vec(),
        };
        if i < n && chars[i] == '<' {
            let mut j = i + 1;
            while j < n && is_blank(chars[j]) {
                j += 1;
            }
            // Only the values the lint checks are read (not, say, TLS keys).
            let checked = self.value_files.keys.contains(&key.as_str())
                || self
                    .stack
                    .iter()
                    .any(|s| self.value_files.sections.contains(&s.kind.as_str()));
            let value = if checked {
                let path = line.slice(j, n);
                self.value_file(name, &path, line.location(j))
            } else {
                rest(j, n)
            };
            return Setting {
                key,
                key_at,
                value,
                kind: ValueKind::File,
            };
        }
        let first = chars.get(i).copied();
        if first != Some('"') && first != Some('\'') && chars[i..].contains(&'$') {
            return Setting {
                key,
                key_at,
                value: rest(i, n),
                kind: ValueKind::Variable,
            };
        }
        if let Some(q) = first.filter(|q| *q == '"' || *q == '\'')
            && chars[n - 1] == q
        {
            // str_unescape(): a backslash takes the next character as is.
            let mut text = Text {
                file: line.file.clone(),
                chars: Vec::new(),
                pos: Vec::new(),
            };
            let inner_end = if n - 1 > i { n - 1 } else { n };
            let mut j = i + 1;
            while j < inner_end {
                if chars[j] == '\\' {
                    j += 1;
                    if j >= inner_end {
                        break;
                    }
                }
                text.chars.push(chars[j]);
                text.pos.push(line.pos[j]);
                j += 1;
            }
            text.pos.push(line.pos[inner_end.min(n)]);
            return Setting {
                key,
                key_at,
                value: text,
                kind: ValueKind::Quoted,
            };
        }
        Setting {
            key,
            key_at,
            value: rest(i, n),
            kind: ValueKind::Plain,
        }
    }

    fn section_begin(&mut self, kind: String, at: Location, line: &Text, mut i: usize) {
        let chars = &line.chars;
        let n = chars.len();
        let mut name = None;
        let mut name_at = at.clone();
        // `group @name label {` (2.4) has two words before the brace.
        let words = if kind == "group" { 2 } else { 1 };
        for _ in 0..words {
            if i >= n || chars[i] == '{' {
                break;
            }
            name_at = line.location(i);
            if chars[i] == '"' {
                i += 1;
                let mut s = String::new();
                while i < n && chars[i] != '"' {
                    if chars[i] == '\\' && i + 1 < n {
                        i += 1;
                    }
                    s.push(chars[i]);
                    i += 1;
                }
                i = (i + 1).min(n);
                name = Some(s);
            } else {
                let start = i;
                while i < n && !is_blank(chars[i]) {
                    i += 1;
                }
                name = Some(line.slice(start, i));
            }
            while i < n && is_blank(chars[i]) {
                i += 1;
            }
        }
        if i >= n || chars[i] != '{' {
            let found = if i >= n {
                "the end of the line".to_owned()
            } else {
                format!("`{}`", line.slice(i, n))
            };
            self.sink.error(
                Rule::ConfigSyntax,
                line.location(i),
                format!("expected `=` after `{kind}` or `{{` to open a section, found {found}"),
                Some("write `key = value`, `name {` or `}`".to_owned()),
            );
            return;
        }
        if i + 1 < n {
            self.sink.error(
                Rule::ConfigSyntax,
                line.location(i + 1),
                "unexpected text after `{`",
                Some("put the section's settings on their own lines".to_owned()),
            );
        }
        self.stack.push(Section {
            kind,
            name,
            end_at: at.clone(),
            at,
            name_at,
            items: Vec::new(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str) -> (Config, Vec<super::super::super::report::Finding>) {
        let mut sink = Sink::new();
        let files = ValueFiles {
            keys: &["log_debug"],
            sections: &["metric"],
        };
        let config = read("t.conf", text, files, &mut sink);
        (config, sink.findings)
    }

    #[test]
    fn continued_and_quoted_values_keep_positions() {
        let (config, findings) = read_text(
            "# comment\nmetric m {\n  filter = event=a AND \\\n     b=1 # note\n  description = \"x \\\"y\\\"\"\n}\n",
        );
        assert!(findings.is_empty(), "{findings:?}");
        let metric = config.root.sections().next().expect("present");
        assert_eq!(metric.kind, "metric");
        assert_eq!(metric.name.as_deref(), Some("m"));
        let filter = metric.setting("filter").expect("present");
        assert_eq!(filter.value.string(), "event=a AND b=1");
        // `b` is on line 4, column 6.
        assert_eq!(filter.value.location(12).to_string(), "t.conf:4:6");
        let description = metric.setting("description").expect("present");
        assert_eq!(description.value.string(), "x \"y\"");
        assert_eq!(description.kind, ValueKind::Quoted);
    }

    #[test]
    fn reports_structure_errors() {
        let (_, findings) = read_text("metric m {\n  filter = a\n}\n}\nfoo\nbar {\n");
        let shown: Vec<String> = findings.iter().map(|f| f.location.to_string()).collect();
        assert_eq!(shown, ["t.conf:4:1", "t.conf:5:4", "t.conf:6:1"]);
    }

    #[test]
    fn continuation_into_blank_line_is_an_error() {
        let (_, findings) = read_text("log_debug = event=a OR \\\n\n  event=b\n");
        assert_eq!(findings[0].location.to_string(), "t.conf:1:1");
    }
}
