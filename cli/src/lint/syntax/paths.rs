//! File names for `!include` and `<file`: relative paths, globs (as
//! glob(3) with `GLOB_BRACE`), the identity used to catch recursion, and
//! reading a file safely.
//!
//! Everything here is bounded, since a configuration may come from anyone:
//! brace expansion stops at [`MAX_PATTERNS`] patterns, wildcard matching
//! takes time proportional to the pattern's length times the name's, and
//! only regular files of at most [`MAX_FILE_BYTES`] are read (a FIFO or a
//! link to a device is an error, not a hang). Symbolic links are resolved
//! by the system, which reports a loop.

use std::io::Read as _;
use std::path::{Path, PathBuf};

/// Includes nested deeper than this are reported instead of read.
pub(crate) const MAX_NESTING: usize = 32;
/// How many files one configuration may read in all (includes and value
/// files, a file included twice counting twice).
pub(crate) const MAX_FILES: usize = 1000;
/// How many patterns the `{a,b}` alternatives of one include may expand to.
pub(crate) const MAX_PATTERNS: usize = 1024;
/// The largest file read.
pub(crate) const MAX_FILE_BYTES: u64 = 16 << 20;

/// Reads a regular file of at most [`MAX_FILE_BYTES`] as UTF-8.
///
/// # Errors
///
/// The I/O error, or `InvalidData` for something that is not a regular
/// file, too large or not UTF-8.
pub(crate) fn read_regular(path: &Path) -> std::io::Result<String> {
    let invalid = |message: String| std::io::Error::new(std::io::ErrorKind::InvalidData, message);
    // Checked before opening: opening a FIFO for reading blocks.
    if !std::fs::metadata(path)?.is_file() {
        return Err(invalid("not a regular file".to_owned()));
    }
    let file = std::fs::File::open(path)?;
    if !file.metadata()?.is_file() {
        return Err(invalid("not a regular file".to_owned()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(invalid(format!("larger than {} MiB", MAX_FILE_BYTES >> 20)));
    }
    String::from_utf8(bytes).map_err(|_| invalid("not UTF-8 text".to_owned()))
}

/// What identifies a file for recursion checks: its canonical path when it
/// exists.
pub(crate) fn identity(path: &str) -> String {
    std::fs::canonicalize(path).map_or_else(|_| normalize(path), |p| p.display().to_string())
}

/// Removes `.` and `dir/..` components without touching the file system.
pub(crate) fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    if path.starts_with('/') {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".to_owned()
    } else {
        joined
    }
}

/// `path` relative to the directory of the file `including`, as Dovecot's
/// `fix_relative_path()` does.
pub(crate) fn relative_to(including: &str, path: &str) -> PathBuf {
    if path.starts_with('/') {
        return PathBuf::from(path);
    }
    match including.rfind('/') {
        Some(slash) => PathBuf::from(format!("{}{path}", &including[..=slash])),
        None => PathBuf::from(path),
    }
}

/// The existing files matching `pattern`: `*`, `?`, `[…]` and `{a,b}` in
/// any path component, as glob(3) with `GLOB_BRACE`.
///
/// # Errors
///
/// A message when the braces expand to more than [`MAX_PATTERNS`]
/// patterns.
pub(crate) fn glob(pattern: &Path) -> Result<Vec<PathBuf>, String> {
    let text = pattern.to_string_lossy();
    let mut out = Vec::new();
    for expanded in expand_braces(&text)? {
        let absolute = expanded.starts_with('/');
        let parts: Vec<&str> = expanded.split('/').filter(|p| !p.is_empty()).collect();
        let start = if absolute {
            PathBuf::from("/")
        } else {
            PathBuf::new()
        };
        glob_parts(&start, &parts, &mut out);
    }
    out.dedup();
    Ok(out)
}

fn glob_parts(dir: &Path, parts: &[&str], out: &mut Vec<PathBuf>) {
    let Some((first, rest)) = parts.split_first() else {
        // Anything but a directory, even a dangling link or a loop: reading
        // it reports what it is.
        if std::fs::symlink_metadata(dir).is_ok()
            && !std::fs::metadata(dir).is_ok_and(|m| m.is_dir())
        {
            out.push(dir.to_path_buf());
        }
        return;
    };
    if !first.contains(['*', '?', '[']) {
        glob_parts(&dir.join(first), rest, out);
        return;
    }
    let listed = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = std::fs::read_dir(listed) else {
        return;
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.') && glob_match(first, name))
        .collect();
    names.sort();
    for name in names {
        glob_parts(&dir.join(name), rest, out);
    }
}

/// The patterns `{a,b}` alternatives stand for, left to right.
fn expand_braces(pattern: &str) -> Result<Vec<String>, String> {
    let mut done = Vec::new();
    let mut todo = vec![pattern.to_owned()];
    while let Some(pattern) = todo.pop() {
        let group = pattern.find('{').and_then(|open| {
            let close = open + pattern[open..].find('}')?;
            Some((open, close))
        });
        let Some((open, close)) = group else {
            done.push(pattern);
            continue;
        };
        let (head, tail) = (&pattern[..open], &pattern[close + 1..]);
        // Pushed in reverse so that they come off the stack in order.
        for alt in pattern[open + 1..close].split(',').rev() {
            todo.push(format!("{head}{alt}{tail}"));
        }
        if done.len() + todo.len() > MAX_PATTERNS {
            return Err(format!(
                "its `{{a,b}}` alternatives expand to more than {MAX_PATTERNS} patterns"
            ));
        }
    }
    Ok(done)
}

/// One element of a wildcard pattern.
#[derive(Clone, Debug, PartialEq)]
enum Piece {
    Star,
    Any,
    Char(char),
    /// `[…]`: ranges and single characters, and whether it is negated.
    Set(Vec<(char, char)>, bool),
}

fn pieces(pattern: &str) -> Vec<Piece> {
    let p: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '*' => out.push(Piece::Star),
            '?' => out.push(Piece::Any),
            '[' => {
                if let Some(close) = p[i + 1..].iter().position(|c| *c == ']').map(|c| i + 1 + c) {
                    let mut set = &p[i + 1..close];
                    let negate = matches!(set.first(), Some('!' | '^'));
                    if negate {
                        set = &set[1..];
                    }
                    let mut ranges = Vec::new();
                    let mut k = 0;
                    while k < set.len() {
                        if k + 2 < set.len() && set[k + 1] == '-' {
                            ranges.push((set[k], set[k + 2]));
                            k += 3;
                        } else {
                            ranges.push((set[k], set[k]));
                            k += 1;
                        }
                    }
                    out.push(Piece::Set(ranges, negate));
                    i = close;
                } else {
                    out.push(Piece::Char('['));
                }
            }
            c => out.push(Piece::Char(c)),
        }
        i += 1;
    }
    out
}

