//! Tests of trace import: hand-written SWF and sacct texts with known
//! answers, and the real SWF traces in `shared/data/swf`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::*;

const S: u64 = NS_PER_SEC;

/// One SWF data line; fields not given are -1 (user 7, group 3, queue 1).
fn swf(id: i64, submit: i64, run: i64, alloc: i64, req: i64, req_time: i64) -> String {
    format!("{id} {submit} -1 {run} {alloc} -1 -1 {req} {req_time} -1 1 7 3 -1 1 -1 -1 -1\n")
}

fn import_swf(text: &str, options: &ImportOptions) -> (Vec<TraceJob>, ImportReport) {
    import_str("test.swf", text, TraceFormat::Swf, options).expect("imports")
}

fn ids(jobs: &[TraceJob]) -> Vec<u64> {
    jobs.iter().map(|j| j.id).collect()
}

fn submits_s(jobs: &[TraceJob]) -> Vec<f64> {
    jobs.iter().map(|j| j.submit.as_secs_f64()).collect()
}

fn assert_accounted(jobs: &[TraceJob], report: &ImportReport) {
    assert_eq!(report.kept, jobs.len() as u64);
    assert_eq!(report.kept + report.dropped_total(), report.records_read);
    assert!(
        jobs.windows(2)
            .all(|w| (w[0].submit, w[0].id) <= (w[1].submit, w[1].id)),
        "jobs are sorted by (submit, id)"
    );
}

#[test]
fn header_values_may_carry_comments() {
    let text = "; Version: 2.2\n\
                ; Computer: IBM SP2\n\
                ; Installation: Somewhere (a site)\n\
                ; Information: http://example.invalid/\n\
                ;   a continuation line: with a colon\n\
                ;\n\
                ; MaxJobs: 3\n\
                ; MaxRecords: 2\n\
                ; UnixStartTime: 835823160\n\
                ; MaxNodes: 338 (batch partition; 512 total)\n\
                ; MaxProcs: 300  more comment\n\
                \n"
    .to_string()
        + &swf(1, 0, 10, 4, 4, 20)
        + "\n"
        + &swf(2, 5, 10, 4, 4, 20);
    let (jobs, report) = import_swf(&text, &ImportOptions::default());
    let h = &report.header;
    assert_eq!(h.version.as_deref(), Some("2.2"));
    assert_eq!(h.computer.as_deref(), Some("IBM SP2"));
    assert_eq!(h.installation.as_deref(), Some("Somewhere (a site)"));
    assert_eq!(h.max_nodes, Some(338));
    assert_eq!(h.max_procs, Some(300));
    assert_eq!(h.max_jobs, Some(3));
    assert_eq!(h.max_records, Some(2));
    assert_eq!(h.unix_start_time, Some(835_823_160));
    assert_eq!(h.machine_processors(), Some(300));
    assert_eq!(report.machine_gpus, Some(300));
    assert_eq!(report.records_read, 2);
    assert_eq!(jobs.len(), 2);
    assert_eq!(&*jobs[0].user, "u7");
    assert_eq!(&*jobs[0].account, "g3");
    assert_eq!(jobs[0].queue.as_deref(), Some("q1"));
    assert_eq!(jobs[0].partition, None);
    assert_eq!(jobs[0].qos, None);
    assert_eq!(jobs[0].source_line, 13);
}

#[test]
fn max_nodes_alone_gives_the_machine_size() {
    let text = "; MaxNodes: 16 (the whole machine)\n".to_string()
        + &swf(1, 0, 10, 16, 16, 20)
        + &swf(2, 1, 10, 17, 17, 20);
    let (jobs, report) = import_swf(&text, &ImportOptions::default());
    assert_eq!(report.header.max_procs, None);
    assert_eq!(report.header.machine_processors(), Some(16));
    assert_eq!(ids(&jobs), vec![1]);
    assert_eq!(
        report.dropped,
        vec![("larger than the machine (16 GPUs)".to_string(), 1)]
    );
    assert_accounted(&jobs, &report);
}

#[test]
fn unknown_run_time_is_dropped_and_counted() {
    let text = swf(1, 0, -1, 4, 4, 20) + &swf(2, 1, 10, 4, 4, 20) + &swf(3, 2, -1, 4, 4, 20);
    let (jobs, report) = import_swf(&text, &ImportOptions::default());
    assert_eq!(ids(&jobs), vec![2]);
    assert_eq!(
        jobs[0].submit,
        SimTime::ZERO,
        "the first kept job submits at 0"
    );
    assert_eq!(report.dropped_for("run time unknown or < 0"), 2);
    assert_eq!(report.records_read, 3);
    assert_accounted(&jobs, &report);

    let options = ImportOptions {
        negative_runtime: BadRuntime::Replace(SimDuration::from_secs(3600)),
        ..ImportOptions::default()
    };
    let (jobs, report) = import_swf(&text, &options);
    assert_eq!(ids(&jobs), vec![1, 2, 3]);
    assert_eq!(jobs[0].runtime, SimDuration::from_secs(3600));
    assert_eq!(
        report.altered_for("run time unknown or < 0 replaced by 1h"),
        2
    );
    assert_eq!(report.dropped_total(), 0);
}

