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

/// Two nodes of 4 GPUs, for hand-written traces.
fn two_nodes() -> TraceHeader {
    use sim_core::metrics::{TraceGroup, TraceNode};
    TraceHeader {
        scenario: "hand-written".into(),
        seed: 1,
        groups: vec![TraceGroup {
            name: "g".into(),
            node_model: "n".into(),
            gpu_model: "H100".into(),
        }],
        nodes: (0..2)
            .map(|i| TraceNode {
                name: format!("node{i}"),
                group: 0,
                gpus: 4,
            })
            .collect(),
        leaves: Vec::new(),
    }
}

#[test]
fn every_reliability_record_round_trips() {
    use sim_core::engine::{SimDuration, SimTime};
    use sim_core::metrics::{JobState, StopReason, TraceAlloc};
    let s = |secs: u64| SimTime::ZERO + SimDuration::from_secs(secs);
    let on = |node| [TraceAlloc { node, mask: 0xf }];
    let (node0, node1) = (on(0), on(1));
    let both = [node0[0], node1[0]];
    let events = [
        TraceEvent::Submit {
            time: s(0),
            job: 1,
            name: "train",
            user: "u",
            account: "a",
            gpus: 4,
            time_limit: SimDuration::from_secs(7200),
        },
        TraceEvent::Start {
            time: s(0),
            job: 1,
            alloc: &node0,
        },
        TraceEvent::Fail {
            time: s(600),
            job: 1,
            cause: "gpu_hbm3",
            requeued: true,
            lost_gpu_s: 1200.5,
        },
        TraceEvent::NodeDown {
            time: s(600),
            node: 0,
            cause: "gpu_hbm3",
        },
        TraceEvent::Start {
            time: s(600),
            job: 1,
            alloc: &node1,
        },
        TraceEvent::NodeUp {
            time: s(1800),
            node: 0,
        },
        // An elastic job growing back onto the repaired node.
        TraceEvent::Resize {
            time: s(2000),
            job: 1,
            alloc: &both,
        },
        TraceEvent::NodeDrain {
            time: s(2400),
            node: 1,
            cause: "lemon",
        },
        TraceEvent::Fail {
            time: s(3000),
            job: 1,
            cause: "software",
            requeued: false,
            lost_gpu_s: 0.0,
        },
        TraceEvent::End {
            time: s(3000),
            job: 1,
            state: JobState::NodeFail,
        },
    ];
    let mut writer = JsonlTraceWriter::new(Vec::new(), two_nodes()).unwrap();
    for event in &events {
        writer.record(event);
    }
    let text = writer.finish(s(3000), StopReason::AllWorkDone).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.starts_with(r#"{"event":"header","format":"clustersim-trace","version":4,"#));
    // The file's spelling of the new records, as the module documents it.
    assert!(text.contains(
        r#"{"event":"fail","t_ns":600000000000,"job":1,"cause":"gpu_hbm3","requeued":true,"lost_gpu_s":1200.5}"#
    ), "{text}");
    assert!(
        text.contains(r#"{"event":"node_up","t_ns":1800000000000,"node":0}"#),
        "{text}"
    );
    assert!(text.contains(r#""state":"NODE_FAIL""#), "{text}");

    let reader = JsonlTraceReader::open(&text, "t.jsonl").unwrap();
    assert_eq!(reader.header(), &two_nodes());
    let read: Vec<TraceRecord> = reader.map(Result::unwrap).collect();
    let mut expected: Vec<TraceRecord> = events.iter().map(TraceRecord::from).collect();
    expected.push(TraceRecord::EndOfRun {
        t_ns: 3_000_000_000_000,
        reason: StopReason::AllWorkDone.to_string(),
    });
    assert_eq!(read, expected);
    assert_eq!(
        read[3],
        TraceRecord::NodeDown {
            t_ns: 600_000_000_000,
            node: 0,
            cause: "gpu_hbm3".into()
        }
    );

    // A reliability line without its field is refused at its line.
    let cut = text.replacen(r#","cause":"lemon""#, "", 1);
    let e = refusal(&cut);
    assert_eq!(e.line, 9, "{e}");
    assert!(
        e.message.contains("a `node_drain` line needs `cause`"),
        "{e}"
    );
}

#[test]
fn a_version_3_trace_still_reads() {
    // As clustersim 0.x wrote it before the reliability records: version
    // 3, no fail or node lines.
    let text = [
        r#"{"event":"header","format":"clustersim-trace","version":3,"scenario":"old","seed":7,"groups":[{"name":"g","node_model":"n","gpu_model":"H100"}],"nodes":[{"name":"a","group":0,"gpus":8}],"leaves":[]}"#,
        r#"{"event":"submit","t_ns":0,"job":1,"name":"j","user":"u","account":"a","gpus":8,"time_limit_ns":60000000000}"#,
        r#"{"event":"start","t_ns":0,"job":1,"alloc":[{"node":0,"mask":255}]}"#,
        r#"{"event":"end","t_ns":30000000000,"job":1,"state":"COMPLETED"}"#,
        r#"{"event":"end_of_run","t_ns":30000000000,"reason":"all_work_done"}"#,
    ]
    .join("\n");
    let reader = JsonlTraceReader::open(&text, "old.jsonl").unwrap();
    assert_eq!(reader.header().seed, 7);
    let read: Vec<TraceRecord> = reader.map(Result::unwrap).collect();
    assert_eq!(read.len(), 4);
    assert_eq!(
        read[2],
        TraceRecord::End {
            t_ns: 30_000_000_000,
            job: 1,
            state: sim_core::metrics::JobState::Completed
        }
    );
    // Version 1 predates the header's layout and is refused with the range.
    let e = refusal(&text.replacen("\"version\":3", "\"version\":1", 1));
    assert!(e.message.contains("version 1"), "{e}");
    assert!(e.expected.contains("version 2 to 4"), "{e}");
}
