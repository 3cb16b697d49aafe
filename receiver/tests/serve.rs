//! The library on its own: the http-post endpoint feeding the typed
//! channel, with keep-alive and pipelined requests as Dovecot's HTTP client
//! sends them, and the unix socket.

use std::io::{Read, Write};
use std::time::Duration;

use dovecot_events::Event;
use dovecot_events_receiver::{
    Format, HttpConfig, LineConfig, Source, channel, serve_http, serve_unix,
};

fn capture(file: &str) -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/exports/2.4.1")
        .join(file);
    std::fs::read_to_string(path)
        .expect("fixture")
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

fn request(content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_requests_arrive_typed_and_in_order() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let (sink, mut events) = channel(16);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_http(listener, sink, HttpConfig::default(), async {
        let _ = stopped.await;
    }));

    let json = capture("json-unix.jsonl");
    let tab = capture("tab-text.txt");
    let count = json.len().min(tab.len()).min(100);
    let client = std::thread::spawn(move || {
        let mut stream = std::net::TcpStream::connect(address).expect("connect");
        // Every request in one write: pipelined on one keep-alive
        // connection, more than the queue holds (back-pressure).
        let mut all = Vec::new();
        for i in 0..count {
            all.extend(request("application/json", &json[i]));
            all.extend(request("text/plain; charset=utf-8", &tab[i]));
        }
        stream.write_all(&all).expect("write");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let mut answers = Vec::new();
        let mut buffer = [0; 65536];
        while answers.windows(12).filter(|w| w == b"HTTP/1.1 204").count() < count * 2 {
            let n = stream.read(&mut buffer).expect("read");
            assert!(n > 0, "connection closed early");
            answers.extend_from_slice(&buffer[..n]);
        }
    });

    let mut previous = 0;
    for i in 0..count * 2 {
        let delivered = events.recv().await.expect("an event");
        let Source::Http {
            request,
            connection,
            ..
        } = delivered.source
        else {
            panic!("not from http: {:?}", delivered.source);
        };
        assert_eq!(connection, 1);
        assert!(request > previous, "out of order");
        previous = request;
        let expected = if i % 2 == 0 {
            Format::Json
        } else {
            Format::TabText
        };
        assert_eq!(delivered.format, expected);
        assert!(
            !matches!(delivered.event.event, Event::Unknown(_)),
            "{:?}",
            delivered.event.name()
        );
    }
    client.join().expect("client");
    let _ = stop.send(());
    server.await.expect("join").expect("serve");
    assert!(
        events.recv().await.is_none(),
        "the queue ends with the server"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unix_socket_lines() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("receiver-unix");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("events.sock");
    let (sink, mut events) = channel(4);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let socket = path.clone();
    let server = tokio::spawn(async move {
        serve_unix(&socket, sink, LineConfig::default(), async {
            let _ = stopped.await;
        })
        .await
    });
    while !path.exists() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let lines = capture("json-rfc3339.jsonl");
    let count = lines.len().min(20);
    let writer = std::thread::spawn(move || {
        let mut stream = std::os::unix::net::UnixStream::connect(path).expect("connect");
        for line in &lines[..count] {
            stream.write_all(line.as_bytes()).expect("write");
            stream.write_all(b"\n").expect("write");
        }
    });
    for line in 1..=count as u64 {
        let delivered = events.recv().await.expect("an event");
        assert_eq!(
            delivered.source,
            Source::Unix {
                connection: 1,
                line
            }
        );
        assert_eq!(delivered.format, Format::Json);
    }
    writer.join().expect("writer");
    let _ = stop.send(());
    server.await.expect("join").expect("serve");
}

/// Records on which thread each connection's events were handled.
struct Threads(std::sync::Mutex<Vec<(u64, String)>>);

impl dovecot_events_receiver::Handler for Threads {
    async fn event(
        &self,
        received: dovecot_events_receiver::Received,
    ) -> Result<(), dovecot_events_receiver::Refusal> {
        let Source::Http { connection, .. } = received.source else {
            panic!("not from http");
        };
        let thread = std::thread::current().name().unwrap_or_default().to_owned();
        self.0.lock().expect("lock").push((connection, thread));
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn connections_are_served_in_turn_on_the_worker_threads() {
    let workers = dovecot_events_receiver::Workers::start(2).expect("workers");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let handler = std::sync::Arc::new(Threads(std::sync::Mutex::new(Vec::new())));
    let config = HttpConfig {
        runtimes: workers.handles(),
        ..HttpConfig::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_http(listener, handler.clone(), config, async {
        let _ = stopped.await;
    }));
    let json = capture("json-unix.jsonl");
    let client = std::thread::spawn(move || {
        // Four connections, one after another, two events each.
        for _ in 0..4 {
            let mut stream = std::net::TcpStream::connect(address).expect("connect");
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .expect("timeout");
            let mut all = request("application/json", &json[0]);
            all.extend(request("application/json", &json[1]));
            stream.write_all(&all).expect("write");
            let mut answers = Vec::new();
            let mut buffer = [0; 4096];
            while answers.windows(12).filter(|w| w == b"HTTP/1.1 204").count() < 2 {
                let n = stream.read(&mut buffer).expect("read");
                assert!(n > 0, "connection closed early");
                answers.extend_from_slice(&buffer[..n]);
            }
        }
    });
    tokio::task::spawn_blocking(move || client.join().expect("client"))
        .await
        .expect("join");
    let _ = stop.send(());
    server.await.expect("join").expect("serve");
    drop(workers);
    let seen = handler.0.lock().expect("lock").clone();
    let expected: Vec<(u64, String)> = (1..=4u64)
        .flat_map(|connection| {
            let thread = format!("receiver-{}", (connection - 1) % 2);
            [(connection, thread.clone()), (connection, thread)]
        })
        .collect();
    assert_eq!(seen, expected);
}
