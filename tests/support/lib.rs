//! Helpers shared by the cross-crate integration tests in `tests/`.

use std::path::{Path, PathBuf};

/// The repository root (this package's manifest directory).
#[must_use]
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A path below `tests/fixtures/`.
#[must_use]
pub fn fixture(relative: &str) -> PathBuf {
    repo_root().join("tests/fixtures").join(relative)
}
