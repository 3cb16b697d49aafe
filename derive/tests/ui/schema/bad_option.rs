//! Options the macro does not know, and selections the schema does not have.

mod unknown_option {
    dovecot_events::schema!("repo/schema", traget = "2.3.19");
}

mod unknown_names {
    dovecot_events::schema!(
        "repo/schema",
        target = "2.3.12",
        categories = ["imapp"],
        events = ["mail_delivered"],
    );
}

mod bad_attribute {
    dovecot_events::schema!("repo/schema", type_attribute = ("*", "derive(Hash)"));
}

fn main() {}
