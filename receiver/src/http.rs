//! The endpoint of the `http-post` driver.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use crate::watchdog::{Watch, Watched};
use crate::{Format, Handler, Received, Refusal, Rejection, Source};

/// Limits of [`serve_http`].
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// The longest body accepted, in bytes (default 1 MiB). A longer one is
    /// answered 413 and its connection closed, without reading it.
    pub max_body: usize,
    /// How long a client may take to send a request's headers from their
    /// first byte (default 10 s); slower clients are disconnected.
    pub header_timeout: Duration,
    /// How long a keep-alive connection may wait for its next request
    /// (default 5 min; Dovecot reconnects when it has the next event).
    pub idle_timeout: Duration,
    /// How long a client may take to send a body once its headers arrived
    /// (default 10 s); slower ones get 408 and are disconnected.
    pub body_timeout: Duration,
    /// How many connections are served at once (default 512); further
    /// clients wait in the listen queue.
    pub max_connections: usize,
    /// How long open connections may take to finish once shutdown begins
    /// (default 10 s).
    pub shutdown_grace: Duration,
    /// Runtimes to serve the connections on, in turn, each connection on
    /// one for its whole life (default: none, every connection is a task
    /// of the runtime `serve_http` runs on). [`Workers`](crate::Workers)
    /// starts one single-threaded runtime per thread for this.
    pub runtimes: Vec<tokio::runtime::Handle>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            max_body: 1 << 20,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(300),
            body_timeout: Duration::from_secs(10),
            max_connections: 512,
            shutdown_grace: Duration::from_secs(10),
            runtimes: Vec::new(),
        }
    }
}

/// Serves Dovecot's http-post exporters on `listener` until `shutdown`
/// completes, then stops accepting, lets every open connection finish the
/// request it is in (up to [`HttpConfig::shutdown_grace`]) and returns.
///
/// Every POST, whatever its path, carries one event: its Content-Type
/// chooses the [`Format`], the body goes to [`Handler::event`] and the
/// answer is 204 once that returns `Ok`, 400 or 503 when it refuses.
/// Requests that cannot be events get a 4xx that says why: 415 for another
/// Content-Type, 413 for a body over [`HttpConfig::max_body`], 408 for a
/// body sent too slowly, 405 for other methods. GET requests are served by
/// [`Handler::page`].
///
/// Each connection is a task of the runtime this runs on or, when
/// [`HttpConfig::runtimes`] names some, of those in turn.
///
/// # Errors
///
/// Accepting a connection failed for a reason other than a passing one
/// (too many open files, a connection reset before it was accepted).
pub async fn serve_http<H: Handler>(
    listener: TcpListener,
    handler: H,
    config: HttpConfig,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let handler = Arc::new(handler);
    let config = Arc::new(config);
    let slots = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let connections = AtomicU64::new(0);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) if passing(&error) => {
                    // Out of file descriptors and the like: wait instead of
                    // spinning, the condition usually clears.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
                Err(error) => return Err(error),
            },
        };
        let _ = stream.set_nodelay(true);
        let connection = connections.fetch_add(1, Ordering::Relaxed) + 1;
        let watch = Watch::new();
        // One value per connection for what its requests share: cloning it
        // per request touches only this connection's counter, not one
        // every thread updates.
        let state = Arc::new(ConnectionState {
            handler: handler.clone(),
            config: config.clone(),
            watch: watch.clone(),
            requests: AtomicU64::new(0),
        });
        let service = service_fn(move |request| {
            let number = state.requests.fetch_add(1, Ordering::Relaxed) + 1;
            let source = Source::Http {
                connection,
                request: number,
                peer,
            };
            state.watch.started();
            let state = state.clone();
            async move {
                let reply = respond(request, &*state.handler, &state.config, source).await;
                state.watch.finished();
                reply
            }
        });
        // With runtimes to serve on, the socket moves to the one whose turn
        // it is: registered with that runtime's reactor, it is served there.
        let runtime = match config.runtimes.len() {
            0 => None,
            count => Some(&config.runtimes[usize::try_from(connection - 1).unwrap_or(0) % count]),
        };
        let stream = match runtime {
            None => stream,
            Some(runtime) => {
                let _entered = runtime.enter();
                match stream.into_std().and_then(TcpStream::from_std) {
                    Ok(stream) => stream,
                    Err(_) => continue,
                }
            }
        };
        let io = Watched {
            inner: stream,
            watch: watch.clone(),
        };
        let conn = http1::Builder::new()
            .keep_alive(true)
            .pipeline_flush(true)
            .max_buf_size(64 << 10)
            .serve_connection(TokioIo::new(io), service);
        let conn = graceful.watch(conn);
        let (header, idle) = (config.header_timeout, config.idle_timeout);
        let serve = async move {
            // A client that breaks its connection is its own business; one
            // that is too slow is dropped, which closes its socket.
            tokio::select! {
                _ = conn => {}
                () = watch.expired(header, idle) => {}
            }
            drop(permit);
        };
        match runtime {
            None => tokio::spawn(serve),
            Some(runtime) => runtime.spawn(serve),
        };
    }
    drop(listener);
    let _ = tokio::time::timeout(config.shutdown_grace, graceful.shutdown()).await;
    Ok(())
}