#[test]
fn zero_run_time_is_kept_by_default() {
    let text = swf(1, 0, 0, 4, 4, -1) + &swf(2, 1, 10, 4, 4, 20);
    let (jobs, report) = import_swf(&text, &ImportOptions::default());
    assert_eq!(ids(&jobs), vec![1, 2]);
    assert_eq!(jobs[0].runtime, SimDuration::ZERO);
    assert_eq!(
        jobs[0].estimate,
        SimDuration::from_secs(1),
        "estimate never 0"
    );
    assert_eq!(report.altered_for("estimate missing: used run time"), 1);
    assert_eq!(report.altered_for("estimate 0 raised to 1s"), 1);

    let drop = ImportOptions {
        zero_runtime: ZeroRuntime::Drop,
        ..ImportOptions::default()
    };
    let (jobs, report) = import_swf(&text, &drop);
    assert_eq!(ids(&jobs), vec![2]);
    assert_eq!(report.dropped, vec![("run time 0 dropped".to_string(), 1)]);
}

#[test]
fn size_falls_back_to_allocated_when_requested_is_unknown() {
    let text = swf(1, 0, 10, 6, -1, 20) + &swf(2, 1, 10, 6, 4, 20) + &swf(3, 2, 10, -1, -1, 20);
    let (jobs, report) = import_swf(&text, &ImportOptions::default());
    assert_eq!(ids(&jobs), vec![1, 2]);
    assert_eq!(jobs[0].gpus, 6, "allocated, since requested is -1");
    assert_eq!(jobs[1].gpus, 4, "requested wins when known");
    assert_eq!(
        report.altered_for("size from allocated (requested missing)"),
        1
    );
    assert_eq!(report.dropped, vec![("size <= 0".to_string(), 1)]);
    assert_accounted(&jobs, &report);

    let allocated = ImportOptions {
        size: SizeField::Allocated,
        ..ImportOptions::default()
    };
    let (jobs, _) = import_swf(&text, &allocated);
    assert_eq!(jobs.iter().map(|j| j.gpus).collect::<Vec<_>>(), vec![6, 6]);
    let larger = ImportOptions {
        size: SizeField::Larger,
        ..ImportOptions::default()
    };
    let text = swf(1, 0, 10, 6, 8, 20) + &swf(2, 1, 10, 6, 4, 20);
    let (jobs, report) = import_swf(&text, &larger);
    assert_eq!(jobs.iter().map(|j| j.gpus).collect::<Vec<_>>(), vec![8, 6]);
    assert_eq!(report.altered_total(), 0);
}

#[test]
fn estimate_falls_back_to_the_run_time() {
    let text = swf(1, 0, 100, 4, 4, -1) + &swf(2, 1, 100, 4, 4, 500);
    let (jobs, report) = import_swf(&text, &ImportOptions::default());
    assert_eq!(jobs[0].estimate, SimDuration::from_secs(100));
    assert_eq!(jobs[1].estimate, SimDuration::from_secs(500));
    assert_eq!(
        report.altered,
        vec![("estimate missing: used run time".to_string(), 1)]
    );

    let factor = ImportOptions {
        missing_estimate: MissingEstimate::Factor(1.5),
        ..ImportOptions::default()
    };
    let (jobs, report) = import_swf(&text, &factor);
    assert_eq!(jobs[0].estimate, SimDuration::from_secs(150));
    assert_eq!(
        report.altered_for("estimate missing: used run time x 1.5"),
        1
    );
    let fixed = ImportOptions {
        missing_estimate: MissingEstimate::Fixed(SimDuration::from_secs(7200)),
        ..ImportOptions::default()
    };
    let (jobs, report) = import_swf(&text, &fixed);
    assert_eq!(jobs[0].estimate, SimDuration::from_secs(7200));
    assert_eq!(report.altered_for("estimate missing: used 2h"), 1);
}

#[test]
fn jobs_larger_than_the_machine_are_dropped() {
    let text = "; MaxProcs: 8\n".to_string()
        + &swf(1, 0, 10, 8, 8, 20)
        + &swf(2, 1, 10, 9, 9, 20)
        + &swf(3, 2, 10, 4, 12, 20);
    let (jobs, report) = import_swf(&text, &ImportOptions::default());
    assert_eq!(ids(&jobs), vec![1]);
    assert_eq!(report.dropped_for("larger than the machine (8 GPUs)"), 2);
    // An explicit capacity overrides the header.
    let options = ImportOptions {
        machine_gpus: Some(100),
        ..ImportOptions::default()
    };
    let (jobs, _) = import_swf(&text, &options);
    assert_eq!(ids(&jobs), vec![1, 2, 3]);
}

#[test]
fn jobs_are_sorted_by_submit_then_id() {
    // File order differs from submit order; ties at submit 5 break by id.
    let text = swf(4, 5, 10, 1, 1, 20)
        + &swf(2, 5, 10, 1, 1, 20)
        + &swf(3, 3, 10, 1, 1, 20)
        + &swf(1, 9, 10, 1, 1, 20)
        + &swf(5, 5, 10, 1, 1, 20);
    let (jobs, report) = import_swf(&text, &ImportOptions::default());
    assert_eq!(ids(&jobs), vec![3, 2, 4, 5, 1]);
    assert_eq!(submits_s(&jobs), vec![0.0, 2.0, 2.0, 2.0, 6.0]);
    assert_accounted(&jobs, &report);
}

