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
//! delivered twice; `seq` lets consumers drop them).
//!
//! When the output is a regular file and has written everything spooled,
//! the appender writes the lines straight to it instead: the file holds
//! them as safely as a segment would, and they are written once instead of
//! three times (spool, read back, output). Such events leave no trace in
//! the spool, so the numbers they use are first reserved in the file
//! `reserved` (a block at a time): a start after a crash numbers on from
//! there, and `seq` may then skip numbers but never repeats one.
//!
//! Without `--fsync` the request's own task appends its line, together
//! with any lines other requests left while it wrote (a write into the
//! page cache takes microseconds, less than handing the line to another
//! thread and being woken with the answer; see [`Inline`]). With `--fsync`
//! one thread appends, batching whatever arrived during the last sync into
//! one write and one sync (group commit).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use tokio::sync::{mpsc, oneshot};

use super::output::Destination;

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
    /// Threads waiting on `changed`: a write wakes only when there is one.
    waiting: AtomicUsize,
    /// The last sequence number the output delivered.
    pub delivered: AtomicU64,
    /// Bytes in the spool's segments.
    pub bytes: AtomicU64,
    /// The last sequence number given to an event, kept or not (a batch
    /// that failed to be written keeps its numbers from being given again).
    numbered: AtomicU64,
    pub dir: PathBuf,
}

impl Shared {
    /// The last sequence number written.
    pub fn written(&self) -> u64 {
        *lock(&self.written)
    }

    /// Events written to the spool that the output has not delivered yet.
    pub fn pending(&self) -> u64 {
        let delivered = self.delivered.load(Ordering::SeqCst);
        self.written().saturating_sub(delivered)
    }

    /// The last sequence number given out: where the next start numbers
    /// on after a drain.
    pub fn numbered(&self) -> u64 {
        self.numbered.load(Ordering::SeqCst)
    }

    /// Waits until more than `after` (and than what the appender wrote to
    /// the output itself) is written or `timeout` passed; returns the last
    /// written.
    pub fn wait_written(&self, after: u64, timeout: std::time::Duration) -> u64 {
        let guard = lock(&self.written);
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let (guard, _) = self
            .changed
            .wait_timeout_while(guard, timeout, |written| {
                *written <= after.max(self.delivered.load(Ordering::SeqCst))
            })
            .unwrap_or_else(|e| e.into_inner());
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        *guard
    }

    /// Records `last` as written and delivered: the appender wrote it to
    /// the output itself, so the output thread has nothing to do for it.
    fn set_passed(&self, last: u64) {
        self.delivered.store(last, Ordering::SeqCst);
        *lock(&self.written) = last;
    }

    /// Records `last` as written and wakes a waiting reader.
    fn set_written(&self, last: u64) {
        *lock(&self.written) = last;
        // Read after the lock: a reader that registered before it sees the
        // count, one that registers after it sees `last`.
        if self.waiting.load(Ordering::SeqCst) > 0 {
            self.changed.notify_all();
        }
    }
}

/// What [`Spool::append`] answers: the sequence number or why the line
/// was not kept, and the line's buffer back for the next line (so that
/// buffers are neither allocated per event nor freed by another thread).
pub type Appended = (Result<u64, String>, Vec<u8>);

struct Job {
    line: Vec<u8>,
    ack: oneshot::Sender<Appended>,
}

impl Job {
    fn answer(self, answer: Result<u64, String>) {
        let _ = self.ack.send((answer, self.line));
    }
}

/// The appending side, shared by every request.
pub struct Spool(Mode);

enum Mode {
    /// Each request appends its own line (see [`Inline`]).
    Inline(Arc<Mutex<Inline>>),
    /// The appender thread does, with a sync per batch.
    Thread(mpsc::Sender<Job>),
}

/// The appender of the inline mode. Every request leaves its line here;
/// unless another request is writing, it takes the appender and writes
/// every line left, in one write, before it lets the appender go. A request
/// that finds the appender taken waits for its answer without holding its
/// thread. So a thread never sleeps on the lock for the length of a write,
/// and lines that arrive while one is written are written together.
/// (Making every request first yield to the others ready on its thread
/// batched more lines per write, but cost as much in scheduling as the
/// writes it saved.)
struct Inline {
    /// The appender and its buffers, unless a request is writing with them.
    appender: Option<Held>,
    /// Lines left for the writing request, in order of arrival.
    waiting: Vec<Job>,
}

