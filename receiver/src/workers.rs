//! Threads that each run a single-threaded runtime, for [`serve_http`] to
//! hand connections to.
//!
//! [`serve_http`]: crate::serve_http

use std::io;
use std::thread::JoinHandle;

use tokio::runtime::Handle;
use tokio::sync::oneshot;

/// Threads, each running a single-threaded tokio runtime, that
/// [`serve_http`](crate::serve_http) hands connections to in turn when
/// their handles are in [`HttpConfig::runtimes`](crate::HttpConfig::runtimes).
///
/// A connection then stays on one thread for its whole life: each request
/// is read, handled and answered there, never handed between threads by
/// the work-stealing scheduler, and a thread with nothing to do sleeps
/// until its own sockets have data. On `dovecot-eventgen receive` this
/// took about 5% off the CPU time of each request and 15% off its median
/// latency (interleaved runs of the benchmark in that crate).
///
/// Keep the `Workers` until `serve_http` has returned: the connections it
/// lets finish at shutdown run on these threads. Dropping it stops the
/// threads (what still runs on them is cancelled) and waits for them.
///
/// ```no_run
/// use dovecot_events_receiver::{HttpConfig, Workers, channel, serve_http};
///
/// # async fn run() -> std::io::Result<()> {
/// let workers = Workers::start(4)?;
/// let config = HttpConfig {
///     runtimes: workers.handles(),
///     ..HttpConfig::default()
/// };
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8090").await?;
/// let (sink, _events) = channel(1024);
/// serve_http(listener, sink, config, std::future::pending()).await?;
/// drop(workers);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Workers {
    handles: Vec<Handle>,
    threads: Vec<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl Workers {
    /// Starts `count` threads (at least one), named `receiver-N`.
    ///
    /// # Errors
    ///
    /// A thread or its runtime could not be created; the threads started
    /// before it are stopped again.
    pub fn start(count: usize) -> io::Result<Workers> {
        let mut workers = Workers {
            handles: Vec::new(),
            threads: Vec::new(),
        };
        for number in 0..count.max(1) {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let handle = runtime.handle().clone();
            let (stop, stopped) = oneshot::channel::<()>();
            let thread = std::thread::Builder::new()
                .name(format!("receiver-{number}"))
                .spawn(move || {
                    // Runs the tasks handed to this runtime until stopped;
                    // the runtime and what is left on it go with the thread.
                    let _ = runtime.block_on(stopped);
                })?;
            workers.handles.push(handle);
            workers.threads.push((stop, thread));
        }
        Ok(workers)
    }

    /// The runtimes' handles, for [`HttpConfig::runtimes`](crate::HttpConfig::runtimes).
    #[must_use]
    pub fn handles(&self) -> Vec<Handle> {
        self.handles.clone()
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        let current = std::thread::current().id();
        for (stop, thread) in self.threads.drain(..) {
            let _ = stop.send(());
            // Dropped on one of its own threads, that thread stops once
            // it returns to its runtime; it cannot wait for itself.
            if thread.thread().id() != current {
                let _ = thread.join();
            }
        }
    }
}
