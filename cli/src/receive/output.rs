//! The output thread: reads the spool back in order and writes each line
//! to standard output or a file (rotated by size), then records what it
//! delivered and removes the segments it finished.
//!
//! It runs on its own thread because the output may block indefinitely (a
//! full pipe, a FIFO nobody reads): the receiver goes on spooling. A
//! regular file does not block, so while nothing waits in the spool the
//! appender writes events straight to it ([`Destination`]) and the spool
//! only fills when the output fails.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::metrics::Metrics;
use super::spool::{self, Shared};
use reader::{Next, SegmentReader};

mod reader;

/// Where events go.
#[derive(Clone, Debug)]
pub struct OutputConfig {
    /// The file; `None` for standard output.
    pub path: Option<PathBuf>,
    /// Rotate the file past this size: `FILE` becomes `FILE.1`, `FILE.1`
    /// becomes `FILE.2` and so on.
    pub rotate_bytes: Option<u64>,
    /// How many rotated files to keep.
    pub keep: usize,
}

/// Where the output goes, shared by the output thread and (for a regular
/// file) the spool's appender, which writes to it directly while the output
/// thread has nothing left to write.
pub struct Destination {
    config: OutputConfig,
    /// The open output; `None` until opened and after a write failed.
    sink: Mutex<Option<Sink>>,
    /// The appender may write to it: a regular file.
    direct: bool,
    metrics: Arc<Metrics>,
}

impl Destination {
    /// The destination `config` names; the appender may write to it
    /// directly when it is a regular file (or not there yet).
    pub fn new(config: OutputConfig, metrics: Arc<Metrics>) -> Arc<Destination> {
        let direct = config
            .path
            .as_ref()
            .is_some_and(|path| match fs::metadata(path) {
                Ok(meta) => meta.is_file(),
                Err(error) => error.kind() == io::ErrorKind::NotFound,
            });
        Arc::new(Destination {
            config,
            sink: Mutex::new(None),
            direct,
            metrics,
        })
    }

    /// Whether the appender may write to it.
    pub fn direct(&self) -> bool {
        self.direct
    }

    fn lock(&self) -> MutexGuard<'_, Option<Sink>> {
        self.sink.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes `lines` (whole lines, `count` of them) and flushes them, for
    /// the appender; `false` when the output is not open or failed (then the
    /// lines go to the spool, and the output thread reopens the output and
    /// reports the failure; lines written before it failed are written
    /// again, with the same `seq`).
    pub fn write(&self, lines: &[u8], count: u64) -> bool {
        let mut slot = self.lock();
        let Some(sink) = slot.as_mut() else {
            return false;
        };
        match sink.write_lines(lines).and_then(|()| sink.flush()) {
            Ok(()) => {
                self.metrics.written.fetch_add(count, Ordering::Relaxed);
                true
            }
            Err(_) => {
                *slot = None;
                false
            }
        }
    }
}

/// The running output thread.
pub struct Output {
    thread: std::thread::JoinHandle<()>,
    stop: Arc<AtomicBool>,
    shared: Arc<Shared>,
}

impl Output {
    /// Starts the thread.
    pub fn start(shared: Arc<Shared>, destination: Arc<Destination>) -> io::Result<Output> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("output".to_owned())
            .spawn(move || run(&thread_shared, &destination, &flag))?;
        Ok(Output {
            thread,
            stop,
            shared,
        })
    }

    /// Asks the thread to stop once everything written to the spool so far
    /// is delivered, and waits for that up to `timeout`. What the output
    /// did not take stays in the spool.
    pub fn drain(self, timeout: Duration) -> Drained {
        self.stop.store(true, Ordering::SeqCst);
        let left = self.shared.pending();
        if left > 0 {
            eprintln!("writing the {left} events still in the spool to the output");
        }
        let deadline = Instant::now() + timeout;
        while !self.thread.is_finished() {
            if Instant::now() >= deadline {
                return Drained::TimedOut;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.thread.join();
        // The thread also ends when the output's reader went away while
        // stopping (a broken pipe), with events still in the spool.
        if self.shared.pending() == 0 {
            Drained::All
        } else {
            Drained::Broken
        }
    }
}

/// How [`Output::drain`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drained {
    /// The output has every event.
    All,
    /// The output did not take them all in time.
    TimedOut,
    /// The output's reader went away (a broken pipe) before it had them
    /// all.
    Broken,
}

