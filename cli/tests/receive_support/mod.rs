//! Running the real `dovecot-eventgen receive` binary in tests, and a small
//! keep-alive HTTP/1.1 client that speaks to it as Dovecot's does.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A temporary directory below the target directory, fresh per test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("receive-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// One running receiver.
pub struct Receiver {
    pub child: Child,
    pub log: PathBuf,
    pub address: Option<SocketAddr>,
}

impl Receiver {
    /// Starts `receive ARGS` with its standard error in `dir/NAME.log`, and
    /// waits until it listens (`--listen`) or announced its other inputs.
    pub fn start(dir: &Path, name: &str, args: &[&str]) -> Receiver {
        let log = dir.join(format!("{name}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_dovecot-eventgen"))
            .arg("receive")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log"))
            .spawn()
            .expect("start the receiver");
        let mut receiver = Receiver {
            child,
            log,
            address: None,
        };
        let wants_http = args.contains(&"--listen");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = receiver.log_text();
            receiver.address = text
                .lines()
                .find_map(|line| line.strip_prefix("listening on http://"))
                .and_then(|address| address.trim_end_matches('/').parse().ok());
            let ready = if wants_http {
                receiver.address.is_some()
            } else {
                text.contains("listening on unix:") || text.contains("following ")
            };
            if ready {
                return receiver;
            }
            if let Ok(Some(status)) = receiver.child.try_wait() {
                panic!("the receiver exited ({status}) before it was ready:\n{text}");
            }
            assert!(
                Instant::now() < deadline,
                "the receiver did not start:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts `receive` on an HTTP port of its choosing, spooling in
    /// `spool` and writing to `out`, with `more` arguments.
    pub fn spooled(dir: &Path, name: &str, spool: &Path, out: &Path, more: &[&str]) -> Receiver {
        let (spool, out) = (spool.display().to_string(), out.display().to_string());
        let mut args = vec!["--listen", "127.0.0.1:0", "--spool", &spool, "--out", &out];
        args.extend_from_slice(more);
        Receiver::start(dir, name, &args)
    }

    /// Posts [`event`]`(id)` for every id on one keep-alive connection
    /// (so they come out in this order), each answered 204.
    pub fn post_events(&self, ids: impl IntoIterator<Item = u64>) {
        let mut client = Client::connect(self.address());
        for id in ids {
            let (status, body) = client.post("application/json", &event(id));
            assert_eq!(
                status,
                204,
                "event {id}: {}",
                String::from_utf8_lossy(&body)
            );
        }
    }

    pub fn address(&self) -> SocketAddr {
        self.address.expect("an HTTP listener")
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Waits for the process to exit, at most `limit`.
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "the receiver did not exit within {limit:?}:\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, then the exit status.
    pub fn stop(mut self) -> (ExitStatus, String) {
        self.signal("TERM");
        let status = self.wait(Duration::from_secs(60));
        (status, self.log_text())
    }

    /// A value of `/metrics`: the sum over every line of the metric.
    pub fn metric(&self, name: &str) -> u64 {
        let mut client = Client::connect(self.address());
        let (status, body) = client.get("/metrics");
        assert_eq!(status, 200);
        String::from_utf8_lossy(&body)
            .lines()
            .filter(|line| {
                line.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))
            })
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .map(|value| value as u64)
            .sum()
    }

    /// The resident memory of the process, in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A keep-alive HTTP/1.1 connection.
pub struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    pub fn connect(address: SocketAddr) -> Client {
        let stream = TcpStream::connect(address).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("timeout");
        let _ = stream.set_nodelay(true);
        Client {
            writer: stream.try_clone().expect("clone"),
            reader: BufReader::new(stream),
        }
    }

    pub fn raw(&mut self) -> &mut TcpStream {
        &mut self.writer
    }

    /// POSTs one body; returns the status and the answer's body.
    pub fn post(&mut self, content_type: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let head = format!(
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        );
        self.writer.write_all(head.as_bytes()).expect("write");
        self.writer.write_all(body).expect("write");
        self.response().expect("a response")
    }

    pub fn get(&mut self, path: &str) -> (u16, Vec<u8>) {
        let head = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        self.writer.write_all(head.as_bytes()).expect("write");
        self.response().expect("a response")
    }

    /// Reads one response; `None` when the server closed the connection.
    pub fn response(&mut self) -> Option<(u16, Vec<u8>)> {
        let mut line = String::new();
        if self.reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let status = line.split(' ').nth(1)?.parse().ok()?;
        let mut length = 0usize;
        loop {
            line.clear();
            self.reader.read_line(&mut line).ok()?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().ok()?;
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).ok()?;
        Some((status, body))
    }
}

/// A small JSON event carrying `id` in its `user` field.
pub fn event(id: u64) -> Vec<u8> {
    format!(
        r#"{{"event":"imap_command_finished","hostname":"test","start_time":"2025-01-01T00:00:00.000001Z","end_time":"2025-01-01T00:00:00.000002Z","categories":["imap"],"fields":{{"user":"id-{id}","cmd_name":"NOOP","tagged_reply_state":"OK"}}}}"#
    )
    .into_bytes()
}

/// The ids (`user` = `id-N`) and sequence numbers of every event in the
/// given output files, in file order.
pub fn output_ids(files: &[PathBuf]) -> Vec<(u64, u64)> {
    let mut ids = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for line in text.lines() {
            let value: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("output line is not JSON ({error}): {line}"));
            let seq = value["seq"].as_u64().expect("seq");
            if let Some(id) = value["fields"]["user"]
                .as_str()
                .and_then(|user| user.strip_prefix("id-"))
                .and_then(|id| id.parse().ok())
            {
                ids.push((seq, id));
            }
        }
    }
    ids
}

/// Makes a FIFO at `path`.
pub fn fifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success(), "mkfifo failed");
}

/// Runs a receiver on `spool` whose output is a FIFO nobody reads, lets
/// `post` send it events, and SIGKILLs it: every event it acknowledged
/// stays in the spool, for the next start.
pub fn leave_in_spool(dir: &Path, spool: &Path, more: &[&str], post: impl FnOnce(&Receiver)) {
    let blocked = dir.join("blocked.fifo");
    fifo(&blocked);
    let first = Receiver::spooled(dir, "first", spool, &blocked, more);
    post(&first);
    first.signal("KILL");
}

/// Reads the FIFO at `fifo` to its end on a thread of its own (opening it
/// waits for the receiver to open it too) and copies what it read to
/// `copy`, whose path the thread returns, for [`output_ids`].
pub fn copy_fifo(fifo: PathBuf, copy: PathBuf) -> std::thread::JoinHandle<PathBuf> {
    std::thread::spawn(move || {
        let mut text = Vec::new();
        std::fs::File::open(&fifo)
            .expect("open the FIFO")
            .read_to_end(&mut text)
            .expect("read the FIFO");
        std::fs::write(&copy, text).expect("copy");
        copy
    })
}
