//! `schema!("path", options…)` or `schema!(options…)`: the generated types
//! of a schema directory, or of the schema embedded in this crate when no
//! path is given, expanded in place. The proc-macro crate only forwards its
//! input here.
//!
//! The expansion is exactly what [`crate::Builder`] and
//! `dovecot-eventgen rust` write for the same schema and options, plus, for
//! a schema directory, one `include_bytes!` per schema file so that the
//! calling crate is rebuilt when any of them changes.
//!
//! Every mistake is an error on the token that is wrong: a schema that
//! cannot be read or has errors on the path (with every schema error,
//! located as `file:line:column`), an unknown category, event or release on
//! its literal, an attribute that is not Rust on its literal.

use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;

use crate::SourceFile;
use crate::builder::Config;
use crate::diag::did_you_mean;
use dovecot_events_vocab::Version;

/// The options the macro takes.
const OPTIONS: &[&str] = &[
    "target",
    "categories",
    "events",
    "derive",
    "type_attribute",
    "field_attribute",
];

/// The parsed macro input, with the literal of every name and attribute so
/// that errors can point at it.
struct Input {
    /// The schema directory; `None` for the embedded schema.
    path: Option<syn::LitStr>,
    config: Config,
    /// `(kind, literal)`, kind as in [`crate::select::UnknownName`].
    names: Vec<(&'static str, syn::LitStr)>,
    /// The attribute literals.
    attributes: Vec<syn::LitStr>,
}

fn string_list(input: ParseStream<'_>) -> syn::Result<Vec<syn::LitStr>> {
    let content;
    syn::bracketed!(content in input);
    let items: Punctuated<syn::LitStr, syn::Token![,]> =
        content.parse_terminated(|p| p.parse::<syn::LitStr>(), syn::Token![,])?;
    Ok(items.into_iter().collect())
}

fn pair(input: ParseStream<'_>) -> syn::Result<(String, syn::LitStr)> {
    let content;
    syn::parenthesized!(content in input);
    let pattern: syn::LitStr = content.parse()?;
    content.parse::<syn::Token![,]>()?;
    let attribute: syn::LitStr = content.parse()?;
    Ok((pattern.value(), attribute))
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let path = if input.peek(syn::LitStr) {
            Some(input.parse::<syn::LitStr>()?)
        } else {
            None
        };
        let mut out = Input {
            path,
            config: Config::default(),
            names: Vec::new(),
            attributes: Vec::new(),
        };
        let mut first = out.path.is_none();
        while !input.is_empty() {
            if !first {
                input.parse::<syn::Token![,]>()?;
            }
            first = false;
            if input.is_empty() {
                break;
            }
            if input.peek(syn::LitStr) {
                let lit: syn::LitStr = input.parse()?;
                return Err(syn::Error::new(
                    lit.span(),
                    format!(
                        "the schema directory comes first: `schema!({:?}, …)`; \
                         without one the embedded schema is used",
                        lit.value()
                    ),
                ));
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
                    out.config.selection.target = Some(version);
                    out.names.push(("release", lit));
                }
                "categories" => {
                    for lit in string_list(input)? {
                        out.config.selection.categories.push(lit.value());
                        out.names.push(("category", lit));
                    }
                }
                "events" => {
                    for lit in string_list(input)? {
                        out.config.selection.events.push(lit.value());
                        out.names.push(("event", lit));
                    }
                }
                "derive" => {
                    let content;
                    syn::bracketed!(content in input);
                    let paths: Punctuated<syn::Path, syn::Token![,]> =
                        content.parse_terminated(syn::Path::parse_mod_style, syn::Token![,])?;
                    let list: Vec<String> = paths
                        .iter()
                        .map(|p| quote!(#p).to_string().replace(' ', ""))
                        .collect();
                    out.config
                        .type_attributes
                        .push(("*".to_owned(), format!("#[derive({})]", list.join(", "))));
                }
                "type_attribute" => {
                    let (pattern, lit) = pair(input)?;
                    out.config.type_attributes.push((pattern, lit.value()));
                    out.attributes.push(lit);
                }
                "field_attribute" => {
                    let (pattern, lit) = pair(input)?;
                    out.config.field_attributes.push((pattern, lit.value()));
                    out.attributes.push(lit);
                }
                other => {
                    let hint = did_you_mean(other, OPTIONS.iter().copied())
                        .map_or_else(String::new, |s| format!("; did you mean `{s}`?"));
                    return Err(syn::Error::new(
                        key.span(),
                        format!(
                            "unknown schema! option `{other}`{hint}\nexpected {}",
                            OPTIONS.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(out)
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
    let Some(path) = &input.path else {
        // The embedded schema is valid (this crate's tests check it) and
        // changes only with this crate, so nothing needs watching.
        let model = match crate::load_embedded() {
            Ok(model) => model,
            Err(errors) => {
                return error(
                    Span::call_site(),
                    &format!("invalid embedded schema:\n{errors}"),
                );
            }
        };
        return expand_model(&input, &model, Span::call_site(), Vec::new());
    };
    let written = path.value();
    let dir: PathBuf = manifest_dir.join(&written);
    let span = path.span();
    let sources = match crate::read_dir_sources(&dir) {
        Ok(sources) if sources.is_empty() => {
            return error(
                span,
                &format!("the schema directory `{written}` holds no `.yaml` files"),
            );
        }
        Ok(sources) => sources,
        Err(err) => {
            let reason = match &err {
                crate::Error::Io { source, .. } => source.to_string(),
                other => other.to_string(),
            };
            return error(
                span,
                &format!(
                    "cannot read the schema directory `{written}`: {reason}\n\
                     the path is relative to the directory of the crate's Cargo.toml"
                ),
            );
        }
    };
    // Diagnostics name the files as the user wrote the path, not as this
    // machine resolved it.
    let shown: Vec<SourceFile> = sources
        .iter()
        .map(|s| SourceFile {
            path: format!("{}/{}", written.trim_end_matches('/'), s.relative),
            ..s.clone()
        })
        .collect();
    let model = match crate::load_sources(&shown) {
        Ok(model) => model,
        Err(errors) => return error(span, &format!("invalid schema:\n{errors}")),
    };
    let rebuild: Vec<TokenStream> = sources
        .iter()
        .map(|s| {
            let path = s.path.clone();
            quote!(
                const _: &[u8] = ::core::include_bytes!(#path);
            )
        })
        .collect();
    expand_model(&input, &model, span, rebuild)
}

/// The expansion for a loaded schema: the option errors, or `rebuild`
/// followed by the generated code.
fn expand_model(
    input: &Input,
    model: &crate::EventModel,
    span: Span,
    rebuild: Vec<TokenStream>,
) -> TokenStream {
    if let Some(err) = option_errors(input, model) {
        return err.to_compile_error();
    }
    let tokens = match input.config.model_tokens(model, quote!(::dovecot_events)) {
        Ok(tokens) => tokens,
        // The checks above cover every option problem; this is a fallback.
        Err(err) => return error(span, &format!("invalid schema! options:\n{err}")),
    };
    quote! {
        #(#rebuild)*
        #tokens
    }
}

/// Names the schema does not have and attributes that are not Rust, each
/// on its literal.
fn option_errors(input: &Input, model: &crate::EventModel) -> Option<syn::Error> {
    let mut all: Option<syn::Error> = None;
    let mut push = |err: syn::Error| match &mut all {
        Some(all) => all.combine(err),
        None => all = Some(err),
    };
    for unknown in input.config.selection.unknown_names(model) {
        let lit = input
            .names
            .iter()
            .find(|(kind, lit)| *kind == unknown.kind && lit.value() == unknown.name)
            .map_or_else(
                || {
                    input
                        .path
                        .as_ref()
                        .map_or_else(Span::call_site, syn::LitStr::span)
                },
                |(_, lit)| lit.span(),
            );
        push(syn::Error::new(lit, unknown.to_string()));
    }
    for lit in &input.attributes {
        if let Err(err) = crate::builder::attributes(&lit.value()) {
            let text = lit.value();
            let message = match text.trim() {
                t if !t.starts_with('#') && !t.is_empty() => {
                    format!("`{text}` is not a Rust attribute; did you mean `#[{t}]`?")
                }
                _ => format!("`{text}` is not a Rust attribute: {err}"),
            };
            push(syn::Error::new(lit.span(), message));
        }
    }
    all
}

fn error(span: Span, message: &str) -> TokenStream {
    syn::Error::new(span, message).to_compile_error()
}
