//! The command line at its edges, as a careless or hostile user meets it:
//! a stdout closed by its reader (`| head`), flag values that cannot work,
//! an `--out` that is not a directory, control characters in arguments,
//! and the shell completions and man page generated from the argument
//! definitions.

use std::process::{Command, Output, Stdio};

use std::fs;

use crate::support::{clustersim, scratch, stderr, stdout, workspace_root};

const QUICKSTART: &str = "scenarios/quickstart.ron";
const IB: &str = "scenarios/hardware/ib-ndr-400g.ron";
const PLAN: &[&str] = &[
    "plan",
    "--model",
    "llama3-70b",
    "--tokens",
    "15T",
    "--days",
    "90",
    "--node",
    "DGX-H100",
    "--tp",
    "8",
    "--pp",
    "4",
    "--global-batch",
    "1024",
];

/// Runs `clustersim` with a stdout whose reader has already gone: every
/// write to it fails with EPIPE, as at the end of `clustersim ... | head`.
fn with_stdout_closed(args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_clustersim"))
        .args(args)
        .current_dir(workspace_root())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("the clustersim binary runs")
}

/// Runs `clustersim` with stdout captured and a stderr whose reader has
/// already gone (`2>` into a closed pipe): every write to it fails.
fn with_stderr_closed(args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_clustersim"))
        .args(args)
        .current_dir(workspace_root())
        .stdout(Stdio::piped())
        .stderr(writer)
        .output()
        .expect("the clustersim binary runs")
}

#[test]
fn a_closed_stderr_changes_nothing_but_what_stderr_would_have_said() {
    // Wall-clock figures, a warning-free run, then refusals: each would
    // write to stderr, which must not turn into a panic or another status.
    let run = with_stderr_closed(&["run", "scenarios/quickstart.ron"]);
    assert_eq!(run.status.code(), Some(0), "run");
    assert!(String::from_utf8_lossy(&run.stdout).contains("utilization"));
    let compare = with_stderr_closed(&["compare", "scenarios/quickstart.ron"]);
    assert_eq!(
        compare.status.code(),
        Some(0),
        "compare of identical variants notes it on stderr"
    );
    let refused = with_stderr_closed(&["validate", "sim-core/tests/broken/01-unknown-field.ron"]);
    assert_eq!(refused.status.code(), Some(2), "bad input");
    let missing = with_stderr_closed(&["run", "no/such.ron"]);
    assert_eq!(missing.status.code(), Some(2), "a missing file");
}

/// The commands, each with a text and (where it has one) a JSON output.
fn every_command() -> Vec<Vec<&'static str>> {
    let mut commands: Vec<Vec<&str>> = vec![
        vec!["run", QUICKSTART],
        vec!["run", QUICKSTART, "--format", "json", "-q"],
        vec!["compare", QUICKSTART, "--b-set", "seed=7", "-q"],
        vec![
            "compare", QUICKSTART, "--b-set", "seed=7", "-q", "--format", "json",
        ],
        vec!["collective", IB, "--nodes", "2", "-b", "1M", "-e", "1G"],
        vec![
            "collective",
            IB,
            "--nodes",
            "4",
            "-b",
            "16G",
            "-e",
            "16G",
            "--mode",
            "flow",
            "--format",
            "json",
        ],
        PLAN.to_vec(),
        [PLAN, &["--format", "json"]].concat(),
        vec!["catalog"],
        vec!["catalog", "--format", "json"],
        vec!["validate", QUICKSTART],
        vec!["--help"],
        vec!["run", "--help"],
        vec!["--version"],
    ];
    for kind in GENERATED {
        commands.push(vec!["generate", kind]);
    }
    commands
}