#[test]
fn window_skips_and_takes_by_id_or_by_submit() {
    // Ids 1..=6 submit in the order 3, 1, 2, 6, 4, 5; job 7 is unusable and
    // does not count towards the window.
    let text = swf(1, 10, 10, 1, 1, 20)
        + &swf(2, 20, 10, 1, 1, 20)
        + &swf(3, 0, 10, 1, 1, 20)
        + &swf(7, 1, -1, 1, 1, 20)
        + &swf(4, 40, 10, 1, 1, 20)
        + &swf(5, 50, 10, 1, 1, 20)
        + &swf(6, 30, 10, 1, 1, 20);
    let by_id = ImportOptions {
        skip: 2,
        take: Some(3),
        skip_by: WindowOrder::JobId,
        ..ImportOptions::default()
    };
    let (jobs, report) = import_swf(&text, &by_id);
    assert_eq!(ids(&jobs), vec![3, 4, 5]);
    assert_eq!(submits_s(&jobs), vec![0.0, 40.0, 50.0]);
    assert_eq!(report.dropped_for("outside the window"), 3);
    assert_eq!(report.dropped_for("run time unknown or < 0"), 1);
    assert_accounted(&jobs, &report);

    let by_submit = ImportOptions {
        skip_by: WindowOrder::Submit,
        ..by_id
    };
    let (jobs, report) = import_swf(&text, &by_submit);
    assert_eq!(ids(&jobs), vec![2, 6, 4]);
    assert_eq!(submits_s(&jobs), vec![0.0, 10.0, 20.0]);
    assert_eq!(report.dropped_for("outside the window"), 3);
    assert_accounted(&jobs, &report);

    let past_the_end = ImportOptions {
        skip: 100,
        ..ImportOptions::default()
    };
    let (jobs, report) = import_swf(&text, &past_the_end);
    assert!(jobs.is_empty());
    assert_eq!(report.dropped_for("outside the window"), 6);
    assert_accounted(&jobs, &report);
}

#[test]
fn interarrival_scale_halves_the_gaps() {
    let text =
        swf(1, 1000, 10, 1, 1, 20) + &swf(2, 1010, 10, 1, 1, 20) + &swf(3, 1013, 10, 1, 1, 20);
    let options = ImportOptions {
        interarrival_scale: 0.5,
        ..ImportOptions::default()
    };
    let (jobs, _) = import_swf(&text, &options);
    assert_eq!(
        jobs.iter().map(|j| j.submit.as_ns()).collect::<Vec<_>>(),
        vec![0, 5 * S, 6 * S + S / 2]
    );
    assert_eq!(
        jobs[2].runtime,
        SimDuration::from_secs(10),
        "run times unchanged"
    );
}

#[test]
fn scaling_is_exact_and_rounds_half_up() {
    assert_eq!(scale_ns(7, 1.5), 11);
    assert_eq!(scale_ns(3, 0.5), 2);
    assert_eq!(scale_ns(2, 0.25), 1);
    assert_eq!(scale_ns(1, 0.25), 0);
    assert_eq!(scale_ns(10 * S, 0.5), 5 * S);
    assert_eq!(
        scale_ns(123_456_789_012_345_678, 1.0),
        123_456_789_012_345_678
    );
    assert_eq!(scale_ns(10u64.pow(18), 2.0), 2 * 10u64.pow(18));
    assert_eq!(scale_ns(u64::MAX, 2.0), u64::MAX);
    assert_eq!(scale_ns(0, 1e300), 0);
    assert_eq!(scale_ns(1, 1e300), u64::MAX);
    assert_eq!(scale_ns(u64::MAX, f64::MIN_POSITIVE), 0);
    // 0.1 is 0.1000000000000000055511151231257827... in binary.
    assert_eq!(scale_ns(10u64.pow(18), 0.1), 100_000_000_000_000_006);
}

#[test]
fn gpus_per_processor_multiplies_sizes_and_the_machine() {
    let text = "; MaxProcs: 4\n".to_string() + &swf(1, 0, 10, 3, 3, 20) + &swf(2, 1, 10, 5, 5, 20);
    let options = ImportOptions {
        gpus_per_processor: 8,
        ..ImportOptions::default()
    };
    let (jobs, report) = import_swf(&text, &options);
    assert_eq!(jobs.iter().map(|j| j.gpus).collect::<Vec<_>>(), vec![24]);
    assert_eq!(report.machine_gpus, Some(32));
    assert_eq!(report.dropped_for("larger than the machine (32 GPUs)"), 1);
}

