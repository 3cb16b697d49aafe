//! The Rust emitter: the event structs, enums, the `Event` enum and the
//! metadata tables of the `dovecot-events` crate, or of a crate that
//! generates its own through `schema!` or a build script.
//!
//! Each type is written once, as an invocation of one of the runtime
//! crate's declarative macros (`__event!`, `__events!`, `__open_enum!`),
//! which expand it into the type and everything it implements. The output
//! is a tree of [`Module`]s, rendered either as one file (macros, build
//! scripts, `dovecot-eventgen rust`) or as a directory of files a person
//! can open (the checked-in code of the runtime crate).

mod enums;
mod events;
mod gate;
mod meta;

use std::fmt::Write as _;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::emit::source;
use crate::model::EventModel;

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
            command: "cargo xtask generate".into(),
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
        .filter(|(pattern, _)| dovecot_events_vocab::pattern_matches(pattern, name))
        .map(|(_, attrs)| attrs);
    quote!(#(#attrs)*)
}

/// A module of generated code: its items, and modules below it.
#[derive(Clone, Debug, Default)]
pub struct Module {
    /// The module's name (empty for the root).
    pub name: String,
    /// Whether it is `pub`.
    pub public: bool,
    /// Attributes of the `mod` item, such as `#[allow(deprecated)]`.
    pub attrs: TokenStream,
    /// The items, after any inner doc comment.
    pub items: TokenStream,
    /// Modules below this one, in order.
    pub children: Vec<Module>,
    /// Whether the items of every child are imported here, so that the
    /// children only split the code into files.
    pub flatten: Flatten,
}

/// How a module takes in its children's items.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Flatten {
    /// Not at all: the children are modules of their own.
    #[default]
    No,
    /// `pub use child::*`: the children split a public module into files.
    Public,
    /// `use child::*`: the children hold what this module uses.
    Private,
}

impl Module {
    fn declaration(&self) -> TokenStream {
        let name = format_ident!("{}", self.name);
        let attrs = &self.attrs;
        let visibility = if self.public { quote!(pub) } else { quote!() };
        quote!(#attrs #visibility mod #name;)
    }

    fn reexports(&self) -> TokenStream {
        let names = self.children.iter().map(|c| format_ident!("{}", c.name));
        match self.flatten {
            Flatten::No => TokenStream::new(),
            // A child whose items the version features all leave out has
            // nothing to import.
            Flatten::Public => quote!(#(#[allow(unused_imports)] pub use self::#names::*;)*),
            Flatten::Private => quote!(#(use self::#names::*;)*),
        }
    }

    /// The module's whole contents, children inline.
    #[must_use]
    pub fn inline(&self) -> TokenStream {
        let items = &self.items;
        let children = self.children.iter().map(|child| {
            let name = format_ident!("{}", child.name);
            let attrs = &child.attrs;
            let visibility = if child.public { quote!(pub) } else { quote!() };
            let body = child.inline();
            quote!(#attrs #visibility mod #name { #body })
        });
        let reexports = self.reexports();
        quote!(#items #(#children)* #reexports)
    }

    /// The module as files below `dir` (`mod.rs` for a module with
    /// children, `NAME.rs` for one without), each rendered with `header`.
    #[must_use]
    pub fn files(&self, dir: &str, header: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        self.collect_files(dir, header, true, &mut out);
        out
    }

    fn collect_files(&self, dir: &str, header: &str, root: bool, out: &mut Vec<(String, String)>) {
        let path = if root {
            format!("{dir}/mod.rs")
        } else if self.children.is_empty() {
            format!("{dir}/{}.rs", self.name)
        } else {
            format!("{dir}/{}/mod.rs", self.name)
        };
        let declarations = self.children.iter().map(Module::declaration);
        let items = &self.items;
        let reexports = self.reexports();
        let tokens = quote!(#items #(#declarations)* #reexports);
        out.push((path, format!("{header}{}", source::render(&tokens))));
        let below = if root {
            dir.to_owned()
        } else {
            format!("{dir}/{}", self.name)
        };
        for child in &self.children {
            child.collect_files(&below, header, false, out);
        }
    }
}

/// Generates the code as a module tree.
#[must_use]
pub fn module(model: &EventModel, options: &RustOptions) -> Module {
    let enums = enums::module(model, options);
    let events = events::module(model, options);
    let event_enum = events::event_enum(model, options);
    let (meta_items, meta_module) = meta::module(model, options);
    let mut children = vec![enums, events];
    children.extend(meta_module);
    Module {
        name: String::new(),
        public: true,
        attrs: TokenStream::new(),
        items: quote!(#event_enum #meta_items),
        children,
        flatten: Flatten::No,
    }
}

/// Generates the whole code as one token stream.
#[must_use]
pub fn tokens(model: &EventModel, options: &RustOptions) -> TokenStream {
    module(model, options).inline()
}

/// Generates the whole code as one file, laid out for reading, with its
/// `@generated` header.
#[must_use]
pub fn generate(model: &EventModel, options: &RustOptions) -> String {
    format!(
        "{}{}",
        crate::emit::header(model, &options.command, "//"),
        source::render(&tokens(model, options))
    )
}

/// Generates the code as files below `dir` (a path relative to the
/// repository root), each with its `@generated` header: how the runtime
/// crate keeps its own copy.
#[must_use]
pub fn generate_files(
    model: &EventModel,
    options: &RustOptions,
    dir: &str,
) -> Vec<(String, String)> {
    let header = crate::emit::header(model, &options.command, "//");
    module(model, options).files(dir, &header)
}

/// A short count of what the code holds, for a module's doc comment.
fn counted(what: &str, n: usize) -> String {
    let mut text = String::new();
    let _ = write!(text, "{n} {what}{}", if n == 1 { "" } else { "s" });
    text
}
