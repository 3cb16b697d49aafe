//! Receives Dovecot's exported events over HTTP and prints one line per
//! event, until Ctrl-C.
//!
//! ```sh
//! cargo run -p dovecot-events-receiver --example print_events -- 127.0.0.1:8090
//! ```
//!
//! and in `dovecot.conf` (2.4; for 2.3 see the crate's README):
//!
//! ```text
//! event_exporter print {
//!   driver = http-post
//!   http_post_url = http://127.0.0.1:8090/
//!   format = json
//!   time_format = rfc3339
//! }
//! metric print {
//!   exporter = print
//!   filter = event=*
//! }
//! ```

use dovecot_events::Event;
use dovecot_events_receiver::{HttpConfig, channel, serve_http};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::io::Result<()> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8090".to_owned());
    let listener = tokio::net::TcpListener::bind(&address).await?;
    eprintln!("listening on {}", listener.local_addr()?);
    let (sink, mut events) = channel(4096);
    let server = tokio::spawn(serve_http(listener, sink, HttpConfig::default(), async {
        let _ = tokio::signal::ctrl_c().await;
    }));
    // The queue ends once the server stopped and its last event was read.
    while let Some(delivered) = events.recv().await {
        let exported = &delivered.event;
        match &exported.event {
            Event::ImapCommandFinished(command) => println!(
                "imap command {} by {}: {:?}",
                command.cmd_name.as_deref().unwrap_or("?"),
                command.user.as_deref().unwrap_or("?"),
                command.tagged_reply_state,
            ),
            event => println!(
                "{} from {} ({:?})",
                event.name(),
                exported.hostname.as_deref().unwrap_or("?"),
                delivered.source,
            ),
        }
    }
    server.await.map_err(std::io::Error::other)?
}