#[test]
fn malformed_lines_are_errors_at_their_exact_position() {
    let good = swf(1, 0, 10, 4, 4, 20);
    let short = "2 5 -1 10 4 -1 -1 4 20 -1 1 7 3 -1 1 -1 -1\n"; // 17 fields
    let text = format!("; MaxProcs: 8\n{good}{short}");
    let err = import_str("t.swf", &text, TraceFormat::Swf, &ImportOptions::default())
        .expect_err("17 fields");
    assert_eq!((err.line, err.column), (3, short.trim_end().len() + 1));
    assert!(err.message.contains("17 fields"), "{}", err.message);
    assert!(err.message.contains("think time"), "{}", err.message);

    let bad = "2   5 -1 abc 4 -1 -1 4 20 -1 1 7 3 -1 1 -1 -1 -1\n";
    let text = format!("{good}\n{bad}");
    let err =
        import_str("t.swf", &text, TraceFormat::Swf, &ImportOptions::default()).expect_err("abc");
    assert_eq!((err.line, err.column), (3, 10));
    assert_eq!(err.message, "field 4 (run time) is `abc`");
    assert_eq!(
        err.to_string().lines().next(),
        Some("error: t.swf:3:10: field 4 (run time) is `abc`")
    );
    assert!(err.to_string().contains("\n  = expected: seconds"));
    assert!(err.to_string().contains("\n  = fix: "));
    assert!(
        (err.to_string()).contains(&format!("\n3 | {}\n  |          ^^^\n", bad.trim_end())),
        "the line, its bad field underlined: {err}"
    );

    let long = "2 5 -1 1 4 -1 -1 4 20 -1 1 7 3 -1 1 -1 -1 -1 99\n";
    let err = import_str("t.swf", long, TraceFormat::Swf, &ImportOptions::default())
        .expect_err("19 fields");
    assert_eq!((err.line, err.column), (1, long.len() - 2));

    // Decimals are fine where SWF allows them, not in counts.
    let decimals = "1 0 -1 10 4 12.5 1024.75 4 20 3.5e3 1 7 3 -1 1 -1 -1 -1\n";
    assert!(
        import_str(
            "t.swf",
            decimals,
            TraceFormat::Swf,
            &ImportOptions::default()
        )
        .is_ok()
    );
    let half_cpu = "1 0 -1 10 4.5 -1 -1 4 20 -1 1 7 3 -1 1 -1 -1 -1\n";
    let err = import_str(
        "t.swf",
        half_cpu,
        TraceFormat::Swf,
        &ImportOptions::default(),
    )
    .expect_err("4.5 processors");
    assert_eq!((err.line, err.column), (1, 11));
    for token in ["nan", "inf", "1e999", "--1", ""] {
        let line = format!("1 0 -1 10 4 {token} -1 4 20 -1 1 7 3 -1 1 -1 -1 -1\n");
        assert!(
            import_str("t.swf", &line, TraceFormat::Swf, &ImportOptions::default()).is_err(),
            "`{token}` in field 6"
        );
    }
    let err = import_str(
        "t.swf",
        "; MaxProcs: many\n",
        TraceFormat::Swf,
        &ImportOptions::default(),
    )
    .expect_err("no number");
    assert_eq!((err.line, err.column), (1, 13));
}

#[test]
fn bad_options_are_refused() {
    for scale in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let options = ImportOptions {
            interarrival_scale: scale,
            ..ImportOptions::default()
        };
        assert!(options.validate().is_err(), "scale {scale}");
        let err = import_str("t.swf", "", TraceFormat::Swf, &options).expect_err("refused");
        assert_eq!(err.line, 0);
    }
    let zero_gpus = ImportOptions {
        gpus_per_processor: 0,
        ..ImportOptions::default()
    };
    assert!(zero_gpus.validate().is_err());
    let bad_factor = ImportOptions {
        missing_estimate: MissingEstimate::Factor(f64::NAN),
        ..ImportOptions::default()
    };
    assert!(bad_factor.validate().is_err());
    assert!(ImportOptions::default().validate().is_ok());
}

/// A file in the temporary directory that is removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> Self {
        let path =
            std::env::temp_dir().join(format!("clustersim-trace-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).expect("writes the temporary file");
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn gzip_is_detected_by_its_magic_bytes() {
    let text = "; MaxProcs: 8\n".to_string() + &swf(1, 0, 10, 4, 4, 20) + &swf(2, 3, 10, 2, 2, 20);
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(text.as_bytes()).expect("compresses");
    let gz = encoder.finish().expect("compresses");
    // Misleading extensions on purpose: detection is by content.
    let compressed = TempFile::new("compressed.swf", &gz);
    let plain = TempFile::new("plain.swf.gz", text.as_bytes());
    let options = ImportOptions::default();
    let from_gz = import_file(&compressed.0, TraceFormat::Swf, &options).expect("gzip");
    let from_plain = import_file(&plain.0, TraceFormat::Swf, &options).expect("plain");
    let from_str = import_str("x", &text, TraceFormat::Swf, &options).expect("text");
    assert_eq!(from_gz, from_plain);
    assert_eq!(from_gz, from_str);
    assert_eq!(ids(&from_gz.0), vec![1, 2]);

    let truncated = TempFile::new("truncated.swf.gz", &gz[..gz.len() / 2]);
    let err = import_file(&truncated.0, TraceFormat::Swf, &options).expect_err("truncated");
    assert!(err.message.contains("gzip"), "{err}");
    let missing = std::env::temp_dir().join("clustersim-trace-no-such-file.swf");
    let err = import_file(&missing, TraceFormat::Swf, &options).expect_err("missing");
    assert!(err.message.contains("cannot read"), "{err}");
}

// ---------------------------------------------------------------- real traces

fn swf_data(name: &str) -> PathBuf {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/swf"
    ))
    .join(name);
    assert!(
        path.is_file(),
        "trace {} not found: the real-trace tests need shared/data/swf beside the repository",
        path.display()
    );
    path
}