fn run(shared: &Shared, destination: &Destination, stop: &AtomicBool) {
    let metrics = &destination.metrics;
    let mut complained = None::<Instant>;
    loop {
        match deliver(shared, destination, stop) {
            Ok(()) => return,
            Err(error) => {
                *destination.lock() = None;
                metrics.output_errors.fetch_add(1, Ordering::Relaxed);
                if complained.is_none_or(|at| at.elapsed() > Duration::from_secs(10)) {
                    eprintln!(
                        "error: writing the output failed ({error}); the events stay in the \
                         spool and writing is retried"
                    );
                    complained = Some(Instant::now());
                }
                if stop.load(Ordering::SeqCst) && error.kind() == io::ErrorKind::BrokenPipe {
                    return;
                }
                std::thread::sleep(Duration::from_millis(500));
            }
        }
    }
}

/// Delivers until told to stop with nothing left; an error ends it and the
/// caller starts again from what was delivered.
fn deliver(shared: &Shared, destination: &Destination, stop: &AtomicBool) -> io::Result<()> {
    const COALESCE_BELOW: u64 = 256;
    const COALESCE_FOR: Duration = Duration::from_millis(2);
    let metrics = &destination.metrics;
    {
        let mut slot = destination.lock();
        if slot.is_none() {
            *slot = Some(Sink::open(&destination.config)?);
        }
    }
    let mut delivered = shared.delivered.load(Ordering::SeqCst);
    let mut persisted = delivered;
    let mut last_persist = Instant::now();
    let mut reader: Option<SegmentReader> = None;
    loop {
        let mut written = shared.wait_written(delivered, Duration::from_millis(100));
        // The appender writes straight to a regular file while nothing
        // waits here, and records those events as delivered itself.
        delivered = delivered.max(shared.delivered.load(Ordering::SeqCst));
        if written > delivered && written - delivered < COALESCE_BELOW {
            // A few new events: let more arrive before reading them, so
            // that a steady stream costs one wake-up per few milliseconds
            // rather than one per event (events reach the output at most
            // this much later).
            std::thread::sleep(COALESCE_FOR);
            written = shared.written();
        }
        let mut since_flush = 0u32;
        let mut slot = destination.lock();
        let Some(sink) = slot.as_mut() else {
            return Err(io::Error::other("the output is closed"));
        };
        if let Some(current) = reader.as_mut() {
            current.forget_length();
        }
        while delivered < written {
            if reader.is_none() {
                reader = SegmentReader::find(shared, delivered + 1)?;
            }
            let Some(current) = reader.as_mut() else {
                return Err(io::Error::other(format!(
                    "the spool has no segment holding event {}",
                    delivered + 1
                )));
            };
            match current.next_acknowledged(written)? {
                Next::Line(seq, line) => {
                    if seq > delivered {
                        sink.write_line(line)?;
                        delivered = seq;
                        metrics.written.fetch_add(1, Ordering::Relaxed);
                        since_flush += 1;
                        if since_flush >= 4096 {
                            sink.flush()?;
                            shared.delivered.fetch_max(delivered, Ordering::SeqCst);
                            since_flush = 0;
                        }
                    }
                    continue;
                }
                Next::Unacknowledged => break,
                Next::End => {}
            }
            // At the end of this segment for now: go on in the next one once
            // it exists (the appender never returns to an older segment).
            let next = spool::segments(&shared.dir)?
                .into_iter()
                .find(|(first, _)| *first > current.first);
            match next {
                Some(_) if current.drained()? => {
                    sink.flush()?;
                    shared.delivered.fetch_max(delivered, Ordering::SeqCst);
                    spool::write_delivered(&shared.dir, delivered)?;
                    persisted = delivered;
                    current.remove(shared);
                    reader = None;
                }
                Some(_) => {}
                None => break,
            }
        }
        sink.flush()?;
        shared.delivered.fetch_max(delivered, Ordering::SeqCst);
        drop(slot);
        delivered = delivered.max(shared.delivered.load(Ordering::SeqCst));
        let idle = delivered >= shared.written();
        // A segment the appender removed once everything was written (see
        // its `compact`) is let go, so that its disk space is freed.
        if idle
            && reader
                .as_ref()
                .is_some_and(|current| !current.path.exists())
        {
            reader = None;
        }
        let stopping = stop.load(Ordering::SeqCst);
        // Recording progress costs a file write and a rename: five times a
        // second is enough, since a crash only repeats what came after.
        if persisted != delivered
            && (stopping || last_persist.elapsed() > Duration::from_millis(200))
        {
            spool::write_delivered(&shared.dir, delivered)?;
            persisted = delivered;
            last_persist = Instant::now();
        }
        if idle && stopping {
            return Ok(());
        }
    }
}

