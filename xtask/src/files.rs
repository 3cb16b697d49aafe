//! The checked-in files generated from the schema, and the only code that
//! writes them.

use std::path::{Path, PathBuf};

use dovecot_events_codegen::emit::docs::{self, Format};
use dovecot_events_codegen::emit::rust::{RustOptions, generate_files};
use dovecot_events_codegen::{Error, EventModel, write_if_changed};

use crate::{derive_target, features, json_schema};

/// One generated file: its path relative to the repository root, and its
/// contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputFile {
    /// Path relative to the repository root, with `/` separators.
    pub path: String,
    /// The full contents.
    pub contents: String,
}

/// The directory of the runtime crate's generated Rust, which holds
/// nothing else: a file there that `generate` did not write is stale.
pub const RUST_DIR: &str = "generated/src/generated";

/// Writes the generated section of a manifest.
type SectionFn = fn(&EventModel) -> String;

/// The manifests whose version-feature section is generated, with the
/// function that writes the section.
const MANIFESTS: [(&str, SectionFn); 2] = [
    ("generated/Cargo.toml", features::runtime_features),
    ("derive/Cargo.toml", features::derive_features),
];

/// Where `generate` puts each documentation format.
const DOCS: [(Format, &str); 5] = [
    (Format::Markdown, "generated"),
    (Format::Rst, "generated/docs"),
    (Format::Json, "generated/docs"),
    (Format::Html, "generated/docs"),
    (Format::DovecotDocs, "generated/docs/dovecot-docs"),
];

/// Every checked-in file generated from the schema, in a fixed order. The
/// manifests under `root` are read, because only their version-feature
/// section is generated.
///
/// # Errors
///
/// A manifest cannot be read or lacks the generated section's markers.
pub fn outputs(model: &EventModel, root: &Path) -> Result<Vec<OutputFile>, Error> {
    let mut out = generated_sources(model);
    for (path, section) in MANIFESTS {
        let full = root.join(path);
        let text = std::fs::read_to_string(&full).map_err(|source| Error::Io {
            path: full.clone(),
            source,
        })?;
        let contents = features::splice(&text, &section(model)).ok_or_else(|| Error::Io {
            path: full.clone(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "no generated section: add the lines `{}` and `{}` under [features]",
                    features::BEGIN,
                    features::END
                ),
            ),
        })?;
        out.push(OutputFile {
            path: path.to_owned(),
            contents,
        });
    }
    Ok(out)
}

/// The generated files that depend on the schema alone.
#[must_use]
pub fn generated_sources(model: &EventModel) -> Vec<OutputFile> {
    let rust = RustOptions {
        version_features: true,
        ..RustOptions::default()
    };
    let mut out: Vec<OutputFile> = generate_files(model, &rust, RUST_DIR)
        .into_iter()
        .map(|(path, contents)| OutputFile { path, contents })
        .collect();
    out.push(OutputFile {
        path: "derive/src/target.rs".to_owned(),
        contents: derive_target::generate(model),
    });
    out.push(OutputFile {
        path: "schema/schema.json".to_owned(),
        contents: json_schema::generate(),
    });
    for (format, dir) in DOCS {
        for file in docs::render(model, format) {
            out.push(OutputFile {
                path: format!("{dir}/{}", file.name),
                contents: file.contents,
            });
        }
    }
    out
}

/// Writes every output whose contents differ from the file on disk (each
/// atomically), and removes files in [`RUST_DIR`] that are not outputs.
/// Returns what it did, a line each (`wrote PATH`, `removed PATH`).
///
/// # Errors
///
/// Returns the first I/O error.
pub fn write_changed(root: &Path, outputs: &[OutputFile]) -> Result<Vec<String>, Error> {
    let mut changed = Vec::new();
    for output in outputs {
        let path = root.join(&output.path);
        if write_if_changed(&path, output.contents.as_bytes())? {
            changed.push(format!("wrote {}", path.display()));
        }
    }
    for path in strays(root, outputs) {
        std::fs::remove_file(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        changed.push(format!("removed {}", path.display()));
    }
    Ok(changed)
}

/// The outputs whose file on disk is missing or differs, and files in
/// [`RUST_DIR`] that should not be there, as paths relative to `root`.
#[must_use]
pub fn stale(root: &Path, outputs: &[OutputFile]) -> Vec<String> {
    let mut out: Vec<String> = outputs
        .iter()
        .filter(|o| {
            std::fs::read(root.join(&o.path)).ok().as_deref() != Some(o.contents.as_bytes())
        })
        .map(|o| o.path.clone())
        .collect();
    out.extend(strays(root, outputs).into_iter().map(|path| {
        path.strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string()
    }));
    out
}

/// Files in [`RUST_DIR`] that are not outputs (a category that is gone),
/// and the single file the generated code once was.
fn strays(root: &Path, outputs: &[OutputFile]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    walk(&root.join(RUST_DIR), &mut found);
    let old = root.join("generated/src/generated.rs");
    if old.is_file() {
        found.push(old);
    }
    found
        .into_iter()
        .filter(|path| {
            let relative = path.strip_prefix(root).unwrap_or(path);
            let relative = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            !outputs.iter().any(|o| o.path == relative)
        })
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            walk(&entry.path(), out);
        } else if kind.is_file() {
            out.push(entry.path());
        }
    }
}
