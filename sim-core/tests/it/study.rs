//! Studies (`clustersim study`): the same bytes whatever the thread count
//! or the sharding; a merge that names what is missing; a resumed study
//! that redoes nothing; common random numbers; and the intervals checked
//! against a closed form (Erlang C) and against unpaired ones.

use std::fs;
use std::path::{Path, PathBuf};

use sim_core::study::{self, RESULT_FILES, RunOptions};

use crate::support::{clustersim, path, scratch, simulate, stderr, stdout};
use crate::validation_queueing::erlang_c_wait_s;

/// Writes a study file into `dir` whose base scenario is the workspace's
/// `scenario`; `body` is the rest of the study's fields.
fn study_file(dir: &Path, name: &str, scenario: &str, body: &str) -> PathBuf {
    fs::create_dir_all(dir).unwrap();
    let file = dir.join(format!("{name}.ron"));
    let text = format!(
        "Study(\n    name: \"{name}\",\n    scenario: \"{}\",\n{body}\n)\n",
        path(scenario).display()
    );
    fs::write(&file, text).unwrap();
    file
}

/// Runs a study through the library with `threads` workers and writes its
/// results into `out`.
fn run_study(file: &Path, threads: usize, out: &Path) -> Vec<study::Row> {
    let loaded = study::load(file).unwrap_or_else(|e| panic!("{e}"));
    let rows = study::run(&loaded, &RunOptions::quiet(threads))
        .unwrap_or_else(|e| panic!("{e:?}"))
        .rows;
    study::write_results(out, &loaded.study, &rows).unwrap();
    rows
}

/// Every result file of `a` and `b`, byte for byte (plots included).
fn assert_same_results(a: &Path, b: &Path) {
    let plots = |dir: &Path| -> Vec<PathBuf> {
        let mut names: Vec<PathBuf> = (fs::read_dir(dir.join("plots")).unwrap())
            .map(|e| Path::new("plots").join(e.unwrap().file_name()))
            .collect();
        names.sort();
        names
    };
    let (plots_a, plots_b) = (plots(a), plots(b));
    // Every study here varies something: one plot per metric and parameter.
    assert!(!plots_a.is_empty(), "no plots in {}", a.display());
    assert_eq!(plots_a, plots_b, "{} and {}", a.display(), b.display());
    let mut names: Vec<PathBuf> = RESULT_FILES.iter().map(PathBuf::from).collect();
    names.extend(plots_a);
    for name in names {
        let (x, y) = (fs::read(a.join(&name)), fs::read(b.join(&name)));
        assert!(x.is_ok(), "{} missing", a.join(&name).display());
        assert!(
            x.unwrap() == y.unwrap_or_default(),
            "{} differs between {} and {}",
            name.display(),
            a.display(),
            b.display()
        );
    }
}

const POLICIES: &str =
    r#"    parameters: [(path: "scheduler.backfill", values: ["None", "Easy", "Conservative"])],"#;

#[test]
fn results_are_the_same_bytes_whatever_the_thread_count() {
    let dir = scratch("study-threads");
    for (name, replications) in [
        ("fixed", "Fixed(8)"),
        // A stopping rule decides on whole batches in replication order.
        (
            "until",
            r#"Until(metric: "wait_s.mean", relative_half_width: 0.3, min: 4, max: 24, batch: 4)"#,
        ),
    ] {
        let file = study_file(
            &dir,
            name,
            "scenarios/quickstart.ron",
            &format!(
                "{POLICIES}\n    replications: {replications},\n    metrics: [\"wait_s.mean\", \"wait_s.p95\", \"gpu_utilization\"],"
            ),
        );
        let one = run_study(&file, 1, &dir.join(format!("{name}-1")));
        // One plot per metric against the one parameter.
        let plots = fs::read_dir(dir.join(format!("{name}-1/plots"))).unwrap();
        assert_eq!(plots.count(), 3, "{name}");
        for threads in [2, 4] {
            // A plot an earlier study left in the directory goes.
            let stale = dir.join(format!("{name}-{threads}/plots/wait_s.max--seed.svg"));
            fs::create_dir_all(stale.parent().unwrap()).unwrap();
            fs::write(&stale, "<svg/>").unwrap();
            let many = run_study(&file, threads, &dir.join(format!("{name}-{threads}")));
            assert!(!stale.exists(), "{}", stale.display());
            assert_eq!(one, many, "{name}: rows with {threads} threads");
            assert_same_results(
                &dir.join(format!("{name}-1")),
                &dir.join(format!("{name}-{threads}")),
            );
        }
        if name == "until" {
            // The rule stopped somewhere between min and max, on a batch
            // boundary, and did so per point.
            let counts: Vec<usize> = (0..3)
                .map(|p| one.iter().filter(|r| r.point == p).count())
                .collect();
            assert!(
                counts.iter().all(|&n| (4..=24).contains(&n) && n % 4 == 0),
                "{counts:?}"
            );
        }
    }
}

