//! Rewrites the statistics part of a Dovecot configuration for another
//! release: `metric` and `event_exporter` blocks and the event filters of
//! `log_debug`, `log_core_filter` and `process_shutdown_filter`.
//!
//! Events and fields are renamed as the schema records (`renamed_to` with
//! the lifetimes); 2.3 exporter settings (`transport`, `transport_args`,
//! `format_args`, `transport_timeout`) become their 2.4 forms; 2.3
//! `group_by` words become 2.4 `group_by FIELD { method … }` blocks; the
//! pre-2.3.12 selection settings and global filter syntax become the
//! unified filter language; `NOT` gets parentheses where its precedence
//! changed. Only those parts change: every other byte of every file, its
//! `!include`s and `<file` values stays as it was. What has no mechanical
//! successor is reported with the schema's reason and left in place, or
//! commented out on request.
//!
//! `lint --fix` uses the same engine from the target to itself, with the
//! fixes `lint` is certain of: renames, a name that only differs in case,
//! and an unknown name with exactly one close suggestion.

mod blocks;
pub(crate) mod cli;
pub mod diff;
mod edit;
mod filters;
mod renames;

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

use edit::{Edit, setting_lines};

use crate::lint::checks::read;
use crate::lint::facts::{FILTER_SETTINGS, UNIFIED};
use crate::lint::report::Sink;
use crate::lint::syntax::config::{Item, Section, Setting, ValueKind};
use crate::lint::syntax::paths::read_regular;
use crate::lint::{self};
use dovecot_events_codegen::Version;
use dovecot_events_codegen::diag::Location;
use dovecot_events_codegen::model::EventModel;

/// What to migrate, and how.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// The release the configuration is written for.
    pub from: Version,
    /// The release to write it for.
    pub to: Version,
    /// Comment out what cannot be migrated (with the reason above it)
    /// instead of leaving it as it is.
    pub comment_unmigratable: bool,
    /// Also apply `lint`'s certain fixes of unknown names (`lint --fix`).
    pub fix: bool,
}

/// Something that could not be migrated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// Where it is.
    pub location: Location,
    /// Why it could not be migrated.
    pub message: String,
    /// Whether it was commented out.
    pub commented: bool,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.commented {
            "commented out"
        } else {
            "left as is"
        };
        write!(
            f,
            "{}: not migrated ({state}): {}",
            self.location, self.message
        )
    }
}

/// One file whose text changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileChange {
    /// The file, as the configuration names it.
    pub path: String,
    /// Its text now.
    pub before: String,
    /// Its migrated text.
    pub after: String,
}

/// The outcome of a migration: the changed files and what could not be
/// migrated.
#[derive(Clone, Debug)]
pub struct Migration {
    /// The options it ran with.
    pub options: Options,
    /// Every file read.
    pub files_read: Vec<String>,
    /// The files that change, in reading order.
    pub changes: Vec<FileChange>,
    /// What could not be migrated, in file order.
    pub notes: Vec<Note>,
    /// Configuration problems that stopped parts of the migration (the
    /// lint's syntax findings).
    pub problems: Vec<lint::Finding>,
}

impl Migration {
    /// The unified diff of every changed file.
    #[must_use]
    pub fn diff(&self) -> String {
        self.changes
            .iter()
            .map(|c| diff::unified(&c.path, &c.before, &c.after))
            .collect()
    }

    /// Writes every changed file atomically (a temporary file renamed over
    /// it, with the same permissions), keeping the old text as
    /// `FILE.bak`. A file that changed since it was read is not written.
    ///
    /// # Errors
    ///
    /// The first I/O error, naming the file.
    pub fn write(&self) -> std::io::Result<()> {
        for change in &self.changes {
            let path = Path::new(&change.path);
            let context =
                |e: std::io::Error| std::io::Error::new(e.kind(), format!("{}: {e}", change.path));
            let now = read_regular(path).map_err(context)?;
            if now != change.before {
                return Err(std::io::Error::other(format!(
                    "{}: the file changed while it was migrated; nothing written to it",
                    change.path
                )));
            }
            let permissions = std::fs::metadata(path).map_err(context)?.permissions();
            let backup = format!("{}.bak", change.path);
            std::fs::write(&backup, &change.before).map_err(context)?;
            let temp = format!("{}.migrate-{}.tmp", change.path, std::process::id());
            let written = (|| {
                let mut file = std::fs::File::create(&temp)?;
                file.write_all(change.after.as_bytes())?;
                file.sync_all()?;
                std::fs::set_permissions(&temp, permissions)?;
                std::fs::rename(&temp, path)
            })();
            if let Err(e) = written {
                let _ = std::fs::remove_file(&temp);
                return Err(context(e));
            }
        }
        Ok(())
    }

    /// The summary people read: notes, then what changed.
    #[must_use]
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for problem in &self.problems {
            out.push_str(&format!("{problem}\n"));
        }
        for note in &self.notes {
            out.push_str(&format!("{note}\n"));
        }
        let files = self.changes.len();
        out.push_str(&format!(
            "{} from Dovecot {} to {}: {files} of {} file{} change{}, {} item{} not migrated",
            if self.options.fix {
                "fixes"
            } else {
                "migration"
            },
            self.options.from,
            self.options.to,
            self.files_read.len(),
            if self.files_read.len() == 1 { "" } else { "s" },
            if files == 1 { "s" } else { "" },
            self.notes.len(),
            if self.notes.len() == 1 { "" } else { "s" },
        ));
        out
    }
}

