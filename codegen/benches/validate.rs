//! How schema loading (YAML, load, validate, resolve) grows with the
//! number of events: synthetic schemas of 16,000, 32,000 and 64,000
//! events, each shaped like the repository's (a category, a description,
//! a release, two fields of its own, one inherited group of three fields),
//! about 240 bytes of YAML per event.
//!
//! Run with `cargo bench -p dovecot-events-codegen --bench validate`. The
//! goal (issue 14): 64,000 events in under 5 s, growing about linearly
//! (validation used to compare every event with every other: 95 s).

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use dovecot_events_codegen::{SourceFile, load_sources};

/// One schema file of `events` events over 100 groups.
fn synthetic(events: usize) -> SourceFile {
    let mut text = String::from(
        "versions: [2.3.0, 2.3.7, 2.4.0]\n\
         categories:\n  synthetic:\n    description: Synthetic events.\n\
         groups:\n",
    );
    for g in 0..100 {
        let _ = write!(
            text,
            "  group_{g}:\n    description: Fields shared by some events.\n    fields:\n"
        );
        for f in 0..3 {
            let _ = writeln!(
                text,
                "      shared_{g}_{f}: {{ type: integer, unit: bytes, description: A shared count. }}"
            );
        }
    }
    text.push_str("events:\n");
    for e in 0..events {
        let _ = write!(
            text,
            "  synthetic_event_{e}:\n    category: synthetic\n    description: Something happened, number {e}.\n    since: 2.3.7\n    inherits: [group_{}]\n    fields:\n      own_{e}_a: {{ type: string, description: What. }}\n      own_{e}_b: {{ type: integer, unit: count, description: How many. }}\n",
            e % 100
        );
    }
    SourceFile {
        path: "synthetic.yaml".into(),
        relative: "synthetic.yaml".into(),
        text,
    }
}

fn validate(c: &mut Criterion) {
    let mut group = c.benchmark_group("load_sources");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    for events in [16_000, 32_000, 64_000] {
        let file = [synthetic(events)];
        group.throughput(Throughput::Bytes(file[0].text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(events), &file, |b, file| {
            b.iter(|| {
                let model = load_sources(black_box(file)).expect("the synthetic schema is valid");
                assert_eq!(model.events.len(), events);
                model
            });
        });
    }
    group.finish();
}

criterion_group!(benches, validate);
criterion_main!(benches);
