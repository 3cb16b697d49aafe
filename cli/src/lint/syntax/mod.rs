//! The syntax layer: Dovecot's configuration files and event filters as
//! text, with the location of every character. Nothing here knows the
//! event schema or what a release supports; what differs between releases
//! comes in as parameters.

pub(crate) mod config;
pub(crate) mod filter;
pub(crate) mod include;
pub(crate) mod legacy;
pub(crate) mod lexer;
pub(crate) mod paths;
pub(crate) mod text;
