//! The lint's modules import one way: the syntax layer (configuration and
//! filter text) knows neither Dovecot's statistics facts nor the checks,
//! the facts know nothing else, and no module imports one that imports it
//! back. Read from the `use` lines of `cli/src/lint/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every module of the lint, by path (`lint::syntax::config`), with its
/// source without the unit-test module.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, module: &str, out: &mut BTreeMap<String, String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("readable")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for path in entries {
            let stem = path.file_stem().and_then(|s| s.to_str()).expect("utf-8");
            if path.is_dir() {
                walk(&path, &format!("{module}::{stem}"), out);
                continue;
            }
            let name = if stem == "mod" {
                module.to_owned()
            } else {
                format!("{module}::{stem}")
            };
            let text = std::fs::read_to_string(&path).expect("readable");
            let text = match text.find("#[cfg(test)]\nmod tests") {
                Some(end) => text[..end].to_owned(),
                None => text,
            };
            out.insert(name, text);
        }
    }
    let mut out = BTreeMap::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lint"),
        "lint",
        &mut out,
    );
    out
}

/// The paths a `use` tree names, with groups expanded.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.len() - 1];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand(p).into_iter().map(move |e| format!("{prefix}{e}")))
        .collect()
}

/// The lint modules `module` imports.
fn imports(module: &str, text: &str, all: &BTreeMap<String, String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("use ") {
        let line_start = rest[..at].rfind('\n').map_or(0, |n| n + 1);
        let before = rest[line_start..at].trim();
        rest = &rest[at + 4..];
        if !(before.is_empty() || before == "pub" || before.starts_with("pub(")) {
            continue;
        }
        let Some(end) = rest.find(';') else { break };
        for path in expand(&rest[..end]) {
            let path = path.split(" as ").next().unwrap_or_default();
            let mut segments: Vec<&str> = module.split("::").collect();
            let mut words = path.split("::").peekable();
            match words.peek() {
                Some(&"super") => {
                    while words.peek() == Some(&"super") {
                        words.next();
                        segments.pop();
                    }
                }
                Some(&"crate") => {
                    words.next();
                    segments.clear();
                }
                Some(&"self") => {
                    words.next();
                }
                Some(first) if all.contains_key(&format!("{module}::{first}")) => {}
                _ => continue,
            }
            let mut resolved: Option<String> = None;
            for word in words {
                segments.push(word);
                let candidate = segments.join("::");
                if all.contains_key(&candidate) {
                    resolved = Some(candidate);
                }
            }
            if let Some(target) = resolved.filter(|t| t != module) {
                out.insert(target);
            }
        }
        rest = &rest[end..];
    }
    out
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let all = modules();
    all.iter()
        .map(|(name, text)| (name.clone(), imports(name, text, &all)))
        .collect()
}

#[test]
fn the_lint_has_no_import_cycles() {
    let graph = graph();
    assert!(graph.len() >= 12, "{graph:?}");
    // Depth-first search with colours: a grey module reached again closes a
    // cycle.
    fn visit<'g>(
        node: &'g str,
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<&'g str, bool>,
        path: &mut Vec<&'g str>,
    ) {
        match state.get(node) {
            Some(true) => return,
            Some(false) => panic!("import cycle: {} -> {node}", path.join(" -> ")),
            None => {}
        }
        state.insert(node, false);
        path.push(node);
        for next in &graph[node] {
            visit(next, graph, state, path);
        }
        path.pop();
        state.insert(node, true);
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        visit(node, &graph, &mut state, &mut Vec::new());
    }
}

#[test]
fn the_layers_import_one_way() {
    let graph = graph();
    let layer = |m: &str| -> &'static str {
        if m.starts_with("lint::syntax") {
            "syntax"
        } else if m == "lint::facts" {
            "facts"
        } else if m == "lint::report" {
            "report"
        } else if m.starts_with("lint::checks") {
            "checks"
        } else {
            "entry"
        }
    };
    let allowed = |from: &str, to: &str| match from {
        "report" | "facts" => false,
        "syntax" => matches!(to, "syntax" | "report"),
        "checks" => to != "entry",
        _ => true,
    };
    for (module, imports) in &graph {
        for target in imports {
            assert!(
                allowed(layer(module), layer(target)),
                "{module} ({}) must not import {target} ({})",
                layer(module),
                layer(target)
            );
        }
    }
    // The test would pass vacuously if it resolved nothing.
    assert!(graph["lint::checks::metric"].contains("lint::facts"));
    assert!(graph["lint::syntax::config"].contains("lint::syntax::paths"));
}
