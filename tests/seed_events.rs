//! Every event and field of the original Dovecot events page (the project's
//! seed) is in the generated crate with a type and a version, under its own
//! name or as a kept old name that points to the real one.

use dovecot_events::{EVENTS, EventMeta, meta};

/// Event → fields, as the seed page lists them.
const SEED: &[(&str, &[&str])] = &[
    (
        "auth_request_finished",
        &[
            "user",
            "original_username",
            "translated_username",
            "login_user",
            "master_user",
            "error",
            "success",
            "transport",
            "mechanism",
            "credentials_scheme",
            "policy_penalty",
            "policy_result",
        ],
    ),
    (
        "auth_passdb_request_started",
        &["passdb_id", "passdb_name", "passdb"],
    ),
    (
        "auth_passdb_request_finished",
        &[
            "passdb_id",
            "passdb_name",
            "passdb",
            "user",
            "master_user",
            "username",
            "domain",
            "result",
        ],
    ),
    (
        "auth_userdb_request_started",
        &["userdb_id", "userdb_name", "userdb"],
    ),
    (
        "auth_userdb_request_finished",
        &[
            "userdb_id",
            "userdb_name",
            "userdb",
            "user",
            "master_user",
            "username",
            "domain",
            "result",
        ],
    ),
    ("auth_policy_request_finished", &["mode", "policy_response"]),
    ("auth_client_request_started", &["id"]),
    ("auth_client_request_continue", &["id"]),
    ("auth_client_request_finished", &["id", "error"]),
    ("auth_client_request_challenged", &["id"]),
    (
        "auth_client_userdb_lookup_started",
        &[
            "service",
            "local_ip",
            "local_port",
            "remote_ip",
            "remote_port",
            "user",
        ],
    ),
    (
        "auth_client_userdb_lookup_finished",
        &[
            "service",
            "local_ip",
            "local_port",
            "remote_ip",
            "remote_port",
            "user",
            "error",
        ],
    ),
    (
        "auth_client_passdb_lookup_started",
        &[
            "service",
            "local_ip",
            "local_port",
            "remote_ip",
            "remote_port",
            "user",
        ],
    ),
    (
        "auth_client_passdb_lookup_finished",
        &[
            "service",
            "local_ip",
            "local_port",
            "remote_ip",
            "remote_port",
            "user",
            "error",
        ],
    ),
    (
        "auth_client_userdb_list_started",
        &[
            "service",
            "local_ip",
            "local_port",
            "remote_ip",
            "remote_port",
            "user",
        ],
    ),
    (
        "auth_client_userdb_list_finished",
        &[
            "service",
            "local_ip",
            "local_port",
            "remote_ip",
            "remote_port",
            "user",
            "error",
        ],
    ),
    (
        "auth_client_cache_flush_started",
        &[
            "service",
            "local_ip",
            "local_port",
            "remote_ip",
            "remote_port",
            "user",
        ],
    ),
    (
        "auth_client_cache_flush_finished",
        &[
            "service",
            "local_ip",
            "local_port",
            "remote_ip",
            "remote_port",
            "user",
            "error",
        ],
    ),
    (
        "client_connection_connected",
        &["client_ip", "client_port", "ip", "port"],
    ),
    (
        "client_connection_disconnected",
        &[
            "client_ip",
            "client_port",
            "ip",
            "port",
            "bytes_in",
            "bytes_out",
            "reason",
        ],
    ),
    (
        "server_connection_connected",
        &[
            "client_ip",
            "client_port",
            "ip",
            "port",
            "bytes_in",
            "bytes_out",
        ],
    ),
    (
        "server_connection_disconnected",
        &[
            "client_ip",
            "client_port",
            "ip",
            "port",
            "bytes_in",
            "bytes_out",
            "reason",
        ],
    ),
    (
        "http_request_finished",
        &[
            "status_code",
            "attempts",
            "redirects",
            "bytes_in",
            "bytes_out",
        ],
    ),
    (
        "http_request_redirected",
        &[
            "status_code",
            "attempts",
            "redirects",
            "bytes_in",
            "bytes_out",
        ],
    ),
    (
        "http_request_retried",
        &[
            "status_code",
            "attempts",
            "redirects",
            "bytes_in",
            "bytes_out",
        ],
    ),
    (
        "imap_command_finished",
        &[
            "tag",
            "name",
            "args",
            "human_args",
            "tagged_reply_state",
            "tagged_reply",
            "last_run_time",
            "running_usecs",
            "lock_wait_usecs",
            "bytes_in",
            "bytes_out",
        ],
    ),
    (
        "mail_delivery_started",
        &[
            "message_id",
            "message_subject",
            "message_from",
            "message_size",
            "message_vsize",
            "rcpt_to",
            "rcpt_param_notify",
            "rcpt_param_orcpt",
            "rcpt_param_orcpt_type",
        ],
    ),
    (
        "mail_delivery_finished",
        &[
            "message_id",
            "message_subject",
            "message_from",
            "message_size",
            "message_vsize",
            "rcpt_to",
            "rcpt_param_notify",
            "rcpt_param_orcpt",
            "rcpt_param_orcpt_type",
        ],
    ),
];

/// The event a seed name stands for: itself, or the event its kept old
/// name was renamed to.
fn real_event(name: &str) -> &'static EventMeta {
    let event = meta::event(name).unwrap_or_else(|| panic!("seed event `{name}` is missing"));
    if event.emitted {
        return event;
    }
    let to = event
        .renamed_to
        .unwrap_or_else(|| panic!("`{name}` is never sent but names no real event"));
    meta::event(to).unwrap_or_else(|| panic!("`{name}` is renamed to missing `{to}`"))
}

#[test]
fn all_28_seed_events_are_known() {
    assert_eq!(SEED.len(), 28);
    for (name, _) in SEED {
        let event = real_event(name);
        assert!(event.emitted, "{name}");
        assert!(event.lifetime.since.is_some(), "`{name}` has no version");
        assert!(event.rust_name.is_some(), "`{name}` has no Rust type");
    }
}

#[test]
fn every_seed_field_has_a_type_and_a_version() {
    let mut missing = Vec::new();
    for (name, fields) in SEED {
        let event = real_event(name);
        for field in *fields {
            match event.field(field) {
                Some(meta) => {
                    assert!(
                        meta.lifetime.since.is_some(),
                        "{name}.{field} has no version"
                    );
                    // A documented-only or renamed field must say what to
                    // use instead, or why it is kept.
                    if !meta.emitted {
                        assert!(
                            meta.renamed_to.is_some() || meta.note.is_some(),
                            "{name}.{field} is never sent but has no note"
                        );
                    }
                }
                None => missing.push(format!("{name}.{field}")),
            }
        }
    }
    assert!(missing.is_empty(), "seed fields missing: {missing:?}");
}

#[test]
fn metadata_is_sorted_for_lookups() {
    assert!(EVENTS.windows(2).all(|w| w[0].name < w[1].name));
    for event in EVENTS {
        assert!(
            event.fields.windows(2).all(|w| w[0].name < w[1].name),
            "{}",
            event.name
        );
    }
}
