//! The Rust emitter: event structs, enums, the `Event` enum and the metadata
//! tables of the `dovecot-events` crate.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Literal, TokenStream};
use quote::{ToTokens, format_ident, quote};

use crate::emit::doc_attrs;
use crate::ident::{field_name, type_name};
use crate::model::*;
use crate::version::Version;

/// Options for the Rust emitter.
#[derive(Clone, Debug)]
pub struct RustOptions {
    /// The path of the runtime crate in generated code (`crate` inside
    /// `dovecot-events`, `::dovecot_events` elsewhere).
    pub runtime: TokenStream,
    /// The command named in the `@generated` header.
    pub command: String,
    /// `(pattern, attributes)`: extra attributes for the event structs and
    /// enums whose schema name matches the pattern (`*` matches any text).
    pub type_attributes: Vec<(String, TokenStream)>,
    /// `(pattern, attributes)` for struct members, matched against
    /// `event.field`.
    pub field_attributes: Vec<(String, TokenStream)>,
    /// Gate events and fields newer than the oldest release behind the
    /// version features of the `dovecot-events` crate, and mark removed
    /// ones `#[deprecated]`. Only that crate has the features.
    pub version_features: bool,
    /// Use the runtime crate's metadata tables instead of emitting a copy:
    /// right when the code is generated from the very schema the runtime
    /// crate was generated from, unselected. The generated code checks that
    /// at compile time against the runtime's `SCHEMA_HASH`.
    pub runtime_metadata: bool,
}

impl Default for RustOptions {
    fn default() -> Self {
        RustOptions {
            runtime: quote!(crate),
            command: "cargo run -p dovecot-events-codegen -- generate".into(),
            type_attributes: Vec::new(),
            field_attributes: Vec::new(),
            version_features: false,
            runtime_metadata: false,
        }
    }
}

impl RustOptions {
    fn type_attrs(&self, name: &str) -> TokenStream {
        matching(&self.type_attributes, name)
    }

    fn field_attrs(&self, event: &str, field: &str) -> TokenStream {
        matching(&self.field_attributes, &format!("{event}.{field}"))
    }
}