/// Data lines counted independently of the importer.
fn count_data_lines(path: &Path) -> u64 {
    let bytes = std::fs::read(path).expect("reads the trace");
    let mut text = String::new();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(bytes.as_slice())
            .read_to_string(&mut text)
            .expect("decompresses");
    } else {
        text = String::from_utf8(bytes).expect("UTF-8");
    }
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with(';'))
        .count() as u64
}

fn check_real_trace(name: &str, max_records: Option<u64>, machine: u64) -> ImportReport {
    let path = swf_data(name);
    let (jobs, report) =
        import_file(&path, TraceFormat::Swf, &ImportOptions::default()).expect("imports");
    println!(
        "{name}: read {} kept {} dropped {:?} altered {:?}",
        report.records_read, report.kept, report.dropped, report.altered
    );
    assert_eq!(report.records_read, count_data_lines(&path), "{name}");
    if let Some(n) = max_records {
        assert_eq!(report.header.max_records, Some(n), "{name}");
        assert_eq!(report.records_read, n, "{name}: every record is read");
    }
    assert_eq!(report.header.machine_processors(), Some(machine), "{name}");
    assert_eq!(report.machine_gpus, Some(machine), "{name}");
    assert_accounted(&jobs, &report);
    assert!(report.kept > 0, "{name}");
    assert_eq!(jobs[0].submit, SimTime::ZERO, "{name}");
    assert!(
        jobs.iter()
            .all(|j| j.gpus >= 1 && u64::from(j.gpus) <= machine)
    );
    assert!(jobs.iter().all(|j| j.estimate >= SimDuration::from_secs(1)));
    report
}

#[test]
fn real_trace_sdsc_sp2() {
    check_real_trace("SDSC-SP2-1998-4.2-cln.swf.gz", Some(59_715), 128);
}

#[test]
fn real_trace_kth_sp2() {
    check_real_trace("KTH-SP2-1996-2.1-cln.swf.gz", Some(28_476), 100);
}

#[test]
fn real_trace_hpc2n() {
    check_real_trace("HPC2N-2002-2.2-cln.swf.gz", Some(202_871), 240);
}

#[test]
fn real_trace_ctc_sp2() {
    // The header keeps the original log's MaxRecords (79302), but this is
    // the cleaned log: its header notes that the filter `user=135 and
    // (job>=47421 and job<=50307)` removed 2080 jobs (a flurry), leaving
    // 79302 - 2080 = 77222 data lines.
    let report = check_real_trace("CTC-SP2-1996-3.1-cln.swf.gz", None, 338);
    assert_eq!(report.header.max_records, Some(79_302));
    assert_eq!(report.records_read, 77_222);
    assert_eq!(report.records_read + 2_080, 79_302);
    // `; MaxNodes: 338 (batch partition; 512 total)`
    assert_eq!(report.header.max_nodes, Some(338));
}

#[test]
fn real_trace_lublin_model() {
    let report = check_real_trace("lublin_256.swf", Some(10_000), 256);
    assert_eq!(
        report.header.max_procs, None,
        "only MaxNodes in this header"
    );
}

// ---------------------------------------------------------------------- sacct

const SACCT: &str = "\
JobID|User|Account|Partition|QOS|Submit|Start|End|Elapsed|Timelimit|ReqTRES|AllocTRES|State
100|alice|proj1|gpu|normal|2024-03-01T10:00:00|2024-03-01T10:05:00|2024-03-01T11:05:00|01:00:00|02:00:00|billing=8,cpu=8,gres/gpu=2,mem=64G,node=1|billing=8,cpu=8,gres/gpu=2,mem=64G,node=1|COMPLETED
100.batch||proj1|||2024-03-01T10:05:00|2024-03-01T10:05:00|2024-03-01T11:05:00|01:00:00||cpu=8,gres/gpu=2,mem=64G,node=1|cpu=8,gres/gpu=2,mem=64G,node=1|COMPLETED
100.extern||proj1|||2024-03-01T10:05:00|2024-03-01T10:05:00|2024-03-01T11:05:00|01:00:00||billing=8,cpu=8,gres/gpu=2,mem=64G,node=1|billing=8,cpu=8,gres/gpu=2,mem=64G,node=1|COMPLETED
100.0||proj1|||2024-03-01T10:05:01|2024-03-01T10:05:01|2024-03-01T11:04:59|00:59:58||cpu=8,gres/gpu=2|cpu=8,gres/gpu=2|COMPLETED
101_1|bob|proj2|gpu|normal|2024-03-01T10:01:00|2024-03-01T10:06:00|2024-03-01T10:16:00|00:10:00|UNLIMITED|billing=4,cpu=4,gres/gpu:a100=1,mem=16G,node=1|billing=4,cpu=4,gres/gpu=1,gres/gpu:a100=1,mem=16G,node=1|COMPLETED
101_0|bob|proj2|gpu|normal|2024-03-01T10:01:00|2024-03-01T10:06:00|2024-03-01T10:26:00|00:20:00|Partition_Limit|billing=4,cpu=4,gres/gpu:a100=1,mem=16G,node=1|billing=4,cpu=4,gres/gpu=1,gres/gpu:a100=1,mem=16G,node=1|FAILED
102|carol|proj1|gpu|normal|2024-03-01T10:02:00|None|2024-03-01T10:30:00|00:00:00|01:00:00|billing=1,cpu=1,gres/gpu=4,node=1||CANCELLED by 1000
103|dave|proj3|gpu|high|2024-03-01T10:03:00|2024-03-01T10:03:00|2024-03-02T11:06:04|1-01:03:04|2-00:00:00|cpu=16,gres/gpu:h100=8,mem=1T|cpu=16,gres/gpu=8,gres/gpu:h100=8,mem=1T|TIMEOUT
104|erin|proj1|cpu|normal|2024-03-01T10:04:00|2024-03-01T10:04:10|2024-03-01T10:14:10|00:10:00|00:30:00|billing=4,cpu=4,mem=8G,node=1|billing=4,cpu=4,mem=8G,node=1|COMPLETED
105|frank|proj1|gpu|normal|2024-03-01T10:05:00|Unknown|Unknown|00:00:00|01:00:00|cpu=2,gres/gpu=1||PENDING
106+0|gina|proj2|gpu||2024-03-01T10:06:00|2024-03-01T10:07:00|2024-03-01T10:08:00|00:01:00|05:00|cpu=1,gres/gpu=1|cpu=1,gres/gpu=1|COMPLETED
106+1|gina|proj2|gpu||2024-03-01T10:06:00|2024-03-01T10:07:00|2024-03-01T10:08:00|00:01:00|05:00|cpu=1,gres/gpu=3|cpu=1,gres/gpu=3|COMPLETED
107|hank|proj3|gpu|normal|2024-03-01T10:07:00|2024-03-01T10:08:00|Unknown|00:05:00|01:00:00|cpu=2,gres/gpu=1|cpu=2,gres/gpu=1|RUNNING
108|ivy|proj3|gpu|normal|2024-03-01T10:08:00|2024-03-01T10:08:00|2024-03-01T10:09:00|00:01:00|01:00:00|cpu=2|cpu=2,gres/gpu=2|COMPLETED
";

