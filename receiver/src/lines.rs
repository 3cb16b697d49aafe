//! Dovecot 2.4's `unix` and `file` drivers: one event per line, each
//! followed by a line feed.

use std::future::Future;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt};
use tokio::net::UnixListener;

use crate::{Format, Handler, Received, Rejection, Source};

/// Limits of [`serve_unix`].
#[derive(Clone, Debug)]
pub struct LineConfig {
    /// The longest line accepted, in bytes (default 1 MiB); a longer one
    /// is skipped up to its line break and reported as
    /// [`Rejection::TooLarge`].
    pub max_line: usize,
    /// Once shutdown begins, how long a connection may stay quiet before
    /// it is closed (default 200 ms): what Dovecot already wrote is still
    /// read.
    pub drain_quiet: Duration,
    /// The socket's permission bits (default `0o660`): Dovecot's stats
    /// process needs write permission to connect.
    pub mode: u32,
}

impl Default for LineConfig {
    fn default() -> Self {
        LineConfig {
            max_line: 1 << 20,
            drain_quiet: Duration::from_millis(200),
            mode: 0o660,
        }
    }
}

/// Accepts the `unix` driver's connections on a socket at `path` until
/// `shutdown` completes; then reads what each connection already sent and
/// returns.
///
/// A stale socket file left at `path` by an earlier run is replaced; any
/// other file there is an error. The socket gets [`LineConfig::mode`]:
/// Dovecot's stats process must be able to connect to it. Each line
/// is detected as JSON (starting with `{`) or tab-text, and handed to
/// [`Handler::event`]; the next line of a connection is read only once the
/// handler took the previous one. The driver cannot be told about a
/// refusal, so a refused line is reported to [`Handler::rejected`] only.
///
/// # Errors
///
/// The socket could not be created.
pub async fn serve_unix<H: Handler>(
    path: &Path,
    handler: H,
    config: LineConfig,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => std::fs::remove_file(path)?,
        Ok(_) => {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a socket", path.display()),
            ));
        }
        Err(_) => {}
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(config.mode))?;
    let handler = Arc::new(handler);
    let config = Arc::new(config);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    let connections = AtomicU64::new(0);
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        let connection = connections.fetch_add(1, Ordering::Relaxed) + 1;
        let (handler, config, mut stop) = (handler.clone(), config.clone(), stop_rx.clone());
        tasks.spawn(async move {
            let mut lines = LineReader::new(stream, config.max_line);
            let mut number = 0u64;
            loop {
                let next = if *stop.borrow() {
                    match tokio::time::timeout(config.drain_quiet, lines.next()).await {
                        Ok(next) => next,
                        Err(_) => break,
                    }
                } else {
                    tokio::select! {
                        next = lines.next() => next,
                        _ = stop.changed() => continue,
                    }
                };
                let body = match next {
                    Ok(Some(Line::Event(body))) => body,
                    Ok(Some(Line::TooLong)) => {
                        handler.rejected(&Rejection::TooLarge {
                            limit: config.max_line,
                        });
                        continue;
                    }
                    Ok(None) => break,
                    Err(error) => {
                        handler.rejected(&Rejection::Broken(error.to_string()));
                        break;
                    }
                };
                number += 1;
                let received = Received {
                    format: Format::detect(&body),
                    body,
                    source: Source::Unix {
                        connection,
                        line: number,
                    },
                };
                if let Err(refusal) = handler.event(received).await {
                    handler.rejected(&Rejection::Refused(refusal));
                }
            }
        });
        // Finished connections leave their results behind; collect them.
        while tasks.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = std::fs::remove_file(path);
    let _ = stop_tx.send(true);
    while tasks.join_next().await.is_some() {}
    Ok(())
}

/// Where [`follow_file`] starts reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartAt {
    /// At the start of the file.
    Start,
    /// At its current end: only events written from now on.
    End,
    /// At this offset of the file with this inode (a position a previous
    /// run reported in [`Source::File`]); at the start when the file is
    /// another one now (it was rotated) or shorter (it was truncated).
    Resume {
        /// The inode the offset belongs to.
        inode: u64,
        /// The offset.
        offset: u64,
    },
}

/// Options of [`follow_file`].
#[derive(Clone, Debug)]
pub struct FollowConfig {
    /// Where to start.
    pub start: StartAt,
    /// The longest line accepted (default 1 MiB), as [`LineConfig::max_line`].
    pub max_line: usize,
    /// How often to look for new lines at the end of the file (default
    /// 100 ms).
    pub poll: Duration,
}

impl Default for FollowConfig {
    fn default() -> Self {
        FollowConfig {
            start: StartAt::Start,
            max_line: 1 << 20,
            poll: Duration::from_millis(100),
        }
    }
}

