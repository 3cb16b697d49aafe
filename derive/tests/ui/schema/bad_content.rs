//! A schema with errors: the error is on the path, and lists every schema
//! error located as file:line:column. (`repo` is a link to the repository
//! that tests/ui.rs puts next to trybuild's crate.)

mod events {
    dovecot_events::schema!("repo/tests/fixtures/bad-schema");
}

fn main() {}
