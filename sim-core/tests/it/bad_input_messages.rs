//! What the loader says about input it cannot use, beyond the broken
//! scenarios of `bad_input`: files that are not UTF-8 or start with a
//! byte-order mark, `--set` values that are not one value, overrides named
//! by their flag, control characters echoed back, and trace files' errors
//! in the same shape as a scenario's (sizes past the crate's limits are in
//! `limits`).

use std::fs;
use std::path::PathBuf;

use sim_core::scenario::{Location, SetArg, load_file, load_str};
use sim_core::workload::trace::{ImportOptions, TraceFormat, import_file, import_str};

use crate::support::{clustersim, path, scratch, stderr};

const QUICKSTART: &str = "scenarios/quickstart.ron";

fn quickstart_text() -> String {
    fs::read_to_string(path(QUICKSTART)).unwrap()
}

/// Writes `bytes` to a file of a scratch directory for `test`.
fn scratch_file(test: &str, name: &str, bytes: &[u8]) -> PathBuf {
    let dir = scratch(test);
    fs::create_dir_all(&dir).unwrap();
    let file = dir.join(name);
    fs::write(&file, bytes).unwrap();
    file
}

/// 1-based line and character column of the first occurrence of `needle`.
fn line_column_of(text: &str, needle: &str) -> (usize, usize) {
    let offset = text.find(needle).expect("the needle is in the text");
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[test]
fn a_file_that_is_not_utf8_is_located_at_its_first_bad_byte() {
    // Latin-1 `é` is the single byte 0xE9, which UTF-8 never has alone.
    let text = quickstart_text().replace("name: \"quickstart\"", "name: \"caf\u{1}\"");
    let (line, column) = line_column_of(&text, "\u{1}");
    let bytes: Vec<u8> = text
        .bytes()
        .map(|b| if b == 1 { 0xE9 } else { b })
        .collect();
    let file = scratch_file("messages-latin1", "latin1.ron", &bytes);
    let err = load_file(&file, &[]).unwrap_err();
    let d = err.first();
    match &d.location {
        Location::File {
            line: l, column: c, ..
        } => assert_eq!((*l, *c), (line, column), "{err}"),
        other => panic!("not located in the file: {other:?}\n{err}"),
    }
    assert!(d.message.contains("not UTF-8"), "{err}");
    assert!(d.found.as_deref().unwrap().contains("0xE9"), "{err}");
    assert!(d.fix.as_deref().unwrap().contains("UTF-8"), "{err}");
    let shown = err.to_string();
    assert!(!shown.contains("check the path"), "{shown}");

    let out = clustersim(&["validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = stderr(&out);
    assert!(
        stderr.contains(&format!(":{line}:{column}: ")) && stderr.contains("not UTF-8"),
        "{stderr}"
    );
}

#[test]
fn a_byte_order_mark_is_skipped_and_shifts_no_position() {
    let text = quickstart_text();
    let file = scratch_file(
        "messages-bom",
        "bom.ron",
        format!("\u{feff}{text}").as_bytes(),
    );
    load_file(&file, &[]).unwrap_or_else(|e| panic!("a BOM is accepted: {e}"));
    load_str("bom.ron", &format!("\u{feff}{text}"), &[]).unwrap();

    // An error on the first line is where it is without the mark.
    let first_line = "Scenario(nmae: \"x\",\n";
    let body = text.split_once("Scenario(\n").unwrap().1;
    let broken = format!("{first_line}{body}");
    let plain = load_str("b.ron", &broken, &[]).unwrap_err();
    let marked = load_str("b.ron", &format!("\u{feff}{broken}"), &[]).unwrap_err();
    assert_eq!(marked.to_string(), plain.to_string());
    assert!(
        plain.to_string().contains("b.ron:1:10: unknown field"),
        "{plain}"
    );
    // And with --set, whose edits must still map back.
    let set = [SetArg::set("seed=7")];
    let plain = load_str("b.ron", &broken, &set).unwrap_err();
    let marked = load_str("b.ron", &format!("\u{feff}{broken}"), &set).unwrap_err();
    assert_eq!(marked.to_string(), plain.to_string());
}

const SACCT: &str = "JobID|User|Account|Submit|Start|End|ReqTRES|State\n\
    1|ann|nlp|2026-03-02T08:00:00|2026-03-02T08:00:10|2026-03-02T09:00:10|gres/gpu=8|COMPLETED\n\
    2|bob|cv|2026-03-02T08:05:00|2026-03-02T08:05:00|2026-03-02T08:35:00|gres/gpu=2|COMPLETED\n";

const SWF: &str = "; MaxProcs: 64\n\
    1 0 -1 100 4 -1 -1 4 200 -1 1 7 3 -1 1 -1 -1 -1\n\
    2 5 -1 50 8 -1 -1 8 100 -1 1 7 3 -1 1 -1 -1 -1\n";

#[test]
fn trace_files_may_start_with_a_byte_order_mark() {
    let options = ImportOptions::default();
    for (format, text, damaged) in [
        (
            TraceFormat::Sacct,
            SACCT,
            SACCT.replace("2026-03-02T08:05:00|2026", "2026-03-0208:05:00|2026"),
        ),
        (
            TraceFormat::Swf,
            SWF,
            SWF.replace("MaxProcs: 64", "MaxProcs: x64"),
        ),
    ] {
        let marked = format!("\u{feff}{text}");
        let plain = import_str("t", text, format.clone(), &options).unwrap();
        assert_eq!(
            import_str("t", &marked, format.clone(), &options).unwrap(),
            plain,
            "{format:?}"
        );
        let file = scratch_file("messages-bom-trace", "trace.txt", marked.as_bytes());
        assert_eq!(import_file(&file, format.clone(), &options).unwrap(), plain);
        // A bad field is where it is without the mark.
        let plain = import_str("t", &damaged, format.clone(), &options).unwrap_err();
        let marked =
            import_str("t", &format!("\u{feff}{damaged}"), format.clone(), &options).unwrap_err();
        assert_eq!(marked, plain, "{format:?}");
    }
}

/// The position and snippet of a diagnostic in a `--set` argument.
fn in_argument(location: &Location) -> (&str, usize, &str) {
    match location {
        Location::Override {
            argument,
            column,
            span,
            ..
        } => (argument.as_str(), *column, &argument[span.clone()]),
        other => panic!("not located in the argument: {other:?}"),
    }
}

#[test]
fn a_set_value_must_be_exactly_one_value() {
    for (argument, value) in [
        // Would add a field to the scenario.
        ("name=\"a\", seed: 99", "\"a\", seed: 99"),
        ("scheduler=(order: Fcfs), seed: 3", "(order: Fcfs), seed: 3"),
        // Would be blamed on the file, or comment out what follows.
        ("seed=(", "("),
        ("stop=(horizon: \"1d\")) , (", "(horizon: \"1d\")) , ("),
        (
            "stop=(horizon: \"1d\") // the rest of the line",
            "(horizon: \"1d\") // the rest of the line",
        ),
        ("seed=[1, 2", "[1, 2"),
    ] {
        let err = (load_file(&path(QUICKSTART), &[SetArg::set(argument)]).err())
            .unwrap_or_else(|| panic!("{argument} is accepted"));
        assert_eq!(err.diagnostics.len(), 1, "{argument}: {err}");
        let d = err.first();
        let (shown, column, underlined) = in_argument(&d.location);
        assert_eq!(shown, argument);
        assert_eq!(underlined, value, "{argument}: {err}");
        assert_eq!(column, argument.find('=').unwrap() + 2, "{argument}: {err}");
        assert!(d.message.contains("exactly one value"), "{argument}: {err}");
        assert!(
            d.fix.as_deref().unwrap().contains("--set"),
            "{argument}: {err}"
        );
    }
    // Not a number, so a bare string: refused at the argument, adding nothing.
    let err = load_file(&path(QUICKSTART), &[SetArg::set("seed=7, name: \"x\"")]).unwrap_err();
    assert_eq!(
        in_argument(&err.first().location).2,
        "7, name: \"x\"",
        "{err}"
    );
    assert_eq!(
        err.first().found.as_deref(),
        Some(r#""7, name: \"x\"""#),
        "the quoted value is shown whole: {err}"
    );
    // One value, or a bare string, works as before.
    for (argument, check) in [
        ("name=\"a, b\"", "a, b"),
        ("name=a, seed: 99", "a, seed: 99"),
        ("name=(x), y", "(x), y"),
        ("name= spaced ", "spaced"),
    ] {
        let loaded = load_file(&path(QUICKSTART), &[SetArg::set(argument)])
            .unwrap_or_else(|e| panic!("{argument}: {e}"));
        assert_eq!(loaded.scenario.name, check, "{argument}");
        assert_eq!(loaded.scenario.seed, 42, "{argument}: no field added");
    }
    for argument in [
        "seed=7",
        "stop.horizon=36h",
        "scheduler.backfill=Easy",
        "stop=(horizon: \"2d\")",
        "workload.generators[0].sizes[0].request=Gpus(2)",
        "stop=Some((horizon: \"2d\"))",
    ] {
        load_file(&path(QUICKSTART), &[SetArg::set(argument)])
            .unwrap_or_else(|e| panic!("{argument}: {e}"));
    }
}

#[test]
fn an_override_is_labelled_by_the_flag_that_gave_it() {
    let set = [
        SetArg::set("seed=7"),
        SetArg::new("--b-set", "stop.horizon=-1d"),
    ];
    let err = load_file(&path(QUICKSTART), &set).unwrap_err();
    match &err.first().location {
        Location::Override { flag, .. } => assert_eq!(*flag, "--b-set", "{err}"),
        other => panic!("{other:?}"),
    }
    let shown = err.to_string();
    assert!(
        shown.starts_with("error: --b-set stop.horizon=-1d (column 14): "),
        "{shown}"
    );
    assert!(
        shown.contains("\n        |\n--b-set | stop.horizon=-1d\n        |              ^^^\n"),
        "the gutter is the flag, the caret under the value: {shown}"
    );
    // The argument's shape is checked under its flag too.
    let err = load_file(&path(QUICKSTART), &[SetArg::new("--a-set", "seed")]).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("error: --a-set seed (column 1): "),
        "{err}"
    );
}

#[test]
fn a_bad_trace_option_given_by_set_is_located_in_the_argument() {
    const SDSC: &str = "scenarios/traces/sdsc-sp2.ron";
    for (argument, value, says) in [
        ("workload.trace.take=0", "0", "take"),
        (
            "workload.trace.interarrival_scale=0",
            "0",
            "interarrival_scale",
        ),
        (
            "workload.trace.interarrival_scale=-1.5",
            "-1.5",
            "interarrival_scale",
        ),
        (
            "workload.trace.gpus_per_processor=0",
            "0",
            "gpus_per_processor",
        ),
        (
            "workload.trace.missing_estimate=Factor(0)",
            "Factor(0)",
            "missing_estimate",
        ),
        (
            "workload.trace.file=no-such.swf",
            "no-such.swf",
            "cannot import",
        ),
    ] {
        let err = (load_file(&path(SDSC), &[SetArg::set(argument)]).err())
            .unwrap_or_else(|| panic!("{argument} is accepted"));
        assert_eq!(err.diagnostics.len(), 1, "{argument}: {err}");
        let (_, column, underlined) = in_argument(&err.first().location);
        assert_eq!(underlined, value, "{argument}: {err}");
        assert_eq!(column, argument.find('=').unwrap() + 2, "{argument}: {err}");
        assert!(err.first().message.contains(says), "{argument}: {err}");
        assert!(err.first().fix.is_some(), "{argument}: {err}");
    }
    // Written in the file, the same option is located at its value there.
    let text = fs::read_to_string(path(SDSC))
        .unwrap()
        .replace("format: Swf,", "format: Swf, take: 0,");
    let err = load_str("sdsc.ron", &text, &[]).unwrap_err();
    match &err.first().location {
        Location::File {
            line_text, span, ..
        } => {
            assert!(line_text.contains("take: 0"), "{err}");
            assert_eq!(span.len(), 1, "{err}");
        }
        other => panic!("{other:?}"),
    }
}

/// The rendered snippet of `line` numbered `number` with `carets` under
/// the text from byte `start`, as a scenario diagnostic draws it.
fn snippet(number: usize, line: &str, start: usize, carets: usize) -> String {
    let pad = " ".repeat(number.to_string().len());
    format!(
        "{pad} |\n{number} | {line}\n{pad} | {}{}\n",
        " ".repeat(line[..start].chars().count()),
        "^".repeat(carets)
    )
}

#[test]
fn trace_file_errors_are_drawn_like_scenario_errors() {
    let options = ImportOptions::default();
    // SWF: the bad field is underlined whole.
    let bad = SWF.replace("2 5 -1 50 8", "2 5 -1 5x0 8");
    let err = import_str("t.swf", &bad, TraceFormat::Swf, &options).unwrap_err();
    let line = bad.lines().nth(2).unwrap();
    let shown = err.to_string();
    assert!(
        shown.starts_with("error: t.swf:3:8: field 4 (run time) is `5x0`\n"),
        "{shown}"
    );
    assert!(shown.contains(&snippet(3, line, 7, 3)), "{shown}");
    assert!(
        shown.contains("\n  = expected: seconds as a decimal number"),
        "{shown}"
    );
    assert!(shown.contains("\n  = fix: repair the line"), "{shown}");

    // sacct: the bad timestamp.
    let bad = SACCT.replace("2026-03-02T08:05:00|2026", "2026-03-02 08:05:00|2026");
    let err = import_str("t.txt", &bad, TraceFormat::Sacct, &options).unwrap_err();
    let line = bad.lines().nth(2).unwrap();
    let start = line.find("2026-03-02 08").unwrap();
    assert!(
        err.to_string().contains(&snippet(3, line, start, 19)),
        "{err}"
    );
    // An error about the whole file has no snippet, in the same shape.
    let err = import_file(&path("no/such/trace.swf"), TraceFormat::Swf, &options).unwrap_err();
    let shown = err.to_string();
    assert!(shown.starts_with("error: "), "{shown}");
    assert!(
        shown.contains("\n = expected: a readable trace file"),
        "{shown}"
    );
}

#[test]
fn a_trace_jsonl_error_shows_its_line() {
    let header = r#"{"event":"header","format":"clustersim-trace","version":3,"scenario":"s","seed":1,"groups":[],"nodes":[],"leaves":[]}"#;
    let bad = r#"{"t_ns":5,"event":"teleport","job":1}"#;
    let text = format!("{header}\n{bad}\n");
    let reader = sim_core::metrics::JsonlTraceReader::open(&text, "t.jsonl").unwrap();
    let err = reader.filter_map(Result::err).next().unwrap();
    let shown = err.to_string();
    assert!(shown.starts_with("error: t.jsonl:2:"), "{shown}");
    assert!(shown.contains(&format!("\n2 | {bad}\n")), "{shown}");
    assert!(shown.contains("\n  = fix: "), "{shown}");
}

#[test]
fn a_scenario_with_a_bad_trace_line_shows_the_field_and_the_line() {
    let dir = scratch("messages-trace-line");
    fs::create_dir_all(&dir).unwrap();
    let bad = SWF.replace("2 5 -1 50 8", "2 5 -1 5x0 8");
    fs::write(dir.join("bad.swf"), &bad).unwrap();
    let scenario = fs::read_to_string(path("scenarios/traces/sdsc-sp2.ron"))
        .unwrap()
        .replace(
            "../../../shared/data/swf/SDSC-SP2-1998-4.2-cln.swf.gz",
            "bad.swf",
        );
    fs::write(dir.join("s.ron"), &scenario).unwrap();
    let err = load_file(&dir.join("s.ron"), &[]).unwrap_err();
    let shown = err.to_string();
    let (line, column) = line_column_of(&scenario, "\"bad.swf\"");
    let trace = dir.join("bad.swf").display().to_string();
    // The scenario's field first, then the trace's line.
    let field =
        format!("{line} |             file: \"bad.swf\",\n   |                   ^^^^^^^^^\n");
    let at = shown.find(&field).unwrap_or_else(|| panic!("{shown}"));
    let second = format!("   |\n  ::: {trace}:3:8\n   |\n");
    let then = shown.find(&second).unwrap_or_else(|| panic!("{shown}"));
    assert!(at < then, "{shown}");
    let trace_line = bad.lines().nth(2).unwrap();
    assert!(
        shown.contains(&format!(" 3 | {trace_line}\n   |        ^^^\n")),
        "{shown}"
    );
    assert!(
        shown.contains(&format!(":{line}:{column}: cannot import the trace")),
        "{shown}"
    );
    assert!(err.first().cause.is_some(), "{shown}");
}

/// Control characters that drive a terminal: ESC (colours, titles) and CR
/// (overwrites the line).
const ESC_CR: &str = "\u{1b}[2J\r";

/// `shown` has no control character but line breaks and tabs, and shows
/// ESC escaped.
fn assert_escaped(shown: &str) {
    let raw: Vec<char> = (shown.chars())
        .filter(|&c| c.is_control() && c != '\n' && c != '\t')
        .collect();
    assert!(raw.is_empty(), "raw {raw:?} in:\n{shown}");
    assert!(
        shown.contains("\\u{1b}[2J\\u{d}"),
        "not shown escaped:\n{shown}"
    );
}

/// The caret line under the snippet line of `shown` that starts with
/// `gutter |`, as (the text before the first caret, the carets).
fn carets_under<'a>(shown: &'a str, gutter: &str) -> (&'a str, &'a str) {
    let mut lines = shown.lines();
    lines
        .find(|l| l.starts_with(&format!("{gutter} | ")))
        .unwrap_or_else(|| panic!("no `{gutter} |` line in:\n{shown}"));
    let carets = lines.next().unwrap();
    let start = carets.find('^').unwrap();
    let end = carets.rfind('^').unwrap() + 1;
    (&carets[..start], &carets[start..end])
}

#[test]
fn control_characters_typed_in_a_set_argument_are_shown_escaped() {
    let argument = format!("stop.horizon={ESC_CR}1 parsec");
    let err = load_file(&path(QUICKSTART), &[SetArg::set(argument.as_str())]).unwrap_err();
    let shown = err.to_string();
    assert_escaped(&shown);
    let escaped = sim_core::text::escape_control(&argument);
    assert!(
        shown.starts_with(&format!("error: --set {escaped} (column 14): ")),
        "{shown}"
    );
    assert!(shown.contains(&format!("\n--set | {escaped}\n")), "{shown}");
    // The carets start under the escaped value and cover all of it.
    let (before, carets) = carets_under(&shown, "--set");
    assert_eq!(
        before,
        format!("      | {}", " ".repeat("stop.horizon=".len()))
    );
    assert_eq!(
        carets.len(),
        escaped.len() - "stop.horizon=".len(),
        "{shown}"
    );
}

#[test]
fn control_characters_from_a_file_are_shown_escaped_with_tabs_kept() {
    let text = quickstart_text().replace(
        "(name: \"dgx\", count: 4, node_model: \"DGX-H100\")",
        &format!("(name: \"dgx\",\tcount: 4, node_model: \"DGX{ESC_CR}\")"),
    );
    let err = load_str(&format!("q{ESC_CR}.ron"), &text, &[]).unwrap_err();
    let shown = err.to_string();
    assert_escaped(&shown);
    let d = err.first();
    let Location::File { line, .. } = d.location else {
        panic!("{shown}")
    };
    assert!(
        shown.starts_with("error: q\\u{1b}[2J\\u{d}.ron:"),
        "the path is escaped: {shown}"
    );
    // The tab stays (the caret lines up under it); the rest is escaped,
    // and the carets sit under the whole escaped name.
    let (before, carets) = carets_under(&shown, &line.to_string());
    let source_line = text.lines().nth(line - 1).unwrap();
    let token_at = source_line.find("\"DGX").unwrap();
    let indent: String = (source_line[..token_at].chars())
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    assert!(before.ends_with(&format!(" | {indent}")), "{shown}");
    assert_eq!(
        carets.len(),
        sim_core::text::escape_control(&format!("\"DGX{ESC_CR}\"")).len(),
        "{shown}"
    );
}

#[test]
fn control_characters_in_a_trace_line_are_shown_escaped() {
    let bad = SACCT.replace(
        "2026-03-02T08:05:00|2026",
        &format!("2026-03-02T08{ESC_CR}:05|2026"),
    );
    let err = import_str(
        &format!("t{ESC_CR}.txt"),
        &bad,
        TraceFormat::Sacct,
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert_escaped(&err.to_string());
}

#[test]
fn a_trace_cannot_be_stretched_past_its_limit() {
    let max = sim_core::workload::trace::MAX_INTERARRIVAL_SCALE;
    let argument = "workload.trace.interarrival_scale=1e9";
    let Err(err) = load_file(
        &path("scenarios/traces/sdsc-sp2.ron"),
        &[SetArg::set(argument)],
    ) else {
        panic!("{argument} is accepted")
    };
    let (_, _, underlined) = in_argument(&err.first().location);
    assert_eq!(underlined, "1e9", "{err}");
    assert!(
        err.first()
            .expected
            .as_deref()
            .unwrap()
            .contains(&max.to_string()),
        "{err}"
    );
}
