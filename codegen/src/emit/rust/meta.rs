//! The metadata tables: every release, category, enum, event and field the
//! schema knows, as static data the runtime answers questions from.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use super::{Flatten, Module, RustOptions};
use crate::ident::type_name;
use crate::model::{Edition, EventModel, Field, FieldType, Lifetime, Origin};
use dovecot_events_vocab::Version;

/// How many fields go in one table (and file).
const FIELDS_PER_TABLE: usize = 500;

/// The root's metadata items, and the module holding the tables (none when
/// the runtime crate's own tables are used).
pub(super) fn module(model: &EventModel, options: &RustOptions) -> (TokenStream, Option<Module>) {
    let rt = &options.runtime;
    let hash = &model.source_hash;
    if options.runtime_metadata {
        let items = quote! {
            /// A hash of the schema files this code was generated from.
            // Like the tables, unused in a crate that includes this code
            // privately and never asks.
            #[allow(dead_code)]
            pub const SCHEMA_HASH: &str = #hash;

            const _: () = ::core::assert!(
                #rt::__private::same_text(#rt::SCHEMA_HASH, SCHEMA_HASH),
                "this code was generated from the schema of another dovecot-events release: \
                 regenerate it, or use the matching dovecot-events release",
            );

            // A crate that includes this code privately may use none of them.
            #[allow(unused_imports)]
            pub use #rt::{CATEGORIES, CONTEXTS, ENUMS, EVENTS, GLOBAL_FIELDS, VERSIONS};
        };
        return (items, None);
    }
    let items = quote! {
        /// A hash of the schema files this code was generated from.
        // Like the tables, unused in a crate that includes this code
        // privately and never asks.
        #[allow(dead_code)]
        pub const SCHEMA_HASH: &str = #hash;

        // A crate that includes this code privately may use none of them.
        #[allow(unused_imports)]
        pub use meta_tables::{CATEGORIES, CONTEXTS, ENUMS, EVENTS, GLOBAL_FIELDS, VERSIONS};
    };
    (items, Some(tables(model, rt)))
}

/// The pieces the tables share, each written once: every release as a
/// constant, and every distinct field as an element of a field table the
/// events point to (an inherited field is the same on most events that
/// carry it). Copying a field's metadata into every event that has it, or
/// giving each its own constant, made the tables the slowest part of the
/// generated code to compile.
struct Shared {
    versions: BTreeSet<Version>,
    /// Each distinct field literal, in first-use order, and the index of
    /// each distinct field, keyed by the field's `Debug` text (building or
    /// printing tokens costs far more inside a proc-macro).
    fields: Vec<TokenStream>,
    field_index: BTreeMap<String, usize>,
}

impl Shared {
    fn version(&mut self, v: Version) -> Ident {
        self.versions.insert(v);
        version_const(v)
    }

