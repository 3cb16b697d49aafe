//! A live receiver for [Dovecot](https://www.dovecot.org/)'s event exporter.
//!
//! Dovecot's stats process sends each exported event once and forgets it:
//! the `http-post` driver posts one event per request and does not retry
//! or buffer, so an endpoint that is slow or down loses events. This crate
//! is the receiving end, on tokio and hyper:
//!
//! - [`serve_http`]: the endpoint for `transport = http-post` (2.3) and
//!   `driver = http-post` (2.4). The format comes from the request's
//!   Content-Type (`application/json` for `format = json`, `text/plain` for
//!   `format = tab-text`), either time format; keep-alive and pipelined
//!   requests are served in order per connection. Each request is answered
//!   only once the application's [`Handler`] has taken the event, so a 2xx
//!   means the event is kept. Bodies are bounded, slow clients are cut off
//!   and malformed requests get a 4xx naming the problem.
//! - [`serve_unix`] and [`follow_file`]: 2.4's `unix` and `file` drivers,
//!   which write one event per line; the same parsers read each line.
//! - [`channel`]: the simplest [`Handler`], a bounded queue of owned, typed
//!   [`ExportedEvent`]s. When the application falls behind, the queue fills
//!   and the next request waits for room (back-pressure) instead of memory
//!   growing.
//! - [`Workers`]: threads with a single-threaded runtime each, which
//!   `serve_http` can hand connections to, so that each connection is
//!   served on one thread for its whole life.
//!
//! ```no_run
//! use dovecot_events_receiver::{HttpConfig, channel, serve_http};
//!
//! # async fn run() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8090").await?;
//! let (sink, mut events) = channel(1024);
//! tokio::spawn(serve_http(listener, sink, HttpConfig::default(), std::future::pending()));
//! while let Some(delivered) = events.recv().await {
//!     println!("{:?} from {:?}", delivered.event.name(), delivered.source);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The typed events are those of the release whose version feature the
//! application enables on `dovecot-events` (its default is the newest);
//! this crate enables none itself. Programs that want the events without
//! the schema's types implement [`Handler`] and call
//! [`Received::parse_raw`]. `examples/print_events.rs` is a complete
//! program.

#![deny(missing_docs)]

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use dovecot_events::{Error, ExportedEvent, RawEvent};

mod channel;
mod http;
mod lines;
mod watchdog;
mod workers;

pub use channel::{Channel, Delivered, EventStream, channel};
pub use http::{HttpConfig, serve_http};
pub use lines::{FollowConfig, LineConfig, StartAt, follow_file, serve_unix};
pub use workers::Workers;

/// The two serialisations of Dovecot's event exporter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// `format = json`, sent as `application/json`.
    Json,
    /// `format = tab-text`, sent as `text/plain`.
    TabText,
}

impl Format {
    /// The format an http-post request's Content-Type names, ignoring
    /// parameters such as `charset` and letter case; `None` for any other
    /// type.
    ///
    /// ```
    /// use dovecot_events_receiver::Format;
    /// assert_eq!(Format::from_content_type("application/json"), Some(Format::Json));
    /// assert_eq!(Format::from_content_type("Text/Plain; charset=utf-8"), Some(Format::TabText));
    /// assert_eq!(Format::from_content_type("text/html"), None);
    /// ```
    #[must_use]
    pub fn from_content_type(value: &str) -> Option<Format> {
        let essence = value.split(';').next().unwrap_or_default().trim();
        if essence.eq_ignore_ascii_case("application/json") {
            Some(Format::Json)
        } else if essence.eq_ignore_ascii_case("text/plain") {
            Some(Format::TabText)
        } else {
            None
        }
    }

    /// The format of one line of the `file` or `unix` driver, which carry
    /// no type: a JSON event starts with `{`.
    #[must_use]
    pub fn detect(line: &[u8]) -> Format {
        match line.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => Format::Json,
            _ => Format::TabText,
        }
    }

    /// The format's name as Dovecot's `format` setting spells it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::TabText => "tab-text",
        }
    }
}

/// Where an event came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// An http-post request: the connection's number (counted from 1 per
    /// server), the request's number on it, and the peer.
    Http {
        /// The connection, numbered in order of acceptance.
        connection: u64,
        /// The request on that connection, from 1.
        request: u64,
        /// The client's address.
        peer: SocketAddr,
    },
    /// A line from a connection to the unix socket.
    Unix {
        /// The connection, numbered in order of acceptance.
        connection: u64,
        /// The line on that connection, from 1.
        line: u64,
    },
    /// A line of a followed file.
    File {
        /// The file's inode, to tell a rotated file from its successor.
        inode: u64,
        /// The offset just past the line's line break.
        end: u64,
    },
}