fn matching(list: &[(String, TokenStream)], name: &str) -> TokenStream {
    let attrs = list
        .iter()
        .filter(|(pattern, _)| crate::verify::pattern_matches(pattern, name))
        .map(|(_, attrs)| attrs);
    quote!(#(#attrs)*)
}

/// The version gates of one item: a `cfg` on the feature of the release that
/// introduced it (when that is not the oldest release), and `#[deprecated]`
/// once Dovecot removed it.
struct Gate {
    cfg: TokenStream,
    deprecated: TokenStream,
}

fn gate(
    options: &RustOptions,
    model: &EventModel,
    since: Option<Version>,
    removed: Option<Version>,
    renamed_to: Option<&str>,
) -> Gate {
    if !options.version_features {
        return Gate {
            cfg: TokenStream::new(),
            deprecated: TokenStream::new(),
        };
    }
    let oldest = model.versions.first().copied();
    let cfg = match since.filter(|s| Some(*s) > oldest) {
        Some(since) => {
            let feature = since.feature_name();
            quote! {
                #[cfg(feature = #feature)]
                #[cfg_attr(docsrs, doc(cfg(feature = #feature)))]
            }
        }
        None => TokenStream::new(),
    };
    let deprecated = match removed {
        Some(removed) => {
            let since = removed.to_string();
            let note = match renamed_to {
                Some(new) => {
                    format!("Dovecot {removed} no longer sends it; it is `{new}` from then on")
                }
                None => format!("Dovecot {removed} no longer sends it"),
            };
            // Deprecated only once the feature of the removing release is on:
            // code limited to older releases may use the item freely.
            let feature = removed.feature_name();
            quote!(#[cfg_attr(feature = #feature, deprecated(since = #since, note = #note))])
        }
        None => TokenStream::new(),
    };
    Gate { cfg, deprecated }
}

/// Generates the whole file as tokens.
#[must_use]
pub fn tokens(model: &EventModel, options: &RustOptions) -> TokenStream {
    let rt = &options.runtime;
    let enums = model.enums.values().map(|e| enum_def(e, rt, options));
    let events: Vec<&Event> = model.events.values().filter(|e| e.in_rust()).collect();
    let structs = events.iter().map(|e| event_struct(e, model, options));
    let event_enum = event_enum(&events, model, options);
    let metadata = if options.runtime_metadata {
        runtime_metadata(model, rt)
    } else {
        metadata(model, rt)
    };
    quote! {
        /// One enum per named value set of the schema. Every enum is open:
        /// values the schema does not list are kept in `Other`.
        pub mod enums {
            #(#enums)*
        }

        /// One struct per event Dovecot sends.
        #[allow(deprecated)]
        pub mod events {
            #(#structs)*
        }

        #event_enum
        #metadata
    }
}

/// Generates the whole file, formatted, with its `@generated` header.
#[cfg(feature = "pretty")]
#[cfg_attr(docsrs, doc(cfg(feature = "pretty")))]
#[must_use]
pub fn generate(model: &EventModel, options: &RustOptions) -> String {
    let tokens = tokens(model, options);
    let file: syn::File = match syn::parse2(tokens.clone()) {
        Ok(file) => file,
        // The emitter only builds well-formed items; if that ever breaks,
        // unformatted code still shows the compiler's error at the right item.
        Err(_) => {
            return format!(
                "{}{tokens}\n",
                crate::emit::header(model, &options.command, "//")
            );
        }
    };
    format!(
        "{}{}",
        crate::emit::header(model, &options.command, "//"),
        prettyplease::unparse(&file)
    )
}

fn enum_def(e: &EnumDef, rt: &TokenStream, options: &RustOptions) -> TokenStream {
    let name = format_ident!("{}", e.rust_name);
    let extra = options.type_attrs(&e.name);
    let docs = doc_attrs(&[
        e.description.clone(),
        format!(
            "Schema enum `{}`. Values the schema does not list are kept in [`{}::Other`].",
            e.name, e.rust_name
        ),
    ]);
    let variants: Vec<_> = e
        .values
        .iter()
        .map(|v| format_ident!("{}", v.rust_name))
        .collect();
    let variant_docs = e.values.iter().map(|v| {
        let mut lines = vec![format!("`{}`: {}", v.name, v.description)];
        lines.extend(lifetime_line(v.since, v.removed, None));
        doc_attrs(&lines)
    });
    let wire: Vec<_> = e.values.iter().map(|v| Literal::string(&v.name)).collect();
    quote! {
        #docs
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        #extra
        pub enum #name {
            #( #variant_docs #variants, )*
            /// A value the schema does not list, kept as sent.
            Other(::std::string::String),
        }

        impl #name {
            /// Every value the schema lists, as Dovecot sends it.
            pub const VALUES: &'static [&'static str] = &[#(#wire),*];

            /// The value as Dovecot sends it.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    #( Self::#variants => #wire, )*
                    Self::Other(other) => other,
                }
            }

            /// The variant for a value as Dovecot sends it.
            #[must_use]
            pub fn from_wire(value: &str) -> Self {
                match value {
                    #( #wire => Self::#variants, )*
                    other => Self::Other(other.into()),
                }
            }
        }

        #[automatically_derived]
        impl ::core::fmt::Display for #name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        #[automatically_derived]
        impl<'a> #rt::FromValue<'a> for #name {
            fn from_value(value: #rt::Value<'a>) -> ::core::result::Result<Self, #rt::FieldError> {
                let text: ::std::borrow::Cow<'a, str> = #rt::FromValue::from_value(value)?;
                ::core::result::Result::Ok(Self::from_wire(&text))
            }
        }

        #[automatically_derived]
        impl #rt::ToValue for #name {
            fn to_value(&self) -> #rt::Value<'_> {
                #rt::Value::Str(::std::borrow::Cow::Borrowed(self.as_str()))
            }
        }

        #[automatically_derived]
        impl<'a> #rt::IntoValue<'a> for #name {
            fn into_value(self) -> #rt::Value<'a> {
                match self {
                    #( Self::#variants => #rt::Value::Str(::std::borrow::Cow::Borrowed(#wire)), )*
                    Self::Other(text) => #rt::Value::Str(::std::borrow::Cow::Owned(text)),
                }
            }
        }
    }
}

