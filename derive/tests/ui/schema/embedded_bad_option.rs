//! Without a path the macro reads the embedded schema; its mistakes are
//! located the same way.

mod unknown_names {
    dovecot_events::schema!(target = "2.3.19", categories = ["imapp"]);
}

mod path_not_first {
    dovecot_events::schema!(target = "2.3.19", "repo/schema");
}

fn main() {}
