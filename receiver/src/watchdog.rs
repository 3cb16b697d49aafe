//! Cutting off slow and idle HTTP clients.
//!
//! hyper's own header timeout also runs while a keep-alive connection waits
//! for its next request, so it would close Dovecot's idle connections after
//! a few seconds. This watchdog tells the two apart: a request's head must
//! arrive within the header timeout of its first byte, and a connection
//! with no request under way may stay idle for the idle timeout.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// What one connection is doing, shared by its reader, its service and its
/// watchdog.
pub(crate) struct Watch {
    epoch: Instant,
    /// Milliseconds since `epoch` (plus one) when the bytes of a request
    /// head began to arrive; 0 when none is arriving.
    head_since: AtomicU64,
    /// When the connection last read or finished a request.
    active: AtomicU64,
    /// A request is with the service.
    busy: AtomicBool,
}

impl Watch {
    pub(crate) fn new() -> Arc<Watch> {
        Arc::new(Watch {
            epoch: Instant::now(),
            head_since: AtomicU64::new(0),
            active: AtomicU64::new(1),
            busy: AtomicBool::new(false),
        })
    }

    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX - 1) + 1
    }

    /// The service got a request: its head is complete.
    pub(crate) fn started(&self) {
        self.busy.store(true, Ordering::SeqCst);
        self.head_since.store(0, Ordering::SeqCst);
    }

    /// The service answered.
    pub(crate) fn finished(&self) {
        self.active.store(self.now(), Ordering::SeqCst);
        self.busy.store(false, Ordering::SeqCst);
    }

    /// Completes when the connection should be closed: a head arriving for
    /// longer than `header`, or nothing at all for longer than `idle`.
    pub(crate) async fn expired(&self, header: Duration, idle: Duration) {
        let (header, idle) = (millis(header), millis(idle));
        let tick = Duration::from_millis((header.min(idle) / 4).clamp(10, 1000));
        loop {
            tokio::time::sleep(tick).await;
            if self.busy.load(Ordering::SeqCst) {
                continue;
            }
            let now = self.now();
            let since = self.head_since.load(Ordering::SeqCst);
            if since != 0 && now.saturating_sub(since) > header {
                return;
            }
            if since == 0 && now.saturating_sub(self.active.load(Ordering::SeqCst)) > idle {
                return;
            }
        }
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A connection's socket, reporting reads to its [`Watch`].
pub(crate) struct Watched<T> {
    pub(crate) inner: T,
    pub(crate) watch: Arc<Watch>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            let watch = &self.watch;
            let now = watch.now();
            watch.active.store(now, Ordering::SeqCst);
            if !watch.busy.load(Ordering::SeqCst) {
                let _ =
                    watch
                        .head_since
                        .compare_exchange(0, now, Ordering::SeqCst, Ordering::SeqCst);
            }
        }
        poll
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
