//! The spool: a write-ahead journal of every accepted event.
//!
//! An event is acknowledged (answered 2xx) only once its line is written to
//! the spool, so everything acknowledged survives a crash of the receiver
//! (the kernel holds written data even when the process is killed; with
//! `--fsync` it is also on disk before the answer). The output reads the
//! spool back in order, so a slow or blocked output only makes the spool
//! grow, never the memory, and the next start delivers whatever the spool
//! still holds.
//!
//! The spool directory holds segments named by the first sequence number
//! in them (`00000000000000000001.spool`), each a run of lines
//! `{"seq":N,…}`, and `delivered`, the last sequence number the output
//! wrote (updated as it goes, so after a crash a few events may be
//! delivered twice; `seq` lets consumers drop them). One thread appends,
//! batching whatever arrived meanwhile into one write.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use tokio::sync::{mpsc, oneshot};

/// Options of the spool.
#[derive(Clone, Debug)]
pub struct SpoolConfig {
    /// The directory.
    pub dir: PathBuf,
    /// A segment is closed and a new one begun past this size.
    pub segment_bytes: u64,
    /// The most the spool may hold; events beyond it are refused (and
    /// counted), never dropped silently.
    pub max_bytes: u64,
    /// Sync every write to disk before acknowledging it.
    pub fsync: bool,
}

/// What the output thread and the appender share.
pub struct Shared {
    /// The last sequence number written to the spool.
    written: Mutex<u64>,
    changed: Condvar,
    /// The last sequence number the output delivered.
    pub delivered: AtomicU64,
    /// Bytes in the spool's segments.
    pub bytes: AtomicU64,
    pub dir: PathBuf,
}

impl Shared {
    /// The last sequence number written.
    pub fn written(&self) -> u64 {
        *self.written.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until more than `after` is written or `timeout` passed;
    /// returns the last written.
    pub fn wait_written(&self, after: u64, timeout: std::time::Duration) -> u64 {
        let guard = self.written.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = self
            .changed
            .wait_timeout_while(guard, timeout, |written| *written <= after)
            .unwrap_or_else(|e| e.into_inner());
        *guard
    }
}

struct Job {
    line: Vec<u8>,
    ack: oneshot::Sender<Result<u64, String>>,
}

/// The appending side, shared by every request.
pub struct Spool {
    tx: mpsc::Sender<Job>,
}

/// What a start found in the spool.
pub struct Recovered {
    /// Events written before but not yet delivered.
    pub pending: u64,
}

impl Spool {
    /// Opens (or creates) the spool, repairs a segment a crash cut short,
    /// and starts the appender thread.
    pub fn open(config: SpoolConfig) -> io::Result<(Spool, Arc<Shared>, Recovered)> {
        fs::create_dir_all(&config.dir)?;
        let delivered = read_delivered(&config.dir)?;
        let segments = segments(&config.dir)?;
        let mut bytes = 0;
        let mut last = delivered;
        for (i, (first, path)) in segments.iter().enumerate() {
            if i + 1 == segments.len() {
                // An empty newest segment still tells where numbering went.
                last = last.max(repair(path)?).max(first.saturating_sub(1));
            }
            bytes += fs::metadata(path)?.len();
        }
        let shared = Arc::new(Shared {
            written: Mutex::new(last),
            changed: Condvar::new(),
            delivered: AtomicU64::new(delivered),
            bytes: AtomicU64::new(bytes),
            dir: config.dir.clone(),
        });
        let (tx, rx) = mpsc::channel(1 << 16);
        let current = match segments.last() {
            Some((_, path)) => {
                let file = OpenOptions::new().append(true).open(path)?;
                let len = file.metadata()?.len();
                Some((file, len))
            }
            None => None,
        };
        let appender = Appender {
            config,
            shared: shared.clone(),
            next: last + 1,
            current,
        };
        // The thread ends with the process: every event it acknowledged is
        // written by then, since each request waits for its answer.
        std::thread::Builder::new()
            .name("spool".to_owned())
            .spawn(move || appender.run(rx))?;
        let recovered = Recovered {
            pending: last - delivered.min(last),
        };
        Ok((Spool { tx }, shared, recovered))
    }

