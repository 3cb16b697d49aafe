//! The one module that knows the YAML library: it turns a document into a
//! tree of [`Node`]s that remember where they were written.
//!
//! Scalars stay text. The loader decides what a scalar means from where it
//! appears, so `2.3.10` is never read as a float and `NO` never as a boolean.

use std::collections::BTreeMap;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span};

use crate::diag::{Diagnostic, Location};

/// A YAML value with the location of its first character.
#[derive(Clone, Debug)]
pub struct Node {
    /// Where the value starts.
    pub location: Location,
    /// The value.
    pub kind: NodeKind,
}

/// The shape of a YAML value.
#[derive(Clone, Debug)]
pub enum NodeKind {
    /// A scalar, with whether it was quoted or a block scalar (never `null`
    /// or a boolean then).
    Scalar {
        /// The scalar's text after YAML unescaping.
        text: String,
        /// True for plain (unquoted) scalars.
        plain: bool,
    },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order; duplicate keys are kept for the loader
    /// to report.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// Whether this is an absent value: a plain `null`, `~` or nothing.
    #[must_use]
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar { text, plain: true } if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// A short name of the node's shape for error messages.
    #[must_use]
    pub fn shape(&self) -> &'static str {
        match &self.kind {
            NodeKind::Scalar { .. } if self.is_null() => "null",
            NodeKind::Scalar { .. } => "a scalar",
            NodeKind::Seq(_) => "a sequence",
            NodeKind::Map(_) => "a mapping",
        }
    }
}

/// How many values (scalars, sequences and mappings, aliases copied
/// included) all files of one schema may hold together. The repository's
/// schema has about 40,000; a synthetic schema of 64,000 events about 1.7
/// million. The bound keeps the trees, and what is built from them, well
/// under a gigabyte (each value costs up to about 200 bytes while parsed).
pub const MAX_VALUES: usize = 2_000_000;

/// Parses one YAML document, building at most `budget` values (which is
/// reduced by what was built). An empty document yields `Ok(None)`.
///
/// # Errors
///
/// Returns the syntax error, located, when the text is not YAML, or when
/// it is nested too deeply or holds more values than the budget.
pub fn parse(file: &Arc<str>, text: &str, budget: &mut usize) -> Result<Option<Node>, Diagnostic> {
    let mut builder = Builder {
        file: file.clone(),
        stack: Vec::new(),
        anchors: BTreeMap::new(),
        root: None,
        documents: 0,
        expanded: 0,
        budget: *budget,
    };
    for item in Parser::new_from_str(text) {
        match item {
            Ok((event, span)) => {
                let result = builder.event(event, span);
                *budget = builder.budget;
                result?;
            }
            Err(err) => return Err(scan_error(file, &err)),
        }
    }
    Ok(builder.root)
}

fn scan_error(file: &Arc<str>, err: &ScanError) -> Diagnostic {
    let marker = err.marker();
    Diagnostic {
        location: Location {
            file: file.clone(),
            line: marker.line(),
            column: marker.col() + 1,
        },
        message: format!("YAML syntax error: {}", err.info()),
        hint: Some("check indentation, quoting and `key: value` syntax around this place".into()),
    }
}

enum Open {
    Seq(Node, Vec<Node>, usize),
    Map(Node, Vec<(Node, Node)>, Option<Node>, usize),
}

struct Builder {
    file: Arc<str>,
    stack: Vec<Open>,
    anchors: BTreeMap<usize, Node>,
    root: Option<Node>,
    documents: usize,
    /// Nodes copied by alias expansion so far, bounded by
    /// [`MAX_ALIAS_EXPANSION`].
    expanded: usize,
    /// How many more values may be built.
    budget: usize,
}

/// How many nodes aliases may copy in one document: far more than a schema
/// needs, few enough that nested aliases (a "billion laughs" document)
/// cannot exhaust memory.
const MAX_ALIAS_EXPANSION: usize = 100_000;

/// How deep sequences and mappings may nest. A schema needs about eight
/// levels; the tree of a much deeper document would overflow the stack
/// when it is walked or dropped, since both recurse.
pub const MAX_DEPTH: usize = 64;

fn node_count(node: &Node) -> usize {
    match &node.kind {
        NodeKind::Scalar { .. } => 1,
        NodeKind::Seq(items) => 1 + items.iter().map(node_count).sum::<usize>(),
        NodeKind::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| node_count(k) + node_count(v))
                .sum::<usize>()
        }
    }
}

