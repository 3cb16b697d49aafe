//! Embeds the schema files into the library, so the CLI and the proc-macros
//! work without a checkout. `schema/` is this package's own copy of the
//! repository's schema (a symlink in the repository, real files once
//! packaged), so nothing here reaches outside the package.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let schema = root.join("schema");
    let mut files = Vec::new();
    collect(&schema, &schema, &mut files);
    files.sort();
    let mut out = String::from("&[\n");
    for (relative, path) in &files {
        writeln!(
            out,
            "    ({relative:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .expect("writing to a String cannot fail");
    }
    out.push_str("]\n");
    let dest = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"))
        .join("embedded_schema.rs");
    std::fs::write(&dest, out).expect("OUT_DIR is writable");
    println!("cargo:rerun-if-changed=schema");
    for (_, path) in &files {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

fn collect(base: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(base, &path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            let relative = path
                .strip_prefix(base)
                .expect("walked from base")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push((relative, path));
        }
    }
}