fn import_sacct(
    text: &str,
    options: &ImportOptions,
) -> Result<(Vec<TraceJob>, ImportReport), FileError> {
    import_str("sacct.txt", text, TraceFormat::Sacct, options)
}

#[test]
fn sacct_records_become_jobs() {
    let (jobs, report) = import_sacct(SACCT, &ImportOptions::default()).expect("imports");
    assert_accounted(&jobs, &report);
    assert_eq!(report.steps_skipped, 3);
    assert_eq!(report.records_read, 11);
    assert!(!report.sizes_from_cpus);
    assert_eq!(report.machine_gpus, None);
    assert_eq!(report.header, SwfHeader::default());
    assert_eq!(
        report.dropped,
        vec![
            ("never started".to_string(), 2),
            ("run time unknown or < 0".to_string(), 1),
            ("no GPUs requested".to_string(), 1),
        ]
    );
    assert_eq!(
        report.altered,
        vec![
            ("size from allocated (requested missing)".to_string(), 1),
            ("estimate missing: used run time".to_string(), 2),
            ("array task: id is the array's job id".to_string(), 2),
            (
                "heterogeneous job component: id is the job's id".to_string(),
                2
            ),
        ]
    );
    let summary: Vec<(u64, u64, u32, u64, u64, usize)> = jobs
        .iter()
        .map(|j| {
            (
                j.id,
                j.submit.as_ns() / S,
                j.gpus,
                j.runtime.as_ns() / S,
                j.estimate.as_ns() / S,
                j.source_line,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (100, 0, 2, 3600, 7200, 2),
            // Array tasks: same id, same submit; file order breaks the tie.
            (101, 60, 1, 600, 600, 6),
            (101, 60, 1, 1200, 1200, 7),
            // 1-01:03:04 = 90184 s.
            (103, 180, 8, 90_184, 172_800, 9),
            (106, 360, 1, 60, 300, 12),
            (106, 360, 3, 60, 300, 13),
            (108, 480, 2, 60, 3600, 15),
        ]
    );
    let first = &jobs[0];
    assert_eq!(&*first.user, "alice");
    assert_eq!(&*first.account, "proj1");
    assert_eq!(first.partition.as_deref(), Some("gpu"));
    assert_eq!(first.qos.as_deref(), Some("normal"));
    assert_eq!(first.queue, None);
    assert_eq!(jobs[4].qos, None, "empty QOS");

    // Allocated sizes: typed and plain gres/gpu entries are not added up.
    let allocated = ImportOptions {
        size: SizeField::Allocated,
        ..ImportOptions::default()
    };
    let (jobs, _) = import_sacct(SACCT, &allocated).expect("imports");
    assert_eq!(
        jobs.iter().map(|j| j.gpus).collect::<Vec<_>>(),
        vec![2, 1, 1, 8, 1, 3, 2]
    );
}

#[test]
fn sacct_elapsed_alone_gives_the_run_time() {
    let text = "JobID|Submit|Elapsed|Timelimit|AllocTRES|State\n\
                7|2024-01-01T00:00:00|1-02:03:04|3-00:00:00|gres/gpu=4|COMPLETED\n\
                8|2024-01-01T00:00:30|05:06|10|gres/gpu=4|COMPLETED\n\
                9|2024-01-01T00:01:00|00:07:00|10|gres/gpu=4|RUNNING\n";
    let (jobs, report) = import_sacct(text, &ImportOptions::default()).expect("imports");
    assert_eq!(
        jobs[0].runtime,
        SimDuration::from_secs(86_400 + 2 * 3600 + 3 * 60 + 4)
    );
    assert_eq!(jobs[0].estimate, SimDuration::from_secs(3 * 86_400));
    assert_eq!(jobs[1].runtime, SimDuration::from_secs(5 * 60 + 6));
    assert_eq!(
        jobs[1].estimate,
        SimDuration::from_secs(600),
        "bare number: minutes"
    );
    assert_eq!(jobs[1].submit, SimTime::from_ns(30 * S));
    assert_eq!(&*jobs[0].user, "?");
    assert_eq!(
        report.dropped,
        vec![("run time unknown or < 0".to_string(), 1)]
    );
    assert_eq!(
        report.altered_for("size from allocated (requested missing)"),
        2
    );
}

#[test]
fn sacct_without_any_gpu_counts_cpus() {
    let text = "JobID|Submit|Start|End|ReqTRES|AllocTRES|State\n\
                1|2024-01-01T00:00:00|2024-01-01T00:00:00|2024-01-01T01:00:00|cpu=4,mem=1G|cpu=4,mem=1G|COMPLETED\n\
                2|2024-01-01T00:10:00|2024-01-01T00:10:00|2024-01-01T01:00:00|mem=1G|mem=1G|COMPLETED\n";
    let options = ImportOptions {
        gpus_per_processor: 2,
        ..ImportOptions::default()
    };
    let (jobs, report) = import_sacct(text, &options).expect("imports");
    assert!(report.sizes_from_cpus);
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].gpus, 8);
    assert_eq!(report.dropped, vec![("size <= 0 (no CPUs)".to_string(), 1)]);
    assert_eq!(
        report.altered_for("size from CPUs x 2 (trace has no gres/gpu)"),
        1
    );
}

