//! Reads `imap_command_finished` the way Dovecot 2.3.8 and 2.3.9 send it.

use dovecot_events::events::ImapCommandFinished;

/// The command name as Dovecot 2.3.8 sends it. Dovecot 2.3.9 renamed the
/// field, so it is deprecated, but it exists with every version feature.
#[allow(deprecated)]
pub fn name_until_2_3_8<'a>(cmd: &'a ImapCommandFinished<'_>) -> Option<&'a str> {
    cmd.name.as_deref()
}

/// The command name as Dovecot 2.3.9 and later send it: a compile error
/// unless the `v2_3_9` feature (or a later one) is enabled.
pub fn cmd_name<'a>(cmd: &'a ImapCommandFinished<'_>) -> Option<&'a str> {
    cmd.cmd_name.as_deref()
}