#[test]
fn a_closed_stdout_ends_every_command_quietly_with_status_0() {
    let mut failures = Vec::new();
    for args in every_command() {
        let out = with_stdout_closed(&args);
        let stderr = stderr(&out);
        if !stderr.is_empty() || out.status.code() != Some(0) {
            failures.push(format!(
                "clustersim {}: {:?}\n{stderr}",
                args.join(" "),
                out.status.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `clustersim generate KIND`, as ripgrep's `--generate` names them.
const GENERATED: [&str; 6] = [
    "complete-bash",
    "complete-zsh",
    "complete-fish",
    "complete-powershell",
    "complete-elvish",
    "man",
];

/// The subcommands `clustersim --help` lists (but `help`).
fn subcommands() -> Vec<String> {
    let help = stdout(&clustersim(&["--help"]));
    let listed = help
        .split("Commands:\n")
        .nth(1)
        .expect("--help lists the commands");
    let names: Vec<String> = listed
        .lines()
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .filter(|name| name != "help")
        .collect();
    assert!(names.len() >= 7, "{names:?}");
    names
}

#[test]
fn completions_and_the_man_page_cover_every_subcommand() {
    let commands = subcommands();
    for kind in GENERATED {
        let out = clustersim(&["generate", kind]);
        assert_eq!(out.status.code(), Some(0), "{kind}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(text.len() > 1000, "{kind}: {text}");
        for command in &commands {
            assert!(text.contains(command.as_str()), "{kind} lacks {command}");
        }
    }
    let bash = stdout(&clustersim(&["generate", "complete-bash"]));
    assert!(bash.contains("complete -F _clustersim"), "{bash}");
    let man = stdout(&clustersim(&["generate", "man"]));
    assert!(
        man.lines().any(|l| l.starts_with(".TH clustersim 1")),
        "{man}"
    );
    for command in &commands {
        let heading = format!(".SS \"clustersim {command}\"");
        assert!(man.contains(&heading), "the man page lacks {heading}");
    }
}

/// `plan` of llama3-8b on DGX-H100 with `extra` flags, and a global batch
/// of 256 unless they give one.
fn plan_with(extra: &[&str]) -> Output {
    let mut args = vec![
        "plan",
        "--model",
        "llama3-8b",
        "--tokens",
        "10B",
        "--node",
        "DGX-H100",
    ];
    if !extra.contains(&"--global-batch") {
        args.extend(["--global-batch", "256"]);
    }
    args.extend_from_slice(extra);
    clustersim(&args)
}

#[test]
fn plan_refuses_zero_counts_naming_the_flag_the_value_and_the_fix() {
    // Each divides something: tp·pp·cp the GPU count, the layout the
    // model, micro-batches the global batch.
    for flag in [
        "--tp",
        "--pp",
        "--cp",
        "--ep",
        "--virtual-stages",
        "--micro-batch",
        "--global-batch",
        "--gpus",
        "--seq-len",
    ] {
        let gpus: &[&str] = if flag == "--gpus" {
            &[]
        } else {
            &["--gpus", "64"]
        };
        let out = plan_with(&[gpus, &[flag, "0"]].concat());
        let stderr = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{flag} 0: {stderr}");
        assert!(
            stderr.contains(&format!("'0' for '{flag} <")),
            "{flag} 0: the flag and the value: {stderr}"
        );
        assert!(
            stderr.contains("use 1 or more"),
            "{flag} 0: a fix: {stderr}"
        );
    }
    // Counts too large to multiply or to split by are refused, not
    // overflowed.
    let huge = "4294967295";
    let cases: [&[&str]; 2] = [
        &["--gpus", "64", "--tp", huge, "--pp", huge, "--cp", huge],
        &["--scenario", IB, "--tp", "1", "--micro-batch", huge],
    ];
    for extra in cases {
        let out = plan_with(extra);
        let stderr = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        let fixed = ["; lower them", "; use a global batch"];
        assert!(
            fixed.iter().any(|f| stderr.contains(f)),
            "{extra:?}: {stderr}"
        );
    }
}

#[test]
fn plan_refuses_days_that_are_not_a_positive_finite_number() {
    for days in ["0", "NaN", "inf", "-3", "1e400", "soon"] {
        let flag = format!("--days={days}");
        let out = plan_with(&[&flag]);
        let stderr = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{flag}: {stderr}");
        assert!(
            stderr.contains(&format!("'{days}' for '--days <")),
            "{flag}: the flag and the value: {stderr}"
        );
        assert!(stderr.contains("like 90"), "{flag}: a fix: {stderr}");
    }
    let out = plan_with(&["--days", "90"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn out_must_be_a_directory_and_is_refused_before_anything_runs() {
    let dir = scratch("cli-edges-out");
    fs::create_dir_all(dir.join("has-a-dir/summary.json")).unwrap();
    let file = dir.join("a-file");
    fs::write(&file, "keep me").unwrap();
    let cases = [
        (file.clone(), "is a file"),
        (file.join("below"), "is a file"),
        (dir.join("has-a-dir"), "summary.json"),
    ];
    for (out_dir, says) in cases {
        let out_arg = out_dir.to_str().unwrap();
        let out = clustersim(&["run", QUICKSTART, "--out", out_arg]);
        let stderr = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "--out {out_arg}: {stderr}");
        assert!(stderr.contains(says), "--out {out_arg}: {stderr}");
        assert!(stderr.contains("give --out a directory"), "{stderr}");
        assert!(!stderr.contains("wall time"), "nothing ran: {stderr}");
        assert!(out.stdout.is_empty(), "--out {out_arg}");
    }
    assert_eq!(fs::read_to_string(&file).unwrap(), "keep me");
}

#[test]
fn paths_that_are_not_files_are_bad_input_with_a_fix() {
    // A directory where a scenario or a model file belongs.
    for args in [
        vec!["run", "scenarios"],
        vec!["validate", "scenarios"],
        vec!["compare", QUICKSTART, "scenarios"],
        vec!["collective", "scenarios"],
        vec!["catalog", "--scenario", "scenarios"],
        vec!["plan", "--scenario", "scenarios", "--model", "llama3-8b"],
        vec!["plan", "--model", "scenarios", "--gpus", "8"],
        vec!["plan", "--model", "no/such/model.ron", "--gpus", "8"],
    ] {
        let mut args = args;
        if args[0] == "plan" {
            args.extend([
                "--tokens",
                "1B",
                "--node",
                "DGX-H100",
                "--global-batch",
                "8",
            ]);
        }
        let out = clustersim(&args);
        let stderr = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("fix") || stderr.contains("; give"),
            "{args:?}: a fix: {stderr}"
        );
    }
}

/// Control characters a hostile or mistyped argument can carry: ESC (a
/// colour here; a title or a hyperlink elsewhere), CR (overwrites the
/// line), BEL and C1's one-byte CSI.
const NASTY: &str = "\u{1b}[31m\r\u{7}\u{9b}";

/// What `clustersim` echoed with a control character raw (newlines
/// between lines aside), or without the escaped ESC; `None` when it shows
/// the argument escaped.
fn raw_echo(what: &str, out: &Output) -> Option<String> {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for (stream, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        let raw: Vec<char> = text
            .chars()
            .filter(|c| c.is_control() && *c != '\n')
            .collect();
        if !raw.is_empty() {
            return Some(format!("{what}: {stream} echoes {raw:?} raw:\n{text}"));
        }
    }
    let escaped = stdout.contains("\\u{1b}") || stderr.contains("\\u{1b}");
    (!escaped).then(|| format!("{what}: not echoed escaped:\n{stdout}{stderr}"))
}

#[test]
fn control_characters_in_arguments_are_echoed_escaped() {
    let dir = scratch("cli-edges-control");
    fs::create_dir_all(&dir).unwrap();
    let scenario = dir.join(format!("q{NASTY}.ron"));
    fs::copy(crate::support::path(QUICKSTART), &scenario).unwrap();
    let scenario = scenario.to_str().unwrap();
    let out_dir = dir.join(format!("out{NASTY}"));
    let file = dir.join(format!("file{NASTY}"));
    fs::write(&file, "").unwrap();
    let model_dir = dir.join(format!("model{NASTY}"));
    fs::create_dir_all(&model_dir).unwrap();
    // `plan` with one flag's value replaced.
    let plan = |flag: &str, value: &str| {
        let mut args = vec!["plan"];
        for (f, v) in [
            ("--model", "llama3-8b"),
            ("--tokens", "1B"),
            ("--node", "DGX-H100"),
            ("--global-batch", "8"),
            ("--gpus", "8"),
            ("--tp", "8"),
            ("--price-per-gpu-hour", "$1"),
        ] {
            args.extend([f, if f == flag { value } else { v }]);
        }
        clustersim(&args)
    };
    let bogus_flag = format!("--bogus{NASTY}");
    // Any name can come from an argument.
    let name = format!("name=\"{NASTY}\"");
    let cases: Vec<(&str, Output)> = vec![
        ("validate's ok line", clustersim(&["validate", scenario])),
        (
            "validate's scenario name",
            clustersim(&["validate", QUICKSTART, "--set", &name]),
        ),
        (
            "run's scenario name",
            clustersim(&["run", QUICKSTART, "-q", "--set", &name]),
        ),
        (
            "compare's scenario name",
            clustersim(&["compare", QUICKSTART, "-q", "--b-set", &name]),
        ),
        (
            "run's written line",
            clustersim(&["run", scenario, "-q", "--out", out_dir.to_str().unwrap()]),
        ),
        (
            "an --out that is a file",
            clustersim(&["run", QUICKSTART, "--out", file.to_str().unwrap()]),
        ),
        (
            "compare's labels from file names",
            clustersim(&["compare", scenario, "--b-set", "seed=7", "-q"]),
        ),
        (
            "compare's --a-label",
            clustersim(&["compare", QUICKSTART, "--a-label", NASTY, "-q"]),
        ),
        (
            "compare's variant in an error",
            clustersim(&["compare", QUICKSTART, "no/such.ron", "--b-label", NASTY]),
        ),
        (
            "collective's --group",
            clustersim(&["collective", IB, "--group", NASTY]),
        ),
        (
            "plan's --model file",
            plan("--model", model_dir.to_str().unwrap()),
        ),
        ("plan's --model name", plan("--model", NASTY)),
        ("plan's --tokens", plan("--tokens", NASTY)),
        (
            "plan's --price-per-gpu-hour",
            plan("--price-per-gpu-hour", NASTY),
        ),
        ("plan's --node", plan("--node", NASTY)),
        ("a value clap refuses", plan("--tp", NASTY)),
        (
            "collective's -b",
            clustersim(&["collective", IB, "-b", NASTY]),
        ),
        (
            "an unknown flag",
            clustersim(&["run", QUICKSTART, &bogus_flag]),
        ),
        ("an unknown command", clustersim(&[NASTY])),
    ];
    let failures: Vec<String> = (cases.iter())
        .filter_map(|(what, out)| raw_echo(what, out))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A broken override of one variant is reported under the flag that gave
/// it, so the user edits the right argument.
#[test]
fn compare_labels_a_broken_override_with_its_own_flag() {
    for flag in ["--a-set", "--b-set", "--set"] {
        let out = clustersim(&["compare", QUICKSTART, "-q", flag, "stop.horizon=-1d"]);
        let stderr = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{flag}: {stderr}");
        assert!(
            stderr.contains(&format!("error: {flag} stop.horizon=-1d (column 14)")),
            "{flag}: the position names the flag: {stderr}"
        );
        assert!(
            stderr.contains(&format!("{flag} | stop.horizon=-1d\n")),
            "{flag}: the snippet's gutter names the flag: {stderr}"
        );
    }
}
