//! Version gates: which feature an item needs, and its deprecation once
//! Dovecot removed it. Every gate of the generated code comes from here.

use proc_macro2::TokenStream;
use quote::quote;

use super::RustOptions;
use crate::model::{EventModel, Lifetime};

/// The gates of one item.
pub(super) struct Gate {
    /// `, if feature = "…"` in the declaring macro's syntax, when the item
    /// is newer than what already gates its parent.
    pub(super) cfg: TokenStream,
    /// `#[cfg_attr(feature = "…", deprecated(…))]` once it was removed.
    pub(super) deprecated: TokenStream,
}

/// The gates of an item with `lifetime`, inside a parent that exists from
/// `parent_since` on (`None`: the oldest release).
pub(super) fn gate(
    options: &RustOptions,
    model: &EventModel,
    lifetime: &Lifetime,
    parent_since: Option<dovecot_events_vocab::Version>,
    renamed_to: Option<&str>,
) -> Gate {
    if !options.version_features {
        return Gate {
            cfg: TokenStream::new(),
            deprecated: TokenStream::new(),
        };
    }
    let oldest = model.versions.first().copied();
    let floor = parent_since.or(oldest);
    let cfg = match lifetime.since.filter(|s| Some(*s) > floor) {
        Some(since) => {
            let feature = since.feature_name();
            quote!(, if feature = #feature)
        }
        None => TokenStream::new(),
    };
    let deprecated = match lifetime.removed {
        Some(removed) => {
            let since = removed.to_string();
            let note = match renamed_to {
                Some(new) => {
                    format!("Dovecot {removed} no longer sends it; it is `{new}` from then on")
                }
                None => format!("Dovecot {removed} no longer sends it"),
            };
            // Deprecated only once the feature of the removing release is
            // on: code limited to older releases may use the item freely.
            let feature = removed.feature_name();
            quote!(#[cfg_attr(feature = #feature, deprecated(since = #since, note = #note))])
        }
        None => TokenStream::new(),
    };
    Gate { cfg, deprecated }
}
