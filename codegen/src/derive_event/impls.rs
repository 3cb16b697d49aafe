//! The impls the derive emits, and the stubs that stand in for them when the struct has errors.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};

use super::Slot;

/// Stub impls for a struct with errors, so code that converts events into it
/// reports nothing more (thiserror's `fallback.rs` does the same).
pub(super) fn fallback(input: &syn::DeriveInput, krate: &TokenStream) -> TokenStream {
    let ident = &input.ident;
    let (a, impl_head, self_ty) = impl_parts(input);
    quote! {
        #impl_head #krate::FromEvent<#a> for #self_ty {
            const EVENT: &'static str = "";

            fn from_fields(
                _: #krate::Fields<#a>,
            ) -> ::core::result::Result<Self, #krate::FromEventError> {
                ::core::unreachable!(concat!("DovecotEvent for ", stringify!(#ident), " has errors"))
            }
        }

        #impl_head ::core::convert::TryFrom<#krate::ExportedEvent<#a>> for #self_ty {
            type Error = #krate::FromEventError;

            fn try_from(_: #krate::ExportedEvent<#a>) -> ::core::result::Result<Self, Self::Error> {
                ::core::unreachable!()
            }
        }

        #impl_head ::core::convert::TryFrom<#krate::Event<#a>> for #self_ty {
            type Error = #krate::FromEventError;

            fn try_from(_: #krate::Event<#a>) -> ::core::result::Result<Self, Self::Error> {
                ::core::unreachable!()
            }
        }
    }
}

/// The lifetime the impls use, `impl<…>` and the struct's type with its
/// lifetime (the shape was checked: at most one lifetime, nothing else).
fn impl_parts(input: &syn::DeriveInput) -> (syn::Lifetime, TokenStream, TokenStream) {
    let ident = &input.ident;
    match input
        .generics
        .lifetimes()
        .next()
        .map(|l| l.lifetime.clone())
    {
        Some(l) => (l.clone(), quote!(impl<#l>), quote!(#ident<#l>)),
        None => {
            let l = syn::Lifetime::new("'__dovecot", Span::call_site());
            (l.clone(), quote!(impl<#l>), quote!(#ident))
        }
    }
}

pub(super) fn implementation(
    input: &syn::DeriveInput,
    event: &str,
    slots: &[Slot],
    krate: &TokenStream,
) -> TokenStream {
    let (a, impl_head, self_ty) = impl_parts(input);

    let temps: Vec<syn::Ident> = slots
        .iter()
        .map(|s| syn::Ident::new(&format!("__{}", s.ident), s.ident.span()))
        .collect();
    // A skipped field gets no slot: it is filled with `Default::default()`.
    let decls = slots
        .iter()
        .zip(&temps)
        .filter(|(s, _)| s.wire.is_some())
        .map(|(s, t)| {
            let ty = &s.ty;
            if s.optional {
                quote!(let mut #t: #ty = ::core::option::Option::None;)
            } else {
                quote!(let mut #t: ::core::option::Option<#ty> = ::core::option::Option::None;)
            }
        });
    let arms = slots.iter().zip(&temps).filter_map(|(s, t)| {
        let wire = s.wire.as_ref()?;
        let ty = &s.ty;
        let slot_ty = if s.optional {
            quote!(#ty)
        } else {
            quote!(::core::option::Option<#ty>)
        };
        Some(quote_spanned! {s.ident.span()=>
            #wire => {
                #t = <#slot_ty as #krate::FromValue<#a>>::from_value(value)
                    .map_err(|e| #krate::FromEventError::Field(e.in_field(#wire)))?;
            }
        })
    });
    let inits = slots.iter().zip(&temps).map(|(s, t)| {
        let ident = &s.ident;
        match (&s.wire, s.optional) {
            (None, _) => quote!(#ident: ::core::default::Default::default()),
            (Some(_), true) => quote!(#ident: #t),
            (Some(wire), false) => {
                quote!(#ident: #t.ok_or(#krate::FromEventError::Missing { field: #wire })?)
            }
        }
    });
    quote! {
        #impl_head #krate::FromEvent<#a> for #self_ty {
            const EVENT: &'static str = #event;

            fn from_fields(
                fields: #krate::Fields<#a>,
            ) -> ::core::result::Result<Self, #krate::FromEventError> {
                #(#decls)*
                for (name, value) in fields {
                    match &*name {
                        #(#arms)*
                        _ => {}
                    }
                }
                ::core::result::Result::Ok(Self { #(#inits),* })
            }
        }

        #impl_head ::core::convert::TryFrom<#krate::ExportedEvent<#a>> for #self_ty {
            type Error = #krate::FromEventError;

            fn try_from(event: #krate::ExportedEvent<#a>) -> ::core::result::Result<Self, Self::Error> {
                #krate::__private::from_event(event.event)
            }
        }

        #impl_head ::core::convert::TryFrom<#krate::Event<#a>> for #self_ty {
            type Error = #krate::FromEventError;

            fn try_from(event: #krate::Event<#a>) -> ::core::result::Result<Self, Self::Error> {
                #krate::__private::from_event(event)
            }
        }
    }
}
