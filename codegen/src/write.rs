//! Writing generated files: only when their contents change, and never
//! half a file.

use std::io::Write as _;
use std::path::Path;

use crate::Error;

/// Writes `contents` to `path` unless the file already holds exactly that;
/// returns whether it wrote. The parent directory is created if needed.
///
/// # Errors
///
/// Returns the I/O error, naming the path.
pub fn write_if_changed(path: &Path, contents: &[u8]) -> Result<bool, Error> {
    if std::fs::read(path).ok().as_deref() == Some(contents) {
        return Ok(false);
    }
    write_atomic(path, contents)?;
    Ok(true)
}

/// Writes `contents` to `path` through a temporary file in the same
/// directory and a rename, so that no reader ever sees half a file.
///
/// Temporary files are named `.NAME.PID.tmp`; those left by an earlier
/// process that was killed mid-write are removed first.
///
/// # Errors
///
/// Returns the I/O error, naming the path, after removing the temporary
/// file.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), Error> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(parent) = parent {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    remove_stale_temporaries(parent.unwrap_or(Path::new(".")), &file_name);
    let tmp = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(source) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(source));
    }
    Ok(())
}

/// Removes `.NAME.PID.tmp` files whose process no longer runs. A process
/// that still runs may be writing its own, so those are left alone.
fn remove_stale_temporaries(dir: &Path, file_name: &str) {
    let prefix = format!(".{file_name}.");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let alive = pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists();
        let regular = entry.file_type().is_ok_and(|t| t.is_file());
        if !alive && regular {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_temporaries_are_removed_and_live_ones_kept() {
        let dir = std::env::temp_dir().join(format!("dovecot-write-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        // No process has pid 4194304 + 1 (above Linux's pid_max).
        let stale = dir.join(".out.rs.4194305.tmp");
        std::fs::write(&stale, "half").expect("write");
        let path = dir.join("out.rs");
        assert!(write_if_changed(&path, b"whole").expect("written"));
        assert!(
            !stale.exists(),
            "a dead process's temporary file is removed"
        );
        assert!(!write_if_changed(&path, b"whole").expect("unchanged"));
        assert_eq!(std::fs::read(&path).expect("read"), b"whole");
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