/// Whether the last of the `size` bytes of `file` is a line break.
fn ends_a_line(file: &mut File, size: u64) -> io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let mut last = [0u8];
    file.seek(SeekFrom::Start(size - 1))?;
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

struct Sink {
    path: Option<PathBuf>,
    out: BufWriter<Box<dyn Write + Send>>,
    size: u64,
    rotate_bytes: Option<u64>,
    keep: usize,
}

impl Sink {
    fn open(config: &OutputConfig) -> io::Result<Sink> {
        let (out, size): (Box<dyn Write + Send>, u64) = match &config.path {
            None => (Box::new(io::stdout()), 0),
            Some(path) => {
                // Only a regular file is opened for reading too: opening a
                // FIFO that way would make this process its reader.
                let regular = fs::metadata(path).is_ok_and(|meta| meta.is_file());
                let mut file = OpenOptions::new()
                    .create(true)
                    .read(regular)
                    .append(true)
                    .open(path)?;
                let mut size = file.metadata()?.len();
                if regular && size > 0 && !ends_a_line(&mut file, size)? {
                    // A write that failed part-way (a full disk) left part of
                    // a line, whose event is written again in full: end the
                    // fragment so that it cannot run into the next line.
                    file.write_all(b"\n")?;
                    size += 1;
                    eprintln!(
                        "warning: {} ended in a partial line (from a write that failed); it \
                         is ended with a line break, and its event is written again in full",
                        path.display()
                    );
                }
                (Box::new(file), size)
            }
        };
        Ok(Sink {
            path: config.path.clone(),
            out: BufWriter::with_capacity(1 << 16, out),
            size,
            rotate_bytes: config.rotate_bytes,
            keep: config.keep.max(1),
        })
    }

    /// Writes whole lines: at once when the file need not rotate within
    /// them, else line by line.
    fn write_lines(&mut self, lines: &[u8]) -> io::Result<()> {
        let len = lines.len() as u64;
        if self
            .rotate_bytes
            .is_none_or(|limit| self.size + len <= limit)
        {
            self.out.write_all(lines)?;
            self.size += len;
            return Ok(());
        }
        lines
            .split_inclusive(|b| *b == b'\n')
            .try_for_each(|line| self.write_line(line))
    }

    fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        if let (Some(limit), true) = (self.rotate_bytes, self.size > 0)
            && self.size + line.len() as u64 > limit
        {
            self.rotate()?;
        }
        self.out.write_all(line)?;
        self.size += line.len() as u64;
        Ok(())
    }

    fn rotate(&mut self) -> io::Result<()> {
        let Some(path) = self.path.clone() else {
            return Ok(());
        };
        self.out.flush()?;
        let numbered = |n: usize| {
            let mut name = path.clone().into_os_string();
            name.push(format!(".{n}"));
            PathBuf::from(name)
        };
        for n in (1..self.keep).rev() {
            match fs::rename(numbered(n), numbered(n + 1)) {
                Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
                _ => {}
            }
        }
        fs::rename(&path, numbered(1))?;
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        self.out = BufWriter::with_capacity(1 << 16, Box::new(file));
        self.size = 0;
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A partial line left by a failed write is ended before the next line,
    /// so the two never run together.
    #[test]
    fn a_partial_last_line_is_ended_on_open() {
        let dir = crate::receive::scratch("output");
        let path = dir.join("out.jsonl");
        let config = OutputConfig {
            path: Some(path.clone()),
            rotate_bytes: None,
            keep: 1,
        };
        for (before, after) in [
            ("", "{\"seq\":1}\n"),
            ("{\"seq\":1}\n", "{\"seq\":1}\n{\"seq\":1}\n"),
            ("{\"seq\":1}\n{\"se", "{\"seq\":1}\n{\"se\n{\"seq\":1}\n"),
        ] {
            fs::write(&path, before).expect("write");
            let mut sink = Sink::open(&config).expect("open");
            sink.write_lines(b"{\"seq\":1}\n").expect("write");
            sink.flush().expect("flush");
            assert_eq!(fs::read_to_string(&path).expect("read"), after);
            assert_eq!(sink.size, after.len() as u64);
        }
        let _ = fs::remove_dir_all(&dir);
    }
}
