//! The spool directory's files: segments, and the numbers `delivered` and
//! `reserved`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use super::Shared;

/// The segment whose first sequence number is `first`.
pub fn segment_path(dir: &Path, first: u64) -> PathBuf {
    dir.join(format!("{first:020}.spool"))
}

/// The segments, oldest first: (first sequence number, path).
pub fn segments(dir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let first = path
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.strip_suffix(".spool"))
            .and_then(|digits| digits.parse::<u64>().ok());
        let Some(first) = first else {
            continue;
        };
        // Only regular files are segments: a link or a device of a
        // segment's name (never made by the spool) would be read without
        // end. A file removed meanwhile is no segment either.
        match entry.file_type() {
            Ok(kind) if kind.is_file() => found.push((first, path)),
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(error),
        }
    }
    found.sort();
    Ok(found)
}

/// The sequence number at the start of a spool line.
pub fn seq_of(line: &[u8]) -> Option<u64> {
    let rest = line.strip_prefix(b"{\"seq\":")?;
    let end = rest.iter().position(|b| !b.is_ascii_digit())?;
    std::str::from_utf8(&rest[..end]).ok()?.parse().ok()
}

/// Cuts off a partial last line that a crash left, and returns the last
/// sequence number in the segment (0 when it has none).
pub(super) fn repair(path: &Path) -> io::Result<u64> {
    let mut reader = BufReader::new(File::open(path)?);
    let (mut good, mut last, mut line) = (0u64, 0u64, Vec::new());
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line)?;
        if read == 0 || line.last() != Some(&b'\n') {
            break;
        }
        match seq_of(&line) {
            Some(seq) => last = seq,
            None => break,
        }
        good += read as u64;
    }
    let file = OpenOptions::new().write(true).open(path)?;
    if file.metadata()?.len() != good {
        file.set_len(good)?;
    }
    Ok(last)
}

/// The sequence number in the spool's file `name` (0 when there is none).
pub(super) fn read_number(dir: &Path, name: &str) -> io::Result<u64> {
    let path = dir.join(name);
    match fs::read_to_string(&path) {
        Ok(text) => text.trim().parse().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: not a sequence number", path.display()),
            )
        }),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(0),
        Err(error) => Err(error),
    }
}

/// Writes `seq` into the spool's file `name` (atomically; with `sync`,
/// the number is on disk before it replaces the old one, so that a power
/// loss cannot leave the file empty).
fn write_number(dir: &Path, name: &str, seq: u64, sync: bool) -> io::Result<()> {
    let temporary = dir.join(format!("{name}.tmp"));
    let mut file = File::create(&temporary)?;
    file.write_all(format!("{seq}\n").as_bytes())?;
    if sync {
        file.sync_data()?;
    }
    drop(file);
    fs::rename(temporary, dir.join(name))
}

/// Records that everything up to `seq` was delivered.
pub fn write_delivered(dir: &Path, seq: u64) -> io::Result<()> {
    write_number(dir, "delivered", seq, false)
}

/// Records that numbering goes on after `seq`, in place of a reservation
/// (after a drain, so that the next start skips no number).
pub fn write_reserved(dir: &Path, seq: u64) -> io::Result<()> {
    // Rare (once per block of numbers, and at exit), and what keeps a
    // number from naming two events: worth a sync.
    write_number(dir, "reserved", seq, true)
}

/// Opens the segment at `path` for appending, creating it if need be; a
/// link, FIFO or device of that name (never made by the spool) is refused
/// rather than written through, since the spool's reader passes it over.
pub(super) fn open_segment(path: &Path) -> io::Result<File> {
    match fs::symlink_metadata(path) {
        Ok(meta) if !meta.file_type().is_file() => return Err(not_a_segment(path)),
        Ok(_) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    let file = OpenOptions::new().create(true).append(true).open(path)?;
    if file.metadata()?.file_type().is_file() {
        Ok(file)
    } else {
        Err(not_a_segment(path))
    }
}

fn not_a_segment(path: &Path) -> io::Error {
    io::Error::other(format!(
        "{} is not a regular file; the spool directory must hold only what the receiver \
         put there",
        path.display()
    ))
}

/// Removes a segment whose lines are all written to the output, and
/// takes its bytes off the spool's count (once, when both the output and
/// the appender remove it).
pub fn remove_segment(shared: &Shared, path: &Path) {
    if let Ok(meta) = fs::metadata(path)
        && fs::remove_file(path).is_ok()
    {
        let _ = shared
            .bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |held| {
                Some(held.saturating_sub(meta.len()))
            });
    }
}
