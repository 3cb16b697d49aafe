//! Reading a schema directory from disk, defensively: only regular files
//! are read, each symbolic link is resolved once (a link back to an
//! ancestor directory cannot loop, and a file reached twice is read once),
//! and files have a size limit, so a FIFO, a device or a runaway file named
//! `*.yaml` ends in a located error rather than a hang or exhausted memory.

use std::collections::BTreeSet;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::{Diagnostics, Location};
use crate::{Error, SourceFile};

/// The largest schema file read, in bytes (16 MiB; the repository's
/// largest is under 40 KB).
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// The most all files of one schema directory may hold together, in bytes
/// (64 MiB).
pub const MAX_TOTAL_BYTES: u64 = 64 << 20;

/// Reads every `*.yaml`/`*.yml` file below `dir`, in path order.
///
/// # Errors
///
/// [`Error::Io`] when the directory, one below it or a file cannot be
/// read; [`Error::Schema`] with every located problem when a file is not
/// one a schema can be read from: not a regular file (a FIFO, a device, a
/// dangling link), larger than [`MAX_FILE_BYTES`] (or all of them together
/// than [`MAX_TOTAL_BYTES`]), not UTF-8, or named with a control
/// character.
pub fn read_dir_sources(dir: &Path) -> Result<Vec<SourceFile>, Error> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    let root = std::fs::canonicalize(dir).map_err(io(dir))?;
    let mut cx = Diagnostics::default();
    let mut seen_dirs = BTreeSet::from([root.clone()]);
    let mut seen_files = BTreeSet::new();
    let mut found: Vec<(String, PathBuf, PathBuf)> = Vec::new();
    // Directories still to read, as (path as reached, relative name).
    let mut pending = vec![(dir.to_path_buf(), String::new())];
    while let Some((path, relative)) = pending.pop() {
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(&path).map_err(io(&path))? {
            entries.push(entry.map_err(io(&path))?);
        }
        entries.sort_by_key(std::fs::DirEntry::file_name);
        // Subdirectories go on the stack in reverse, so they are read in
        // name order.
        let mut subdirs = Vec::new();
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let child = entry.path();
            let child_relative = if relative.is_empty() {
                name.clone()
            } else {
                format!("{relative}/{name}")
            };
            let schema_file = name.ends_with(".yaml") || name.ends_with(".yml");
            let is_link = entry.file_type().map_err(io(&child))?.is_symlink();
            // `metadata` follows links; a dangling one has none.
            let (target, meta) = match std::fs::canonicalize(&child)
                .and_then(|target| std::fs::metadata(&target).map(|meta| (target, meta)))
            {
                Ok(found) => found,
                Err(error) if is_link => {
                    if schema_file {
                        cx.error_with_hint(
                            &whole_file(&child),
                            format!("the symbolic link cannot be followed: {error}"),
                            "point the link at an existing schema file, or remove it",
                        );
                    }
                    continue;
                }
                Err(error) => return Err(io(&child)(error)),
            };
            if meta.is_dir() {
                if seen_dirs.insert(target) {
                    subdirs.push((child, child_relative));
                }
                continue;
            }
            if !schema_file {
                continue;
            }
            if child
                .to_string_lossy()
                .chars()
                .any(|c| c.is_control() || crate::emit::is_bidi_control(c))
            {
                cx.error_with_hint(
                    &whole_file(&child),
                    "the file's path has a control or bidirectional-formatting character",
                    "rename the file: its path is printed into generated code and build-script output",
                );
                continue;
            }
            if !meta.is_file() {
                cx.error_with_hint(
                    &whole_file(&child),
                    "not a regular file (a FIFO, socket or device is never read)",
                    "schema files must be regular files; remove or rename this one",
                );
                continue;
            }
            if seen_files.insert(target.clone()) {
                found.push((child_relative, child, target));
            }
        }
        pending.extend(subdirs.into_iter().rev());
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let mut files = Vec::new();
    let mut total = 0u64;
    for (relative, path, target) in found {
        let Some(bytes) = read_limited(&path, &target, &mut cx)? else {
            continue;
        };
        total = total.saturating_add(bytes.len() as u64);
        if total > MAX_TOTAL_BYTES {
            cx.error_with_hint(
                &whole_file(&path),
                format!(
                    "the schema's files hold more than {} MiB together",
                    MAX_TOTAL_BYTES >> 20
                ),
                "a schema of this size is not one this tool was made for",
            );
            break;
        }
        match String::from_utf8(bytes) {
            Ok(text) => files.push(SourceFile {
                path: path.display().to_string(),
                relative,
                text,
            }),
            Err(error) => not_utf8(&path, error.as_bytes(), error.utf8_error(), &mut cx),
        }
    }
    cx.finish(files).map_err(Error::Schema)
}

/// The file's bytes, or `None` (with a diagnostic) when it is too large.
fn read_limited(
    path: &Path,
    target: &Path,
    cx: &mut Diagnostics,
) -> Result<Option<Vec<u8>>, Error> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let too_large = |cx: &mut Diagnostics| {
        cx.error_with_hint(
            &whole_file(path),
            format!(
                "the file is larger than {} MiB, the most a schema file may hold",
                MAX_FILE_BYTES >> 20
            ),
            "split the schema into several files",
        );
    };
    let file = std::fs::File::open(target).map_err(io)?;
    // Checked again on the open file: the path may have changed since.
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        cx.error(&whole_file(path), "not a regular file");
        return Ok(None);
    }
    if meta.len() > MAX_FILE_BYTES {
        too_large(cx);
        return Ok(None);
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        too_large(cx);
        return Ok(None);
    }
    Ok(Some(bytes))
}

/// The located error for a file that is not UTF-8: the line and column
/// (in characters) of the first bad byte, and its byte offset.
fn not_utf8(path: &Path, bytes: &[u8], error: std::str::Utf8Error, cx: &mut Diagnostics) {
    let offset = error.valid_up_to();
    let valid = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
    let line = valid.matches('\n').count() + 1;
    let line_start = valid.rfind('\n').map_or(0, |at| at + 1);
    let column = valid[line_start..].chars().count() + 1;
    cx.error_with_hint(
        &Location {
            file: Arc::from(path.display().to_string()),
            line,
            column,
        },
        format!(
            "the file is not UTF-8: byte 0x{:02x} at byte offset {offset} does not start a UTF-8 character",
            bytes.get(offset).copied().unwrap_or_default()
        ),
        "save the file as UTF-8",
    );
}

/// A location for a problem with a file as a whole; a path that cannot be
/// shown as it is (a control or bidirectional character) is escaped.
fn whole_file(path: &Path) -> Location {
    let shown = path.display().to_string();
    let plain = !shown
        .chars()
        .any(|c| c.is_control() || crate::emit::is_bidi_control(c));
    crate::load::file_location(&if plain {
        shown
    } else {
        shown.escape_debug().to_string()
    })
}
