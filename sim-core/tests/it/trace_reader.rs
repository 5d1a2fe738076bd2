//! `trace.jsonl` written by a run reads back as the same records, and a
//! damaged trace is refused at its line and column with a fix.

use sim_core::metrics::{
    JsonlTraceReader, JsonlTraceWriter, TraceEvent, TraceHeader, TraceRecord, TraceSink,
};

use crate::support::load;

/// Keeps what the run emitted, owned, and writes the file alongside.
struct Both<W: std::io::Write> {
    seen: Vec<TraceRecord>,
    writer: JsonlTraceWriter<W>,
}

impl<W: std::io::Write> TraceSink for Both<W> {
    fn record(&mut self, event: &TraceEvent<'_>) {
        self.seen.push(TraceRecord::from(event));
        self.writer.record(event);
    }
}

fn written(scenario: &str) -> (TraceHeader, Vec<TraceRecord>, String) {
    // Only the cluster and the records matter here: analytic training is
    // enough and much faster than flows.
    let overrides: &[&str] = if scenario.contains("hardware/") {
        &["fabric.collectives=Analytic"]
    } else {
        &[]
    };
    let scenario = load(scenario, overrides);
    let mut sink = Both {
        seen: Vec::new(),
        writer: JsonlTraceWriter::new(Vec::new(), scenario.trace_header()).unwrap(),
    };
    let result = sim_core::simulation::run(&scenario, &mut sink, &mut |_| {});
    let bytes = sink
        .writer
        .finish(result.end, result.summary.stop_reason)
        .unwrap();
    let mut seen = sink.seen;
    seen.push(TraceRecord::EndOfRun {
        t_ns: result.end.as_ns(),
        reason: result.summary.stop_reason.to_string(),
    });
    (
        scenario.trace_header(),
        seen,
        String::from_utf8(bytes).unwrap(),
    )
}

#[test]
fn a_trace_reads_back_as_the_records_the_run_emitted() {
    // preemption.ron has every kind of record: submits, starts, preemptions
    // with requeues, and ends.
    let (header, emitted, text) = written("scenarios/teaching/preemption.ron");
    let reader = JsonlTraceReader::open(&text, "trace.jsonl").unwrap();
    assert_eq!(reader.header(), &header);
    let read: Vec<TraceRecord> = reader.map(Result::unwrap).collect();
    assert_eq!(read, emitted);
    assert!(
        read.iter()
            .any(|r| matches!(r, TraceRecord::Preempt { requeued: true, .. }))
    );
}

#[test]
fn the_header_carries_the_leaf_switches() {
    let (header, _, _) = written("scenarios/hardware/leaf-spine-2to1.ron");
    // 24 nodes at 5 per 2:1 leaf (the scenario's comment): 5 leaves.
    assert_eq!(header.leaves.len(), 5);
    let nodes: usize = header.leaves.iter().map(|l| l.nodes.len()).sum();
    assert_eq!(nodes, 24);
}

fn refusal(text: &str) -> sim_core::text::FileError {
    match JsonlTraceReader::open(text, "t.jsonl") {
        Err(e) => e,
        Ok(reader) => reader
            .filter_map(Result::err)
            .next()
            .expect("this trace must be refused"),
    }
}

#[test]
fn damaged_traces_are_refused_where_they_break() {
    let (_, _, text) = written("scenarios/teaching/fcfs-vs-easy.ron");
    let lines: Vec<&str> = text.lines().collect();

    let e = refusal("");
    assert!(e.message.contains("empty"), "{e}");

    let e = refusal("1,2,3\n");
    assert_eq!((e.line, e.column), (1, 1));
    assert!(e.message.contains("not a clustersim trace header"), "{e}");
    assert!(
        e.fix.contains("workload.trace"),
        "an SWF file gets pointed at the right place: {e}"
    );

    let newer = lines[0].replace("\"version\":4", "\"version\":99");
    let e = refusal(&newer);
    assert!(e.message.contains("version 99"), "{e}");

    let huge = lines[0].replacen("\"gpus\":8", "\"gpus\":4000000000", 1);
    let e = refusal(&huge);
    assert!(e.message.contains("more than 64 GPUs"), "{e}");

    let mut cut = lines.clone();
    cut[4] = r#"{"t_ns":60000000000,"event":"start","job":"#;
    let e = refusal(&cut.join("\n"));
    assert_eq!(e.line, 5);
    assert!(e.column > 1, "the column points into the line: {e}");

    let mut unknown = lines.clone();
    unknown[2] = r#"{"t_ns":60000000000,"event":"teleport","job":2}"#;
    let e = refusal(&unknown.join("\n"));
    assert_eq!(e.line, 3);
    assert!(e.message.contains("unknown event `teleport`"), "{e}");

    let mut missing = lines.clone();
    missing[2] = r#"{"t_ns":60000000000,"event":"end","job":2}"#;
    let e = refusal(&missing.join("\n"));
    assert!(e.message.contains("a `end` line needs `state`"), "{e}");

    let mut backwards = lines.clone();
    let last = backwards.len() - 2;
    backwards.swap(1, last);
    let e = refusal(&backwards.join("\n"));
    assert!(e.message.contains("time goes backwards"), "{e}");
    assert_eq!(e.line, 3);
}