impl Builder {
    fn location(&self, span: Span) -> Location {
        Location {
            file: self.file.clone(),
            line: span.start.line(),
            column: span.start.col() + 1,
        }
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), Diagnostic> {
        let location = self.location(span);
        let values = match &event {
            Event::Scalar(..) | Event::SequenceStart(..) | Event::MappingStart(..) => 1,
            Event::Alias(id) => self.anchors.get(id).map_or(0, node_count),
            _ => 0,
        };
        let Some(left) = self.budget.checked_sub(values) else {
            return Err(Diagnostic {
                location,
                message: format!(
                    "the schema holds more than {MAX_VALUES} YAML values (scalars, sequences and mappings)"
                ),
                hint: Some("a schema of this size is not one this tool was made for".into()),
            });
        };
        self.budget = left;
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(Diagnostic {
                        location,
                        message: "a schema file holds one YAML document, found a second one".into(),
                        hint: Some("remove the `---` separator or move the second document into its own file".into()),
                    });
                }
            }
            Event::Scalar(text, style, anchor, _) => {
                let node = Node {
                    location,
                    kind: NodeKind::Scalar {
                        text: text.into_owned(),
                        plain: style == ScalarStyle::Plain,
                    },
                };
                self.finish(node, anchor);
            }
            Event::Alias(id) => {
                let Some(node) = self.anchors.get(&id).cloned() else {
                    return Err(Diagnostic {
                        location,
                        message: "alias refers to an unknown anchor".into(),
                        hint: Some("define the anchor (`&name`) before using it (`*name`)".into()),
                    });
                };
                self.expanded += node_count(&node);
                if self.expanded > MAX_ALIAS_EXPANSION {
                    return Err(Diagnostic {
                        location,
                        message: format!(
                            "aliases expand to more than {MAX_ALIAS_EXPANSION} values"
                        ),
                        hint: Some("write the values out, or use fewer nested aliases".into()),
                    });
                }
                self.finish(Node { location, ..node }, 0);
            }
            Event::SequenceStart(anchor, _) => {
                self.deeper(&location)?;
                let node = Node {
                    location,
                    kind: NodeKind::Seq(Vec::new()),
                };
                self.stack.push(Open::Seq(node, Vec::new(), anchor));
            }
            Event::MappingStart(anchor, _) => {
                self.deeper(&location)?;
                let node = Node {
                    location,
                    kind: NodeKind::Map(Vec::new()),
                };
                self.stack.push(Open::Map(node, Vec::new(), None, anchor));
            }
            Event::SequenceEnd => {
                if let Some(Open::Seq(mut node, items, anchor)) = self.stack.pop() {
                    node.kind = NodeKind::Seq(items);
                    self.finish(node, anchor);
                }
            }
            Event::MappingEnd => {
                if let Some(Open::Map(mut node, entries, _, anchor)) = self.stack.pop() {
                    node.kind = NodeKind::Map(entries);
                    self.finish(node, anchor);
                }
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
        Ok(())
    }

    /// Checks that one more level of nesting stays within [`MAX_DEPTH`].
    fn deeper(&self, location: &Location) -> Result<(), Diagnostic> {
        if self.stack.len() < MAX_DEPTH {
            return Ok(());
        }
        Err(Diagnostic {
            location: location.clone(),
            message: format!("sequences and mappings nest more than {MAX_DEPTH} levels deep"),
            hint: Some(
                "a schema needs only a few levels; check the indentation and brackets here".into(),
            ),
        })
    }

    fn finish(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            Some(Open::Seq(_, items, _)) => items.push(node),
            Some(Open::Map(_, entries, pending, _)) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => entries.push((key, node)),
            },
            None => self.root = Some(node),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Node {
        parse(&Arc::from("t.yaml"), text, &mut MAX_VALUES.clone())
            .expect("valid yaml")
            .expect("a document")
    }

    #[test]
    fn locations_are_one_based() {
        let root = parse_ok("a:\n  b: 2.3.10\n");
        let NodeKind::Map(entries) = &root.kind else {
            panic!("expected a map")
        };
        let (_, value) = &entries[0];
        let NodeKind::Map(inner) = &value.kind else {
            panic!("expected a map")
        };
        let (key, value) = &inner[0];
        assert_eq!((key.location.line, key.location.column), (2, 3));
        assert!(matches!(&value.kind, NodeKind::Scalar { text, plain: true } if text == "2.3.10"));
    }

    #[test]
    fn syntax_errors_are_located() {
        let err = parse(
            &Arc::from("t.yaml"),
            "a: [1, 2\nb: c\n",
            &mut MAX_VALUES.clone(),
        )
        .expect_err("invalid");
        assert!(err.message.starts_with("YAML syntax error"));
        assert_eq!(err.location.file.as_ref(), "t.yaml");
    }

    /// A document nested far deeper than any schema is a located error,
    /// not a stack overflow while the tree is built, walked or dropped.
    #[test]
    fn deep_nesting_is_an_error() {
        let mapping: String = (0..100)
            .map(|d| format!("{}a:\n", "  ".repeat(d)))
            .collect();
        for (text, line) in [
            ("- ".repeat(177_000) + "x\n", 1),
            ("[".repeat(100_000), 1),
            ("{a: ".repeat(100_000), 1),
            (mapping + &"  ".repeat(100) + "x\n", 65),
        ] {
            let err =
                parse(&Arc::from("t.yaml"), &text, &mut MAX_VALUES.clone()).expect_err("too deep");
            // The YAML parser has its own limit for flow collections.
            assert!(
                err.message.contains("nest more than 64 levels")
                    || err.message.contains("recursion limit exceeded"),
                "{}",
                err.message
            );
            assert_eq!(err.location.line, line, "{}", err.location);
        }
        let ok = format!("{}x{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&Arc::from("t.yaml"), &ok, &mut MAX_VALUES.clone()).is_ok());
    }

    /// The values of all files share one budget.
    #[test]
    fn values_are_bounded() {
        let mut budget = 10;
        parse(&Arc::from("a.yaml"), "[1, 2, 3, 4]", &mut budget).expect("5 values");
        assert_eq!(budget, 5);
        let err = parse(&Arc::from("b.yaml"), "[1, 2, 3, 4, 5]", &mut budget).expect_err("6");
        assert!(
            err.message.contains("more than 2000000 YAML values"),
            "{}",
            err.message
        );
        assert_eq!((err.location.line, err.location.column), (1, 14));
    }

    #[test]
    fn quoted_scalars_are_not_null() {
        let root = parse_ok("[null, 'null', ~, x]");
        let NodeKind::Seq(items) = &root.kind else {
            panic!("expected a sequence")
        };
        let nulls: Vec<bool> = items.iter().map(Node::is_null).collect();
        assert_eq!(nulls, [true, false, true, false]);
    }
}