/// The rule's arithmetic by hand: a target nothing meets runs to `max`;
/// one anything meets stops at `min`.
#[test]
fn a_stopping_rule_stops_at_min_or_max_when_it_must() {
    let dir = scratch("study-rule");
    for (target, expected) in [("1e-9", 12), ("1000.0", 3)] {
        let file = study_file(
            &dir,
            "rule",
            "scenarios/quickstart.ron",
            &format!(
                "    replications: Until(metric: \"wait_s.mean\", relative_half_width: {target}, min: 3, max: 12, batch: 3),\n    metrics: [\"gpu_utilization\"],"
            ),
        );
        let rows = run_study(&file, 2, &dir.join("out"));
        assert_eq!(rows.len(), expected, "target {target}");
        // The rule's metric is collected even when not listed.
        let manifest = fs::read_to_string(dir.join("out/study.json")).unwrap();
        assert!(manifest.contains("\"wait_s.mean\""), "{manifest}");
    }
}

#[test]
fn four_shards_merged_are_the_one_machine_results_byte_for_byte() {
    let dir = scratch("study-shards");
    for (name, replications) in [
        ("fixed", "Fixed(5)"),
        (
            "until",
            r#"Until(metric: "wait_s.mean", relative_half_width: 0.3, min: 3, max: 12, batch: 3)"#,
        ),
    ] {
        let file = study_file(
            &dir,
            name,
            "scenarios/quickstart.ron",
            &format!(
                "{POLICIES}\n    replications: {replications},\n    metrics: [\"wait_s.mean\", \"gpu_utilization\"],\n    seeds: Independent(base: 9),\n    baseline: 1,"
            ),
        );
        let (file, one, sharded) = (
            file.to_str().unwrap(),
            dir.join(format!("{name}-one")),
            dir.join(format!("{name}-sharded")),
        );
        let out = clustersim(&["study", file, "--out", one.to_str().unwrap(), "-q"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        for i in [3, 1, 0, 2] {
            let shard = format!("{i}/4");
            let out = clustersim(&[
                "study",
                file,
                "--shard",
                &shard,
                "--out",
                sharded.to_str().unwrap(),
                "-q",
                "--threads",
                "1",
            ]);
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
            assert!(
                stdout(&out).contains(&format!("shard {shard}")),
                "{}",
                stdout(&out)
            );
        }
        let out = clustersim(&["study", "merge", sharded.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(stdout(&out).contains("merged 4 shards"), "{}", stdout(&out));
        assert_same_results(&one, &sharded);
    }
}

#[test]
fn merge_names_missing_duplicate_and_foreign_shards_and_keeps_them() {
    let dir = scratch("study-merge-refusals");
    let body = format!("{POLICIES}\n    replications: Fixed(2),\n    metrics: [\"wait_s.mean\"],");
    let a = study_file(&dir, "a", "scenarios/quickstart.ron", &body);
    let b = study_file(
        &dir.join("other"),
        "b",
        "scenarios/quickstart.ron",
        &body.replace("Fixed(2)", "Fixed(3)"),
    );
    let shards = dir.join("shards-of-a");
    let shard = |file: &Path, s: &str| {
        let out = clustersim(&[
            "study",
            file.to_str().unwrap(),
            "--shard",
            s,
            "--out",
            shards.to_str().unwrap(),
            "-q",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    };
    shard(&a, "0/3");
    shard(&a, "2/3");
    let merge = || clustersim(&["study", "merge", shards.to_str().unwrap()]);
    let out = merge();
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert!(message.contains("missing shard 1/3 of 3"), "{message}");
    assert!(
        message.contains("--shard I/3"),
        "the fix says how to run it: {message}"
    );
    // A copy of a shard under another name, and a shard of another study.
    let shard_dir = shards.join("shards");
    fs::copy(
        shard_dir.join("shard-0-of-3.json"),
        shard_dir.join("shard-0-again.json"),
    )
    .unwrap();
    let foreign = dir.join("b-shards");
    let out = clustersim(&[
        "study",
        b.to_str().unwrap(),
        "--shard",
        "1/3",
        "--out",
        foreign.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    fs::copy(
        foreign.join("shards/shard-1-of-3.json"),
        shard_dir.join("shard-1-of-3.json"),
    )
    .unwrap();
    let message = stderr(&merge());
    assert!(
        message.contains(": a duplicate of shard 0/3 (also in "),
        "{message}"
    );
    assert!(
        message.contains("shard-1-of-3.json: shard 1/3 of study `b`"),
        "{message}"
    );
    assert!(message.contains("missing shard 1/3"), "{message}");
    assert!(
        !shards.join("study.json").exists(),
        "nothing is written from an incomplete set"
    );
    // Completing the set (the right shard 1, no duplicate) merges.
    fs::remove_file(shard_dir.join("shard-0-again.json")).unwrap();
    shard(&a, "1/3");
    let out = merge();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        shard_dir.join("shard-0-of-3.json").exists(),
        "the shards are kept"
    );
}

#[test]
fn an_interrupted_study_resumes_without_redoing_a_replication() {
    let dir = scratch("study-resume");
    let file = study_file(
        &dir,
        "resume",
        "scenarios/quickstart.ron",
        &format!("{POLICIES}\n    replications: Fixed(4),\n    metrics: [\"wait_s.mean\"],"),
    );
    let whole = dir.join("whole");
    run_study(&file, 2, &whole);
    // A run cut short: its journal holds 5 of the 12 replications and a
    // torn last line. One finished value is marked, to see it reused.
    let loaded = study::load(&file).unwrap();
    let partial = dir.join("partial");
    let journal = partial.join("journal.jsonl");
    fs::create_dir_all(&partial).unwrap();
    // Rebuild the journal a killed run would have left, from a full run's.
    let rows = fs::read_to_string(whole.join("replications.csv")).unwrap();
    let header = format!(
        "{{\"format\":1,\"study\":\"resume\",\"fingerprint\":\"{:016x}\",\"slice\":\"all\"}}\n",
        loaded.study.fingerprint
    );
    let mut text = header;
    for (i, line) in rows.lines().skip(1).take(5).enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        let value = if i == 2 { "12345.5" } else { f[4] };
        text.push_str(&format!(
            "{{\"point\":{},\"replication\":{},\"seed\":{},\"metrics\":[{value}]}}\n",
            f[0], f[1], f[2]
        ));
    }
    text.push_str("{\"point\":1,\"repl");
    fs::write(&journal, text).unwrap();
    let out = clustersim(&[
        "study",
        file.to_str().unwrap(),
        "--out",
        partial.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("5 resumed from the journal"),
        "{}",
        stderr(&out)
    );
    let resumed = fs::read_to_string(partial.join("replications.csv")).unwrap();
    assert!(
        resumed.contains(",12345.5\n"),
        "the journal's value was used, not recomputed"
    );
    let unmarked = resumed.replace(
        ",12345.5\n",
        &format!(
            ",{}\n",
            rows.lines().nth(3).unwrap().split(',').nth(4).unwrap()
        ),
    );
    assert_eq!(
        unmarked, rows,
        "the other replications are the same as a whole run's"
    );
    assert!(!journal.exists(), "a finished study removes its journal");
    // A journal of another study is refused, with the fix.
    fs::write(&journal, "{\"format\":1,\"study\":\"x\",\"fingerprint\":\"0\",\"slice\":\"all\"}\n{\"point\":0,\"replication\":0,\"seed\":1,\"metrics\":[1.0]}\n").unwrap();
    let out = clustersim(&[
        "study",
        file.to_str().unwrap(),
        "--out",
        partial.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--fresh"), "{}", stderr(&out));
    let out = clustersim(&[
        "study",
        file.to_str().unwrap(),
        "--out",
        partial.to_str().unwrap(),
        "-q",
        "--fresh",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// Named RNG streams: a policy changes when jobs start, never what
/// arrives. So replication r of every point of a study (same seed under
/// common random numbers) sees the same jobs.
#[test]
fn common_random_numbers_give_every_policy_the_same_jobs() {
    let jobs = |backfill: &str| {
        let set = format!("scheduler.backfill={backfill}");
        let mut jobs: Vec<_> = (simulate("scenarios/quickstart.ron", &[&set, "seed=7"])
            .jobs
            .into_iter())
        .map(|j| {
            (
                j.id,
                j.job.submit,
                j.job.request.total_gpus(),
                j.job.runtime,
                j.job.time_limit,
            )
        })
        .collect();
        jobs.sort();
        jobs
    };
    let (none, easy, conservative) = (jobs("None"), jobs("Easy"), jobs("Conservative"));
    assert_eq!(none.len(), 152);
    assert_eq!(none, easy);
    assert_eq!(none, conservative);
}

/// Over repeated studies of an M/M/8 queue, about 95% of the intervals of
/// the mean wait cover the Erlang C value (the closed form; see
/// validation_queueing), at utilization 0.8. 200 studies of 10
/// replications of 2,000 jobs: the count covering is Binomial(200, 0.95)
/// if the intervals are right, in [180, 200] with probability 0.999;
/// intervals that used z = 1.96 instead of t(0.975, 9) = 2.26 (covering
/// ~92%, expected 184) would sit at the edge, and intervals that pooled
/// the jobs of a run as independent (far narrower) well below.
#[test]
fn the_intervals_of_mmc_studies_cover_erlang_c_95_percent_of_the_time() {
    let dir = scratch("study-mmc");
    // rho = 0.8: lambda = 38.4/h, mu = 6/h, c = 8.
    let nominal = erlang_c_wait_s(8, 38.4, 6.0) * 3600.0;
    let mut covering = 0;
    for k in 0..200u64 {
        let file = study_file(
            &dir,
            "mmc",
            "scenarios/mmc-queue.ron",
            &format!(
                "    parameters: [\n        (path: \"workload.generators[0].count\", values: [2000]),\n        (path: \"workload.generators[0].arrival.mean_interarrival\", values: [\"93.75s\"]),\n    ],\n    replications: Fixed(10),\n    metrics: [\"wait_s.mean\"],\n    seeds: Common(base: {}),",
                1000 * k + 1
            ),
        );
        let out = dir.join("out");
        run_study(&file, 0, &out);
        let points = fs::read_to_string(out.join("points.csv")).unwrap();
        let row: Vec<f64> = points
            .lines()
            .nth(1)
            .unwrap()
            .split(',')
            .skip(4)
            .map(|f| f.parse().unwrap_or(f64::NAN))
            .collect();
        // n,mean,sd,ci95_low,ci95_high,...
        let (low, high) = (row[3], row[4]);
        if low <= nominal && nominal <= high {
            covering += 1;
        }
    }
    eprintln!("{covering} of 200 intervals cover Erlang C's {nominal:.1} s");
    assert!(
        (180..=200).contains(&covering),
        "{covering} of 200 intervals cover Erlang C's {nominal:.1} s"
    );
}

/// Common random numbers pay: on FCFS against EASY over 30 replications
/// of the quick-start day, the paired interval of the difference in mean
/// wait is much narrower than the unpaired (Welch) one on the same runs.
#[test]
fn paired_intervals_are_narrower_than_unpaired_ones() {
    let dir = scratch("study-paired");
    let file = study_file(
        &dir,
        "paired",
        "scenarios/quickstart.ron",
        r#"    parameters: [(path: "scheduler.backfill", values: ["None", "Easy"])],
    replications: Fixed(30),
    metrics: ["wait_s.mean", "gpu_utilization"],"#,
    );
    run_study(&file, 0, &dir.join("out"));
    let differences = fs::read_to_string(dir.join("out/differences.csv")).unwrap();
    // point,scheduler.backfill,metric,baseline,n,mean_difference,ci95_low,ci95_high,paired_half_width,unpaired_half_width,half_width_ratio
    for line in differences.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (n, paired, unpaired, ratio): (u32, f64, f64, f64) = (
            f[4].parse().unwrap(),
            f[8].parse().unwrap(),
            f[9].parse().unwrap(),
            f[10].parse().unwrap(),
        );
        eprintln!("{}: paired/unpaired half-width {ratio:.3}", f[2]);
        assert_eq!(n, 30);
        assert!((ratio - paired / unpaired).abs() < 1e-12);
        assert!(
            ratio < 0.85,
            "{}: paired {paired} vs unpaired {unpaired}",
            f[2]
        );
    }
}

/// Each mistake in a study file is refused before any run (or after the
/// first, for a metric), at its line and column, with a fix, exit 2.
#[test]
fn bad_studies_are_refused_at_their_line_and_column_with_a_fix() {
    let dir = scratch("study-bad");
    let cases: [(&str, &str, &str, &str); 14] = [
        // (name, body, position "line:column", what the message says)
        (
            "unknown-path",
            "    parameters: [(path: \"scheduler.backfil\", values: [\"None\"])],\n    replications: Fixed(2),\n    metrics: [\"wait_s.mean\"],",
            ":4:55",
            "did you mean `backfill`?",
        ),
        (
            "wrong-type",
            "    parameters: [(path: \"cluster.node_groups[0].count\", values: [2, \"four\"])],\n    replications: Fixed(2),\n    metrics: [\"wait_s.mean\"],",
            ":4:69",
            "a whole number",
        ),
        (
            "bad-variant",
            "    parameters: [(path: \"scheduler.backfill\", values: [\"Eazy\"])],\n    replications: Fixed(2),\n    metrics: [\"wait_s.mean\"],",
            ":4:56",
            "did you mean `Easy`?",
        ),
        (
            "empty-range",
            "    parameters: [(path: \"seed\", range: (5, 5, 1))],\n    replications: Fixed(2),\n    metrics: [\"wait_s.mean\"],",
            ":4:40",
            "is empty: its end is excluded",
        ),
        (
            "zero-replications",
            "    replications: Fixed(0),\n    metrics: [\"wait_s.mean\"],",
            ":4:19",
            "zero replications",
        ),
        (
            "metric-not-in-summary",
            "    replications: Fixed(2),\n    metrics: [\"wait_s.p99\"],",
            ":5:15",
            "the summary has no `wait_s.p99`",
        ),
        (
            "rule-metric-not-in-summary",
            "    replications: Until(metric: \"wait.mean\", relative_half_width: 0.1, max: 10),\n    metrics: [\"gpu_utilization\"],",
            ":4:33",
            "did you mean \"wait_s.mean\"?",
        ),
        (
            "unknown-field",
            "    replication: Fixed(2),\n    metrics: [\"wait_s.mean\"],",
            ":4:5",
            "did you mean `replications`?",
        ),
        (
            "zip-lengths",
            "    parameters: [(path: \"seed\", values: [1, 2]), (path: \"scheduler.backfill\", values: [\"Easy\"])],\n    design: Zip,\n    replications: Fixed(2),\n    metrics: [\"wait_s.mean\"],",
            ":4:50",
            "lists of equal length",
        ),
        (
            "baseline",
            "    parameters: [(path: \"seed\", values: [1, 2])],\n    replications: Fixed(2),\n    metrics: [\"wait_s.mean\"],\n    baseline: 2,",
            ":7:15",
            "there is no point 2",
        ),
        (
            "baseline-path",
            "    parameters: [(path: \"seed\", values: [1, 2])],\n    replications: Fixed(2),\n    metrics: [\"wait_s.mean\"],\n    baseline: (path: \"sed\", value: 1),",
            ":7:",
            "did you mean \"seed\"?",
        ),
        (
            "baseline-value",
            "    parameters: [(path: \"seed\", values: [1, 2])],\n    replications: Fixed(2),\n    metrics: [\"wait_s.mean\"],\n    baseline: (path: \"seed\", value: 3),",
            ":7:",
            "3 is not among the values of `seed`",
        ),
        (
            "baseline-zip",
            "    parameters: [(path: \"seed\", values: [1, 2]), (path: \"scheduler.backfill\", values: [\"Easy\", \"None\"])],\n    design: Zip,\n    replications: Fixed(2),\n    metrics: [\"wait_s.mean\"],\n    baseline: (path: \"seed\", value: 1),",
            ":8:",
            "needs a grid",
        ),
        (
            "duplicate-value",
            "    parameters: [(path: \"seed\", values: [1, 1])],\n    replications: Fixed(2),\n    metrics: [\"wait_s.mean\"],",
            ":4:41",
            "listed twice",
        ),
    ];
    for (name, body, position, says) in cases {
        let file = study_file(&dir, name, "scenarios/quickstart.ron", body);
        let out = clustersim(&[
            "study",
            file.to_str().unwrap(),
            "--out",
            dir.join("out").to_str().unwrap(),
            "-q",
        ]);
        let message = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {message}");
        assert!(
            message.contains(&format!("{name}.ron{position}")),
            "{name}: want {position}: {message}"
        );
        assert!(message.contains(says), "{name}: want `{says}`: {message}");
        assert!(message.contains("= fix:"), "{name}: {message}");
        assert!(!message.contains("panicked"), "{name}: {message}");
    }
    // Arguments: a shard index at or past N, a shard of nothing.
    let file = study_file(
        &dir,
        "ok",
        "scenarios/quickstart.ron",
        "    replications: Fixed(1),\n    metrics: [\"wait_s.mean\"],",
    );
    for (shard, says) in [
        ("4/4", "run from 0 to 3"),
        ("0/0", "0 shards"),
        ("x/2", "not a whole number"),
        ("3", "is not I/N"),
    ] {
        let out = clustersim(&["study", file.to_str().unwrap(), "--shard", shard]);
        assert_eq!(out.status.code(), Some(2), "{shard}");
        assert!(stderr(&out).contains(says), "{shard}: {}", stderr(&out));
    }
    // A study file that is not there, and a base scenario that is not.
    let out = clustersim(&["study", dir.join("nope.ron").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("scenarios/studies/"),
        "{}",
        stderr(&out)
    );
    let lost = dir.join("lost.ron");
    fs::write(&lost, "Study(name: \"lost\", scenario: \"nowhere.ron\", replications: Fixed(1), metrics: [\"wait_s.mean\"])").unwrap();
    let out = clustersim(&["study", lost.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("relative to the study file"),
        "{}",
        stderr(&out)
    );
}

/// `--keep-runs` keeps each replication's files, and they are exactly what
/// `clustersim run --out` writes for the base scenario with the point's
/// overrides and the replication's seed, as `study.json` records them: any
/// replication is a normal run, reproducible from the results.
#[test]
fn kept_runs_are_the_runs_their_overrides_and_seed_reproduce() {
    let dir = scratch("study-keep-runs");
    let file = study_file(
        &dir,
        "keep",
        "scenarios/quickstart.ron",
        &format!(
            "{POLICIES}\n    replications: Fixed(3),\n    metrics: [\"wait_s.mean\"],\n    seeds: Independent(base: 11),"
        ),
    );
    let out = dir.join("out");
    let file_arg = file.to_str().unwrap();
    let done = clustersim(&[
        "study",
        file_arg,
        "--out",
        out.to_str().unwrap(),
        "--keep-runs",
        "-q",
    ]);
    assert!(done.status.success(), "{}", stderr(&done));
    let results = study::read_results(&out).unwrap();
    let (point, replication) = (2, 1_usize);
    let sets = results.replication_overrides(point, replication).unwrap();
    let kept = study::run_dir(&out.join("runs"), point, replication as u64);
    let rerun = dir.join("rerun");
    let mut args = vec![
        "run".to_string(),
        results.scenario.clone(),
        "--out".into(),
        rerun.to_str().unwrap().into(),
        "-q".into(),
    ];
    for set in &sets {
        args.extend(["--set".to_string(), set.argument.clone()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let again = clustersim(&args);
    assert!(again.status.success(), "{args:?}: {}", stderr(&again));
    // Independent seeds: the seed is the point's own, not base + r.
    assert!(
        args.iter()
            .any(|a| a.starts_with("seed=") && *a != "seed=12"),
        "{args:?}"
    );
    for name in sim_core::metrics::OUTPUT_FILES {
        let (a, b) = (fs::read(kept.join(name)), fs::read(rerun.join(name)));
        assert!(a.is_ok(), "{} missing", kept.join(name).display());
        assert!(a.unwrap() == b.unwrap(), "{name} differs from the re-run");
    }
    // Every replication was kept, and nothing else.
    let kept_count = (0..3)
        .flat_map(|p| (0..3).map(move |r| (p, r)))
        .filter(|&(p, r)| {
            study::run_dir(&out.join("runs"), p, r)
                .join("trace.jsonl")
                .is_file()
        })
        .count();
    assert_eq!(kept_count, 9);
}

/// `baseline: (path, value)`: each point is compared with the point that
/// has that value and the same others, and the paired difference is the
/// mean of the per-replication differences, computed here by hand from
/// replications.csv.
#[test]
fn a_baseline_by_value_pairs_each_point_with_its_counterpart() {
    let dir = scratch("study-baseline-value");
    let file = study_file(
        &dir,
        "by-value",
        "scenarios/quickstart.ron",
        "    parameters: [\n        (path: \"scheduler.backfill\", values: [\"None\", \"Easy\"]),\n        (path: \"cluster.node_groups[0].count\", values: [4, 6]),\n    ],\n    replications: Fixed(5),\n    metrics: [\"wait_s.mean\"],\n    baseline: (path: \"scheduler.backfill\", value: \"None\"),",
    );
    let out = dir.join("out");
    run_study(&file, 2, &out);
    let results = study::read_results(&out).unwrap();
    assert_eq!(results.baseline, "scheduler.backfill=None");
    // Points: (None, 4), (None, 6), (Easy, 4), (Easy, 6).
    let baselines: Vec<Option<usize>> = results.points.iter().map(|p| p.baseline).collect();
    assert_eq!(baselines, [None, None, Some(0), Some(1)]);
    let csv = fs::read_to_string(out.join("replications.csv")).unwrap();
    let wait = |point: usize| -> Vec<f64> {
        (csv.lines().skip(1))
            .map(|l| l.split(',').collect::<Vec<_>>())
            .filter(|f| f[0] == point.to_string())
            .map(|f| f[5].parse().unwrap())
            .collect()
    };
    let by_hand: f64 = (wait(3).iter().zip(wait(1)))
        .map(|(a, b)| a - b)
        .sum::<f64>()
        / 5.0;
    let difference = results.points[3].differences[0].as_ref().unwrap();
    assert!(
        (difference.mean - by_hand).abs() <= 1e-9 * by_hand.abs().max(1.0),
        "{} vs {by_hand}",
        difference.mean
    );
    let table = fs::read_to_string(out.join("differences.csv")).unwrap();
    // One row per compared point and metric, each naming its baseline.
    let rows: Vec<&str> = table.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{table}");
    assert!(rows[0].starts_with("2,Easy,4,wait_s.mean,0,5,"), "{table}");
    assert!(rows[1].starts_with("3,Easy,6,wait_s.mean,1,5,"), "{table}");
}

/// A study's results record its scenario relative to the directory the
/// study ran from; a reader elsewhere (this test runs in sim-core/) finds
/// it from the results directory's ancestors.
#[test]
fn readers_elsewhere_find_the_scenario_from_the_results_directory() {
    let out = "target/it-study-scenario-path";
    let done = clustersim(&[
        "study",
        "sim-core/tests/studies/e2e.ron",
        "--out",
        out,
        "-q",
        "--fresh",
    ]);
    assert!(done.status.success(), "{}", stderr(&done));
    let results = study::read_results(&path(out)).unwrap();
    let recorded = Path::new(&results.scenario);
    assert!(recorded.is_relative(), "{}", results.scenario);
    assert!(!recorded.is_file(), "the test runs where the study did not");
    let found = results.scenario_path();
    assert_eq!(
        fs::canonicalize(&found).unwrap(),
        fs::canonicalize(path("scenarios/quickstart.ron")).unwrap()
    );
}