#[test]
fn sacct_errors_name_the_column_and_position() {
    let err = import_sacct("JobID|User|Start|End\n1|a|x|y\n", &ImportOptions::default())
        .expect_err("no Submit");
    assert_eq!((err.line, err.column), (1, 1));
    assert!(err.message.contains("`Submit`"), "{}", err.message);
    let err = import_sacct("JobID|Submit|Start\n", &ImportOptions::default()).expect_err("no End");
    assert!(err.message.contains("`Elapsed`"), "{}", err.message);
    let err = import_sacct("", &ImportOptions::default()).expect_err("empty");
    assert_eq!(err.line, 1);

    let head = "JobID|Submit|Elapsed|ReqTRES\n";
    let err = import_sacct(
        &format!("{head}5|2024-13-01T00:00:00|00:01:00|gres/gpu=1\n"),
        &ImportOptions::default(),
    )
    .expect_err("month 13");
    assert_eq!((err.line, err.column), (2, 3));
    assert!(err.message.starts_with("Submit"), "{}", err.message);
    let err = import_sacct(
        &format!("{head}5|2024-02-01T00:00:00|1:xx|gres/gpu=1\n"),
        &ImportOptions::default(),
    )
    .expect_err("bad elapsed");
    assert_eq!((err.line, err.column), (2, 23));
    let err = import_sacct(
        &format!("{head}5|2024-02-01T00:00:00|00:01:00|cpu=1,gres/gpu=two\n"),
        &ImportOptions::default(),
    )
    .expect_err("bad TRES");
    assert_eq!((err.line, err.column), (2, 38));
    let err = import_sacct(
        &format!("{head}abc|2024-02-01T00:00:00|00:01:00|gres/gpu=1\n"),
        &ImportOptions::default(),
    )
    .expect_err("bad id");
    assert_eq!((err.line, err.column), (2, 1));
    let err = import_sacct(
        &format!("{head}5|2024-02-01T00:00:00|00:01:00\n"),
        &ImportOptions::default(),
    )
    .expect_err("3 fields");
    assert!(err.message.contains("3 fields"), "{}", err.message);
    // `--parsable` ends lines with `|`: accepted.
    let parsable = "JobID|Submit|Elapsed|ReqTRES|\n5|2024-02-01T00:00:00|00:01:00|gres/gpu=1|\n";
    let (jobs, _) = import_sacct(parsable, &ImportOptions::default()).expect("imports");
    assert_eq!(jobs.len(), 1);
}

#[test]
fn civil_dates_and_slurm_durations() {
    use super::sacct::{days_from_civil, slurm_duration, timestamp};
    assert_eq!(days_from_civil(1970, 1, 1), 0);
    assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    assert_eq!(days_from_civil(1969, 12, 31), -1);
    assert_eq!(timestamp("2024-03-01T10:00:00"), Ok(Some(1_709_287_200)));
    assert_eq!(timestamp("2024-02-29T00:00:00"), Ok(Some(1_709_164_800)));
    assert_eq!(timestamp("2023-02-29T00:00:00"), Err(()));
    assert_eq!(timestamp("Unknown"), Ok(None));
    assert_eq!(timestamp("2024-03-01 10:00:00"), Err(()));
    let secs = |s: i64| Ok(Some(s * S as i64));
    assert_eq!(slurm_duration("1-02:03:04"), secs(93_784));
    assert_eq!(slurm_duration("02:03:04"), secs(7_384));
    assert_eq!(slurm_duration("03:04"), secs(184));
    assert_eq!(slurm_duration("30"), secs(1_800));
    assert_eq!(slurm_duration("2-12"), secs(216_000));
    assert_eq!(slurm_duration("2-12:30"), secs(217_800));
    assert_eq!(slurm_duration("00:00:01.500"), Ok(Some(1_500_000_000)));
    assert_eq!(slurm_duration("UNLIMITED"), Ok(None));
    assert_eq!(slurm_duration("Partition_Limit"), Ok(None));
    for bad in [
        "1-",
        "-1",
        "1:2:3:4",
        "a:b",
        "1:-2",
        "99999999999999999999:00",
    ] {
        assert_eq!(slurm_duration(bad), Err(()), "{bad}");
    }
}

