//! The checked-in outputs and the only code that writes them.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::Error;
#[cfg(feature = "cli")]
use crate::emit;
#[cfg(feature = "cli")]
use crate::model::EventModel;

/// One generated file: its path relative to the repository root, and its
/// contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputFile {
    /// Path relative to the repository root, with `/` separators.
    pub path: String,
    /// The full contents.
    pub contents: String,
}

/// Writes the generated section of a manifest.
#[cfg(feature = "cli")]
type SectionFn = fn(&EventModel) -> String;

/// The manifests whose version-feature section is generated, with the
/// function that writes the section.
#[cfg(feature = "cli")]
const MANIFESTS: [(&str, SectionFn); 2] = [
    ("generated/Cargo.toml", emit::cargo::runtime_features),
    ("derive/Cargo.toml", emit::cargo::derive_features),
];

/// Every checked-in file generated from the schema, in a fixed order. The
/// manifests under `root` are read, because only their version-feature
/// section is generated.
///
/// # Errors
///
/// A manifest cannot be read or lacks the generated section's markers.
#[cfg(feature = "cli")]
pub fn outputs(model: &EventModel, root: &Path) -> Result<Vec<OutputFile>, Error> {
    let mut out = generated_sources(model);
    for (path, section) in MANIFESTS {
        let full = root.join(path);
        let text = std::fs::read_to_string(&full).map_err(|source| Error::Io {
            path: full.clone(),
            source,
        })?;
        let contents = emit::cargo::splice(&text, &section(model)).ok_or_else(|| Error::Io {
            path: full.clone(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "no generated section: add the lines `{}` and `{}` under [features]",
                    emit::cargo::BEGIN,
                    emit::cargo::END
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
#[cfg(feature = "cli")]
#[must_use]
pub fn generated_sources(model: &EventModel) -> Vec<OutputFile> {
    let rust = emit::rust::RustOptions {
        version_features: true,
        ..emit::rust::RustOptions::default()
    };
    vec![
        OutputFile {
            path: "generated/src/generated.rs".to_owned(),
            contents: emit::rust::generate(model, &rust),
        },
        OutputFile {
            path: "derive/src/target.rs".to_owned(),
            contents: emit::derive_target::generate(model),
        },
        OutputFile {
            path: "schema/schema.json".to_owned(),
            contents: emit::json_schema::generate(),
        },
    ]
    .into_iter()
    .chain(docs(model))
    .collect()
}

/// Where `generate` puts each documentation format.
#[cfg(feature = "cli")]
const DOCS: [(emit::docs::Format, &str); 5] = [
    (emit::docs::Format::Markdown, "generated"),
    (emit::docs::Format::Rst, "generated/docs"),
    (emit::docs::Format::Json, "generated/docs"),
    (emit::docs::Format::Html, "generated/docs"),
    (
        emit::docs::Format::DovecotDocs,
        "generated/docs/dovecot-docs",
    ),
];

#[cfg(feature = "cli")]
fn docs(model: &EventModel) -> Vec<OutputFile> {
    DOCS.iter()
        .flat_map(|(format, dir)| {
            emit::docs::render(model, *format)
                .into_iter()
                .map(move |file| OutputFile {
                    path: format!("{dir}/{}", file.name),
                    contents: file.contents,
                })
        })
        .collect()
}

/// Writes every output whose contents differ from the file on disk, each
/// through a temporary file and a rename so that no reader ever sees half a
/// file. Returns the paths written.
///
/// # Errors
///
/// Returns the first I/O error.
pub fn write_changed(root: &Path, outputs: &[OutputFile]) -> Result<Vec<PathBuf>, Error> {
    let mut written = Vec::new();
    for output in outputs {
        let path = root.join(&output.path);
        if std::fs::read(&path).ok().as_deref() == Some(output.contents.as_bytes()) {
            continue;
        }
        write_atomic(&path, output.contents.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

/// The outputs whose file on disk is missing or differs.
#[must_use]
pub fn stale<'a>(root: &Path, outputs: &'a [OutputFile]) -> Vec<&'a OutputFile> {
    outputs
        .iter()
        .filter(|o| {
            std::fs::read(root.join(&o.path)).ok().as_deref() != Some(o.contents.as_bytes())
        })
        .collect()
}

/// Writes `contents` to `path` via a sibling temporary file and a rename.
///
/// # Errors
///
/// Returns the I/O error, after removing the temporary file.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), Error> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(source) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(source));
    }
    Ok(())
}
