//! A Rust type that cannot hold the field's values: the error is on the
//! type (inside `Option`), and names the types that fit.

use std::net::IpAddr;

#[derive(dovecot_events::DovecotEvent)]
#[dovecot(event = "imap_command_finished")]
struct Command {
    running_usecs: Option<bool>,
    tagged_reply_state: Option<u32>,
    user: Option<IpAddr>,
    cmd_args: Vec<u8>,
    last_run_time: Option<f64>,
}

fn main() {}
