//! The `#[dovecot(…)]` attributes on the struct and its fields, and how they are read.

use quote::ToTokens;

use super::Errors;
use crate::diag::did_you_mean;
use dovecot_events_vocab::Version;

/// The struct-level attribute.
pub(super) struct StructAttr {
    pub(super) event: Option<syn::LitStr>,
    /// The release named by `since`, and its literal.
    pub(super) target: Option<(Version, syn::LitStr)>,
    pub(super) krate: Option<syn::Path>,
    /// Whether an attribute could not be read (its error is reported).
    pub(super) malformed: bool,
}

/// The keys of `#[dovecot(…)]` on the struct and on a field.
const STRUCT_KEYS: &[&str] = &["event", "since", "crate"];
const FIELD_KEYS: &[&str] = &["field", "skip"];

/// The error for an unknown key, with the closest known one.
fn unknown_key(meta: &syn::meta::ParseNestedMeta<'_>, keys: &[&str], on: &str) -> syn::Error {
    let key = meta.path.get_ident().map_or_else(
        || meta.path.to_token_stream().to_string(),
        ToString::to_string,
    );
    let expected = keys
        .iter()
        .map(|k| match *k {
            "skip" => "`skip`".to_owned(),
            k => format!("`{k} = \"…\"`"),
        })
        .collect::<Vec<_>>();
    let hint = match (key.as_str(), did_you_mean(&key, keys.iter().copied())) {
        (_, Some(close)) => format!("; did you mean `{close}`?"),
        ("rename" | "name" | "alias", None) if on == "field" => {
            "; to read a field Dovecot sends under another name, write `field = \"…\"`".to_owned()
        }
        _ => String::new(),
    };
    meta.error(format!(
        "unknown key `{key}` in a {on}'s `#[dovecot(…)]`{hint}\n\
         expected {}",
        or_list(&expected)
    ))
}

/// The string literal after `key =`; anything else is an error on it that
/// shows the quoted form.
fn string_value(meta: &syn::meta::ParseNestedMeta<'_>, key: &str) -> syn::Result<syn::LitStr> {
    let value = meta.value()?;
    if value.peek(syn::LitStr) {
        return value.parse();
    }
    let expr: syn::Expr = value.parse()?;
    let text = expr.to_token_stream().to_string().replace(' ', "");
    Err(syn::Error::new_spanned(
        expr,
        format!("expected a string literal: `{key} = \"{text}\"`"),
    ))
}

fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// One field's attribute.
#[derive(Default)]
pub(super) struct FieldAttr {
    pub(super) name: Option<syn::LitStr>,
    pub(super) skip: bool,
}

pub(super) fn struct_attr(input: &syn::DeriveInput, errors: &mut Errors) -> StructAttr {
    let mut out = StructAttr {
        event: None,
        target: None,
        krate: None,
        malformed: false,
    };
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("dovecot")) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("event") {
                out.event = Some(string_value(&meta, "event")?);
            } else if meta.path.is_ident("since") || meta.path.is_ident("target") {
                let lit = string_value(&meta, "since")?;
                match lit.value().parse::<Version>() {
                    Ok(v) => out.target = Some((v, lit)),
                    Err(err) => return Err(syn::Error::new(lit.span(), err.to_string())),
                }
            } else if meta.path.is_ident("crate") {
                let lit = string_value(&meta, "crate")?;
                out.krate = Some(lit.parse()?);
            } else {
                return Err(unknown_key(&meta, STRUCT_KEYS, "struct"));
            }
            Ok(())
        });
        if let Err(err) = result {
            out.malformed = true;
            errors.add(err);
        }
    }
    out
}

pub(super) fn field_attr(field: &syn::Field, errors: &mut Errors) -> FieldAttr {
    let mut out = FieldAttr::default();
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("dovecot")) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("field") {
                out.name = Some(string_value(&meta, "field")?);
            } else if meta.path.is_ident("skip") {
                out.skip = true;
            } else {
                return Err(unknown_key(&meta, FIELD_KEYS, "field"));
            }
            Ok(())
        });
        if let Err(err) = result {
            errors.add(err);
        }
    }
    out
}
