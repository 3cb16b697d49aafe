//! `#[derive(DovecotEvent)]`: a user's own struct, checked against the
//! schema at compile time.
//!
//! The proc-macro crate only forwards its input here. Every mistake becomes a
//! `compile_error!` on the span of the token that is wrong, and all of them
//! are reported at once.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::spanned::Spanned;

use crate::diag::did_you_mean;
use crate::model::{Event, EventModel, Field, FieldType};
use dovecot_events_vocab::{Lifetime, Status, Version};

mod attrs;
mod impls;

use attrs::{field_attr, struct_attr};
use impls::{fallback, implementation};

/// Expands the derive for `input`, checking it against `model` as of
/// `default_target` (the release the enabled version features stand for)
/// unless the struct names its own with `#[dovecot(since = "…")]`.
#[must_use]
pub fn expand(
    input: TokenStream,
    model: &EventModel,
    default_target: Option<Version>,
) -> TokenStream {
    let input: syn::DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(err) => return err.to_compile_error(),
    };
    let mut errors = Errors::default();
    let output = expand_struct(&input, model, default_target, &mut errors);
    match errors.0 {
        // With the errors come stub impls (when the struct's shape allows
        // them), so code using the struct does not add errors of its own.
        Some(err) => {
            let err = err.to_compile_error();
            quote!(#err #output)
        }
        None => output,
    }
}

#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, span: Span, message: impl std::fmt::Display) {
        let err = syn::Error::new(span, message);
        match &mut self.0 {
            Some(all) => all.combine(err),
            None => self.0 = Some(err),
        }
    }

    fn add(&mut self, err: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(err),
            None => self.0 = Some(err),
        }
    }
}

fn expand_struct(
    input: &syn::DeriveInput,
    model: &EventModel,
    default_target: Option<Version>,
    errors: &mut Errors,
) -> TokenStream {
    let attr = struct_attr(input, errors);
    let syn::Data::Struct(data) = &input.data else {
        errors.push(
            input.ident.span(),
            "DovecotEvent can only be derived for a struct with named fields",
        );
        return TokenStream::new();
    };
    let syn::Fields::Named(named) = &data.fields else {
        errors.push(
            input.ident.span(),
            "DovecotEvent can only be derived for a struct with named fields",
        );
        return TokenStream::new();
    };
    let lifetimes = input.generics.lifetimes().count();
    if lifetimes > 1 || input.generics.params.len() > lifetimes {
        errors.push(
            input.generics.span(),
            "DovecotEvent supports at most one lifetime parameter (for borrowed text) and no type parameters",
        );
        return TokenStream::new();
    }
    let krate = attr
        .krate
        .clone()
        .map_or_else(|| quote!(::dovecot_events), |p| p.to_token_stream());
    let Some(event_lit) = &attr.event else {
        // A malformed attribute has been reported; it may well have been
        // meant to name the event.
        if !attr.malformed {
            errors.push(
                input.ident.span(),
                "missing `#[dovecot(event = \"…\")]`: name the Dovecot event this struct reads",
            );
        }
        return fallback(input, &krate);
    };
    let event_name = event_lit.value();
    let target = match &attr.target {
        Some((version, lit)) => {
            if !model.versions.contains(version) {
                errors.push(lit.span(), unknown_release(*version, model));
            }
            Some(Target {
                version: *version,
                explicit: true,
            })
        }
        None => default_target.map(|version| Target {
            version,
            explicit: false,
        }),
    };
    let Some(event) = model.events.get(&event_name) else {
        let hint = did_you_mean(&event_name, model.events.keys().map(String::as_str))
            .map_or_else(String::new, |s| format!("; did you mean `{s}`?"));
        errors.push(
            event_lit.span(),
            format!("Dovecot has no event `{event_name}`{hint}"),
        );
        return fallback(input, &krate);
    };
    if let Some(target) = target
        && let Some(message) = lifetime_problem(
            "event",
            &event.name,
            &event.lifetime,
            event.renamed_to.as_deref(),
            target,
        )
    {
        errors.push(event_lit.span(), message);
    }

    let mut slots = Vec::new();
    for field in &named.named {
        let fattr = field_attr(field, errors);
        let Some(ident) = &field.ident else { continue };
        if fattr.skip {
            slots.push(Slot {
                ident: ident.clone(),
                ty: field.ty.clone(),
                wire: None,
                optional: false,
            });
            continue;
        }
        let (wire_name, name_span) = match &fattr.name {
            Some(lit) => (lit.value(), lit.span()),
            None => (
                ident.to_string().trim_start_matches("r#").to_owned(),
                ident.span(),
            ),
        };
        let (optional, inner) = option_inner(&field.ty);
        match find_field(event, &wire_name) {
            None => {
                let hint = did_you_mean(
                    &wire_name,
                    event
                        .fields
                        .iter()
                        .filter(|f| !f.pattern)
                        .map(|f| f.name.as_str()),
                )
                .map_or_else(String::new, |s| format!("; did you mean `{s}`?"));
                errors.push(
                    name_span,
                    format!("event `{}` has no field `{wire_name}`{hint}", event.name),
                );
            }
            Some(schema_field) => {
                if let Some(target) = target
                    && let Some(message) = lifetime_problem(
                        "field",
                        &wire_name,
                        &schema_field.lifetime,
                        schema_field.renamed_to.as_deref(),
                        target,
                    )
                {
                    errors.push(name_span, message);
                }
                if let Err(message) =
                    compatible(inner, schema_field, target.map(|t| t.version), model)
                {
                    errors.push(inner.span(), message);
                }
            }
        }
        slots.push(Slot {
            ident: ident.clone(),
            ty: field.ty.clone(),
            wire: Some(wire_name),
            optional,
        });
    }
    if errors.0.is_some() {
        return fallback(input, &krate);
    }
    implementation(input, &event.name, &slots, &krate)
}