fn passing(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    ) || matches!(error.raw_os_error(), Some(23 | 24))
}

type Reply = Response<Full<Bytes>>;

/// What the requests of one connection share.
struct ConnectionState<H> {
    handler: Arc<H>,
    config: Arc<HttpConfig>,
    watch: Arc<Watch>,
    requests: AtomicU64,
}

async fn respond<H: Handler>(
    request: Request<Incoming>,
    handler: &H,
    config: &HttpConfig,
    source: Source,
) -> Result<Reply, std::convert::Infallible> {
    let reply = match *request.method() {
        Method::POST => post(request, handler, config, source).await,
        Method::GET | Method::HEAD => {
            let uri = request.uri();
            match handler.page(uri.path(), uri.query()) {
                Some(page) => {
                    let mut reply = Response::new(Full::new(Bytes::from(page.body)));
                    reply
                        .headers_mut()
                        .insert(CONTENT_TYPE, HeaderValue::from_static(page.content_type));
                    reply
                }
                None => text(StatusCode::NOT_FOUND, "no such page\n".to_owned()),
            }
        }
        _ => {
            let rejection = Rejection::NotFound;
            handler.rejected(&rejection);
            text(StatusCode::METHOD_NOT_ALLOWED, format!("{rejection}\n"))
        }
    };
    Ok(reply)
}

async fn post<H: Handler>(
    request: Request<Incoming>,
    handler: &H,
    config: &HttpConfig,
    source: Source,
) -> Reply {
    let reject = |status: StatusCode, rejection: Rejection, close: bool| {
        handler.rejected(&rejection);
        let mut reply = text(status, format!("{rejection}\n"));
        if close {
            reply
                .headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
        }
        reply
    };
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .map(|value| String::from_utf8_lossy(value.as_bytes()))
        .unwrap_or_default();
    let Some(format) = Format::from_content_type(&content_type) else {
        // The body is left unread, so the connection cannot go on.
        return reject(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Rejection::ContentType(content_type.into_owned()),
            true,
        );
    };
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    let too_large = Rejection::TooLarge {
        limit: config.max_body,
    };
    if declared.is_some_and(|length| length > config.max_body as u64) {
        return reject(StatusCode::PAYLOAD_TOO_LARGE, too_large, true);
    }
    let mut body = std::pin::pin!(Limited::new(request.into_body(), config.max_body).collect());
    // Dovecot's small bodies are usually read with the head: only a body
    // still on its way needs the timer (arming one for every request cost
    // more than the rest of reading it).
    let ready = std::future::poll_fn(|cx| Poll::Ready(body.as_mut().poll(cx))).await;
    let body = match ready {
        Poll::Ready(done) => Ok(done),
        Poll::Pending => tokio::time::timeout(config.body_timeout, body).await,
    };
    let body = match body {
        Err(_) => return reject(StatusCode::REQUEST_TIMEOUT, Rejection::Timeout, true),
        Ok(Err(error)) if error.is::<http_body_util::LengthLimitError>() => {
            return reject(StatusCode::PAYLOAD_TOO_LARGE, too_large, true);
        }
        Ok(Err(error)) => {
            return reject(
                StatusCode::BAD_REQUEST,
                Rejection::Broken(error.to_string()),
                true,
            );
        }
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    let received = Received {
        body,
        format,
        source,
    };
    match handler.event(received).await {
        Ok(()) => {
            let mut reply = Response::new(Full::new(Bytes::new()));
            *reply.status_mut() = StatusCode::NO_CONTENT;
            reply
        }
        Err(refusal) => {
            let status = match refusal {
                Refusal::Malformed(_) => StatusCode::BAD_REQUEST,
                Refusal::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            };
            reject(status, Rejection::Refused(refusal), false)
        }
    }
}

fn text(status: StatusCode, body: String) -> Reply {
    let mut reply = Response::new(Full::new(Bytes::from(body)));
    *reply.status_mut() = status;
    reply.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    reply
}
