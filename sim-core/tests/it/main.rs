//! sim-core's integration tests, one binary (as ripgrep does): one link
//! step instead of one per file, and one place for what they share
//! ([`support`]).
//!
//! | module | what it checks, against what |
//! | --- | --- |
//! | `architecture` | the dependency order, no Deserialize on model types, what the viewer may use |
//! | `readme` | the README's sample outputs are what the commands print |
//! | `snapshots` | golden outputs of every bundled scenario, the CLI's tables and every broken scenario's diagnostic |
//! | `cli` | the command line as scripts use it: the summary contract, output files, `compare`, `collective`, `plan` |
//! | `cli_tools` | `collective` and `plan` as a careful user meets them: the fabric's rate and latency, cluster-only scenarios, `--group`, `error:` prefixes, help examples that exist (issue 15's defects) |
//! | `cli_edges` | the command line at its edges: closed stdout, refused flag values, control characters, completions and man page |
//! | `import_slurm` | `import slurm`: the guide's slurm.conf re-imports byte for byte and runs; a test per key family; bad slurm.conf input at its line and column |
//! | `bad_input` | refusals with file:line:column and a fix, exit code 2, never a panic (with fuzzing) |
//! | `bad_input_messages` | what those refusals say: encodings, `--set` values and flags, control characters, trace files' errors |
//! | `limits` | sizes past the crate's limits are refused before anything is allocated, naming the limit |
//! | `reliability_fabric` | cables, leaf and spine switches failing in a run: a leaf's nodes DOWN for its repair (fabric or scheduler topology), a cable outage's slowdown against the fabric without it, cut-off multi-node jobs, same trace per seed |
//! | `reliability_schema` | every field of `reliability`, `storage` and jobs' checkpoint/recovery resolves into the model as hand-computed (presets, overrides, scales, deduplicated policies); `--set` on them; each rule's refusal at its field |
//! | `reliability_properties` | random failure sequences (property test): no start on a DOWN/DRAINING node, one final state per job, counts that agree, busy + down + draining + idle GPU-time = all, to the nanosecond; a new class leaves the others' failures unchanged |
//! | `refusals` | what the loader refuses or warns about because of quantities derived from several sections |
//! | `robustness` | what `validate` accepts stops within an event budget and bounded memory (with a property test) |
//! | `slurm_faithful` | `backfill: Slurm` against hand-computed cases from Slurm 22.05's source and the start times a real slurmctld recorded |
//! | `scenarios` | every bundled scenario keeps the simulator's invariants (conservation, one final state, times in order) |
//! | `determinism` | same seed, same bytes; named streams; no dependence on threads |
//! | `fcfs`, `teaching` | hand-computed schedules |
//! | `slurm_recorded` | start times against a real slurmctld's, recorded (`scripts/slurm/`): the share within 3 s, as a floor |
//! | `slurm_semantics` | where the scheduler follows Slurm's source, not a simpler reading (each test cites the file and function) |
//! | `flow_local` | flow groups only one job can touch, solved once per plan, give the runs the shared flow model gives |
//! | `fabric_failures` | cables and switches down and back: routes avoid them, cut-off nodes, flows moved and re-solved (hand-computed rates) |
//! | `cost` | power, energy and cost against hand-computed cases (one job's energy, a node's year, an idle reserved node); job + idle cost = total to the cent; energy = the integral of the power series |
//! | `sharing` | fractions of a GPU and MIG slices end to end: start times and utilization by hand, bad shares refused at their field |
//! | `kubernetes` | Kueue (and Volcano) driving runs: borrowing, reclaim, lending and borrowing limits by hand against the projects' documentation; unknown queues refused at the job |
//! | `hardware` | the what-if pairs answer in the direction the physics says |
//! | `monitoring` | `metrics.om` and `trace.perfetto.json`: DCGM and queue gauges of a hand-computed case (utilization, power from the catalog, framebuffer, pending/running/oldest wait), OpenMetrics well-formedness, same bytes twice, Perfetto slices per (job, GPU), tracks and instants, the size bound (per node, refused, coarsened) |
//! | `study` | studies: the same bytes on 1, 2 or 4 threads and from 4 merged shards; merges that name missing, duplicate and foreign shards; resuming redoes nothing; common random numbers; M/M/8 intervals cover Erlang C ~95% of the time; paired intervals narrower than unpaired |
//! | `study_bundled` | the bundled studies load without warnings and state their run counts; the teaching study's points.csv against its snapshot |
//! | `study_plot` | a study's SVG plots read back: well formed, one error bar per finite point, the y axis covers every interval, categories in order, NaN skipped, same bytes; dollar ticks (k, M) and thinned markers (`tco.svg`) |
//! | `tco` | `tco`: a year on premise and a year in the cloud projected by hand (capital, running cost, cash, book cost, book value left, per delivered GPU-hour); `tco.csv` and `tco.svg`; a scenario without a cost model and malformed ones refused with exit 2 |
//! | `trace_resample` | trace replays replicated per seed (block and window bootstraps, estimate noise): same seed same run, another seed another; without them the seed changes nothing; bad values at their line and column |
//! | `fgd_openb` | the FGD paper's no-departure experiment on the openb trace: every pod accounted for, allocation <= capacity, fragmentation <= free, best fit's allocation at 98% arrived against the paper's simulator's published BestFit (one-sided band; `docs/kubernetes.md`) |
//! | `trace_gpu` | GPU-cluster traces: every pod of Alibaba's openb list accounted for (counts from the CSV with the csv crate), `import alibaba`'s nodes and GPUs from the node list and its scenario replaying the pods, malformed pods at their line and column, the Helios, Philly and Acme presets on fixtures written from their READMEs |
//! | `trace_reader` | trace.jsonl reads back as written (every record kind, v4 and v3); damaged traces refused where they break |
//! | `validation_*` | closed forms, published measurements and a peer simulator (sources cited in each); `validation_reliability`: Daly's model, job MTTF and k-of-N survival, Poisson counts, lost work, a run ends when its work does |

mod support;

mod architecture;
mod bad_input;
mod bad_input_messages;
mod cli;
mod cli_edges;
mod cli_tools;
mod cost;
mod determinism;
mod fabric_failures;
mod fcfs;
mod fgd_openb;
mod flow_local;
mod hardware;
mod import_slurm;
mod kubernetes;
mod limits;
mod monitoring;
mod readme;
mod refusals;
mod reliability_fabric;
mod reliability_properties;
mod reliability_schema;
mod robustness;
mod scenarios;
mod sharing;
mod slurm_faithful;
mod slurm_recorded;
mod slurm_semantics;
mod snapshots;
mod study;
mod study_bundled;
mod study_launch;
mod study_plot;
mod tco;
mod teaching;
mod trace_gpu;
mod trace_reader;
mod trace_resample;
mod validation_collective;
mod validation_fabric;
mod validation_queueing;
mod validation_reliability;
mod validation_traces;
mod validation_training;