fn piece_matches(piece: &Piece, c: char) -> bool {
    match piece {
        Piece::Star | Piece::Any => true,
        Piece::Char(p) => *p == c,
        Piece::Set(ranges, negate) => ranges.iter().any(|(lo, hi)| *lo <= c && c <= *hi) != *negate,
    }
}

/// Shell-style matching of one path component, in time proportional to
/// the pattern's length times the name's: on a mismatch only the last `*`
/// is retried one character further, since an earlier one can never
/// match more than the last one can.
fn glob_match(pattern: &str, name: &str) -> bool {
    let p = pieces(pattern);
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some(Piece::Star) => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(piece) if piece_matches(piece, n[ni]) => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|piece| *piece == Piece::Star)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_and_paths() {
        assert!(glob_match("*.conf", "10-auth.conf"));
        assert!(!glob_match("*.conf", "10-auth.conf.ext"));
        assert!(glob_match("[0-9]?-*", "10-x"));
        assert!(glob_match("[!a]*", "b"));
        assert!(!glob_match("[!a]*", "ab"));
        assert!(glob_match("*a*b", "xaxab"));
        assert!(!glob_match("a*", ""));
        assert!(glob_match("*", ""));
        assert!(glob_match("[x", "[x"));
        assert_eq!(
            expand_braces("a{b,c}d{e,f}").expect("small"),
            ["abde", "abdf", "acde", "acdf"]
        );
        assert!(expand_braces(&"{a,b}".repeat(22)).is_err());
        let hostile = "*?".repeat(12) + "x";
        assert!(!glob_match(&hostile, &"a".repeat(200)));
        assert_eq!(
            relative_to("conf/dovecot.conf", "conf.d/*.conf"),
            PathBuf::from("conf/conf.d/*.conf")
        );
        assert_eq!(normalize("a/conf.d/../shared/./x.conf"), "a/shared/x.conf");
        assert_eq!(normalize("../a/../../b"), "../../b");
        assert_eq!(normalize("/etc/dovecot/../x"), "/etc/x");
    }
}
