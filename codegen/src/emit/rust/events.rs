//! The `events` module (one struct per event, in one file per root
//! category) and the `Event` enum over them.

use std::collections::BTreeMap;

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::gate::{Gate, gate};
use super::{Flatten, Module, RustOptions, counted};
use crate::emit::escape::markdown_text;
use crate::emit::{doc_attrs, lifetime_line};
use crate::ident::field_name;
use crate::model::{Edition, Event, EventModel, Field, FieldType, Origin};

/// The events the generated code has types for, in name order.
fn typed_events(model: &EventModel) -> impl Iterator<Item = &Event> {
    model.events.values().filter(|e| e.in_rust())
}

/// The module of an event's struct: its root category, as a Rust name.
fn module_name(event: &Event) -> String {
    match &event.category {
        Some(category) => {
            let ident = field_name(category);
            if ident.raw {
                format!("{}_", ident.name)
            } else {
                ident.name
            }
        }
        None => "uncategorized".to_owned(),
    }
}

/// The `events` module, with one child module per root category.
pub(super) fn module(model: &EventModel, options: &RustOptions) -> Module {
    let mut by_module: BTreeMap<String, Vec<&Event>> = BTreeMap::new();
    for event in typed_events(model) {
        by_module.entry(module_name(event)).or_default().push(event);
    }
    let rt = &options.runtime;
    let children = by_module
        .into_iter()
        .map(|(name, events)| {
            let intro = match events.first().and_then(|e| e.category.as_deref()) {
                Some(category) => format!(
                    "The events of category `{category}` ({}).",
                    counted("event", events.len())
                ),
                None => format!(
                    "Events without a category ({}).",
                    counted("event", events.len())
                ),
            };
            let structs = events.iter().map(|e| event_struct(e, model, options));
            let uses_enums = events
                .iter()
                .flat_map(|e| &e.fields)
                .any(|f| f.in_struct() && f.ty == FieldType::Enum);
            let import = if uses_enums {
                // Unused when the version features leave out every enum
                // field of the category.
                quote!(
                    #[allow(unused_imports)]
                    use super::super::enums;
                )
            } else {
                TokenStream::new()
            };
            Module {
                name,
                public: false,
                attrs: TokenStream::new(),
                items: quote! {
                    #![doc = #intro]
                    #import
                    #(#rt::__event! { #structs })*
                },
                children: Vec::new(),
                flatten: Flatten::No,
            }
        })
        .collect();
    let intro = format!(
        "One struct per event Dovecot sends ({}), each in its category's file.",
        counted("event", typed_events(model).count())
    );
    Module {
        name: "events".into(),
        public: true,
        attrs: quote!(#[allow(deprecated)]),
        items: quote!(#![doc = #intro]),
        children,
        flatten: Flatten::Public,
    }
}

/// The tokens inside `__event! { … }` for one event.
fn event_struct(event: &Event, model: &EventModel, options: &RustOptions) -> TokenStream {
    let name = format_ident!("{}", event.rust_name);
    let Gate { cfg, deprecated } = gate(
        options,
        model,
        &event.lifetime,
        None,
        event.renamed_to.as_deref(),
    );
    let extra = options.type_attrs(&event.name);
    let wire = Literal::string(&event.name);
    let docs = doc_attrs(&event_docs(event));
    let index = model
        .events
        .keys()
        .position(|n| *n == event.name)
        .unwrap_or_default();
    let index = Literal::usize_unsuffixed(index);
    let fields = event
        .fields
        .iter()
        .filter(|f| f.in_struct())
        .map(|f| struct_field(event, f, model, options));
    quote! {
        #docs
        #deprecated
        #extra
        pub struct #name = #wire, meta #index #cfg {
            #(#fields)*
        }
    }
}

fn event_docs(event: &Event) -> Vec<String> {
    let mut lines = vec![markdown_text(&event.description)];
    let mut facts = match &event.category {
        Some(category) => format!("Event `{}`, category `{category}`", event.name),
        None => format!("Event `{}`, no category of its own", event.name),
    };
    if !event.categories.is_empty() {
        let others: Vec<String> = event.categories.iter().map(|c| format!("`{c}`")).collect();
        facts.push_str(&format!(" (also {})", others.join(", ")));
    }
    facts.push('.');
    if let Some(life) = lifetime_line(&event.lifetime, event.renamed_to.as_deref()) {
        facts = format!("{facts} {life}");
    }
    if event.edition == Edition::Pro {
        facts.push_str(" Commercial edition only.");
    }
    lines.push(facts);
    lines
}

/// One `pub name: Kind = "wire"` line with its docs and gates.
fn struct_field(
    event: &Event,
    field: &Field,
    model: &EventModel,
    options: &RustOptions,
) -> TokenStream {
    let ident = field_name(&field.name).to_ident();
    let wire = Literal::string(&field.name);
    // The struct's gate already covers anything from the event's first
    // release.
    let Gate { cfg, deprecated } = gate(
        options,
        model,
        &field.lifetime,
        event.lifetime.since,
        field.renamed_to.as_deref(),
    );
    let extra = options.field_attrs(&event.name, &field.name);
    let docs = doc_attrs(&field_docs(field));
    let kind = field_kind(field, model);
    quote! {
        #docs
        #deprecated
        #extra
        pub #ident: #kind = #wire #cfg;
    }
}

/// The value kind in the declaring macro's syntax: the name of the
/// field's [`Repr`](dovecot_events_vocab::Repr), or `Enum<enums::Name>`.
fn field_kind(field: &Field, model: &EventModel) -> TokenStream {
    use dovecot_events_vocab::Repr;
    match field.ty.repr(field.unit) {
        Repr::Enum => {
            let rust = field
                .enum_name
                .as_ref()
                .and_then(|name| model.enums.get(name))
                .map_or_else(|| "Unknown".to_owned(), |e| e.rust_name.clone());
            let ident = format_ident!("{}", rust);
            quote!(Enum<enums::#ident>)
        }
        repr => {
            let ident = format_ident!("{}", format!("{repr:?}"));
            quote!(#ident)
        }
    }
}

fn field_docs(field: &Field) -> Vec<String> {
    let mut facts = format!("`{}`: {}", field.name, type_words(field));
    match &field.origin {
        Origin::Own => {}
        Origin::Group(g) => facts.push_str(&format!(", from group `{g}`")),
        Origin::Event(e) => facts.push_str(&format!(", inherited from `{e}`")),
        Origin::Global => facts.push_str(", global"),
    }
    facts.push('.');
    if let Some(life) = lifetime_line(&field.lifetime, field.renamed_to.as_deref()) {
        facts = format!("{facts} {life}");
    }
    vec![markdown_text(&field.description), facts]
}

fn type_words(field: &Field) -> String {
    let mut words = field.ty.as_str().replace('_', " ");
    if let Some(unit) = field.unit {
        words = format!("{words}, {}", unit.as_str());
    }
    if let Some(name) = &field.enum_name {
        words = format!("{words} `{name}`");
    }
    words
}

/// The `Event` enum: one line per event.
pub(super) fn event_enum(model: &EventModel, options: &RustOptions) -> TokenStream {
    let rt = &options.runtime;
    let variants = typed_events(model).map(|e| {
        let variant = format_ident!("{}", e.rust_name);
        let wire = Literal::string(&e.name);
        let Gate { cfg, .. } = gate(options, model, &e.lifetime, None, None);
        let docs = doc_attrs(&[format!("`{}`: {}", e.name, markdown_text(&e.description))]);
        quote!(#docs #variant = #wire #cfg;)
    });
    quote! {
        #rt::__events! {
            #(#variants)*
        }
    }
}
