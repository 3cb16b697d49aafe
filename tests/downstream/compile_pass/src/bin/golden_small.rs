//! The golden code for the `small` fixture schema compiles without warnings
//! outside the runtime crate, and behaves as generated code should.
#![deny(warnings)]

mod generated {
    include!("../../repo/tests/fixtures/golden/small.rs");
}

use std::borrow::Cow;

use dovecot_events::{EventFields, Value};
use generated::events::CommandFinished;

fn main() {
    let mut event = CommandFinished::default();
    event
        .set_field(Cow::Borrowed("type"), Value::Str(Cow::Borrowed("keyword")))
        .expect("a string field");
    event
        .set_field(Cow::Borrowed("state"), Value::Str(Cow::Borrowed("MAYBE")))
        .expect("unknown enum values are kept");
    event
        .set_field(Cow::Borrowed("brand_new"), Value::Int(7))
        .expect("unknown fields are kept");
    assert_eq!(event.r#type.as_deref(), Some("keyword"));
    assert_eq!(
        event.state,
        Some(generated::enums::ReplyState::Other("MAYBE".into()))
    );
    assert_eq!(event.unknown_fields.get("brand_new"), Some(&Value::Int(7)));
    assert!(event.set_field(Cow::Borrowed("remote_port"), Value::Int(70_000)).is_err());
    assert_eq!(CommandFinished::meta().name, "command_finished");
    assert!(generated::EVENTS.iter().any(|e| e.name == "old_name" && !e.emitted));
}
