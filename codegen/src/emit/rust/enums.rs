//! The `enums` module: one open enum per named value set.

use std::collections::BTreeSet;

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::{Flatten, Module, RustOptions, counted};
use crate::emit::escape::markdown_text;
use crate::emit::{doc_attrs, lifetime_line};
use crate::model::{EnumDef, EventModel};

/// The enums some generated struct has a field of: a selection of events
/// gets only the enums it uses.
fn used(model: &EventModel) -> BTreeSet<&str> {
    model
        .events
        .values()
        .filter(|e| e.in_rust())
        .flat_map(|e| &e.fields)
        .filter(|f| f.in_struct())
        .filter_map(|f| f.enum_name.as_deref())
        .collect()
}

/// The `enums` module.
pub(super) fn module(model: &EventModel, options: &RustOptions) -> Module {
    let rt = &options.runtime;
    let used = used(model);
    let enums: Vec<&EnumDef> = model
        .enums
        .values()
        .filter(|e| used.contains(e.name.as_str()))
        .collect();
    let intro = format!(
        "One enum per named value set the events use ({}). Every enum is \
         open: values the schema does not list are kept in `Other`.",
        counted("enum", enums.len())
    );
    let defs = enums.into_iter().map(|e| enum_def(e, options));
    Module {
        name: "enums".into(),
        public: true,
        attrs: TokenStream::new(),
        items: quote! {
            #![doc = #intro]
            #(#rt::__open_enum! { #defs })*
        },
        children: Vec::new(),
        flatten: Flatten::No,
    }
}

fn enum_def(e: &EnumDef, options: &RustOptions) -> TokenStream {
    let name = format_ident!("{}", e.rust_name);
    let extra = options.type_attrs(&e.name);
    let docs = doc_attrs(&[
        markdown_text(&e.description),
        format!(
            "Schema enum `{}`. Values the schema does not list are kept in [`{}::Other`].",
            e.name, e.rust_name
        ),
    ]);
    let variants = e.values.iter().map(|v| {
        let variant = format_ident!("{}", v.rust_name);
        let wire = Literal::string(&v.name);
        let mut lines = vec![format!("`{}`: {}", v.name, markdown_text(&v.description))];
        lines.extend(lifetime_line(&v.lifetime, None));
        let docs = doc_attrs(&lines);
        quote!(#docs #variant = #wire;)
    });
    quote! {
        #docs
        #extra
        pub enum #name {
            #(#variants)*
        }
    }
}