/// The state of one run.
pub(crate) struct Migrator<'m> {
    pub(crate) model: &'m EventModel,
    pub(crate) from: Version,
    pub(crate) to: Version,
    pub(crate) options: Options,
    pub(crate) edits: Vec<Edit>,
    pub(crate) notes: Vec<Note>,
    /// The text of every file read, to copy indentation from.
    pub(crate) sources: BTreeMap<Arc<str>, String>,
}

impl Migrator<'_> {
    /// The leading blanks of a line, and one more level of them (a tab
    /// where the line is indented with tabs, else two spaces).
    pub(crate) fn indent(&self, file: &str, line: usize) -> (String, String) {
        let text = self
            .sources
            .get(file)
            .and_then(|t| t.split('\n').nth(line.saturating_sub(1)))
            .unwrap_or_default();
        let pad: String = text
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect();
        let unit = if pad.contains('\t') { "\t" } else { "  " };
        (pad, unit.to_owned())
    }

    pub(crate) fn note(&mut self, location: Location, message: String, commented: bool) {
        self.notes.push(Note {
            location,
            message,
            commented,
        });
    }

    /// Reports a setting that cannot be migrated, commenting it out when
    /// asked to.
    pub(crate) fn unmigratable(&mut self, setting: &Setting, reason: String) {
        let comment = self.options.comment_unmigratable;
        if comment {
            let (file, first, last) = setting_lines(setting);
            let (pad, _) = self.indent(&file, first);
            let already = self
                .edits
                .iter()
                .any(|e| e.file == file && e.start == (first, 1) && e.end == (first, 1));
            if !already {
                self.edits.push(Edit {
                    file: file.clone(),
                    start: (first, 1),
                    end: (first, 1),
                    text: format!("{pad}# dovecot-eventgen migrate: {reason}\n"),
                });
                for line in first..=last {
                    self.edits.push(Edit {
                        file: file.clone(),
                        start: (line, 1),
                        end: (line, 1),
                        text: "#".to_owned(),
                    });
                }
            }
        }
        self.note(setting.key_at.clone(), reason, comment);
    }

    fn walk(&mut self, section: &Section) {
        for item in &section.items {
            match item {
                Item::Setting(s) if FILTER_SETTINGS.contains(&s.key.as_str()) => {
                    if s.kind == ValueKind::Variable {
                        continue;
                    }
                    let outcome = self.filter(&s.value, self.from < UNIFIED);
                    for reason in outcome.gone {
                        self.unmigratable(s, reason);
                    }
                }
                Item::Setting(_) => {}
                Item::Section(s) if s.kind == "metric" => self.metric(s),
                Item::Section(s) if s.kind == "event_exporter" => self.exporter(s),
                Item::Section(s) => self.walk(s),
            }
        }
    }
}

/// A filter value, quoted when the unquoted form would not lex.
pub(crate) fn quote_value(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '*' | '_' | '-'));
    if plain {
        value.to_owned()
    } else {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// Migrates the configuration file at `path` and what it includes.
///
/// # Errors
///
/// The I/O error when `path` cannot be read.
pub fn migrate_file(
    model: &EventModel,
    path: &Path,
    options: Options,
) -> std::io::Result<Migration> {
    let text = read_regular(path)?;
    Ok(migrate_str(
        model,
        &path.display().to_string(),
        &text,
        options,
    ))
}

/// Migrates configuration text read as the file `name`; included files are
/// read from disk.
#[must_use]
pub fn migrate_str(model: &EventModel, name: &str, text: &str, options: Options) -> Migration {
    let mut sink = Sink::new();
    let config = read(name, text, &mut sink);
    let sources = config
        .files
        .iter()
        .filter_map(|file| {
            let text = if file == name {
                text.to_owned()
            } else {
                read_regular(Path::new(file)).ok()?
            };
            Some((Arc::from(file.as_str()), text))
        })
        .collect();
    let mut migrator = Migrator {
        model,
        from: options.from,
        to: options.to,
        options,
        edits: Vec::new(),
        notes: Vec::new(),
        sources,
    };
    if options.from <= options.to {
        migrator.walk(&config.root);
    } else {
        migrator.note(
            config.root.at.clone(),
            format!(
                "migrating down (from {} to {}) is not supported",
                options.from, options.to
            ),
            false,
        );
    }
    let mut by_file: BTreeMap<Arc<str>, Vec<Edit>> = edit::by_file(migrator.edits);
    let mut changes = Vec::new();
    for file in &config.files {
        let Some(edits) = by_file.remove(file.as_str()) else {
            continue;
        };
        let Some(before) = migrator.sources.remove(file.as_str()) else {
            continue;
        };
        let (after, _dropped) = edit::apply(&before, &edits);
        if after != before {
            changes.push(FileChange {
                path: file.clone(),
                before,
                after,
            });
        }
    }
    let order = |file: &str| {
        config
            .files
            .iter()
            .position(|f| f == file)
            .unwrap_or(usize::MAX)
    };
    migrator.notes.sort_by(|a, b| {
        order(&a.location.file)
            .cmp(&order(&b.location.file))
            .then(a.location.line.cmp(&b.location.line))
            .then(a.location.column.cmp(&b.location.column))
    });
    migrator.notes.dedup();
    Migration {
        options,
        files_read: config.files,
        changes,
        notes: migrator.notes,
        problems: sink.findings,
    }
}
