//! The spool's appending, numbering and passing lines straight to the output.

use std::path::Path;

use super::*;
use crate::receive::scratch;

/// A spool in `dir` with room for `max_bytes`, in segments of 1 MiB.
fn spool_config(dir: &Path, max_bytes: u64, fsync: bool) -> SpoolConfig {
    SpoolConfig {
        dir: dir.to_path_buf(),
        segment_bytes: 1 << 20,
        max_bytes,
        fsync,
    }
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
}

/// Both ways of appending (inline, and the group-commit thread of
/// `--fsync`) number concurrent appends without gaps, keep each line
/// whole, and refuse what would overfill the spool.
#[test]
fn inline_and_thread_appends_number_every_line_once() {
    for fsync in [false, true] {
        let dir = scratch(&format!("test-{fsync}"));
        let config = SpoolConfig {
            segment_bytes: 4096,
            ..spool_config(&dir, 16 * 1024, fsync)
        };
        let (spool, shared, recovered) = Spool::open(config, None).expect("open the spool");
        assert_eq!(recovered.pending, 0);
        let spool = Arc::new(spool);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .expect("runtime");
        let answers = runtime.block_on(async {
            let tasks: Vec<_> = (0..2000)
                .map(|i| {
                    let spool = spool.clone();
                    tokio::spawn(async move {
                        spool.append(format!("\"n\":{i}}}").into_bytes()).await.0
                    })
                })
                .collect();
            let mut answers = Vec::new();
            for task in tasks {
                answers.push(task.await.expect("task"));
            }
            answers
        });
        let mut numbers: Vec<u64> = answers.iter().filter_map(|a| a.clone().ok()).collect();
        let refused = answers.iter().filter(|a| a.is_err()).count();
        numbers.sort_unstable();
        let kept = numbers.len() as u64;
        assert!(refused > 0 && kept > 0, "16 KiB holds some of 2000 lines");
        assert_eq!(numbers, (1..=kept).collect::<Vec<_>>(), "fsync {fsync}");
        assert_eq!(shared.written(), kept);
        let mut lines = 0;
        for (_, path) in segments(&dir).expect("segments") {
            for line in fs::read_to_string(path).expect("segment").lines() {
                lines += 1;
                assert_eq!(seq_of(line.as_bytes()), Some(lines), "{line}");
                assert!(line.ends_with('}'), "{line}");
            }
        }
        assert_eq!(lines, kept);
        let _ = fs::remove_dir_all(&dir);
    }
}