/// The Rust type of a field's value.
fn field_type(field: &Field, model: &EventModel, rt: &TokenStream) -> TokenStream {
    match field.ty {
        FieldType::String => quote!(::std::borrow::Cow<'a, str>),
        FieldType::Integer => match field.unit {
            None => quote!(i64),
            Some(Unit::Port) => quote!(u16),
            Some(_) => quote!(u64),
        },
        FieldType::Timestamp => quote!(#rt::Timestamp),
        FieldType::Ip => quote!(::std::net::IpAddr),
        FieldType::StringList => quote!(::std::vec::Vec<::std::borrow::Cow<'a, str>>),
        FieldType::Flag => quote!(bool),
        FieldType::Enum => {
            let rust = field
                .enum_name
                .as_ref()
                .and_then(|name| model.enums.get(name))
                .map_or_else(|| "Unknown".to_owned(), |e| e.rust_name.clone());
            let ident = format_ident!("{}", rust);
            quote!(super::enums::#ident)
        }
    }
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

fn lifetime_line(
    since: Option<Version>,
    removed: Option<Version>,
    renamed_to: Option<&str>,
) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(since) = since {
        parts.push(format!("Since Dovecot {since}."));
    }
    if let Some(removed) = removed {
        match renamed_to {
            Some(to) => parts.push(format!("Renamed to `{to}` in Dovecot {removed}.")),
            None => parts.push(format!("Removed in Dovecot {removed}.")),
        }
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

fn event_struct(event: &Event, model: &EventModel, options: &RustOptions) -> TokenStream {
    let rt = &options.runtime;
    let name = format_ident!("{}", event.rust_name);
    let Gate {
        cfg: struct_cfg,
        deprecated: struct_deprecated,
    } = gate(
        options,
        model,
        event.since,
        event.removed,
        event.renamed_to.as_deref(),
    );
    let extra = options.type_attrs(&event.name);
    let wire_name = Literal::string(&event.name);
    let mut lines = vec![event.description.clone()];
    let mut facts = match &event.category {
        Some(category) => format!("Event `{}`, category `{category}`", event.name),
        None => format!("Event `{}`, no category of its own", event.name),
    };
    if !event.categories.is_empty() {
        let others: Vec<String> = event.categories.iter().map(|c| format!("`{c}`")).collect();
        facts.push_str(&format!(" (also {})", others.join(", ")));
    }
    facts.push('.');
    if let Some(life) = lifetime_line(event.since, event.removed, event.renamed_to.as_deref()) {
        facts = format!("{facts} {life}");
    }
    if event.edition == Edition::Pro {
        facts.push_str(" Commercial edition only.");
    }
    lines.push(facts);
    if let Some(note) = &event.note {
        lines.push(format!("Note: {note}"));
    }
    let docs = doc_attrs(&lines);

    let fields: Vec<&Field> = event.fields.iter().filter(|f| f.in_struct()).collect();
    let idents: Vec<_> = fields
        .iter()
        .map(|f| field_name(&f.name).to_ident())
        .collect();
    let wire: Vec<_> = fields.iter().map(|f| Literal::string(&f.name)).collect();
    let types = fields.iter().map(|f| field_type(f, model, rt));
    // A field's own gate; the struct's gate already covers anything from the
    // event's first release.
    let gates: Vec<Gate> = fields
        .iter()
        .map(|f| {
            let since = f.since.filter(|s| Some(*s) > event.since);
            gate(options, model, since, f.removed, f.renamed_to.as_deref())
        })
        .collect();
    let cfgs: Vec<&TokenStream> = gates.iter().map(|g| &g.cfg).collect();
    let deprecations = gates.iter().map(|g| &g.deprecated);
    let member_attrs = fields
        .iter()
        .map(|f| options.field_attrs(&event.name, &f.name));
    let owned = fields.iter().zip(&idents).map(|(f, ident)| match f.ty {
        FieldType::String => quote!(#rt::__private::own_str(self.#ident)),
        FieldType::StringList => quote!(#rt::__private::own_list(self.#ident)),
        _ => quote!(self.#ident),
    });
    let field_docs = fields.iter().map(|f| field_docs(f));
    let index = model
        .events
        .keys()
        .position(|n| *n == event.name)
        .unwrap_or_default();
    let index = Literal::usize_unsuffixed(index);
    quote! {
        #docs
        #struct_cfg
        #struct_deprecated
        #[derive(Clone, Debug, Default, PartialEq)]
        #[non_exhaustive]
        #extra
        pub struct #name<'a> {
            #( #field_docs #cfgs #deprecations #member_attrs pub #idents: ::core::option::Option<#types>, )*
            /// Fields the schema does not know, in arrival order.
            pub unknown_fields: #rt::Fields<'a>,
        }

        #struct_cfg
        impl<'a> #name<'a> {
            /// Copies borrowed text so the event outlives its input.
            #[must_use]
            pub fn into_owned(self) -> #name<'static> {
                #name {
                    #( #cfgs #idents: #owned, )*
                    unknown_fields: self.unknown_fields.into_owned(),
                }
            }

            /// Every present field as a wire value, known ones first in schema
            /// order, then unknown ones; borrowed text stays borrowed.
            #[must_use]
            pub fn into_fields(self) -> #rt::Fields<'a> {
                let mut fields = #rt::Fields::default();
                #(
                    #cfgs
                    if let ::core::option::Option::Some(value) = self.#idents {
                        fields.push(::std::borrow::Cow::Borrowed(#wire), #rt::IntoValue::into_value(value));
                    }
                )*
                fields.extend(self.unknown_fields);
                fields
            }
        }

        #struct_cfg
        #[automatically_derived]
        impl<'a> #rt::EventFields<'a> for #name<'a> {
            const NAME: &'static str = #wire_name;

            fn meta() -> &'static #rt::EventMeta {
                &super::EVENTS[#index]
            }

            // Inlined into `Event::set_field`, which the parsers call for
            // every field: one call per field instead of two.
            #[inline]
            fn set_field(
                &mut self,
                name: ::std::borrow::Cow<'a, str>,
                value: #rt::Value<'a>,
            ) -> ::core::result::Result<(), #rt::FieldError> {
                match &*name {
                    #( #cfgs #wire => #rt::__private::set(&mut self.#idents, #wire, value), )*
                    _ => {
                        self.unknown_fields.push(name, value);
                        ::core::result::Result::Ok(())
                    }
                }
            }

            fn for_each_field(&self, f: &mut dyn FnMut(&str, #rt::Value<'_>)) {
                #(
                    #cfgs
                    if let ::core::option::Option::Some(value) = &self.#idents {
                        f(#wire, #rt::ToValue::to_value(value));
                    }
                )*
                for (name, value) in self.unknown_fields.iter() {
                    f(name, value.reborrow());
                }
            }
        }
    }
}

fn field_docs(field: &Field) -> TokenStream {
    let mut facts = format!("`{}`: {}", field.name, type_words(field));
    match &field.origin {
        Origin::Own => {}
        Origin::Group(g) => facts.push_str(&format!(", from group `{g}`")),
        Origin::Event(e) => facts.push_str(&format!(", inherited from `{e}`")),
        Origin::Global => facts.push_str(", global"),
    }
    facts.push('.');
    if let Some(life) = lifetime_line(field.since, field.removed, field.renamed_to.as_deref()) {
        facts = format!("{facts} {life}");
    }
    let mut lines = vec![field.description.clone(), facts];
    if let Some(note) = &field.note {
        lines.push(format!("Note: {note}"));
    }
    doc_attrs(&lines)
}

fn event_enum(events: &[&Event], model: &EventModel, options: &RustOptions) -> TokenStream {
    let rt = &options.runtime;
    // Every arm of every match over the variants carries its event's gate.
    let g: Vec<TokenStream> = events
        .iter()
        .map(|e| gate(options, model, e.since, e.removed, e.renamed_to.as_deref()).cfg)
        .collect();
    let variants: Vec<_> = events
        .iter()
        .map(|e| format_ident!("{}", e.rust_name))
        .collect();
    let wire: Vec<_> = events.iter().map(|e| Literal::string(&e.name)).collect();
    let docs = events
        .iter()
        .map(|e| doc_attrs(&[format!("`{}`: {}", e.name, e.description)]));
    quote! {
        /// Any Dovecot event: a typed variant for every event the schema knows,
        /// [`Event::Unknown`] for the rest.
        #[derive(Clone, Debug, PartialEq)]
        #[non_exhaustive]
        #[allow(deprecated)]
        pub enum Event<'a> {
            #( #docs #g #variants(events::#variants<'a>), )*
            /// An event the schema does not know, with all its fields.
            Unknown(UnknownEvent<'a>),
        }

        /// An event the schema does not know, kept whole.
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct UnknownEvent<'a> {
            /// The event's name.
            pub name: ::std::borrow::Cow<'a, str>,
            /// Its fields, in arrival order.
            pub fields: #rt::Fields<'a>,
        }

        impl UnknownEvent<'_> {
            /// Copies borrowed text so the event outlives its input.
            #[must_use]
            pub fn into_owned(self) -> UnknownEvent<'static> {
                UnknownEvent {
                    name: ::std::borrow::Cow::Owned(self.name.into_owned()),
                    fields: self.fields.into_owned(),
                }
            }
        }

        #[allow(deprecated)]
        impl<'a> Event<'a> {
            /// An event with no fields yet: the typed variant when the schema
            /// knows `name`, [`Event::Unknown`] otherwise.
            #[must_use]
            pub fn new(name: ::std::borrow::Cow<'a, str>) -> Self {
                match &*name {
                    #( #g #wire => Self::#variants(::core::default::Default::default()), )*
                    _ => Self::Unknown(UnknownEvent { name, fields: ::core::default::Default::default() }),
                }
            }

            /// The event's name as Dovecot sends it.
            #[must_use]
            pub fn name(&self) -> &str {
                match self {
                    #( #g Self::#variants(_) => #wire, )*
                    Self::Unknown(event) => &event.name,
                }
            }

            /// The schema's metadata, unless the event is unknown.
            #[must_use]
            pub fn meta(&self) -> ::core::option::Option<&'static #rt::EventMeta> {
                match self {
                    #( #g Self::#variants(_) => ::core::option::Option::Some(<events::#variants<'_> as #rt::EventFields<'_>>::meta()), )*
                    Self::Unknown(_) => ::core::option::Option::None,
                }
            }

            /// Stores one field; see `EventFields::set_field`.
            ///
            /// # Errors
            ///
            /// Returns a `FieldError` when a known field's value
            /// does not fit its type.
            pub fn set_field(
                &mut self,
                name: ::std::borrow::Cow<'a, str>,
                value: #rt::Value<'a>,
            ) -> ::core::result::Result<(), #rt::FieldError> {
                match self {
                    #( #g Self::#variants(event) => #rt::EventFields::set_field(event, name, value), )*
                    Self::Unknown(event) => {
                        event.fields.push(name, value);
                        ::core::result::Result::Ok(())
                    }
                }
            }

            /// Calls `f` with every present field.
            pub fn for_each_field(&self, f: &mut dyn FnMut(&str, #rt::Value<'_>)) {
                match self {
                    #( #g Self::#variants(event) => #rt::EventFields::for_each_field(event, f), )*
                    Self::Unknown(event) => {
                        for (name, value) in event.fields.iter() {
                            f(name, value.reborrow());
                        }
                    }
                }
            }

            /// The fields the schema does not know.
            #[must_use]
            pub fn unknown_fields(&self) -> &#rt::Fields<'a> {
                match self {
                    #( #g Self::#variants(event) => &event.unknown_fields, )*
                    Self::Unknown(event) => &event.fields,
                }
            }

            /// The fields the schema does not know, to add to or change.
            #[must_use]
            pub fn unknown_fields_mut(&mut self) -> &mut #rt::Fields<'a> {
                match self {
                    #( #g Self::#variants(event) => &mut event.unknown_fields, )*
                    Self::Unknown(event) => &mut event.fields,
                }
            }

            /// Every present field as a wire value (known fields first, then
            /// unknown ones); borrowed text stays borrowed.
            #[must_use]
            pub fn into_fields(self) -> #rt::Fields<'a> {
                match self {
                    #( #g Self::#variants(event) => event.into_fields(), )*
                    Self::Unknown(event) => event.fields,
                }
            }

            /// Copies borrowed text so the event outlives its input.
            #[must_use]
            pub fn into_owned(self) -> Event<'static> {
                match self {
                    #( #g Self::#variants(event) => Event::#variants(event.into_owned()), )*
                    Self::Unknown(event) => Event::Unknown(event.into_owned()),
                }
            }
        }
    }
}

