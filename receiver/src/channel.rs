//! The simplest handler: a bounded queue of owned, typed events.

use std::time::Duration;

use dovecot_events::ExportedEvent;
use tokio::sync::mpsc;

use crate::{Format, Handler, Received, Refusal, Source};

/// One event taken from the queue.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivered {
    /// The typed event, owned.
    pub event: ExportedEvent<'static>,
    /// The serialisation it arrived in.
    pub format: Format,
    /// Where it came from.
    pub source: Source,
}

/// The receiving half of [`channel`].
#[derive(Debug)]
pub struct EventStream {
    rx: mpsc::Receiver<Delivered>,
}

impl EventStream {
    /// The next event, in order of acceptance; `None` once every server
    /// that feeds the queue has stopped and the queue is empty.
    pub async fn recv(&mut self) -> Option<Delivered> {
        self.rx.recv().await
    }

    /// The next event if one is waiting, without waiting.
    pub fn try_recv(&mut self) -> Option<Delivered> {
        self.rx.try_recv().ok()
    }
}

/// The handler half of [`channel`]: parses each event into its typed form
/// and queues it. Clone it to feed one queue from several servers.
#[derive(Clone, Debug)]
pub struct Channel {
    tx: mpsc::Sender<Delivered>,
    wait: Option<Duration>,
}

impl Channel {
    /// Waits at most `wait` for room in a full queue, then answers 503
    /// (the event is lost: Dovecot does not retry). Without this, a request
    /// waits as long as the queue stays full; Dovecot 2.4 gives up on a
    /// request after 250 ms by default, 2.3 after its `transport_timeout`.
    #[must_use]
    pub fn with_wait(mut self, wait: Duration) -> Self {
        self.wait = Some(wait);
        self
    }
}

/// A bounded queue of at most `capacity` typed events (at least 1) between
/// the servers and the application.
///
/// When the application falls behind and the queue is full, the next
/// request waits for room, so memory stays bounded and no event is dropped;
/// see [`Channel::with_wait`] to bound the wait instead.
#[must_use]
pub fn channel(capacity: usize) -> (Channel, EventStream) {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    (Channel { tx, wait: None }, EventStream { rx })
}

impl Handler for Channel {
    async fn event(&self, received: Received) -> Result<(), Refusal> {
        let event = received
            .parse()
            .map_err(|error| Refusal::Malformed(error.to_string()))?
            .into_owned();
        let delivered = Delivered {
            event,
            format: received.format,
            source: received.source,
        };
        let closed = || Refusal::Unavailable("the application stopped reading events".to_owned());
        match self.wait {
            None => self.tx.send(delivered).await.map_err(|_| closed()),
            Some(wait) => match self.tx.send_timeout(delivered, wait).await {
                Ok(()) => Ok(()),
                Err(mpsc::error::SendTimeoutError::Timeout(_)) => Err(Refusal::Unavailable(
                    format!("the queue stayed full for {} ms", wait.as_millis()),
                )),
                Err(mpsc::error::SendTimeoutError::Closed(_)) => Err(closed()),
            },
        }
    }
}