/// The release a struct is checked against, and whether the struct named it
/// (`since`) or it came from the enabled version features.
#[derive(Clone, Copy)]
struct Target {
    version: Version,
    explicit: bool,
}

fn unknown_release(version: Version, model: &EventModel) -> String {
    let before = model.versions.iter().rfind(|v| **v < version);
    let after = model.versions.iter().find(|v| **v > version);
    let around = match (before, after) {
        (Some(b), Some(a)) => format!("; the releases around it are {b} and {a}"),
        (Some(b), None) => format!("; the newest one is {b}"),
        (None, Some(a)) => format!("; the oldest one is {a}"),
        (None, None) => String::new(),
    };
    format!("{version} is not a Dovecot release the schema knows{around}")
}

struct Slot {
    ident: syn::Ident,
    ty: syn::Type,
    /// The wire name, or `None` for a skipped field.
    wire: Option<String>,
    optional: bool,
}

fn find_field<'m>(event: &'m Event, name: &str) -> Option<&'m Field> {
    event.field(name)
}

fn lifetime_problem(
    what: &str,
    name: &str,
    lifetime: &Lifetime,
    renamed_to: Option<&str>,
    target: Target,
) -> Option<String> {
    let version = target.version;
    let checked = if target.explicit {
        format!("`since = \"{version}\"`")
    } else {
        format!("{version}, the newest release whose version feature is enabled")
    };
    let removed = match lifetime.status_at(version) {
        Status::Current | Status::Deprecated { .. } => return None,
        Status::Removed { since } => since,
        Status::NotYet { since } => {
            let raise = if target.explicit {
                format!("raise `since` to \"{since}\"")
            } else {
                format!(
                    "enable the `{}` feature of dovecot-events, or write `#[dovecot(since = \"{since}\")]`",
                    since.feature_name()
                )
            };
            let drop = if what == "event" {
                ""
            } else {
                ", or drop the field"
            };
            return Some(format!(
                "{what} `{name}` first appears in Dovecot {since}, after the release this struct is \
             checked against ({checked})\n{raise}{drop}"
            ));
        }
    };
    let rename = renamed_to.map_or_else(String::new, |n| format!("; it is `{n}` from then on"));
    Some(format!(
        "{what} `{name}` was removed in Dovecot {removed}, before the release this struct is \
         checked against ({checked}){rename}"
    ))
}

/// `Option<T>` → `(true, T)`, anything else → `(false, it)`.
fn option_inner(ty: &syn::Type) -> (bool, &syn::Type) {
    if let Some(args) = last_segment_args(ty, "Option")
        && let Some(syn::GenericArgument::Type(inner)) = args.first()
    {
        return (true, inner);
    }
    (false, ty)
}

