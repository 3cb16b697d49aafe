"""Small servers that run inside the script: the HTTP event collector, an
SMTP sink, and a generic HTTP sink (the auth policy server, the OX
push-notification endpoint)."""

import http.server
import json
import socketserver
import threading

from harness.common import CLIENT_TIMEOUT


class Collector:
    """Records every HTTP POST that Dovecot's http-post driver sends.

    The collector is a plain single-threaded http.server.HTTPServer that runs
    in one background thread.  It speaks HTTP/1.0, so every request arrives on
    its own connection and the server can handle the connections one after the
    other without a slow keep-alive connection blocking the others.
    """

    def __init__(self):
        self.lock = threading.Lock()
        # Each record is a tuple of (path, content type, body bytes).
        self.records = []
        collector = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_POST(self):
                # Read exactly Content-Length bytes; Dovecot always sends it.
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length) if length > 0 else b""
                with collector.lock:
                    collector.records.append((self.path, self.headers.get("Content-Type", ""), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, fmt, *args):
                # Keep the collector quiet; the script reports counts itself.
                pass

        class Server(http.server.HTTPServer):
            # A generous accept queue, so that bursts of connections from the
            # stats process wait in the kernel instead of being refused.
            request_queue_size = 128

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def count(self):
        with self.lock:
            return len(self.records)

    def snapshot(self):
        with self.lock:
            return list(self.records)


class SmtpSink:
    """A minimal SMTP server that accepts and discards every message.

    Dovecot's submission service relays to it, and Sieve's redirect action
    sends through it.  It answers EHLO without extensions, so clients use
    plain MAIL/RCPT/DATA.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = 0
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            timeout = CLIENT_TIMEOUT

            def reply(self, text):
                self.wfile.write(text.encode("ascii") + b"\r\n")

            def handle(self):
                self.reply("220 sink.example.test ESMTP test sink")
                in_data = False
                while True:
                    try:
                        line = self.rfile.readline(65536)
                    except OSError:
                        return
                    if not line:
                        return
                    if in_data:
                        if line.rstrip(b"\r\n") == b".":
                            in_data = False
                            with sink.lock:
                                sink.messages += 1
                            self.reply("250 2.0.0 Ok: queued")
                        continue
                    verb = line.split(b" ", 1)[0].strip().upper()
                    if verb == b"EHLO":
                        self.reply("250 sink.example.test")
                    elif verb == b"DATA":
                        in_data = True
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                    elif verb == b"QUIT":
                        self.reply("221 2.0.0 Bye")
                        return
                    else:
                        self.reply("250 2.0.0 Ok")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)



class HttpSink:
    """A loopback HTTP/1.0 server that records every request and answers
    each one through `answer(method, path, headers, body)`, which returns
    (status, content type, body bytes).

    It serves the auth policy protocol (a JSON answer to every POST) and
    the OX push-notification driver (an empty 204 to every PUT or POST).
    """

    def __init__(self, answer):
        self.lock = threading.Lock()
        self.requests = []  # (method, path, body bytes)
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def handle_any(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length) if length > 0 else b""
                with sink.lock:
                    sink.requests.append((self.command, self.path, body))
                status, ctype, reply = answer(self.command, self.path, self.headers, body)
                self.send_response(status)
                if ctype:
                    self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_GET = do_POST = do_PUT = handle_any

            def log_message(self, fmt, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 64

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def count(self):
        with self.lock:
            return len(self.requests)


def policy_answer(method, path, headers, body):
    """Dovecot's auth policy protocol: a POST with `?command=allow` (before
    authentication) or `?command=report` (after it), answered with a JSON
    object whose `status` 0 means "go ahead" (negative: reject, positive:
    delay by that many seconds)."""
    return 200, "application/json", json.dumps({"status": 0, "msg": "ok"}).encode()


def push_answer(method, path, headers, body):
    """The OX push-notification endpoint: anything goes, nothing returned."""
    return 204, None, b""