/// With a regular file for output and nothing spooled, lines go
/// straight to the file, in order, leaving nothing in the spool; a start
/// after a crash (no drain) numbers on past every number used.
#[test]
fn lines_pass_straight_to_a_regular_output_and_numbers_survive_a_crash() {
    use super::super::metrics::Metrics;
    use super::super::output::{Output, OutputConfig};

    let dir = scratch("direct");
    let out = dir.join("out.jsonl");
    let config = spool_config(&dir.join("spool"), 1 << 30, false);
    let open = |config: &SpoolConfig| {
        let destination = Destination::new(
            OutputConfig {
                path: Some(out.clone()),
                rotate_bytes: None,
                keep: 1,
            },
            Arc::new(Metrics::new()),
        );
        assert!(
            destination.direct(),
            "a file that is not there yet is a regular file"
        );
        let (spool, shared, _) =
            Spool::open(config.clone(), Some(destination.clone())).expect("open the spool");
        let output = Output::start(shared.clone(), destination).expect("output thread");
        (spool, shared, output)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("runtime");
    let (spool, shared, output) = open(&config);
    // Spooled until the output thread has opened the file, then direct.
    while shared.delivered.load(Ordering::SeqCst) < shared.written() || shared.written() == 0 {
        let _ = runtime.block_on(spool.append(b"\"n\":0}".to_vec()));
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let spooled = shared.written();
    let spool = Arc::new(spool);
    let numbers = runtime.block_on(async {
        let tasks: Vec<_> = (1..=500)
            .map(|i| {
                let spool = spool.clone();
                tokio::spawn(
                    async move { spool.append(format!("\"n\":{i}}}").into_bytes()).await.0 },
                )
            })
            .collect();
        let mut numbers = Vec::new();
        for task in tasks {
            numbers.push(task.await.expect("task").expect("kept"));
        }
        numbers
    });
    let last = spooled + 500;
    assert_eq!(numbers.iter().max(), Some(&last));
    // Every line went straight to the file: the spool holds only the
    // ones from before the output was open.
    let held: u64 = segments(&config.dir)
        .expect("segments")
        .iter()
        .map(|(_, path)| fs::read_to_string(path).expect("segment").lines().count() as u64)
        .sum();
    assert!(
        held <= spooled,
        "{held} lines spooled, {spooled} before the output opened"
    );
    assert_eq!(
        output.drain(std::time::Duration::from_secs(10)),
        super::super::output::Drained::All
    );
    let text = fs::read_to_string(&out).expect("output");
    let seqs: Vec<u64> = text
        .lines()
        .filter_map(|line| seq_of(line.as_bytes()))
        .collect();
    assert_eq!(
        seqs,
        (1..=last).collect::<Vec<_>>(),
        "every line once, in order"
    );

    // A crash: `delivered` not yet recorded past the spooled lines, no
    // final `reserved`. The next start may skip numbers but never gives
    // one out twice.
    write_delivered(&config.dir, spooled).expect("rewind delivered");
    drop(spool);
    let (spool, _, output) = open(&config);
    let (next, _) = runtime.block_on(spool.append(b"\"n\":-1}".to_vec()));
    assert!(next.expect("kept") > last);
    assert_eq!(
        output.drain(std::time::Duration::from_secs(10)),
        super::super::output::Drained::All
    );
    drop(runtime);
    let _ = fs::remove_dir_all(&dir);
}

/// A batch whose write fails keeps its numbers: the next batch is
/// numbered after it, since part of a failed write may have reached the
/// spool or the output, and a number must never name two events.
#[test]
fn a_failed_write_uses_up_its_numbers() {
    let dir = scratch("failed");
    let config = spool_config(&dir, 1 << 30, false);
    let (spool, shared, _) = Spool::open(config, None).expect("open the spool");
    // The first segment the spool would begin cannot be written: a link
    // of its name is refused (and were it followed, every write to the
    // device it names would fail for want of room).
    std::os::unix::fs::symlink("/dev/full", segment_path(&dir, 1)).expect("symlink");
    let runtime = current_thread();
    let (failed, _) = runtime.block_on(spool.append(b"\"n\":1}".to_vec()));
    assert!(failed.is_err(), "{failed:?}");
    fs::remove_file(segment_path(&dir, 1)).expect("remove the symlink");
    let (kept, _) = runtime.block_on(spool.append(b"\"n\":2}".to_vec()));
    assert_eq!(kept, Ok(2), "the failed write's number is not given again");
    assert_eq!(shared.numbered(), 2);
    let _ = fs::remove_dir_all(&dir);
}

/// A start finds what an older segment holds when the newest is empty (a
/// crash right after it was begun): those events are delivered, and
/// numbering goes on after the empty segment's first number.
#[test]
fn an_empty_newest_segment_does_not_hide_older_events() {
    let dir = scratch("empty");
    let lines: String = (1..=5)
        .map(|n| format!("{{\"seq\":{n},\"n\":{n}}}\n"))
        .collect();
    fs::write(segment_path(&dir, 1), lines).expect("segment");
    fs::write(segment_path(&dir, 6), "").expect("empty segment");
    let config = spool_config(&dir, 1 << 30, false);
    let (spool, shared, recovered) = Spool::open(config, None).expect("open the spool");
    assert_eq!(recovered.pending, 5);
    assert_eq!(shared.written(), 5);
    let runtime = current_thread();
    let (next, _) = runtime.block_on(spool.append(b"\"n\":6}".to_vec()));
    assert_eq!(next, Ok(6));
    let _ = fs::remove_dir_all(&dir);
}

/// Sequence numbers read from the spool's files that leave no room to go
/// on are refused with a clear error, not an overflow.
#[test]
fn numbers_near_their_limit_are_refused_at_open() {
    let dir = scratch("limit");
    fs::write(dir.join("reserved"), format!("{}\n", u64::MAX)).expect("reserved");
    let config = spool_config(&dir, 1 << 30, false);
    let error = Spool::open(config, None).err().expect("refused");
    assert!(
        error.to_string().contains("too near their limit"),
        "{error}"
    );
    let _ = fs::remove_dir_all(&dir);
}

/// An unreadable `delivered` (a power loss can leave it empty) costs
/// duplicates, not a refusal to start: everything spooled is delivered
/// again.
#[test]
fn an_unreadable_delivered_delivers_everything_again() {
    let dir = scratch("garbage");
    fs::write(
        segment_path(&dir, 1),
        "{\"seq\":1,\"n\":1}\n{\"seq\":2,\"n\":2}\n",
    )
    .expect("segment");
    fs::write(dir.join("delivered"), "").expect("delivered");
    let config = spool_config(&dir, 1 << 30, false);
    let (_, shared, recovered) = Spool::open(config, None).expect("open the spool");
    assert_eq!(recovered.pending, 2);
    assert_eq!(shared.delivered.load(Ordering::SeqCst), 0);
    let _ = fs::remove_dir_all(&dir);
}

/// A spool that refused lines for want of room takes them again once the
/// output has written everything it holds, even when no newer segment was
/// begun that would let the output remove the old ones (one large batch,
/// as `--fsync`'s group commit makes, can fill the spool in one segment).
#[test]
fn a_full_spool_whose_lines_are_all_written_makes_room() {
    for fsync in [false, true] {
        let dir = scratch(&format!("room-{fsync}"));
        let config = spool_config(&dir, 8 * 1024, fsync);
        let (spool, shared, _) = Spool::open(config, None).expect("open the spool");
        let runtime = current_thread();
        let line = format!("\"pad\":\"{}\"}}", "x".repeat(200));
        let mut refused = false;
        for _ in 0..100 {
            if runtime
                .block_on(spool.append(line.clone().into_bytes()))
                .0
                .is_err()
            {
                refused = true;
                break;
            }
        }
        assert!(refused, "8 KiB holds fewer than 100 lines of 200 bytes");
        // The output wrote everything (as its thread records it).
        shared
            .delivered
            .fetch_max(shared.written(), Ordering::SeqCst);
        let (kept, _) = runtime.block_on(spool.append(line.clone().into_bytes()));
        assert!(kept.is_ok(), "fsync {fsync}: {kept:?}");
        assert!(
            shared.bytes.load(Ordering::Relaxed) < 1024,
            "the written segments were removed"
        );
        // The next start numbers on after every number used.
        drop(spool);
        let config = spool_config(&dir, 8 * 1024, fsync);
        let (spool, _, _) = Spool::open(config, None).expect("open again");
        let (next, _) = runtime.block_on(spool.append(line.clone().into_bytes()));
        assert!(next.expect("kept") > kept.expect("kept"));
        let _ = fs::remove_dir_all(&dir);
    }
}

/// Only regular files count as segments: a link of a segment's name to a
/// device that reads without end is passed over, not read, and not written
/// through.
#[test]
fn a_link_named_like_a_segment_is_not_read() {
    let dir = scratch("link");
    std::os::unix::fs::symlink("/dev/zero", segment_path(&dir, 1)).expect("symlink");
    assert!(segments(&dir).expect("segments").is_empty());
    let config = spool_config(&dir, 1 << 30, false);
    let (spool, shared, recovered) = Spool::open(config, None).expect("open the spool");
    assert_eq!(recovered.pending, 0);
    // Nor is it written through: the event is refused, not acknowledged
    // into a file the spool's reader would pass over.
    let runtime = current_thread();
    let (answer, _) = runtime.block_on(spool.append(b"\"n\":1}".to_vec()));
    let error = answer.expect_err("refused");
    assert!(error.contains("not a regular file"), "{error}");
    assert_eq!(shared.written(), 0);
    let _ = fs::remove_dir_all(&dir);
}