    /// `Lifetime { … }` with only the bounds it has.
    fn lifetime(&mut self, lifetime: &Lifetime) -> TokenStream {
        let mut parts = Vec::new();
        for (name, bound) in [
            ("since", lifetime.since),
            ("deprecated", lifetime.deprecated),
            ("removed", lifetime.removed),
        ] {
            if let Some(v) = bound {
                let name = format_ident!("{}", name);
                let v = self.version(v);
                parts.push(quote!(#name: Some(#v)));
            }
        }
        if parts.is_empty() {
            quote!(Lifetime::ALWAYS)
        } else {
            quote!(Lifetime { #(#parts,)* ..Lifetime::ALWAYS })
        }
    }

    /// A reference to the field's metadata in the field tables.
    fn field(&mut self, field: &Field) -> TokenStream {
        let key = format!("{field:?}");
        let index = match self.field_index.get(&key) {
            Some(&index) => index,
            None => {
                let literal = self.field_literal(field);
                self.fields.push(literal);
                self.field_index.insert(key, self.fields.len() - 1);
                self.fields.len() - 1
            }
        };
        field_const(index)
    }

    /// `FieldMeta { … }` with only the members that differ from
    /// `FieldMeta::DEFAULT`.
    fn field_literal(&mut self, field: &Field) -> TokenStream {
        let name = Literal::string(&field.name);
        let ty = field_type(field.ty);
        let mut members = vec![quote!(name: #name), quote!(ty: #ty)];
        if let Some(unit) = field.unit {
            let variant = format_ident!("{}", type_name(unit.as_str()).name);
            members.push(quote!(unit: Some(Unit::#variant)));
        }
        if let Some(e) = &field.enum_name {
            members.push(quote!(enum_name: Some(#e)));
        }
        let description = Literal::string(&field.description);
        members.push(quote!(description: #description));
        if field.lifetime != Lifetime::ALWAYS {
            let lifetime = self.lifetime(&field.lifetime);
            members.push(quote!(lifetime: #lifetime));
        }
        if let Some(to) = &field.renamed_to {
            members.push(quote!(renamed_to: Some(#to)));
        }
        if !field.emitted {
            members.push(quote!(emitted: false));
        }
        if field.pattern {
            members.push(quote!(pattern: true));
        }
        if let Some(note) = &field.note {
            members.push(quote!(note: Some(#note)));
        }
        if !field.changes.is_empty() {
            let changes: Vec<TokenStream> = field
                .changes
                .iter()
                .map(|c| {
                    let version = self.version(c.version);
                    let ty = match c.ty {
                        None => quote!(None),
                        Some(ty) => {
                            let ty = field_type(ty);
                            quote!(Some(#ty))
                        }
                    };
                    let note = Literal::string(&c.note);
                    quote!(ChangeMeta { version: #version, ty: #ty, note: #note })
                })
                .collect();
            members.push(quote!(changes: &[#(#changes),*]));
        }
        if !field.contexts.is_empty() {
            let contexts = field.contexts.iter().map(|c| Literal::string(c));
            members.push(quote!(contexts: &[#(#contexts),*]));
        }
        match &field.origin {
            Origin::Own => {}
            Origin::Group(g) => members.push(quote!(origin: Origin::Group(#g))),
            Origin::Event(e) => members.push(quote!(origin: Origin::Event(#e))),
            Origin::Global => members.push(quote!(origin: Origin::Global)),
        }
        quote!(FieldMeta { #(#members,)* ..FieldMeta::DEFAULT })
    }
}

/// The name of the constant for release `v`, such as `V2_3_11_2`.
fn version_const(v: Version) -> Ident {
    let parts: Vec<String> = v.parts().iter().map(u16::to_string).collect();
    format_ident!("V{}", parts.join("_"))
}

/// `&fields_N::FIELD_I`: where the field with index `I` lives. Each
/// field is a static of its own: a reference to an element of a large
/// static array costs the compiler far more (about half of the runtime
/// crate's build, measured) than one to a whole static.
fn field_const(index: usize) -> TokenStream {
    let module = format_ident!("fields_{}", index / FIELDS_PER_TABLE + 1);
    let name = field_static(index);
    quote!(&#module::#name)
}

/// `FIELD_I`, the static of the field with index `I`.
fn field_static(index: usize) -> Ident {
    format_ident!("FIELD_{}", index)
}

fn opt_str(s: Option<&str>) -> TokenStream {
    match s {
        None => quote!(None),
        Some(s) => {
            let lit = Literal::string(s);
            quote!(Some(#lit))
        }
    }
}

fn field_type(ty: FieldType) -> TokenStream {
    let variant = format_ident!("{}", type_name(ty.as_str()).name);
    quote!(FieldType::#variant)
}

fn edition(e: Edition) -> TokenStream {
    match e {
        Edition::Open => quote!(Edition::Open),
        Edition::Pro => quote!(Edition::Pro),
    }
}

/// The `meta_tables` module: the statics, and the field constants in files
/// of their own.
fn tables(model: &EventModel, rt: &TokenStream) -> Module {
    let mut shared = Shared {
        versions: BTreeSet::new(),
        fields: Vec::new(),
        field_index: BTreeMap::new(),
    };
    let versions: Vec<Ident> = model.versions.iter().map(|v| shared.version(*v)).collect();
    let categories: Vec<TokenStream> = model
        .categories
        .values()
        .map(|c| {
            let name = Literal::string(&c.name);
            let description = Literal::string(&c.description);
            let parent = opt_str(c.parent.as_deref());
            let lifetime = shared.lifetime(&c.lifetime);
            let edition = edition(c.edition);
            quote! {
                CategoryMeta {
                    name: #name,
                    description: #description,
                    parent: #parent,
                    lifetime: #lifetime,
                    edition: #edition,
                }
            }
        })
        .collect();
    let enums: Vec<TokenStream> = model
        .enums
        .values()
        .map(|e| {
            let name = Literal::string(&e.name);
            let rust_name = Literal::string(&e.rust_name);
            let description = Literal::string(&e.description);
            let values: Vec<TokenStream> = e
                .values
                .iter()
                .map(|v| {
                    let name = Literal::string(&v.name);
                    let description = Literal::string(&v.description);
                    let lifetime = shared.lifetime(&v.lifetime);
                    quote!(EnumValueMeta { name: #name, description: #description, lifetime: #lifetime })
                })
                .collect();
            quote! {
                EnumMeta {
                    name: #name,
                    rust_name: #rust_name,
                    description: #description,
                    values: &[#(#values),*],
                }
            }
        })
        .collect();
    let globals: Vec<TokenStream> = model
        .global_fields
        .iter()
        .map(|f| shared.field(f))
        .collect();
    let contexts: Vec<TokenStream> = model
        .groups
        .values()
        .filter_map(|g| {
            let info = g.context.as_ref()?;
            let name = Literal::string(&g.name);
            let description = Literal::string(&g.description);
            let categories = info.categories.iter().map(|c| Literal::string(&c.name));
            let recognised_by = info.recognised_by.iter().map(|c| Literal::string(c));
            let parents = g
                .inherits
                .iter()
                .filter(|p| model.groups.get(*p).is_some_and(|p| p.context.is_some()))
                .map(|p| Literal::string(p));
            let global = match &info.global {
                None => quote!(None),
                Some(lifetime) => {
                    let lifetime = shared.lifetime(lifetime);
                    quote!(Some(#lifetime))
                }
            };
            Some(quote! {
                ContextMeta {
                    name: #name,
                    description: #description,
                    categories: &[#(#categories),*],
                    recognised_by: &[#(#recognised_by),*],
                    parents: &[#(#parents),*],
                    global: #global,
                }
            })
        })
        .collect();
    let events: Vec<TokenStream> = model
        .events
        .values()
        .map(|e| {
            let name = Literal::string(&e.name);
            let rust_name = opt_str(e.in_rust().then_some(e.rust_name.as_str()));
            let category = opt_str(e.category.as_deref());
            let categories = e.categories.iter().map(|c| Literal::string(c));
            let description = Literal::string(&e.description);
            let lifetime = shared.lifetime(&e.lifetime);
            let renamed_to = opt_str(e.renamed_to.as_deref());
            let emitted = e.emitted;
            let edition = edition(e.edition);
            let note = opt_str(e.note.as_deref());
            let contexts = e.contexts.iter().map(|c| Literal::string(c));
            let mut sorted: Vec<&Field> = e.fields.iter().collect();
            sorted.sort_by(|a, b| a.name.cmp(&b.name));
            let fields: Vec<TokenStream> = sorted.into_iter().map(|f| shared.field(f)).collect();
            quote! {
                EventMeta {
                    name: #name,
                    rust_name: #rust_name,
                    category: #category,
                    categories: &[#(#categories),*],
                    description: #description,
                    lifetime: #lifetime,
                    renamed_to: #renamed_to,
                    emitted: #emitted,
                    edition: #edition,
                    note: #note,
                    contexts: &[#(#contexts),*],
                    fields: &[#(#fields),*],
                }
            }
        })
        .collect();
    let version_consts = shared.versions.iter().map(|v| {
        let name = version_const(*v);
        let parts = v.parts().iter().map(|p| Literal::u16_unsuffixed(*p));
        quote!(pub(super) const #name: Version = Version::new(&[#(#parts),*]);)
    });
    let imports = quote! {
        #[allow(unused_imports)]
        use #rt::{
            CategoryMeta, ChangeMeta, ContextMeta, Edition, EnumMeta, EnumValueMeta, EventMeta,
            FieldMeta, FieldType, Lifetime, Origin, Unit, Version,
        };
    };
    let children: Vec<Module> = shared
        .fields
        .chunks(FIELDS_PER_TABLE)
        .enumerate()
        .map(|(chunk, literals)| {
            let first = chunk * FIELDS_PER_TABLE;
            let statics = literals.iter().enumerate().map(|(i, literal)| {
                let name = field_static(first + i);
                quote!(pub(crate) static #name: FieldMeta = #literal;)
            });
            let intro = format!(
                "Field metadata {} to {}, which the event tables point to.",
                first,
                first + literals.len() - 1
            );
            Module {
                name: format!("fields_{}", chunk + 1),
                public: false,
                attrs: TokenStream::new(),
                items: quote! {
                    #![doc = #intro]
                    #imports
                    #[allow(unused_imports)]
                    use super::*;
                    #(#statics)*
                },
                children: Vec::new(),
                flatten: Flatten::No,
            }
        })
        .collect();
    Module {
        name: "meta_tables".into(),
        public: false,
        // A crate that includes the code in a private module (a binary
        // crate, say) may read none of the tables, or only some.
        attrs: quote!(#[allow(dead_code)]),
        items: quote! {
            //! The metadata tables, with the constants they share.
            #imports
            #(#version_consts)*

            /// Every Dovecot release the schema knows, oldest first.
            pub static VERSIONS: &[Version] = &[#(#versions),*];

            /// Every category, sorted by name.
            pub static CATEGORIES: &[CategoryMeta] = &[#(#categories),*];

            /// Every named value set, sorted by name.
            pub static ENUMS: &[EnumMeta] = &[#(#enums),*];

            /// Every context (kind of parent event), sorted by name.
            pub static CONTEXTS: &[ContextMeta] = &[#(#contexts),*];

            /// Fields any event may carry.
            pub static GLOBAL_FIELDS: &[&FieldMeta] = &[#(#globals),*];

            /// Every event the schema knows, sorted by name, including names
            /// Dovecot documents but never sends and events it removed.
            pub static EVENTS: &[EventMeta] = &[#(#events),*];
        },
        children,
        flatten: Flatten::No,
    }
}