/// Follows the file that the `file` driver appends to, like `tail -F`,
/// until `shutdown` completes; then reads to the end of the file and
/// returns.
///
/// The file may not exist yet. When it is renamed away and recreated
/// (log rotation, after which Dovecot reopens it), the old file is read to
/// its end before the new one is opened; when it is truncated, reading
/// starts again at its beginning. Each complete line goes to
/// [`Handler::event`] with its position in [`Source::File`]; a refused line
/// is reported to [`Handler::rejected`].
///
/// # Errors
///
/// Reading the file failed other than by its absence.
pub async fn follow_file<H: Handler>(
    path: PathBuf,
    handler: H,
    config: FollowConfig,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let mut start = config.start;
    let mut stopping = false;
    tokio::pin!(shutdown);
    'files: loop {
        let mut file = loop {
            match tokio::fs::File::open(&path).await {
                Ok(file) => break file,
                Err(error) if error.kind() == io::ErrorKind::NotFound => {
                    if stopping {
                        return Ok(());
                    }
                    tokio::select! {
                        () = &mut shutdown => stopping = true,
                        () = tokio::time::sleep(config.poll) => {}
                    }
                }
                Err(error) => return Err(error),
            }
        };
        let meta = file.metadata().await?;
        let inode = meta.ino();
        let mut offset = match start {
            StartAt::Start => 0,
            StartAt::End => meta.len(),
            StartAt::Resume { inode: at, offset } if at == inode && offset <= meta.len() => offset,
            StartAt::Resume { .. } => 0,
        };
        file.seek(io::SeekFrom::Start(offset)).await?;
        // A file opened after rotation is new: read it from its start.
        start = StartAt::Start;
        let mut lines = LineReader::new(file, config.max_line);
        lines.consumed = offset;
        loop {
            match lines.next().await? {
                Some(Line::Event(body)) => {
                    offset = lines.consumed;
                    if body.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    let received = Received {
                        format: Format::detect(&body),
                        body,
                        source: Source::File { inode, end: offset },
                    };
                    if let Err(refusal) = handler.event(received).await {
                        handler.rejected(&Rejection::Refused(refusal));
                    }
                }
                Some(Line::TooLong) => {
                    handler.rejected(&Rejection::TooLarge {
                        limit: config.max_line,
                    });
                }
                None => {
                    // At the end for now: a partial line waits in the
                    // reader for its line break.
                    match std::fs::metadata(&path) {
                        Ok(now) if now.ino() != inode => continue 'files,
                        Ok(now) if now.len() < lines.consumed => {
                            start = StartAt::Start;
                            continue 'files;
                        }
                        // Renamed away and not recreated yet: the old file
                        // is read on until a new one appears.
                        _ if stopping => return Ok(()),
                        _ => {}
                    }
                    tokio::select! {
                        () = &mut shutdown, if !stopping => stopping = true,
                        () = tokio::time::sleep(config.poll) => {}
                    }
                    lines.resume();
                }
            }
        }
    }
}

enum Line {
    Event(Bytes),
    TooLong,
}

/// Splits a byte stream into lines of at most `max` bytes. At the end of
/// the input it returns `None` and keeps a partial line, so a followed file
/// can be read on after it grew ([`LineReader::resume`]).
struct LineReader<R> {
    input: R,
    buffer: BytesMut,
    max: usize,
    /// Skipping the rest of a line that is too long.
    skipping: bool,
    at_end: bool,
    /// Bytes consumed from the input up to the last complete line.
    consumed: u64,
}

impl<R: AsyncRead + Unpin> LineReader<R> {
    fn new(input: R, max: usize) -> Self {
        LineReader {
            input,
            buffer: BytesMut::with_capacity(64 << 10),
            max,
            skipping: false,
            at_end: false,
            consumed: 0,
        }
    }

    fn resume(&mut self) {
        self.at_end = false;
    }

    async fn next(&mut self) -> io::Result<Option<Line>> {
        let mut searched = 0;
        loop {
            if let Some(at) = self.buffer[searched..].iter().position(|b| *b == b'\n') {
                let mut line = self.buffer.split_to(searched + at + 1);
                self.consumed += line.len() as u64;
                line.truncate(line.len() - 1);
                if self.skipping || line.len() > self.max {
                    self.skipping = false;
                    return Ok(Some(Line::TooLong));
                }
                if line.last() == Some(&b'\r') {
                    line.truncate(line.len() - 1);
                }
                if line.is_empty() {
                    searched = 0;
                    continue;
                }
                return Ok(Some(Line::Event(line.freeze())));
            }
            searched = self.buffer.len();
            if self.buffer.len() > self.max {
                // Too long: drop what is held and skip to the line break.
                self.consumed += self.buffer.len() as u64;
                self.buffer.clear();
                searched = 0;
                self.skipping = true;
            }
            if self.at_end {
                return Ok(None);
            }
            self.buffer.reserve(64 << 10);
            if self.input.read_buf(&mut self.buffer).await? == 0 {
                self.at_end = true;
                return Ok(None);
            }
        }
    }
}
