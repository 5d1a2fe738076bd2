//! The README's sample outputs are real: every ```` ```text ```` block that
//! opens with `$ clustersim ARGS` must hold exactly what that command
//! prints from the workspace root (stdout when it succeeds, stderr when it
//! refuses its input), so the samples cannot drift from the program.
//! `UPDATE_EXPECT=1` rewrites the blocks in README.md with the real output.

use std::fs;

use crate::support::{clustersim, path, stderr, stdout, with_commas};

/// A sample: the command's arguments and the block's lines after it.
struct Sample {
    args: Vec<String>,
    /// Byte range of the expected output in the README.
    body: std::ops::Range<usize>,
}

/// Splits a command line as a shell would for these simple cases: words
/// separated by spaces, single quotes keeping spaces.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any {
                    out.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            c => {
                word.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(word);
    }
    out
}

fn samples(readme: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = readme[from..].find("```text\n$ clustersim ") {
        let command_start = from + open + "```text\n$ ".len();
        let command_end = command_start + readme[command_start..].find('\n').unwrap();
        let body_start = command_end + 1;
        let body_end = body_start + readme[body_start..].find("```").unwrap();
        out.push(Sample {
            args: words(&readme[command_start..command_end])[1..].to_vec(),
            body: body_start..body_end,
        });
        from = body_end;
    }
    out
}

#[test]
fn readme_samples_are_what_the_commands_print() {
    let readme_path = path("README.md");
    let readme = fs::read_to_string(&readme_path).unwrap();
    let samples = samples(&readme);
    assert!(
        samples.len() >= 4,
        "the README shows run, an error, collective and plan"
    );
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut rewritten = readme.clone();
    let mut failures = Vec::new();
    // Rewrite from the end so earlier ranges stay valid.
    for sample in samples.iter().rev() {
        let args: Vec<&str> = sample.args.iter().map(String::as_str).collect();
        let out = clustersim(&args);
        let actual = if out.status.success() {
            stdout(&out)
        } else {
            assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
            stderr(&out)
        };
        if readme[sample.body.clone()] != actual {
            failures.push(format!(
                "README.md's sample of `clustersim {}` differs; it prints:\n{actual}",
                args.join(" ")
            ));
            rewritten.replace_range(sample.body.clone(), &actual);
        }
    }
    if update && rewritten != readme {
        fs::write(&readme_path, rewritten).unwrap();
        return;
    }
    assert!(
        failures.is_empty(),
        "{}\n(UPDATE_EXPECT=1 rewrites the README's samples)",
        failures.join("\n")
    );
}

#[test]
fn commands_split_into_words_as_a_shell_would() {
    assert_eq!(
        words("clustersim run a.ron --set 'x=Exponential(mean: \"2h\")'"),
        [
            "clustersim",
            "run",
            "a.ron",
            "--set",
            "x=Exponential(mean: \"2h\")"
        ]
    );
}

#[test]
fn the_readme_states_the_limits_the_code_enforces() {
    use sim_core::{fabric, hardware, metrics, workload};
    let readme = fs::read_to_string(path("README.md")).unwrap();
    let limits = readme
        .split("Sizes are bounded in total")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .expect("the README states the limits");
    for (what, value) in [
        ("nodes", with_commas(hardware::MAX_TOTAL_NODES)),
        ("GPUs", with_commas(hardware::MAX_TOTAL_GPUS)),
        ("GPUs per node", hardware::MAX_GPUS_PER_NODE.to_string()),
        ("NICs per node", hardware::MAX_NICS_PER_NODE.to_string()),
        ("jobs", "10^8".to_string()),
        (
            "switch radix",
            with_commas(u64::from(fabric::MAX_SWITCH_RADIX)),
        ),
        (
            "trace stretch",
            format!("{}", workload::trace::MAX_INTERARRIVAL_SCALE),
        ),
    ] {
        assert!(
            limits.contains(&value),
            "the README's limits lack {what} = {value}:\n{limits}"
        );
    }
    assert_eq!(workload::MAX_TOTAL_JOBS, 100_000_000);
    assert_eq!(
        workload::trace::MAX_TRACE_TEXT,
        sim_core::units::Bytes::gib(1)
    );
    assert!(readme.contains(&format!(
        "at most {} rows",
        with_commas(metrics::MAX_TIMESERIES_SAMPLES as u64)
    )));
    assert!(readme.contains(&format!(
        "stay at most {}, else per node",
        with_commas(metrics::MAX_MONITOR_SERIES_SAMPLES)
    )));
}
