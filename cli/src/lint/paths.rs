//! File names for `!include` and `<file`: relative paths, globs (as
//! glob(3) with `GLOB_BRACE`) and the identity used to catch recursion.

use std::path::{Path, PathBuf};

/// Includes nested deeper than this are reported instead of read.
pub(crate) const MAX_NESTING: usize = 32;

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
pub(crate) fn glob(pattern: &Path) -> Vec<PathBuf> {
    let text = pattern.to_string_lossy();
    let mut out = Vec::new();
    for expanded in expand_braces(&text) {
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
    out
}

fn glob_parts(dir: &Path, parts: &[&str], out: &mut Vec<PathBuf>) {
    let Some((first, rest)) = parts.split_first() else {
        if dir.is_file() {
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

fn expand_braces(pattern: &str) -> Vec<String> {
    let Some(open) = pattern.find('{') else {
        return vec![pattern.to_owned()];
    };
    let Some(close) = pattern[open..].find('}').map(|c| open + c) else {
        return vec![pattern.to_owned()];
    };
    let (head, tail) = (&pattern[..open], &pattern[close + 1..]);
    pattern[open + 1..close]
        .split(',')
        .flat_map(|alt| expand_braces(&format!("{head}{alt}{tail}")))
        .collect()
}

/// Shell-style matching of one path component.
fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    glob_at(&p, &n)
}

fn glob_at(p: &[char], n: &[char]) -> bool {
    match p.first() {
        None => n.is_empty(),
        Some('*') => (0..=n.len()).any(|skip| glob_at(&p[1..], &n[skip..])),
        Some('?') => !n.is_empty() && glob_at(&p[1..], &n[1..]),
        Some('[') => {
            let Some(close) = p.iter().skip(1).position(|c| *c == ']').map(|c| c + 1) else {
                return n.first() == Some(&'[') && glob_at(&p[1..], &n[1..]);
            };
            let Some(c) = n.first() else {
                return false;
            };
            let set = &p[1..close];
            let (negate, set) = match set.first() {
                Some('!' | '^') => (true, &set[1..]),
                _ => (false, set),
            };
            let mut hit = false;
            let mut k = 0;
            while k < set.len() {
                if k + 2 < set.len() && set[k + 1] == '-' {
                    hit |= set[k] <= *c && *c <= set[k + 2];
                    k += 3;
                } else {
                    hit |= set[k] == *c;
                    k += 1;
                }
            }
            hit != negate && glob_at(&p[close + 1..], &n[1..])
        }
        Some(c) => n.first() == Some(c) && glob_at(&p[1..], &n[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_and_paths() {
        assert!(glob_match("*.conf", "10-auth.conf"));
        assert!(!glob_match("*.conf", "10-auth.conf.ext"));
        assert!(glob_match("[0-9]?-*", "10-x"));
        assert_eq!(expand_braces("a{b,c}d"), ["abd", "acd"]);
        assert_eq!(
            relative_to("conf/dovecot.conf", "conf.d/*.conf"),
            PathBuf::from("conf/conf.d/*.conf")
        );
        assert_eq!(normalize("a/conf.d/../shared/./x.conf"), "a/shared/x.conf");
        assert_eq!(normalize("../a/../../b"), "../../b");
        assert_eq!(normalize("/etc/dovecot/../x"), "/etc/x");
    }
}
