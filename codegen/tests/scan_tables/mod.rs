//! Reading the tables in `tools/source-scan/`, which `scan.py` and
//! `contexts.py` derive from Dovecot's and Pigeonhole's C source at every
//! release tag, and the rule that a note explains a difference when it
//! names the release the source points at.

// Each test binary that includes this module uses only part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dovecot_events_codegen::Version;
use dovecot_events_codegen::model::EventModel;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("codegen/ has a parent")
        .to_path_buf()
}

/// Rows of a TSV table as maps from column name to cell.
pub fn table(name: &str) -> Vec<BTreeMap<String, String>> {
    let path = repo().join("tools/source-scan").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("read {}: {err}", path.display()));
    // Lines starting with `#` are comments (the tables written by hand have
    // some); the first other line is the header.
    let mut lines = text.lines().filter(|line| !line.starts_with('#'));
    let header: Vec<&str> = lines.next().expect("a header row").split('\t').collect();
    lines
        .filter(|line| !line.is_empty())
        .map(|line| {
            header
                .iter()
                .zip(line.split('\t'))
                .map(|(k, v)| ((*k).to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

/// The release tags of one repository, oldest first.
pub struct Tags {
    core: Vec<String>,
    pigeonhole: Vec<String>,
}

impl Tags {
    pub fn load() -> Self {
        let mut tags = Tags {
            core: Vec::new(),
            pigeonhole: Vec::new(),
        };
        for row in table("tags.tsv") {
            match row["repo"].as_str() {
                "core" => tags.core.push(row["tag"].clone()),
                "pigeonhole" => tags.pigeonhole.push(row["tag"].clone()),
                other => panic!("unknown repo {other} in tags.tsv"),
            }
        }
        tags
    }

    fn list(&self, pigeonhole: bool) -> &[String] {
        if pigeonhole {
            &self.pigeonhole
        } else {
            &self.core
        }
    }
}

/// The Dovecot release a tag stands for: Pigeonhole `0.5.N` ships with
/// Dovecot `2.3.N`, and a Pigeonhole release without a matching Dovecot
/// release maps to the next Dovecot release the schema knows.
pub fn dovecot_version(model: &EventModel, tag: &str, pigeonhole: bool) -> Version {
    let text = match tag.strip_prefix("0.5.") {
        Some(rest) if pigeonhole => format!("2.3.{rest}"),
        _ => tag.to_owned(),
    };
    let version: Version = text.parse().expect("a release tag");
    model
        .versions
        .iter()
        .copied()
        .find(|v| *v >= version)
        .unwrap_or_else(|| panic!("schema versions end before {version}"))
}

/// The first release without the item: the tag after `last`, if any.
pub fn removed_after(
    model: &EventModel,
    tags: &Tags,
    last: &str,
    pigeonhole: bool,
) -> Option<Version> {
    if last == "-" {
        return None;
    }
    let list = tags.list(pigeonhole);
    let at = list
        .iter()
        .position(|t| t == last)
        .expect("last tag in tags.tsv");
    list.get(at + 1)
        .map(|next| dovecot_version(model, next, pigeonhole))
}

pub fn explained(note: Option<&str>, version: Option<Version>) -> bool {
    let (Some(note), Some(version)) = (note, version) else {
        return false;
    };
    note.contains(&version.to_string())
}

pub fn show(version: Option<Version>) -> String {
    version.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

pub struct Problems(pub Vec<String>);

impl Problems {
    /// Records a difference: a problem unless `explained`. Returns whether
    /// it was explained, for counting.
    pub fn difference(&mut self, explained: bool, message: impl FnOnce() -> String) -> bool {
        if !explained {
            self.0.push(message());
        }
        explained
    }

    pub fn finish(self) {
        assert!(
            self.0.is_empty(),
            "{} difference(s) between the schema and tools/source-scan that no note explains \
             (a note explains a difference when it names the release the source points at):\n{}",
            self.0.len(),
            self.0.join("\n")
        );
    }
}