/// The pieces the metadata tables share, each emitted once as a constant
/// that the tables copy: every release, and every distinct field
/// description (an inherited field is the same on most events that carry
/// it). Evaluating a `Version::new` call or a field literal thousands of
/// times, once per use, made the tables the slowest part of the generated
/// code to compile.
struct SharedMeta<'r> {
    rt: &'r TokenStream,
    versions: BTreeSet<Version>,
    /// Each distinct field literal, in first-use order, and the index of
    /// each distinct field. The key is the field's `Debug` text: building
    /// (or printing) tokens costs far more inside a proc-macro.
    fields: Vec<TokenStream>,
    field_index: BTreeMap<String, usize>,
}

impl<'r> SharedMeta<'r> {
    fn new(rt: &'r TokenStream) -> Self {
        SharedMeta {
            rt,
            versions: BTreeSet::new(),
            fields: Vec::new(),
            field_index: BTreeMap::new(),
        }
    }

    fn version_lit(&mut self, v: Version) -> TokenStream {
        self.versions.insert(v);
        version_const(v).into_token_stream()
    }

    fn version(&mut self, v: Option<Version>) -> TokenStream {
        match v {
            None => quote!(::core::option::Option::None),
            Some(v) => {
                let v = self.version_lit(v);
                quote!(::core::option::Option::Some(#v))
            }
        }
    }

    /// The constant holding the field's metadata.
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
        format_ident!("FIELD_{index}").into_token_stream()
    }

    fn field_literal(&mut self, field: &Field) -> TokenStream {
        let rt = self.rt;
        let name = Literal::string(&field.name);
        let ty = field_type_meta(field.ty, rt);
        let unit = match field.unit {
            None => quote!(::core::option::Option::None),
            Some(unit) => {
                let variant = format_ident!("{}", type_name(unit.as_str()).name);
                quote!(::core::option::Option::Some(#rt::Unit::#variant))
            }
        };
        let enum_name = opt_str(field.enum_name.as_deref());
        let description = Literal::string(&field.description);
        let since = self.version(field.since);
        let deprecated = self.version(field.deprecated);
        let removed = self.version(field.removed);
        let renamed_to = opt_str(field.renamed_to.as_deref());
        let emitted = field.emitted;
        let pattern = field.pattern;
        let note = opt_str(field.note.as_deref());
        let changes: Vec<TokenStream> = field
            .changes
            .iter()
            .map(|c| {
                let version = self.version_lit(c.version);
                let ty = match c.ty {
                    None => quote!(::core::option::Option::None),
                    Some(ty) => {
                        let ty = field_type_meta(ty, rt);
                        quote!(::core::option::Option::Some(#ty))
                    }
                };
                let note = Literal::string(&c.note);
                quote!(#rt::ChangeMeta { version: #version, ty: #ty, note: #note })
            })
            .collect();
        let origin = match &field.origin {
            Origin::Own => quote!(#rt::Origin::Own),
            Origin::Group(g) => quote!(#rt::Origin::Group(#g)),
            Origin::Event(e) => quote!(#rt::Origin::Event(#e)),
            Origin::Global => quote!(#rt::Origin::Global),
        };
        quote! {
            #rt::FieldMeta {
                name: #name,
                ty: #ty,
                unit: #unit,
                enum_name: #enum_name,
                description: #description,
                since: #since,
                deprecated: #deprecated,
                removed: #removed,
                renamed_to: #renamed_to,
                emitted: #emitted,
                pattern: #pattern,
                note: #note,
                changes: &[#(#changes),*],
                origin: #origin,
            }
        }
    }

    /// The constants, releases first.
    fn constants(&self) -> TokenStream {
        let rt = self.rt;
        let versions = self.versions.iter().map(|v| {
            let name = version_const(*v);
            let parts = v.parts().iter().map(|p| Literal::u16_unsuffixed(*p));
            quote!(const #name: #rt::Version = #rt::Version::new(&[#(#parts),*]);)
        });
        let fields = self.fields.iter().enumerate().map(|(index, literal)| {
            let name = format_ident!("FIELD_{index}");
            quote!(const #name: #rt::FieldMeta = #literal;)
        });
        quote!(#(#versions)* #(#fields)*)
    }
}

/// The name of the constant for release `v`, such as `V2_3_11_2`.
fn version_const(v: Version) -> proc_macro2::Ident {
    let parts: Vec<String> = v.parts().iter().map(u16::to_string).collect();
    format_ident!("V{}", parts.join("_"))
}

fn opt_str(s: Option<&str>) -> TokenStream {
    match s {
        None => quote!(::core::option::Option::None),
        Some(s) => {
            let lit = Literal::string(s);
            quote!(::core::option::Option::Some(#lit))
        }
    }
}

fn field_type_meta(ty: FieldType, rt: &TokenStream) -> TokenStream {
    let variant = format_ident!("{}", type_name(ty.as_str()).name);
    quote!(#rt::FieldType::#variant)
}

fn edition(e: Edition, rt: &TokenStream) -> TokenStream {
    match e {
        Edition::Open => quote!(#rt::Edition::Open),
        Edition::Pro => quote!(#rt::Edition::Pro),
    }
}

fn metadata(model: &EventModel, rt: &TokenStream) -> TokenStream {
    let mut shared = SharedMeta::new(rt);
    let versions: Vec<TokenStream> = model
        .versions
        .iter()
        .map(|v| shared.version_lit(*v))
        .collect();
    let categories: Vec<TokenStream> = model
        .categories
        .values()
        .map(|c| {
            let name = Literal::string(&c.name);
            let description = Literal::string(&c.description);
            let parent = opt_str(c.parent.as_deref());
            let since = shared.version(c.since);
            let removed = shared.version(c.removed);
            let edition = edition(c.edition, rt);
            quote! {
                #rt::CategoryMeta { name: #name, description: #description, parent: #parent, since: #since, removed: #removed, edition: #edition }
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
                    let since = shared.version(v.since);
                    let removed = shared.version(v.removed);
                    quote!(#rt::EnumValueMeta { name: #name, description: #description, since: #since, removed: #removed })
                })
                .collect();
            quote! {
                #rt::EnumMeta { name: #name, rust_name: #rust_name, description: #description, values: &[#(#values),*] }
            }
        })
        .collect();
    let globals: Vec<TokenStream> = model
        .global_fields
        .iter()
        .map(|f| shared.field(f))
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
            let since = shared.version(e.since);
            let deprecated = shared.version(e.deprecated);
            let removed = shared.version(e.removed);
            let renamed_to = opt_str(e.renamed_to.as_deref());
            let emitted = e.emitted;
            let edition = edition(e.edition, rt);
            let note = opt_str(e.note.as_deref());
            let mut sorted: Vec<&Field> = e.fields.iter().collect();
            sorted.sort_by(|a, b| a.name.cmp(&b.name));
            let fields: Vec<TokenStream> = sorted.into_iter().map(|f| shared.field(f)).collect();
            quote! {
                #rt::EventMeta {
                    name: #name,
                    rust_name: #rust_name,
                    category: #category,
                    categories: &[#(#categories),*],
                    description: #description,
                    since: #since,
                    deprecated: #deprecated,
                    removed: #removed,
                    renamed_to: #renamed_to,
                    emitted: #emitted,
                    edition: #edition,
                    note: #note,
                    fields: &[#(#fields),*],
                }
            }
        })
        .collect();
    let constants = shared.constants();
    let hash = &model.source_hash;
    quote! {
        /// A hash of the schema files this code was generated from.
        pub const SCHEMA_HASH: &str = #hash;

        // A crate that includes this code privately may use none of them.
        #[allow(unused_imports)]
        pub use meta_tables::{CATEGORIES, ENUMS, EVENTS, GLOBAL_FIELDS, VERSIONS};

        /// The metadata tables, with the constants they share.
        mod meta_tables {
            #constants

            /// Every Dovecot release the schema knows, oldest first.
            pub static VERSIONS: &[#rt::Version] = &[#(#versions),*];

            /// Every category, sorted by name.
            pub static CATEGORIES: &[#rt::CategoryMeta] = &[#(#categories),*];

            /// Every named value set, sorted by name.
            pub static ENUMS: &[#rt::EnumMeta] = &[#(#enums),*];

            /// Fields any event may carry.
            pub static GLOBAL_FIELDS: &[#rt::FieldMeta] = &[#(#globals),*];

            /// Every event the schema knows, sorted by name, including names
            /// Dovecot documents but never sends and events it removed.
            pub static EVENTS: &[#rt::EventMeta] = &[#(#events),*];
        }
    }
}

/// The metadata of code generated from the runtime crate's own schema: its
/// tables, re-exported, and a compile-time check that they really describe
/// this schema (a runtime crate of another release would not).
fn runtime_metadata(model: &EventModel, rt: &TokenStream) -> TokenStream {
    let hash = &model.source_hash;
    quote! {
        /// A hash of the schema files this code was generated from.
        pub const SCHEMA_HASH: &str = #hash;

        const _: () = ::core::assert!(
            #rt::__private::same_text(#rt::SCHEMA_HASH, SCHEMA_HASH),
            "this code was generated from the schema of another dovecot-events release: \
             regenerate it, or use the matching dovecot-events release",
        );

        // A crate that includes this code privately may use none of them.
        #[allow(unused_imports)]
        pub use #rt::{CATEGORIES, ENUMS, EVENTS, GLOBAL_FIELDS, VERSIONS};
    }
}