/// One exported event as it arrived, before parsing.
#[derive(Clone, Debug)]
pub struct Received {
    /// The event exactly as sent, without a line break.
    pub body: Bytes,
    /// Its serialisation.
    pub format: Format,
    /// Where it came from.
    pub source: Source,
}

impl Received {
    /// Parses the event into its typed form, borrowing from the body.
    /// Tab-text bytes that are not UTF-8 are replaced, as Dovecot's own JSON
    /// exporter does.
    ///
    /// # Errors
    ///
    /// The body is not one event of its format.
    pub fn parse(&self) -> Result<ExportedEvent<'_>, Error> {
        match self.format {
            Format::Json => dovecot_events::json::from_slice(&self.body),
            Format::TabText => dovecot_events::tab_text::from_slice_lossy(&self.body),
        }
    }

    /// Parses the event without the schema's types ([`RawEvent`]), by the
    /// same rules as [`Received::parse`].
    ///
    /// # Errors
    ///
    /// As [`Received::parse`].
    pub fn parse_raw(&self) -> Result<RawEvent<'_>, Error> {
        match self.format {
            Format::Json => dovecot_events::json::from_slice_raw(&self.body),
            Format::TabText => dovecot_events::tab_text::from_slice_lossy_raw(&self.body),
        }
    }
}

/// Why a [`Handler`] did not take an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The body is not an event (answered 400 Bad Request).
    Malformed(String),
    /// The event could not be kept (answered 503 Service Unavailable).
    Unavailable(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Malformed(why) => write!(f, "not an exported event: {why}"),
            Refusal::Unavailable(why) => write!(f, "the event could not be kept: {why}"),
        }
    }
}

/// A request or line the receiver turned away before it reached the
/// handler, or that the handler refused; see [`Handler::rejected`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// A POST whose Content-Type is neither JSON nor plain text.
    ContentType(String),
    /// A body or line longer than the configured limit.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The client sent its body too slowly.
    Timeout,
    /// A method or path the receiver does not serve.
    NotFound,
    /// The body could not be read (the connection broke).
    Broken(String),
    /// The handler refused the event.
    Refused(Refusal),
}

impl Rejection {
    /// A short label for counting rejections (`content_type`, `too_large`,
    /// `timeout`, `not_found`, `broken`, `malformed`, `unavailable`).
    #[must_use]
    pub fn reason(&self) -> &'static str {
        match self {
            Rejection::ContentType(_) => "content_type",
            Rejection::TooLarge { .. } => "too_large",
            Rejection::Timeout => "timeout",
            Rejection::NotFound => "not_found",
            Rejection::Broken(_) => "broken",
            Rejection::Refused(Refusal::Malformed(_)) => "malformed",
            Rejection::Refused(Refusal::Unavailable(_)) => "unavailable",
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::ContentType(value) => write!(
                f,
                "unsupported Content-Type `{value}`; Dovecot sends application/json \
                 (format = json) or text/plain (format = tab-text)"
            ),
            Rejection::TooLarge { limit } => {
                write!(f, "the event is longer than the limit of {limit} bytes")
            }
            Rejection::Timeout => f.write_str("the client sent its request too slowly"),
            Rejection::NotFound => {
                f.write_str("only POST requests carry events; GET serves the receiver's pages")
            }
            Rejection::Broken(why) => write!(f, "the request could not be read: {why}"),
            Rejection::Refused(refusal) => refusal.fmt(f),
        }
    }
}

/// A page the application serves over GET next to the events (metrics, a
/// report).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    /// The Content-Type.
    pub content_type: &'static str,
    /// The body.
    pub body: Vec<u8>,
}

/// What the application does with each event.
///
/// [`Handler::event`] is called once per event, in arrival order per
/// connection (the next request on a connection is read only after the
/// previous one was answered). The request is answered 204 once it returns
/// `Ok`, so it should return as soon as the event is safely kept and no
/// sooner.
pub trait Handler: Send + Sync + 'static {
    /// Takes one event.
    fn event(&self, event: Received) -> impl Future<Output = Result<(), Refusal>> + Send;

    /// Serves `GET path` (with the query string, if any); `None` answers
    /// 404.
    fn page(&self, path: &str, query: Option<&str>) -> Option<Page> {
        let _ = (path, query);
        None
    }

    /// Learns of a request or line that was turned away, for counting.
    fn rejected(&self, rejection: &Rejection) {
        let _ = rejection;
    }
}

impl<H: Handler> Handler for Arc<H> {
    fn event(&self, event: Received) -> impl Future<Output = Result<(), Refusal>> + Send {
        (**self).event(event)
    }

    fn page(&self, path: &str, query: Option<&str>) -> Option<Page> {
        (**self).page(path, query)
    }

    fn rejected(&self, rejection: &Rejection) {
        (**self).rejected(rejection);
    }
}
