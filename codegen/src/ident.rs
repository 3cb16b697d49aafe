//! All naming: schema names → Rust identifiers.

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Words that can be raw identifiers (`r#type`).
const RAW_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];

/// Words that cannot even be raw identifiers.
const NON_RAW_KEYWORDS: &[&str] = &["self", "Self", "super", "crate", "_"];

/// A Rust identifier as text; `raw` asks for the `r#` prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RustIdent {
    /// The identifier without any `r#`.
    pub name: String,
    /// Whether it must be written `r#name`.
    pub raw: bool,
}

impl RustIdent {
    /// Builds the `proc_macro2` identifier.
    #[must_use]
    pub fn to_ident(&self) -> proc_macro2::Ident {
        if self.raw {
            proc_macro2::Ident::new_raw(&self.name, proc_macro2::Span::call_site())
        } else {
            proc_macro2::Ident::new(&self.name, proc_macro2::Span::call_site())
        }
    }
}

/// The snake_case field name for a Dovecot field name.
#[must_use]
pub fn field_name(name: &str) -> RustIdent {
    sanitize(&clean(name).to_snake_case())
}

/// The UpperCamelCase type name for an event or enum name.
#[must_use]
pub fn type_name(name: &str) -> RustIdent {
    sanitize(&clean(name).to_upper_camel_case())
}

/// The variant name for an enum value such as `TLS`, `password_mismatch` or
/// `OK`.
#[must_use]
pub fn variant_name(value: &str) -> RustIdent {
    let cleaned = clean(value);
    // All-caps words (`TLS`, `OK`) read better as `Tls`, `Ok`.
    let camel = if cleaned.chars().any(char::is_lowercase) {
        cleaned.to_upper_camel_case()
    } else {
        cleaned.to_lowercase().to_upper_camel_case()
    };
    sanitize(&camel)
}

/// Replaces every character that cannot appear in an identifier with `_`.
fn clean(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn sanitize(name: &str) -> RustIdent {
    let mut name = if name.is_empty() {
        "_empty".to_owned()
    } else {
        name.to_owned()
    };
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    if NON_RAW_KEYWORDS.contains(&name.as_str()) {
        name.push('_');
        return RustIdent { name, raw: false };
    }
    let raw = RAW_KEYWORDS.contains(&name.as_str());
    RustIdent { name, raw }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_keyword_becomes_a_valid_identifier() {
        for word in RAW_KEYWORDS {
            let ident = field_name(word);
            assert!(ident.raw, "{word}");
            let _ = ident.to_ident();
        }
        for word in ["self", "super", "crate"] {
            let ident = field_name(word);
            assert_eq!(ident.name, format!("{word}_"));
            assert!(!ident.raw);
            let _ = ident.to_ident();
        }
        assert_eq!(type_name("self").name, "Self_");
        assert_eq!(field_name("_").name, "_empty");
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(field_name(" user_mask").name, "user_mask");
        assert_eq!(field_name("id_param_x-y").name, "id_param_x_y");
        assert_eq!(field_name("3des").name, "_3des");
        assert_eq!(
            type_name("auth_request_finished").name,
            "AuthRequestFinished"
        );
        assert_eq!(variant_name("TLS").name, "Tls");
        assert_eq!(variant_name("password_mismatch").name, "PasswordMismatch");
        assert_eq!(variant_name("NO").name, "No");
        assert_eq!(variant_name("SHA256-CRYPT").name, "Sha256Crypt");
    }
}
