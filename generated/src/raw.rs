//! An exported event read without the schema.

use std::borrow::Cow;

use crate::{Fields, Timestamp};

/// One exported event as sent, without the schema: the envelope and every
/// field in arrival order, each in its wire form.
///
/// The readers build this with exactly the rules they use for the typed
/// [`ExportedEvent`](crate::ExportedEvent); only the typing of fields is
/// left out. A tool that checks exports against a schema of its own (such
/// as `dovecot-eventgen verify`) reads them this way, so it agrees with
/// every program that parses the same lines:
///
/// ```
/// use dovecot_events::{Value, json};
///
/// let raw = json::from_str_raw(r#"{"event":"imap_command_finished","fields":{"cmd_name":"SELECT"}}"#)?;
/// assert_eq!(raw.name.as_deref(), Some("imap_command_finished"));
/// assert_eq!(raw.fields.get("cmd_name"), Some(&Value::Str("SELECT".into())));
/// # Ok::<(), dovecot_events::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawEvent<'a> {
    /// The event's name; `None` when the exporter did not include it.
    pub name: Option<Cow<'a, str>>,
    /// The `hostname` of the sending machine.
    pub hostname: Option<Cow<'a, str>>,
    /// When the event was created (`start_time`).
    pub start_time: Option<Timestamp>,
    /// When the event was sent (`end_time`).
    pub end_time: Option<Timestamp>,
    /// The event's categories, including their parent categories, as sent.
    pub categories: Vec<Cow<'a, str>>,
    /// Every field, in arrival order. Tab-text values are unescaped once,
    /// so a string list is still joined with TAB
    /// ([`tab_text::split_list`](crate::tab_text::split_list) splits it).
    pub fields: Fields<'a>,
}

impl RawEvent<'_> {
    /// Copies borrowed text so the event outlives its input.
    #[must_use]
    pub fn into_owned(self) -> RawEvent<'static> {
        let own = |s: Cow<'_, str>| Cow::Owned(s.into_owned());
        RawEvent {
            name: self.name.map(own),
            hostname: self.hostname.map(own),
            start_time: self.start_time,
            end_time: self.end_time,
            categories: self.categories.into_iter().map(own).collect(),
            fields: self.fields.into_owned(),
        }
    }
}
