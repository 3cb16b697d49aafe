//! The checked-in outputs and the only code that writes them.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::Error;
use crate::emit;
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

/// Every checked-in file generated from the schema, in a fixed order.
#[must_use]
pub fn outputs(model: &EventModel) -> Vec<OutputFile> {
    vec![
        OutputFile {
            path: "generated/src/generated.rs".to_owned(),
            contents: emit::rust::generate(model, &emit::rust::RustOptions::default()),
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
