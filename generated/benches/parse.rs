//! Parsing throughput on the real Dovecot 2.3.19 exports in
//! `tests/fixtures/exports/2.3.19/`: the typed JSON parser against
//! `serde_json::Value` and `serde::de::IgnoredAny` (parse and validate,
//! build nothing), and the tab-text parser on the same events.
//!
//! Run with `cargo bench -p dovecot-events`. The targets (issue 4): typed
//! JSON at least 1.5 times the throughput of `serde_json::Value` and within
//! twice the time of `IgnoredAny`, and tab-text faster than JSON. Compare
//! ratios from one run: absolute times move with the machine's load.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn corpus(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/exports/2.3.19")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.is_empty()).collect()
}

fn bytes(lines: &[&str]) -> u64 {
    lines.iter().map(|l| l.len() as u64).sum()
}

fn json(c: &mut Criterion) {
    for file in ["json-rfc3339.jsonl", "json-unix.jsonl"] {
        let text = corpus(file);
        let lines = lines(&text);
        let mut group = c.benchmark_group(file);
        group.throughput(Throughput::Bytes(bytes(&lines)));
        group.bench_function("typed", |b| {
            b.iter(|| {
                for line in &lines {
                    let event = dovecot_events::json::from_str(black_box(line));
                    black_box(event.expect("valid export"));
                }
            });
        });
        group.bench_function("serde_json::Value", |b| {
            b.iter(|| {
                for line in &lines {
                    let value = serde_json::from_str::<serde_json::Value>(black_box(line));
                    black_box(value.expect("valid JSON"));
                }
            });
        });
        group.bench_function("IgnoredAny", |b| {
            b.iter(|| {
                for line in &lines {
                    let value = serde_json::from_str::<serde::de::IgnoredAny>(black_box(line));
                    black_box(value.expect("valid JSON"));
                }
            });
        });
        group.finish();
    }
}

fn tab_text(c: &mut Criterion) {
    let text = corpus("tab-text.txt");
    let lines = lines(&text);
    let mut group = c.benchmark_group("tab-text.txt");
    group.throughput(Throughput::Bytes(bytes(&lines)));
    group.bench_function("typed", |b| {
        b.iter(|| {
            for line in &lines {
                let event = dovecot_events::tab_text::from_str(black_box(line));
                black_box(event.expect("valid export"));
            }
        });
    });
    group.finish();
}

criterion_group!(benches, json, tab_text);
criterion_main!(benches);