fn last_segment(ty: &syn::Type) -> Option<&syn::PathSegment> {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

fn last_segment_args<'t>(
    ty: &'t syn::Type,
    name: &str,
) -> Option<&'t syn::punctuated::Punctuated<syn::GenericArgument, syn::Token![,]>> {
    let seg = last_segment(ty)?;
    if seg.ident != name {
        return None;
    }
    match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) => Some(&a.args),
        _ => None,
    }
}

/// What a Rust type is, as far as the check is concerned.
#[derive(Debug, PartialEq, Eq)]
enum RustKind {
    Text,
    Integer,
    Bool,
    Timestamp,
    Ip,
    TextList,
    Named(String),
    Unsupported,
}

fn classify(ty: &syn::Type) -> RustKind {
    if let syn::Type::Reference(r) = ty {
        return match &*r.elem {
            syn::Type::Path(p) if p.path.is_ident("str") => RustKind::Text,
            _ => RustKind::Unsupported,
        };
    }
    let Some(seg) = last_segment(ty) else {
        return RustKind::Unsupported;
    };
    let name = seg.ident.to_string();
    match name.as_str() {
        "String" | "Cow" => RustKind::Text,
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" | "u8" | "u16" | "u32" | "u64" | "u128"
        | "usize" => RustKind::Integer,
        "bool" => RustKind::Bool,
        "Timestamp" => RustKind::Timestamp,
        "IpAddr" => RustKind::Ip,
        "Vec" => match last_segment_args(ty, "Vec").and_then(|a| a.first()) {
            Some(syn::GenericArgument::Type(inner)) if classify(inner) == RustKind::Text => {
                RustKind::TextList
            }
            _ => RustKind::Unsupported,
        },
        _ => RustKind::Named(name),
    }
}

fn compatible(
    ty: &syn::Type,
    field: &Field,
    target: Option<Version>,
    model: &EventModel,
) -> Result<(), String> {
    let schema = match target {
        Some(target) => field.type_at(target),
        None => field
            .changes
            .iter()
            .filter_map(|c| c.ty)
            .next_back()
            .unwrap_or(field.ty),
    };
    let kind = classify(ty);
    let ok = match (&kind, schema) {
        (RustKind::Text, FieldType::String | FieldType::Enum | FieldType::Ip | FieldType::Flag) => {
            true
        }
        (RustKind::Integer, FieldType::Integer) => true,
        (RustKind::Bool, FieldType::Flag) => true,
        (RustKind::Timestamp, FieldType::Timestamp) => true,
        (RustKind::Ip, FieldType::Ip) => true,
        // Dovecot 2.3 sends addresses as text; a field that became an IP
        // field later holds one in every release.
        (RustKind::Ip, _) => field.changes.iter().any(|c| c.ty == Some(FieldType::Ip)),
        (RustKind::TextList, FieldType::StringList) => true,
        (RustKind::Named(name), FieldType::Enum) => field
            .enum_name
            .as_ref()
            .and_then(|e| model.enums.get(e))
            .is_some_and(|e| e.rust_name == *name),
        _ => false,
    };
    if ok {
        return Ok(());
    }
    let fits = match schema {
        FieldType::String => "String, &str or Cow<str>".to_owned(),
        FieldType::Integer => "an integer type such as u64 or i64".to_owned(),
        FieldType::Timestamp => "dovecot_events::Timestamp".to_owned(),
        FieldType::Ip => "std::net::IpAddr or String".to_owned(),
        FieldType::StringList => "Vec<String>, Vec<&str> or Vec<Cow<str>>".to_owned(),
        FieldType::Flag => "bool".to_owned(),
        FieldType::Enum => {
            let rust = field
                .enum_name
                .as_ref()
                .and_then(|e| model.enums.get(e))
                .map_or("its enum", |e| e.rust_name.as_str());
            format!("dovecot_events::enums::{rust} or String")
        }
    };
    let ty_text = ty.to_token_stream().to_string().replace(' ', "");
    let what = if kind == RustKind::Unsupported {
        format!("`{ty_text}` is not a type DovecotEvent can fill")
    } else {
        format!("`{ty_text}` cannot hold it")
    };
    Err(format!(
        "field `{}` is {} in the schema and {what}; use {fits}",
        field.name,
        field.type_text()
    ))
}
