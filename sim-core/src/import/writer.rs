//! The [`Plan`] as a commented RON scenario: an opening comment saying
//! where it came from, how to use it, what was not modelled and why, and
//! every key left out with its reason; then the scenario, each node group
//! and partition commented with the line it came from. The output is a
//! pure function of the plan, so a re-import is byte for byte the same.

use std::fmt::Write;

use super::mapping::{EnforcePartLimits, Plan, Workload};
use crate::units::format_duration;

/// The `enforce_part_limits` line (Slurm's default, NO, written too: the
/// reader sees that a job over its partition's limits waits).
fn enforce_part_limits_line(e: EnforcePartLimits) -> String {
    let v = match e {
        EnforcePartLimits::No => "No",
        EnforcePartLimits::Any => "Any",
        EnforcePartLimits::All => "All",
    };
    format!("        enforce_part_limits: {v},\n")
}

fn ron_string(s: &str) -> String {
    format!("{s:?}")
}

fn comment_block(out: &mut String, title: &str, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    writeln!(out, "//\n// {title}").unwrap();
    for l in lines {
        writeln!(out, "//   - {}", l.replace('\n', " ")).unwrap();
    }
}

pub fn write(plan: &Plan) -> String {
    let mut o = String::new();
    writeln!(o, "// Imported by `clustersim import slurm` from:").unwrap();
    for s in &plan.sources {
        writeln!(o, "//   {s}").unwrap();
    }
    o.push_str(
        "//\n// Node names are Slurm's (each node group's `hosts`); one node group per\n\
         // NodeName line with GPUs. Check it with `clustersim validate`, run it with\n\
         // `clustersim run`, and ask what-if questions with --set or `clustersim compare`.\n",
    );
    comment_block(&mut o, "How some things were mapped:", &plan.notes);
    comment_block(
        &mut o,
        "Keys not in slurm.conf(5), left out (reported as warnings when imported):",
        &plan
            .unknown
            .iter()
            .map(|e| format!("{} ({})", e.message, e.position()))
            .collect::<Vec<_>>(),
    );
    comment_block(&mut o, "Left out, and why:", &plan.ignored);
    writeln!(o, "Scenario(").unwrap();
    writeln!(o, "    name: {},", ron_string(&plan.name)).unwrap();
    writeln!(
        o,
        "    description: {},",
        ron_string(&format!(
            "Imported from Slurm configuration {}",
            plan.sources[0]
        ))
    )
    .unwrap();
    writeln!(o, "    seed: 1,").unwrap();
    writeln!(o, "    cluster: (\n        node_groups: [").unwrap();
    for g in &plan.groups {
        writeln!(o, "            // {}", g.comment).unwrap();
        writeln!(
            o,
            "            (name: {}, count: {}, hosts: {}, node_model: {}, gpu_model: {}, gpus_per_node: {}),",
            ron_string(&g.name),
            g.count,
            ron_string(&g.hosts),
            ron_string(&g.node_model),
            ron_string(&g.gpu_model),
            g.gpus_per_node
        )
        .unwrap();
    }
    writeln!(o, "        ],\n    ),").unwrap();
    writeln!(o, "    workload: (").unwrap();
    match &plan.workload {
        Workload::Sacct(path) => {
            writeln!(
                o,
                "        // The jobs of `sacct --parsable2` output, replayed (the path is relative to this file).\n        trace: (file: {}, format: Sacct),",
                ron_string(path)
            )
            .unwrap();
        }
        Workload::Example { gpus, max_runtime } => {
            let min = crate::engine::SimDuration::from_ns(max_runtime.as_ns() / 4);
            writeln!(
                o,
                "        // AN EXAMPLE WORKLOAD, so that the scenario runs: replace it with your own jobs,\n        \
                 // e.g. import again with --sacct FILE (sacct --allusers --parsable2 --format=JobID,User,\n        \
                 // Account,Partition,QOS,Submit,Start,End,Elapsed,Timelimit,ReqTRES,AllocTRES,State).\n        \
                 generators: [(\n            name: \"example\",\n            arrival: Poisson(mean_interarrival: \"10m\"),\n            count: 200,\n            \
                 sizes: [(request: Gpus(1), weight: 3.0), (request: Gpus({gpus}), weight: 1.0)],\n            \
                 duration: Uniform(min: \"{}\", max: \"{}\"),\n            time_limit_factor: 2.0,\n        )],",
                format_duration(min),
                format_duration(*max_runtime)
            )
            .unwrap();
        }
    }
    writeln!(o, "    ),").unwrap();
    writeln!(o, "    scheduler: (").unwrap();
    for (k, v) in &plan.scheduler {
        writeln!(o, "        {k}: {v},").unwrap();
    }
    o.push_str(&enforce_part_limits_line(plan.enforce_part_limits));
    if !plan.priority.is_empty() {
        let fields: Vec<String> = plan
            .priority
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        writeln!(o, "        priority: ({}),", fields.join(", ")).unwrap();
    }
    writeln!(o, "        partitions: [").unwrap();
    for p in &plan.partitions {
        let mut fields = vec![
            format!("name: {}", ron_string(&p.name)),
            format!("nodes: [{}]", ron_string(&p.nodes)),
        ];
        fields.extend(p.fields.iter().map(|(k, v)| format!("{k}: {v}")));
        writeln!(o, "            ({}),", fields.join(", ")).unwrap();
    }
    writeln!(o, "        ],").unwrap();
    if !plan.qos.is_empty() {
        writeln!(o, "        qos: [").unwrap();
        for q in &plan.qos {
            let mut fields = vec![format!("name: {}", ron_string(&q.name))];
            fields.extend(q.fields.iter().map(|(k, v)| format!("{k}: {v}")));
            writeln!(o, "            ({}),", fields.join(", ")).unwrap();
        }
        writeln!(o, "        ],").unwrap();
    }
    if !plan.topology.is_empty() {
        if !plan.upper_switches.is_empty() {
            writeln!(
                o,
                "        // Upper switches of topology.conf (the scheduler counts leaf switches only): {}",
                plan.upper_switches.join("; ")
            )
            .unwrap();
        }
        writeln!(o, "        topology: [").unwrap();
        for (name, nodes) in &plan.topology {
            writeln!(
                o,
                "            (name: {}, nodes: [{}]),",
                ron_string(name),
                ron_string(nodes)
            )
            .unwrap();
        }
        writeln!(o, "        ],").unwrap();
    }
    writeln!(o, "    ),\n)").unwrap();
    o
}