/// Sequence numbers stop well short of `u64::MAX`, so that adding a batch
/// to one can never overflow (2^62 events at a million a second take over
/// a hundred thousand years).
const LAST_NUMBER: u64 = 1 << 62;

/// What a start found in the spool.
pub struct Recovered {
    /// Events written before but not yet delivered.
    pub pending: u64,
}

impl Spool {
    /// Opens (or creates) the spool, repairs a segment a crash cut short,
    /// and starts the appender thread. Events go straight to `destination`
    /// when it allows it ([`Destination::direct`]), the spool is empty and
    /// there is no `--fsync` (the group commit is what syncs).
    pub fn open(
        config: SpoolConfig,
        destination: Option<Arc<Destination>>,
    ) -> io::Result<(Spool, Arc<Shared>, Recovered)> {
        fs::create_dir_all(&config.dir)?;
        // `delivered` only saves work: unreadable (cut short by a power
        // loss, say), everything in the spool is delivered again.
        let delivered = match read_number(&config.dir, "delivered") {
            Err(error) if error.kind() == io::ErrorKind::InvalidData => {
                eprintln!(
                    "warning: {error}; every event still in the spool is written again (the \
                     output may get some twice, with the same seq)"
                );
                0
            }
            read => read?,
        };
        let reserved = read_number(&config.dir, "reserved")?;
        let segments = segments(&config.dir)?;
        // The last event in the spool, and the last number given out. An
        // empty newest segment (a crash right after it was begun) still
        // tells where numbering went; the last event is then in an older
        // one.
        let (mut spooled, mut numbered) = (delivered, delivered.max(reserved));
        if let Some((first, _)) = segments.last() {
            numbered = numbered.max(first.saturating_sub(1));
        }
        for (_, path) in segments.iter().rev() {
            let last = repair(path)?;
            if last > 0 {
                spooled = spooled.max(last);
                break;
            }
        }
        numbered = numbered.max(spooled);
        if numbered >= LAST_NUMBER {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{}: its sequence numbers reach {numbered}, too near their limit to go on; \
                     move the spool's files away to begin again at 1",
                    config.dir.display()
                ),
            ));
        }
        let mut bytes = 0;
        for (_, path) in &segments {
            bytes += fs::metadata(path)?.len();
        }
        let shared = Arc::new(Shared {
            written: Mutex::new(spooled),
            changed: Condvar::new(),
            waiting: AtomicUsize::new(0),
            delivered: AtomicU64::new(delivered),
            bytes: AtomicU64::new(bytes),
            numbered: AtomicU64::new(numbered),
            dir: config.dir.clone(),
        });
        let current = match segments.last() {
            Some((_, path)) => {
                let file = OpenOptions::new().append(true).open(path)?;
                let len = file.metadata()?.len();
                Some((file, len))
            }
            None => None,
        };
        let fsync = config.fsync;
        let appender = Appender {
            config,
            shared: shared.clone(),
            next: numbered + 1,
            current,
            destination: destination.filter(|destination| destination.direct() && !fsync),
            reserved: numbered,
        };
        let spool = if fsync {
            let (tx, rx) = mpsc::channel(1 << 16);
            // The thread ends with the process: every event it acknowledged
            // is written by then, since each request waits for its answer.
            std::thread::Builder::new()
                .name("spool".to_owned())
                .spawn(move || appender.run(rx))?;
            Spool(Mode::Thread(tx))
        } else {
            Spool(Mode::Inline(Arc::new(Mutex::new(Inline {
                appender: Some((appender, Vec::with_capacity(1 << 12), Vec::new())),
                waiting: Vec::new(),
            }))))
        };
        let recovered = Recovered {
            pending: spooled - delivered.min(spooled),
        };
        Ok((spool, shared, recovered))
    }

    /// Appends one event's line (its JSON object after `{"seq":N,`) and
    /// returns its sequence number once it is written, with the line's
    /// buffer.
    pub async fn append(&self, line: Vec<u8>) -> Appended {
        let done = match &self.0 {
            Mode::Inline(inline) => {
                let mut state = lock(inline);
                if let Some(appender) = state.appender.take() {
                    // Nothing is left waiting while the appender is free:
                    // write this line, then whatever others leave meanwhile.
                    drop(state);
                    let mut writer = Writer {
                        inline: inline.clone(),
                        appender: Some(appender),
                    };
                    let answer = match writer.appender.as_mut() {
                        Some((appender, buffer, _)) => appender.write_one(&line, buffer),
                        None => Err("the spool stopped".to_owned()),
                    };
                    writer.write();
                    return (answer, line);
                }
                // The request holding the appender writes every line left
                // before it lets it go.
                let (ack, done) = oneshot::channel();
                state.waiting.push(Job { line, ack });
                done
            }
            Mode::Thread(tx) => {
                let (ack, done) = oneshot::channel();
                if tx.send(Job { line, ack }).await.is_err() {
                    return (Err("the spool is closed".to_owned()), Vec::new());
                }
                done
            }
        };
        done.await
            .unwrap_or_else(|_| (Err("the spool stopped".to_owned()), Vec::new()))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The inline appender with its buffer, and an empty list of jobs to swap
/// with the waiting ones.
type Held = (Appender, Vec<u8>, Vec<Job>);

/// A request holding the inline appender: it writes the lines left, its
/// own among them, and gives the appender back when none are left (also
/// when it panics, so the spool goes on).
struct Writer {
    inline: Arc<Mutex<Inline>>,
    appender: Option<Held>,
}

impl Writer {
    /// How many writes a request makes before it hands the lines still
    /// arriving to a task of its own and answers its own client.
    const ROUNDS: usize = 4;

    fn write(mut self) {
        if !self.write_waiting(Self::ROUNDS) {
            tokio::spawn(async move { self.write_waiting(usize::MAX) });
        }
    }

    /// Writes what was left, each time all of it in one write, in up to
    /// `rounds` writes; `true` once nothing is left and the appender is
    /// given back.
    fn write_waiting(&mut self, rounds: usize) -> bool {
        for _ in 0..rounds {
            let Some((appender, buffer, jobs)) = self.appender.as_mut() else {
                return true;
            };
            {
                let mut state = lock(&self.inline);
                if state.waiting.is_empty() {
                    state.appender = self.appender.take();
                    return true;
                }
                std::mem::swap(&mut state.waiting, jobs);
            }
            appender.write_jobs(jobs, buffer);
        }
        false
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if let Some(appender) = self.appender.take() {
            lock(&self.inline).appender = Some(appender);
        }
    }
}

struct Appender {
    config: SpoolConfig,
    shared: Arc<Shared>,
    next: u64,
    /// The segment being appended to, and its length.
    current: Option<(File, u64)>,
    /// The output, when lines may go straight to it.
    destination: Option<Arc<Destination>>,
    /// The numbers up to this one are reserved in the file `reserved`.
    reserved: u64,
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
            self.write_jobs(&mut batch, &mut buffer);
        }
    }

    /// Writes one line; its answer.
    fn write_one(&mut self, line: &[u8], buffer: &mut Vec<u8>) -> Result<u64, String> {
        self.write(std::iter::once(line), buffer)
            .pop()
            .unwrap_or_else(|| Err("the spool stopped".to_owned()))
    }

    /// Writes the lines of `jobs` in one write and answers each job;
    /// `jobs` is left empty.
    fn write_jobs(&mut self, jobs: &mut Vec<Job>, buffer: &mut Vec<u8>) {
        let answers = self.write(jobs.iter().map(|job| job.line.as_slice()), buffer);
        for (job, answer) in jobs.drain(..).zip(answers) {
            job.answer(answer);
        }
    }

    /// Appends `lines` in one write, numbering them; a line that would
    /// overfill the spool is refused. One answer per line, in order.
    fn write<'l>(
        &mut self,
        lines: impl ExactSizeIterator<Item = &'l [u8]>,
        buffer: &mut Vec<u8>,
    ) -> Vec<Result<u64, String>> {
        buffer.clear();
        if self.shared.bytes.load(Ordering::Relaxed) > self.config.max_bytes / 2 {
            self.compact();
        }
        let first = self.next;
        let held = self.shared.bytes.load(Ordering::Relaxed);
        let mut answers = Vec::with_capacity(lines.len());
        let mut kept = 0u64;
        for line in lines {
            let before = buffer.len();
            buffer.extend_from_slice(b"{\"seq\":");
            let _ = serde_json::to_writer(&mut *buffer, &(first + kept));
            buffer.push(b',');
            buffer.extend_from_slice(line);
            buffer.push(b'\n');
            if held + buffer.len() as u64 > self.config.max_bytes {
                buffer.truncate(before);
                answers.push(Err(format!(
                    "the spool is full ({} bytes, --spool-max-bytes)",
                    self.config.max_bytes
                )));
            } else {
                answers.push(Ok(first + kept));
                kept += 1;
            }
        }
        if kept == 0 {
            return answers;
        }
        // The numbers are used up whatever happens next: part of a failed
        // write may have reached the output or the spool, and a number
        // must never name two events.
        self.next = first + kept;
        self.shared.numbered.store(self.next - 1, Ordering::SeqCst);
        if self.pass(first, kept, buffer) {
            return answers;
        }
        match self.append(first, buffer) {
            Ok(()) => {
                self.shared
                    .bytes
                    .fetch_add(buffer.len() as u64, Ordering::Relaxed);
                self.shared.set_written(self.next - 1);
            }
            Err(error) => {
                let message = match error.raw_os_error() {
                    Some(28) => format!("the spool's disk is full: {error}"),
                    _ => format!("writing the spool failed: {error}"),
                };
                for answer in &mut answers {
                    if answer.is_ok() {
                        *answer = Err(message.clone());
                    }
                }
            }
        }
        answers
    }

    /// Removes every segment when the output has written all they hold,
    /// so that what passed through no longer counts against the spool's
    /// room (the output removes a segment only once a newer one exists,
    /// which a spool refusing lines for want of room would never begin).
    /// An empty segment is begun first: its name keeps where numbering
    /// went, for the next start.
    fn compact(&mut self) {
        if self.shared.pending() > 0 {
            return;
        }
        let Ok(old) = segments(&self.config.dir) else {
            return;
        };
        if old.iter().all(|(first, _)| *first >= self.next) {
            return;
        }
        let path = segment_path(&self.config.dir, self.next);
        let Ok(file) = open_segment(&path) else {
            return;
        };
        // With --fsync the new segment's name, which now alone keeps where
        // numbering went, is on disk before the older segments go.
        if self.config.fsync
            && (file.sync_all().is_err()
                || File::open(&self.config.dir)
                    .and_then(|dir| dir.sync_all())
                    .is_err())
        {
            return;
        }
        self.current = Some((file, 0));
        for (first, path) in old {
            if first < self.next {
                remove_segment(&self.shared, &path);
            }
        }
    }

    /// Writes `kept` lines (numbered from `first`) straight to the output
    /// when it allows it and has written everything spooled before them;
    /// `false` when they must be spooled.
    fn pass(&mut self, first: u64, kept: u64, buffer: &[u8]) -> bool {
        /// Numbers reserved at a time: a write of `reserved` per this many
        /// events, and at most this many skipped after a crash.
        const BLOCK: u64 = 1 << 16;
        let Some(destination) = &self.destination else {
            return false;
        };
        if self.shared.delivered.load(Ordering::SeqCst) != first - 1 {
            return false;
        }
        let last = first + kept - 1;
        if last > self.reserved {
            let reserve = last.saturating_add(BLOCK);
            if write_reserved(&self.config.dir, reserve).is_err() {
                return false;
            }
            self.reserved = reserve;
        }
        if !destination.write(buffer, kept) {
            return false;
        }
        self.shared.set_passed(last);
        true
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
            let file = open_segment(&path)?;
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

mod files;
#[cfg(test)]
mod tests;

pub use files::remove_segment;
use files::{open_segment, read_number, repair};
pub use files::{segment_path, segments, seq_of, write_delivered, write_reserved};
