//! `schema!("path", options…)`: the generated types of a schema directory,
//! expanded in place. The proc-macro crate only forwards its input here.
//!
//! The expansion is exactly what [`crate::Builder`] and
//! `dovecot-eventgen rust` write for the same schema and options, plus one
//! `include_bytes!` per schema file so that the calling crate is rebuilt
//! when any of them changes.

use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;

use crate::builder::Config;
use crate::version::Version;

/// The parsed macro input.
struct Input {
    path: syn::LitStr,
    config: Config,
}

fn string_list(input: ParseStream<'_>) -> syn::Result<Vec<String>> {
    let content;
    syn::bracketed!(content in input);
    let items: Punctuated<syn::LitStr, syn::Token![,]> =
        content.parse_terminated(|p| p.parse::<syn::LitStr>(), syn::Token![,])?;
    Ok(items.into_iter().map(|l| l.value()).collect())
}

fn pair(input: ParseStream<'_>) -> syn::Result<(String, String)> {
    let content;
    syn::parenthesized!(content in input);
    let pattern: syn::LitStr = content.parse()?;
    content.parse::<syn::Token![,]>()?;
    let attribute: syn::LitStr = content.parse()?;
    Ok((pattern.value(), attribute.value()))
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let path: syn::LitStr = input.parse()?;
        let mut config = Config::default();
        while !input.is_empty() {
            input.parse::<syn::Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: syn::Ident = input.parse()?;
            input.parse::<syn::Token![=]>()?;
            match key.to_string().as_str() {
                "target" => {
                    let lit: syn::LitStr = input.parse()?;
                    let version: Version = lit
                        .value()
                        .parse()
                        .map_err(|e| syn::Error::new(lit.span(), format!("{e}")))?;
                    config.selection.target = Some(version);
                }
                "categories" => config.selection.categories = string_list(input)?,
                "events" => config.selection.events = string_list(input)?,
                "derive" => {
                    let content;
                    syn::bracketed!(content in input);
                    let paths: Punctuated<syn::Path, syn::Token![,]> =
                        content.parse_terminated(syn::Path::parse_mod_style, syn::Token![,])?;
                    let list: Vec<String> = paths
                        .iter()
                        .map(|p| quote!(#p).to_string().replace(' ', ""))
                        .collect();
                    config
                        .type_attributes
                        .push(("*".to_owned(), format!("#[derive({})]", list.join(", "))));
                }
                "type_attribute" => config.type_attributes.push(pair(input)?),
                "field_attribute" => config.field_attributes.push(pair(input)?),
                other => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!(
                            "unknown schema! option `{other}`; expected target, categories, events, \
                             derive, type_attribute or field_attribute"
                        ),
                    ));
                }
            }
        }
        Ok(Input { path, config })
    }
}

/// Expands `schema!` for a crate whose manifest directory is
/// `manifest_dir`.
#[must_use]
pub fn expand(input: TokenStream, manifest_dir: &Path) -> TokenStream {
    let input: Input = match syn::parse2(input) {
        Ok(input) => input,
        Err(err) => return err.to_compile_error(),
    };
    let dir: PathBuf = manifest_dir.join(input.path.value());
    let span = input.path.span();
    let sources = match crate::read_dir_sources(&dir) {
        Ok(sources) => sources,
        Err(err) => {
            return error(
                span,
                &format!("cannot read the schema at {}: {err}", dir.display()),
            );
        }
    };
    let tokens = match input.config.tokens(&sources, quote!(::dovecot_events)) {
        Ok(tokens) => tokens,
        Err(err) => return error(span, &err.to_string()),
    };
    let rebuild = sources.iter().map(|s| {
        let path = s.path.clone();
        quote!(
            const _: &[u8] = ::core::include_bytes!(#path);
        )
    });
    quote! {
        #(#rebuild)*
        #tokens
    }
}

fn error(span: Span, message: &str) -> TokenStream {
    syn::Error::new(span, message).to_compile_error()
}
