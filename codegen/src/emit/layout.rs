//! A fast, plain layout of generated tokens: one item, attribute or
//! statement per line, indented by brace depth.
//!
//! `prettyplease` gives nicer output, but parsing the whole generated file
//! into a `syn::File` first costs seconds in an unoptimised build script,
//! on every clean build. This layout costs about as much as `to_string()`
//! and still gives the compiler short lines to point at.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

/// The tokens as Rust source, laid out line by line.
#[must_use]
pub fn layout(tokens: &TokenStream) -> String {
    let mut out = Layout {
        at_line_start: true,
        ..Layout::default()
    };
    out.stream(tokens.clone(), 0);
    out.newline();
    out.text
}

#[derive(Default)]
struct Layout {
    text: String,
    /// Whether the last token was a joint punctuation mark (`:` of `::`,
    /// `'` of a lifetime), so no space may follow it.
    joint: bool,
    /// Whether the current line has no tokens yet.
    at_line_start: bool,
}

impl Layout {
    fn newline(&mut self) {
        if !self.at_line_start {
            self.text.push('\n');
        }
        self.at_line_start = true;
        self.joint = false;
    }

    fn word(&mut self, text: &str, depth: usize) {
        if self.at_line_start {
            for _ in 0..depth {
                self.text.push_str("    ");
            }
        } else if !self.joint {
            self.text.push(' ');
        }
        self.text.push_str(text);
        self.at_line_start = false;
        self.joint = false;
    }

    fn stream(&mut self, tokens: TokenStream, depth: usize) {
        let mut after_pound = false;
        for tree in tokens {
            match tree {
                TokenTree::Group(group) if group.delimiter() == Delimiter::Brace => {
                    self.word("{", depth);
                    self.newline();
                    self.stream(group.stream(), depth + 1);
                    if !self.at_line_start {
                        self.newline();
                    }
                    self.word("}", depth);
                    self.newline();
                    after_pound = false;
                }
                TokenTree::Group(group) => {
                    let attribute = after_pound && group.delimiter() == Delimiter::Bracket;
                    self.word(&group.to_string(), depth);
                    if attribute {
                        self.newline();
                    }
                    after_pound = false;
                }
                TokenTree::Punct(punct) => {
                    let ch = punct.as_char();
                    self.word(ch.encode_utf8(&mut [0; 4]), depth);
                    after_pound = ch == '#' || (after_pound && ch == '!');
                    // `#[…]` reads better without the space.
                    self.joint = punct.spacing() == Spacing::Joint || after_pound;
                    if ch == ';' {
                        self.newline();
                    }
                }
                other => {
                    self.word(&other.to_string(), depth);
                    after_pound = false;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::layout;

    #[test]
    fn one_item_per_line_and_the_same_tokens() {
        let tokens = quote! {
            #[doc = "A struct."]
            pub struct S<'a> { pub a: ::std::borrow::Cow<'a, str>, }
            impl<'a> S<'a> {
                fn f(&self) -> usize { let x = 1; x + 1 }
            }
        };
        let text = layout(&tokens);
        assert_eq!(
            text,
            "#[doc = \"A struct.\"]\n\
             pub struct S < 'a > {\n    \
                 pub a : :: std :: borrow :: Cow < 'a , str > ,\n\
             }\n\
             impl < 'a > S < 'a > {\n    \
                 fn f (& self) -> usize {\n        \
                     let x = 1 ;\n        \
                     x + 1\n    \
                 }\n\
             }\n"
        );
        let reparsed: proc_macro2::TokenStream = text.parse().expect("valid tokens");
        assert_eq!(reparsed.to_string(), tokens.to_string());
    }
}
