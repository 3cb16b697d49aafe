//! A schema directory that does not exist: the error is on the path.

mod events {
    dovecot_events::schema!("no/such/schema");
}

fn main() {}