#[test]
fn no_input_panics() {
    // Damaged variants of valid inputs: every prefix, and single-byte edits.
    let swf_text =
        "; MaxProcs: 8\n".to_string() + &swf(1, 0, 10, 4, 4, 20) + &swf(2, 3, 10, 2, 2, 20);
    let pods = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n\
                openb-pod-0001,6000,12288,1,460,,LS,Running,0,100,0\n\
                openb-pod-0002,6000,12288,2,1000,\"V100M16|V100M32\",BE,Pending,5,100,\n";
    let helios = "job_id,user,vc,gpu_num,cpu_num,node_num,state,submit_time,start_time,end_time,duration,queue\n\
                  1,u,vc,8,1,1,COMPLETED,2020-06-09 18:41:01,2020-06-09 18:41:01,2020-06-10 04:55:09,36848,0\n";
    let formats = [
        TraceFormat::Swf,
        TraceFormat::Sacct,
        TraceFormat::AlibabaPods,
        TraceFormat::Csv(Box::new(super::CsvPreset::Helios.columns())),
    ];
    for text in [swf_text.as_str(), SACCT, pods, helios] {
        for format in formats.clone() {
            for end in (0..text.len()).filter(|&i| text.is_char_boundary(i)) {
                let _ = import_str("x", &text[..end], format.clone(), &ImportOptions::default());
            }
            for (i, replacement) in [(3, "|"), (10, "-"), (20, "."), (40, ":"), (60, "_")] {
                if i < text.len() && text.is_char_boundary(i) && text.is_char_boundary(i + 1) {
                    let damaged = format!("{}{replacement}{}", &text[..i], &text[i + 1..]);
                    let _ = import_str("x", &damaged, format.clone(), &ImportOptions::default());
                }
            }
        }
    }
}

#[test]
fn a_file_parsed_as_it_is_read_gives_what_its_whole_text_gives() {
    // Over 2 MiB of lines, so they come in several pieces and some line
    // is cut by a piece's end; a byte-order mark, CRLF line ends, real
    // numbers and a Latin-1 byte in a comment on the way.
    let mut text = "\u{feff}; MaxProcs: 64\r\n; Computer: caf\u{e9}\n".to_string();
    for i in 1..=30_000u64 {
        text += &format!(
            "{i} {} 5 {} 4 {}.25 -1 4 {} -1 1 {} {} -1 1 1 -1 -1{}",
            i * 7,
            10 + i % 50,
            i % 9,
            100 + i % 70,
            i % 13,
            i % 4,
            if i % 3 == 0 { "\r\n" } else { "\n" }
        );
    }
    let mut bytes = text.clone().into_bytes();
    let latin1 = bytes.iter().position(|&b| b == 0xc3).expect("the e-acute");
    bytes.splice(latin1..latin1 + 2, [0xe9]);
    let lossy = String::from_utf8_lossy(&bytes).into_owned();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&bytes).expect("compresses");
    let gz = TempFile::new("pieces.swf.gz", &encoder.finish().expect("compresses"));
    let plain = TempFile::new("pieces.swf", &bytes);
    let options = ImportOptions::default();
    let whole = import_str("x", &lossy, TraceFormat::Swf, &options).expect("text");
    assert_eq!(whole.0.len(), 30_000);
    assert_eq!(whole.1.header.computer.as_deref(), Some("caf\u{fffd}"));
    assert_eq!(
        import_file(&gz.0, TraceFormat::Swf, &options).unwrap(),
        whole
    );
    assert_eq!(
        import_file(&plain.0, TraceFormat::Swf, &options).unwrap(),
        whole
    );

    // A bad line far in: the same error, at the same line and column.
    let bad = lossy.replacen("29000 203000 5", "29000 203000 5x", 1);
    let expected = import_str("x", &bad, TraceFormat::Swf, &options).unwrap_err();
    let file = TempFile::new("pieces-bad.swf", bad.as_bytes());
    let err = import_file(&file.0, TraceFormat::Swf, &options).unwrap_err();
    assert_eq!((err.line, err.column), (expected.line, expected.column));
    assert_eq!(err.message, expected.message);
    assert!(err.line > 29_000, "{err}");
    // A damaged gzip stream is reported as such, even after a bad line.
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bad.as_bytes()).expect("compresses");
    let mut damaged = encoder.finish().expect("compresses");
    let end = damaged.len() - 8;
    damaged[end - 100..end].fill(0);
    let file = TempFile::new("pieces-damaged.swf.gz", &damaged);
    let err = import_file(&file.0, TraceFormat::Swf, &options).unwrap_err();
    assert!(err.message.contains("gzip"), "{err}");
}
