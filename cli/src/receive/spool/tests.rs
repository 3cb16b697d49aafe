//! The spool's appending, numbering and passing lines straight to the output.

use super::*;

/// Both ways of appending (inline, and the group-commit thread of
/// `--fsync`) number concurrent appends without gaps, keep each line
/// whole, and refuse what would overfill the spool.
#[test]
fn inline_and_thread_appends_number_every_line_once() {
    for fsync in [false, true] {
        let dir =
            std::env::temp_dir().join(format!("dovecot-spool-test-{}-{fsync}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let config = SpoolConfig {
            dir: dir.clone(),
            segment_bytes: 4096,
            max_bytes: 16 * 1024,
            fsync,
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

    let dir = std::env::temp_dir().join(format!("dovecot-spool-direct-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("directory");
    let out = dir.join("out.jsonl");
    let config = SpoolConfig {
        dir: dir.join("spool"),
        segment_bytes: 1 << 20,
        max_bytes: 1 << 30,
        fsync: false,
    };
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
    assert!(output.drain(std::time::Duration::from_secs(10)));
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
    assert!(output.drain(std::time::Duration::from_secs(10)));
    drop(runtime);
    let _ = fs::remove_dir_all(&dir);
}