    /// Appends one event's line (its JSON object after `{"seq":N,`) and
    /// returns its sequence number once it is written.
    pub async fn append(&self, line: Vec<u8>) -> Result<u64, String> {
        let (ack, done) = oneshot::channel();
        self.tx
            .send(Job { line, ack })
            .await
            .map_err(|_| "the spool is closed".to_owned())?;
        done.await
            .unwrap_or_else(|_| Err("the spool stopped".to_owned()))
    }
}

struct Appender {
    config: SpoolConfig,
    shared: Arc<Shared>,
    next: u64,
    /// The segment being appended to, and its length.
    current: Option<(File, u64)>,
}

impl Appender {
    fn run(mut self, mut rx: mpsc::Receiver<Job>) {
        let mut batch = Vec::new();
        let mut buffer = Vec::with_capacity(1 << 20);
        while let Some(job) = rx.blocking_recv() {
            batch.push(job);
            while batch.len() < 4096 {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            self.write(&mut batch, &mut buffer);
        }
    }

    fn write(&mut self, batch: &mut Vec<Job>, buffer: &mut Vec<u8>) {
        buffer.clear();
        let first = self.next;
        let held = self.shared.bytes.load(Ordering::Relaxed);
        let mut kept = Vec::with_capacity(batch.len());
        for job in batch.drain(..) {
            let before = buffer.len();
            let _ = write!(buffer, "{{\"seq\":{},", first + kept.len() as u64);
            buffer.extend_from_slice(&job.line);
            buffer.push(b'\n');
            if held + buffer.len() as u64 > self.config.max_bytes {
                buffer.truncate(before);
                let _ = job.ack.send(Err(format!(
                    "the spool is full ({} bytes, --spool-max-bytes)",
                    self.config.max_bytes
                )));
            } else {
                kept.push(job.ack);
            }
        }
        if kept.is_empty() {
            return;
        }
        match self.append(first, buffer) {
            Ok(()) => {
                self.next = first + kept.len() as u64;
                self.shared
                    .bytes
                    .fetch_add(buffer.len() as u64, Ordering::Relaxed);
                *self
                    .shared
                    .written
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) = self.next - 1;
                self.shared.changed.notify_all();
                for (i, ack) in kept.into_iter().enumerate() {
                    let _ = ack.send(Ok(first + i as u64));
                }
            }
            Err(error) => {
                let message = match error.raw_os_error() {
                    Some(28) => format!("the spool's disk is full: {error}"),
                    _ => format!("writing the spool failed: {error}"),
                };
                for ack in kept {
                    let _ = ack.send(Err(message.clone()));
                }
            }
        }
    }

    /// Writes `buffer` (lines from `first` on) to the current segment, or a
    /// new one; a failed write is cut off again so no partial line stays.
    fn append(&mut self, first: u64, buffer: &[u8]) -> io::Result<()> {
        let full = self
            .current
            .as_ref()
            .is_none_or(|(_, len)| *len >= self.config.segment_bytes);
        if full {
            let path = segment_path(&self.config.dir, first);
            let file = OpenOptions::new().create(true).append(true).open(&path)?;
            let len = file.metadata()?.len();
            self.current = Some((file, len));
        }
        let Some((file, len)) = self.current.as_mut() else {
            return Err(io::Error::other("no segment"));
        };
        let result = file.write_all(buffer).and_then(|()| {
            if self.config.fsync {
                file.sync_data()
            } else {
                Ok(())
            }
        });
        match result {
            Ok(()) => *len += buffer.len() as u64,
            Err(_) => {
                // Best effort: the output skips a partial line that
                // remains, and the next batch goes to a new segment.
                let _ = file.set_len(*len);
                self.current = None;
            }
        }
        result
    }
}

/// The segment whose first sequence number is `first`.
pub fn segment_path(dir: &Path, first: u64) -> PathBuf {
    dir.join(format!("{first:020}.spool"))
}

/// The segments, oldest first: (first sequence number, path).
pub fn segments(dir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let first = path
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.strip_suffix(".spool"))
            .and_then(|digits| digits.parse::<u64>().ok());
        if let Some(first) = first {
            found.push((first, path));
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
fn repair(path: &Path) -> io::Result<u64> {
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

fn read_delivered(dir: &Path) -> io::Result<u64> {
    match fs::read_to_string(dir.join("delivered")) {
        Ok(text) => text.trim().parse().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: not a sequence number", dir.join("delivered").display()),
            )
        }),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(0),
        Err(error) => Err(error),
    }
}

/// Records that everything up to `seq` was delivered (atomically).
pub fn write_delivered(dir: &Path, seq: u64) -> io::Result<()> {
    let temporary = dir.join("delivered.tmp");
    fs::write(&temporary, format!("{seq}\n"))?;
    fs::rename(temporary, dir.join("delivered"))
}
