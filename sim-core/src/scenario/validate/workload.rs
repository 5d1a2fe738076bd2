//! The workload: the [`Context`] every workload builder shares, the
//! explicit jobs and the trace import (`training.rs` and `generators.rs`
//! add the other kinds of work to the same context).
//!
//! Jobs are checked against the cluster and the partition they go to; without
//! a valid cluster they are still checked, minus the "does it fit" rules, so
//! that all mistakes are reported in one go.

use crate::workload::GpuShare;
use std::path::Path;

use super::super::file;
use super::super::spans::{field_path, index_path};
use super::generators::MAX_LOGNORMAL_SIGMA;
use super::policy::{PolicyFields, PolicyOf, PolicyRules};
use super::{Error, Issues, Warning, scheduling};
use crate::engine::{SimDuration, SimTime};
use crate::hardware::Cluster;
use crate::scheduler::{
    EnforcePartLimits, GpuPool, INFINITE_TIME_LIMIT, NodeSet, PendingReason, SchedulerConfig,
    partition_limit_exceeded,
};
use crate::units::format_duration;
use crate::workload::{
    BeyondEndOfTime, Directory, GeneratorSpec, JobRequest, MAX_TOTAL_JOBS, SubmittedJob,
    WorkloadSpec,
};

/// What the workload builders need, and the workload they build together.
pub(super) struct Context<'a> {
    /// `None` when the cluster section is invalid.
    pub cluster: Option<&'a Cluster>,
    pub pool: Option<&'a GpuPool>,
    pub scheduler: &'a SchedulerConfig,
    /// Partition and QOS names, for job lookups.
    pub names: Names<'a>,
    /// Where relative paths in the file (a trace) start from.
    pub base_dir: &'a Path,
    /// Parsed traces shared with other scenarios (a study's points).
    pub traces: Option<&'a crate::workload::trace::TraceCache>,
    pub issues: &'a mut Issues,
    /// Names of jobs, users and accounts met so far.
    pub directory: Directory,
    pub spec: WorkloadSpec,
    /// Where runs of `spec.jobs` come from: `(first index, field path)`,
    /// in index order, so a rule about a built job can point at the file.
    pub job_origins: Vec<(usize, String)>,
    /// What the reliability and storage sections say about job policies.
    pub policy_rules: PolicyRules,
    /// An empty workload is fine: the scenario is read for its cluster
    /// only (`clustersim collective`, `plan --scenario`).
    pub allow_empty: bool,
    /// Why jobs may not share GPUs in this scenario (a section whose
    /// model does not know shared GPUs yet), if they may not.
    pub sharing_unsupported: Option<&'static str>,
}

impl<'a> Context<'a> {
    pub fn new(
        cluster: Option<&'a Cluster>,
        pool: Option<&'a GpuPool>,
        scheduler: &'a SchedulerConfig,
        base_dir: &'a Path,
        traces: Option<&'a crate::workload::trace::TraceCache>,
        policy_rules: PolicyRules,
        issues: &'a mut Issues,
    ) -> Self {
        Context {
            allow_empty: false,
            sharing_unsupported: None,
            policy_rules,
            cluster,
            pool,
            scheduler,
            names: Names::of(scheduler),
            base_dir,
            traces,
            issues,
            directory: Directory::default(),
            spec: WorkloadSpec::default(),
            job_origins: Vec::new(),
        }
    }

    /// Builds the whole `workload` section.
    pub fn build(mut self, w: &file::Workload) -> WorkloadSpec {
        if !self.allow_empty
            && w.jobs.is_empty()
            && w.training.is_empty()
            && w.generators.is_empty()
            && w.trace.is_none()
        {
            self.issues.error(Error {
                path: "workload",
                message: "the workload is empty",
                found: "no jobs, training jobs, generators or trace",
                expected: "at least one job, training job, generator or trace",
                fix: "add a job under workload.jobs, a generator under workload.generators, or a trace under workload.trace",
            });
        }
        if let Some(trace) = &w.trace {
            self.trace(trace);
        }
        self.jobs(&w.jobs);
        self.training_jobs(w);
        self.generators(&w.generators);
        self.total_jobs();
        self.check_end_of_time();
        let mut spec = self.spec;
        let mut associations: Vec<_> = spec
            .jobs
            .iter()
            .map(|j| (j.account, j.user))
            .chain(
                spec.generators
                    .iter()
                    .flat_map(|g| g.users.iter().map(|u| (u.account, u.user))),
            )
            .collect();
        associations.sort_unstable();
        associations.dedup();
        spec.associations = associations;
        spec.directory = self.directory;
        spec
    }

    /// Whether `request` cannot fit in `nodes` even on an idle cluster; if
    /// so, says so at `path` with the (message, expected) words and the
    /// fix of the job kind asking. The one check for explicit and training
    /// jobs.
    pub(super) fn never_fits(
        &mut self,
        path: &str,
        request: JobRequest,
        nodes: &NodeSet,
        (message, expected): (&str, &str),
        fix: &str,
    ) -> bool {
        let Some(Err(never)) = self.pool.map(|p| p.check_fits_when_idle_in(request, nodes)) else {
            return false;
        };
        self.issues.error(Error {
            path,
            message,
            found: &format!("{request}: {}", never.reason),
            expected,
            fix,
        });
        true
    }

    /// At most [`MAX_TOTAL_JOBS`] jobs in all (each generator is held to
    /// it on its own in `generators.rs`).
    fn total_jobs(&mut self) {
        let listed = self.spec.jobs.len() as u64;
        let generated: u64 = (self.spec.generators.iter())
            .map(GeneratorSpec::expected_count)
            .fold(0, u64::saturating_add);
        let total = listed.saturating_add(generated);
        if total > MAX_TOTAL_JOBS {
            self.issues.error(Error {
                path: "workload",
                message: &format!("the workload has about {total} jobs, more than {MAX_TOTAL_JOBS}"),
                found: &format!(
                    "{listed} jobs listed or from the trace, about {generated} from {} generators",
                    self.spec.generators.len()
                ),
                expected: &format!("at most {MAX_TOTAL_JOBS} jobs in all"),
                fix: "lower the generators' `count` or `until`, or take a window of the trace (`take`); split a larger study into several runs",
            });
        }
    }

    /// Notes that the jobs pushed from now on come from `path`.
    pub fn origin(&mut self, path: &str) {
        self.job_origins
            .push((self.spec.jobs.len(), path.to_string()));
    }

    /// Refuses a workload part of which ends at or beyond the end of
    /// representable time (`SimTime::MAX`, about 584 years): a run of it
    /// could only stop with `end_of_time` before that part is done.
    fn check_end_of_time(&mut self) {
        const END: &str = "the end of simulated time (2^64 ns, about 584 years or 213,503 days)";
        let kill = self.scheduler.kill_at_time_limit;
        match self.spec.first_beyond_end_of_time(kill) {
            None => {}
            Some(BeyondEndOfTime::Job(index)) => {
                let job = &self.spec.jobs[index];
                let at = self
                    .job_origins
                    .partition_point(|(first, _)| *first <= index);
                let path = at
                    .checked_sub(1)
                    .map_or("workload", |i| self.job_origins[i].1.as_str());
                let (occupancy, _) = job.occupancy(kill);
                let fix = if path.starts_with("workload.trace") {
                    "lower interarrival_scale: the trace's gaps are stretched that many times"
                } else if path.starts_with("workload.training") {
                    "train on fewer tokens or steps (its run time comes from them, the layout and the GPU's matmul_efficiency)"
                } else {
                    "lower submit or runtime: a scenario spans at most 584 years"
                };
                self.issues.error(Error {
                    path,
                    message: &format!("this job would end at or after {END}"),
                    found: &format!(
                        "submitted at {} and running {}",
                        format_duration(job.submit.saturating_since(SimTime::ZERO)),
                        if occupancy == SimDuration::MAX {
                            "longer than that".to_string()
                        } else {
                            format_duration(occupancy)
                        }
                    ),
                    expected: "work that ends within 584 years",
                    fix,
                });
            }
            Some(BeyondEndOfTime::Generator(index)) => {
                self.issues.error(Error {
                    path: &index_path("workload.generators", index),
                    message: &format!(
                        "this generator's expected last job would end at or after {END}"
                    ),
                    found: &format!("generator `{}`", self.spec.generators[index].name),
                    expected: "work that ends within 584 years",
                    fix: "lower count, until, mean_interarrival or the duration",
                });
            }
        }
    }

    /// The partition and QOS a job names (the defaults if it names none).
    pub fn resolve(
        &mut self,
        path: &str,
        partition: Option<&str>,
        qos: Option<&str>,
    ) -> Option<(u16, u16)> {
        let p = scheduling::lookup(
            &field_path(path, "partition"),
            "partition",
            partition,
            &self.names.partitions,
            self.issues,
        );
        let q = scheduling::lookup(
            &field_path(path, "qos"),
            "qos",
            qos,
            &self.names.qos,
            self.issues,
        );
        Some((p?, q?))
    }

    /// The index of the GPU type `names` (GPU model names, any of which
    /// will do) in [`WorkloadSpec::gpu_types`], plus one; 0 for none. Each
    /// name must be the GPU model of some node group.
    pub fn gpu_type(&mut self, path: &str, names: &[&str]) -> Option<u16> {
        if names.is_empty() {
            return Some(0);
        }
        let models: Vec<&str> = self
            .cluster
            .map(|c| c.groups.iter().map(|g| g.gpu_model.name.as_str()).collect())
            .unwrap_or_default();
        let mut set: Vec<String> = Vec::with_capacity(names.len());
        for &name in names {
            if self.cluster.is_some() && !models.contains(&name) {
                let fix = match crate::text::did_you_mean(name, models.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "name the GPU model of one of the cluster's node groups, or add a group of that model".into(),
                };
                self.issues.error(Error {
                    path,
                    message: &format!("no node of the cluster has GPU type `{name}`"),
                    found: &format!("\"{name}\""),
                    expected: &format!("one of {}", models.join(", ")),
                    fix: &fix,
                });
                return None;
            }
            set.push(name.to_string());
        }
        set.sort();
        set.dedup();
        let types = &mut self.spec.gpu_types;
        let at = match types.iter().position(|t| *t == set) {
            Some(at) => at,
            None => {
                types.push(set);
                types.len() - 1
            }
        };
        Some(at as u16 + 1)
    }

    /// A job's or generator's Kubernetes fields: its GPU type (0: any) and
    /// queue (0: the default); every MIG slice in `shares` (at its path)
    /// must be a profile of a GPU it may run on.
    pub fn kube_fields(
        &mut self,
        path: &str,
        gpu_type: &[String],
        queue: Option<&str>,
        shares: &[(String, GpuShare)],
    ) -> Option<(u16, u16)> {
        let names: Vec<&str> = gpu_type.iter().map(String::as_str).collect();
        let gpu_type = self.gpu_type(&field_path(path, "gpu_type"), &names)?;
        if gpu_type != 0 && self.scheduler.backfill != crate::scheduler::Backfill::None {
            self.issues.error(Error {
                path: &field_path(path, "gpu_type"),
                message: "GPU types with backfilling are not modelled: backfill reservations count a partition's GPUs, not a type's",
                found: &format!("gpu_type with backfill {:?}", self.scheduler.backfill),
                expected: "backfill: None (Kubernetes queues have no backfill), or no gpu_type",
                fix: "set scheduler.backfill: None, or give each GPU type its own partition (Slurm's usual way) and name the partition",
            });
            return None;
        }
        if let Some(reason) = self.sharing_unsupported
            && let Some((share_path, _)) = shares.iter().find(|(_, s)| s.is_shared())
        {
            self.issues.error(Error {
                path: share_path,
                message: &format!(
                    "shared GPUs (fractions and MIG slices) cannot be simulated with {reason} yet"
                ),
                found: "a fraction or MIG slice of a GPU",
                expected: "whole GPUs, or a scenario without that section",
                fix: "ask for whole GPUs (Gpus(1)), or leave that section out of this scenario",
            });
            return None;
        }
        if let Some(cluster) = self.cluster {
            let allowed: Vec<&crate::hardware::NodeGroup> = (cluster.groups.iter())
                .filter(|g| names.is_empty() || names.contains(&g.gpu_model.name.as_str()))
                .collect();
            for (share_path, share) in shares {
                let GpuShare::Mig { profile } = *share else {
                    continue;
                };
                let name = crate::hardware::mig::MIG_NAMES[profile as usize];
                if allowed
                    .iter()
                    .any(|g| g.gpu_model.mig.profile(name).is_some())
                {
                    continue;
                }
                let mut models: Vec<&str> =
                    allowed.iter().map(|g| g.gpu_model.name.as_str()).collect();
                models.dedup();
                let mut offered: Vec<&str> = (allowed.iter())
                    .flat_map(|g| g.gpu_model.mig.profiles().iter().map(|p| p.name))
                    .collect();
                offered.dedup();
                let fix = if offered.is_empty() {
                    "none of these GPUs has MIG: ask for a fraction (Fraction(0.25)) or whole GPUs, or add a MIG-capable group (A100, H100, H200, B200)".to_string()
                } else {
                    format!("ask for one of their profiles: {}", offered.join(", "))
                };
                self.issues.error(Error {
                    path: share_path,
                    message: &format!(
                        "no GPU this job may run on ({}) has the MIG profile `{name}`",
                        models.join(", ")
                    ),
                    found: &format!("\"{name}\""),
                    expected: "a MIG profile of the GPU model",
                    fix: &fix,
                });
                return None;
            }
        }
        let queue = match queue {
            None => 0,
            Some(name) => {
                let queue_path = field_path(path, "queue");
                match &self.scheduler.volcano {
                    Some(volcano) => {
                        super::volcano::lookup_queue(&queue_path, name, volcano, self.issues)?;
                    }
                    None => {
                        super::kueue::lookup_queue(
                            &queue_path,
                            Some(name),
                            self.scheduler.kueue.as_ref(),
                            self.issues,
                        )?;
                    }
                }
                let queues = &mut self.spec.queues;
                let at = match queues.iter().position(|q| q == name) {
                    Some(at) => at,
                    None => {
                        queues.push(name.to_string());
                        queues.len() - 1
                    }
                };
                at as u16 + 1
            }
        };
        Some((gpu_type, queue))
    }

    /// `workload.jobs`, written out one by one.
    fn jobs(&mut self, jobs: &[file::Job]) {
        for (i, job) in jobs.iter().enumerate() {
            let path = index_path("workload.jobs", i);
            let submit = self
                .issues
                .quantity(&field_path(&path, "submit"), &job.submit);
            let runtime = self
                .issues
                .quantity(&field_path(&path, "runtime"), &job.runtime);
            let limit_path = field_path(&path, "time_limit");
            // `--time=UNLIMITED` (or INFINITE) asks for an infinite limit:
            // Slurm's time_str2mins() reads it as INFINITE, which is over
            // any finite partition MaxTime (the job then waits with
            // PartitionTimeLimit) and is otherwise planned as a year.
            let unlimited = job.time_limit.as_ref().is_some_and(|w| w.is_unlimited());
            let written_limit = job.time_limit.as_ref().filter(|_| !unlimited);
            let given_limit = self
                .issues
                .optional(&limit_path, written_limit)
                .map(|l| l.or(unlimited.then_some(INFINITE_TIME_LIMIT)));
            let request_path = field_path(&path, "request");
            let Some((request, share)) = check_request(&request_path, &job.request, self.issues)
            else {
                continue;
            };
            let Some((partition, qos)) =
                self.resolve(&path, job.partition.as_deref(), job.qos.as_deref())
            else {
                continue;
            };
            let part = &self.scheduler.partitions[partition as usize];
            if self.never_fits(
                &request_path,
                request,
                &part.nodes,
                (
                    "this job can never fit on the cluster",
                    "a request the cluster (or its partition) can hold when idle",
                ),
                "shrink the request, or add nodes to the cluster or the partition",
            ) {
                continue;
            }
            let (Some(submit), Some(runtime), Ok(given_limit)) = (submit, runtime, given_limit)
            else {
                continue;
            };
            let time_limit = given_limit.unwrap_or_else(|| part.limit_of_unlimited_job());
            if given_limit.is_some_and(|l| l.is_zero()) {
                self.issues.error(Error {
                    path: &limit_path,
                    message: "a time limit of zero would kill the job at once",
                    found: "\"0s\"",
                    expected: "a limit above zero",
                    fix: "give the limit the user asked for, or leave it out for the partition's DefaultTime or MaxTime",
                });
                continue;
            }
            let nodes = self
                .cluster
                .map(|c| request.min_nodes(c.max_gpus_per_node()));
            let fields = PolicyFields {
                checkpoint: job.checkpoint.as_ref(),
                recovery: job.recovery,
                requeue: job.requeue,
            };
            let Some(policy) = self.policy(&path, fields, PolicyOf { nodes, model: None }) else {
                continue;
            };
            let Some((gpu_type, queue)) = self.kube_fields(
                &path,
                &job.gpu_type,
                job.queue.as_deref(),
                &[(index_path(&request_path, 0), share)],
            ) else {
                continue;
            };
            let name = job.name.clone().unwrap_or_else(|| format!("job{}", i + 1));
            self.origin(&path);
            let directory = &mut self.directory;
            let built = SubmittedJob {
                name: directory.job_name(&name),
                user: directory.user(job.user.as_deref().unwrap_or("user")),
                account: directory.account(job.account.as_deref().unwrap_or("default")),
                submit: SimTime::ZERO + submit,
                request,
                runtime,
                time_limit,
                partition,
                qos,
                nice: job.nice.unwrap_or(0),
                training: None,
                trace_id: None,
                policy,
                share,
                gpu_type,
                queue,
                priority: job.priority.unwrap_or(0),
            };
            self.partition_limits(&path, &built, given_limit.is_some());
            self.spec.jobs.push(built);
        }
    }

    /// Warns, once for the whole trace, of replayed jobs (from
    /// `spec.jobs[first..]`) over their partition's `MaxTime` or
    /// `MaxNodes`, with how many and the first one's trace id.
    fn trace_partition_limits(&mut self, path: &str, first: usize) {
        let Some(cluster) = self.cluster else {
            return;
        };
        // Computed once: it scans every node, and a trace has up to
        // millions of jobs.
        let max_gpus_per_node = cluster.max_gpus_per_node();
        let over: Vec<&SubmittedJob> = (self.spec.jobs[first..].iter())
            .filter(|job| {
                let partition = &self.scheduler.partitions[job.partition as usize];
                partition_limit_exceeded(job, partition, max_gpus_per_node).is_some()
            })
            .collect();
        let Some(example) = over.first() else {
            return;
        };
        let partition = &self.scheduler.partitions[example.partition as usize];
        let (_, detail) = partition_limit_exceeded(example, partition, max_gpus_per_node)
            .expect("filtered above");
        let fate = match self.scheduler.enforce_part_limits {
            EnforcePartLimits::No => "will wait forever (EnforcePartLimits=NO)",
            EnforcePartLimits::Any | EnforcePartLimits::All => {
                "will be refused at submission (EnforcePartLimits=ANY/ALL)"
            }
        };
        let message = format!(
            "{} replayed job(s) exceed their partition's limits and {fate}; the first, trace job {}: {detail}",
            over.len(),
            example.trace_id.unwrap_or_default(),
        );
        self.issues.warning(Warning {
            path,
            message: &message,
            fix: "raise the partition's max_time or max_nodes to the log's, or send the trace to another partition",
        });
    }

    /// Warns of a job over its partition's `MaxTime` or `MaxNodes`: it
    /// waits forever (`EnforcePartLimits=NO`) or is refused at submission
    /// (`ANY`, `ALL`), as the run would find out.
    fn partition_limits(&mut self, path: &str, job: &SubmittedJob, limit_written: bool) {
        let Some(cluster) = self.cluster else {
            return;
        };
        let partition = &self.scheduler.partitions[job.partition as usize];
        let Some((reason, detail)) =
            partition_limit_exceeded(job, partition, cluster.max_gpus_per_node())
        else {
            return;
        };
        let field = match reason {
            PendingReason::PartitionTimeLimit if limit_written => field_path(path, "time_limit"),
            PendingReason::PartitionTimeLimit => path.to_string(),
            PendingReason::PartitionNodeLimit => field_path(path, "request"),
        };
        let message = match self.scheduler.enforce_part_limits {
            EnforcePartLimits::No => format!(
                "this job will wait forever with reason {} (EnforcePartLimits=NO): {detail}",
                reason.as_str()
            ),
            EnforcePartLimits::Any | EnforcePartLimits::All => format!(
                "this job will be refused at submission (EnforcePartLimits=ANY/ALL): {detail}"
            ),
        };
        self.issues.warning(Warning {
            path: &field,
            message: &message,
            fix: "fit the job to the partition's limits, raise them, or send it to another partition",
        });
    }

    /// Imports `workload.trace`; its jobs join the explicit jobs.
    fn trace(&mut self, t: &file::Trace) {
        use crate::workload::trace;
        let path = "workload.trace";
        let defaults = trace::ImportOptions::default();
        let replacement = |field: &str| index_path(&field_path(path, field), 0);
        let negative_runtime = match &t.negative_runtime {
            None => Some(defaults.negative_runtime),
            Some(file::BadRuntime::Drop) => Some(trace::BadRuntime::Drop),
            Some(file::BadRuntime::Replace(d)) => self
                .issues
                .quantity(&replacement("negative_runtime"), d)
                .map(trace::BadRuntime::Replace),
        };
        let zero_runtime = match &t.zero_runtime {
            None => Some(defaults.zero_runtime),
            Some(file::ZeroRuntime::Keep) => Some(trace::ZeroRuntime::Keep),
            Some(file::ZeroRuntime::Drop) => Some(trace::ZeroRuntime::Drop),
            Some(file::ZeroRuntime::Replace(d)) => self
                .issues
                .quantity(&replacement("zero_runtime"), d)
                .map(trace::ZeroRuntime::Replace),
        };
        let missing_estimate = match &t.missing_estimate {
            None => Some(defaults.missing_estimate),
            Some(file::MissingEstimate::RunTime) => Some(trace::MissingEstimate::RunTime),
            Some(file::MissingEstimate::Fixed(d)) => self
                .issues
                .quantity(&replacement("missing_estimate"), d)
                .map(trace::MissingEstimate::Fixed),
            Some(file::MissingEstimate::Factor(f)) => Some(trace::MissingEstimate::Factor(*f)),
        };
        let replication = self.trace_replication(path, t);
        let Some((partition, qos)) = self.resolve(path, t.partition.as_deref(), t.qos.as_deref())
        else {
            return;
        };
        let (Some(negative_runtime), Some(zero_runtime), Some(missing_estimate), Some(replication)) = (
            negative_runtime,
            zero_runtime,
            missing_estimate,
            replication,
        ) else {
            return;
        };
        let part = &self.scheduler.partitions[partition as usize];
        let options = trace::ImportOptions {
            size: match t.size {
                None => defaults.size,
                Some(file::SizeField::Requested) => trace::SizeField::Requested,
                Some(file::SizeField::Allocated) => trace::SizeField::Allocated,
                Some(file::SizeField::Larger) => trace::SizeField::Larger,
            },
            negative_runtime,
            zero_runtime,
            missing_estimate,
            skip: t.skip.unwrap_or(defaults.skip),
            skip_by: match t.skip_by {
                None => defaults.skip_by,
                Some(file::WindowOrder::JobId) => trace::WindowOrder::JobId,
                Some(file::WindowOrder::Submit) => trace::WindowOrder::Submit,
            },
            take: t.take.or(defaults.take),
            interarrival_scale: t.interarrival_scale.unwrap_or(defaults.interarrival_scale),
            gpus_per_processor: t.gpus_per_processor.unwrap_or(defaults.gpus_per_processor),
            // Larger than the partition the jobs go to: dropped and counted.
            machine_gpus: self.pool.map(|p| p.capacity_in(&part.nodes)),
            whole_gpus: t.whole_gpus.unwrap_or(defaults.whole_gpus),
        };
        if let Err(e) = options.validate() {
            // Every option but the machine's size is a field of the trace.
            let field = field_path(path, e.option);
            self.issues.error(Error {
                path: if e.option == "machine_gpus" {
                    path
                } else {
                    &field
                },
                message: &format!("`{}` is out of range", e.option),
                found: &e.found,
                expected: &e.expected,
                fix: e.fix,
            });
            return;
        }
        let Some(format) = self.trace_format(path, &t.format) else {
            return;
        };
        let file_path = self.base_dir.join(&t.file);
        if let trace::TraceFormat::Csv(columns) = &format
            && !self.csv_columns_in_header(path, &t.format, columns, &file_path)
        {
            return;
        }
        let imported = match self.traces {
            Some(cache) => cache.import_file(&file_path, format.clone(), &options),
            None => trace::import_file(&file_path, format.clone(), &options),
        };
        let (jobs, report) = match imported {
            Ok(imported) => imported,
            Err(e) if e.line == 0 => {
                self.issues.error(Error {
                    path: &field_path(path, "file"),
                    message: &format!("cannot import the trace: {}", e.message),
                    found: &e.path,
                    expected: &e.expected,
                    // Where the file is not, say where a relative path starts.
                    fix: &if file_path.is_file() {
                        e.fix
                    } else {
                        format!(
                            "{} (a relative path starts at the scenario file's folder)",
                            e.fix
                        )
                    },
                });
                return;
            }
            // A line of the trace: shown under the field that names it.
            Err(e) => {
                let found = match &e.excerpt {
                    Some(x) if !x.span.is_empty() => format!("`{}`", &x.text[x.span.clone()]),
                    _ => e.position(),
                };
                let error = Error {
                    path: &field_path(path, "file"),
                    message: &format!("cannot import the trace: {}", e.message),
                    found: &found,
                    expected: &e.expected,
                    fix: &e.fix,
                };
                self.issues.error_caused_by(error, e.clone());
                return;
            }
        };
        // Every replayed job is named `trace`; its own id is `trace_id`.
        let job_name = self.directory.job_name("trace");
        let first = self.spec.jobs.len();
        self.origin("workload.trace");
        let mut unknown = [0u64; 2];
        // Traces have hundreds of users and up to millions of jobs: look names
        // up in an index rather than by the directory's linear search, and
        // the importer shares one string per name, so a job of the same user
        // (account) as the job before it is known by the string's address.
        let mut users = NameIndex::default();
        let mut accounts = NameIndex::default();
        // One GPU-type constraint per distinct `gpu_spec` text.
        let mut gpu_types: Vec<(std::sync::Arc<str>, u16)> = Vec::new();
        self.spec.jobs.reserve(jobs.len());
        for job in &jobs {
            let gpu_type = match &job.gpu_spec {
                None => 0,
                Some(spec) => match gpu_types.iter().find(|(s, _)| s == spec) {
                    Some(&(_, index)) => index,
                    None => {
                        let Some(index) = self.trace_gpu_type(path, t, spec, job.id) else {
                            return;
                        };
                        gpu_types.push((spec.clone(), index));
                        index
                    }
                },
            };
            // A sacct job keeps its own partition and QOS when the scenario
            // defines them; otherwise it goes to the trace's (counted below).
            let own = |name: &Option<std::sync::Arc<str>>,
                       list: &[&str],
                       fallback: u16,
                       miss: &mut u64| match name {
                None => fallback,
                Some(n) => list.iter().position(|x| *x == &**n).map_or_else(
                    || {
                        *miss += 1;
                        fallback
                    },
                    |i| i as u16,
                ),
            };
            let (job_partition, job_qos) = if matches!(
                format,
                trace::TraceFormat::Sacct | trace::TraceFormat::AlibabaPods
            ) {
                let [miss_p, miss_q] = &mut unknown;
                // A pod's QoS class is its priority already: the trace's
                // QOS is used when the scenario defines it, and not
                // counted when it does not.
                let mut uncounted = 0;
                let miss_q = if matches!(format, trace::TraceFormat::AlibabaPods) {
                    &mut uncounted
                } else {
                    miss_q
                };
                (
                    own(&job.partition, &self.names.partitions, partition, miss_p),
                    own(&job.qos, &self.names.qos, qos, miss_q),
                )
            } else {
                (partition, qos)
            };
            let user = users.get(&job.user, |name| self.directory.user(name));
            let account = accounts.get(&job.account, |name| self.directory.account(name));
            self.spec.jobs.push(SubmittedJob {
                name: job_name,
                user,
                account,
                submit: job.submit,
                request: if job.nodes > 1 {
                    JobRequest::Nodes {
                        count: job.nodes,
                        gpus_per_node: job.gpus / job.nodes,
                    }
                } else {
                    JobRequest::Gpus(job.gpus)
                },
                runtime: job.runtime,
                time_limit: job.estimate,
                partition: job_partition,
                qos: job_qos,
                nice: 0,
                training: None,
                trace_id: Some(job.id),
                policy: 0,
                share: job.share,
                gpu_type,
                // Queues are not modelled yet: a CSV table's virtual
                // cluster is the job's account (`TraceJob::queue` keeps it).
                queue: 0,
                priority: job.priority,
            });
        }
        self.trace_partition_limits(path, first);
        self.check_blocks(path, &replication, first);
        if replication.resample.is_some() || replication.estimate_noise.is_some() {
            self.spec.trace_replication = Some(trace::TraceReplication {
                jobs: first..self.spec.jobs.len(),
                ..replication
            });
        }
        let mut altered = report.altered.clone();
        if unknown[0] > 0 {
            altered.push((
                "partition not in the scenario: default used".into(),
                unknown[0],
            ));
        }
        if unknown[1] > 0 {
            altered.push(("QOS not in the scenario: default used".into(), unknown[1]));
        }
        self.spec.trace_import = Some(crate::workload::TraceImport {
            file: t.file.clone(),
            records_read: report.records_read,
            kept: report.kept,
            dropped: report.dropped.clone(),
            altered,
            states: report.states.clone(),
        });
    }
}

impl Context<'_> {
    /// The trace's `resample` and `estimate_noise`, checked (the job
    /// range is set once the jobs are in); `None` after an error.
    fn trace_replication(
        &mut self,
        path: &str,
        t: &file::Trace,
    ) -> Option<crate::workload::trace::TraceReplication> {
        use crate::workload::trace::{EstimateNoise, Resample, TraceReplication};
        let resample_path = field_path(path, "resample");
        let resample = match &t.resample {
            None => Some(None),
            Some(file::Resample::Blocks { length }) => {
                let at = field_path(&resample_path, "length");
                self.issues
                    .quantity(&at, length)
                    .filter(|&length| {
                        self.issues.positive_duration(
                            &at,
                            length,
                            "a block",
                            "use whole weeks, Blocks(length: \"7d\"), or whole days, \"1d\"",
                        )
                    })
                    .map(|length| Some(Resample::Blocks { length }))
            }
            Some(file::Resample::Jobs { window }) => {
                let at = field_path(&resample_path, "window");
                self.issues
                    .quantity(&at, window)
                    .filter(|&window| {
                        self.issues.positive_duration(
                            &at,
                            window,
                            "a window",
                            "draw each day's jobs from that day: Jobs(window: \"1d\")",
                        )
                    })
                    .map(|window| Some(Resample::Jobs { window }))
            }
        };
        let estimate_noise = match t.estimate_noise {
            None => Some(None),
            Some(file::EstimateNoise::LogNormal { sigma }) => {
                if sigma.is_finite() && (0.0..=MAX_LOGNORMAL_SIGMA).contains(&sigma) {
                    Some(Some(EstimateNoise::LogNormal { sigma }))
                } else {
                    self.issues.error(Error {
                        path: &field_path(&field_path(path, "estimate_noise"), "sigma"),
                        message: &format!("sigma must be between 0 and {MAX_LOGNORMAL_SIGMA}"),
                        found: &sigma.to_string(),
                        expected: "the spread of ln(factor), like 0.5 (half the estimates \
                                   within a factor 1.4 of the recorded one)",
                        fix: "use a sigma between 0 (no noise) and 5, e.g. LogNormal(sigma: 0.5)",
                    });
                    None
                }
            }
        };
        Some(TraceReplication {
            jobs: 0..0,
            resample: resample?,
            estimate_noise: estimate_noise?,
        })
    }

    /// A block bootstrap needs at least two blocks: a block as long as the
    /// trace (from its first submit to its last) would redraw the trace
    /// itself every time.
    fn check_blocks(
        &mut self,
        path: &str,
        replication: &crate::workload::trace::TraceReplication,
        first: usize,
    ) {
        let Some(crate::workload::trace::Resample::Blocks { length }) = replication.resample else {
            return;
        };
        let submits = self.spec.jobs[first..].iter().map(|j| j.submit);
        let (Some(start), Some(end)) = (submits.clone().min(), submits.max()) else {
            return;
        };
        let span = end - start;
        if length <= span {
            return;
        }
        self.issues.error(Error {
            path: &field_path(&field_path(path, "resample"), "length"),
            message: "a block longer than the trace: every draw would be the trace itself",
            found: &format!("\"{}\"", format_duration(length)),
            expected: &format!(
                "at most the trace's span, {} from its first submit to its last",
                format_duration(span)
            ),
            fix: "use a shorter block, like \"7d\" (whole weeks), or take more of the trace",
        });
    }
}

/// Checks a request's shape; `None` if it is malformed.
pub(super) fn check_request(
    path: &str,
    request: &file::Request,
    issues: &mut Issues,
) -> Option<(JobRequest, GpuShare)> {
    let whole = |r| Some((r, GpuShare::Whole));
    match *request {
        file::Request::Gpus(n) => {
            let ok = issues.positive_u32(
                &index_path(path, 0),
                n,
                "a GPU count",
                "ask for at least one GPU, e.g. Gpus(8)",
            );
            if ok { whole(JobRequest::Gpus(n)) } else { None }
        }
        file::Request::Nodes {
            count,
            gpus_per_node,
        } => {
            let a = issues.positive_u32(
                &field_path(path, "count"),
                count,
                "a node count",
                "ask for at least one node",
            );
            let b = issues.positive_u32(
                &field_path(path, "gpus_per_node"),
                gpus_per_node,
                "GPUs per node",
                "ask for at least one GPU per node",
            );
            if a && b {
                whole(JobRequest::Nodes {
                    count,
                    gpus_per_node,
                })
            } else {
                None
            }
        }
        file::Request::Fraction(f) => {
            let milli = (f * 1000.0).round();
            if !(f > 0.0 && f <= 1.0) || milli < 1.0 {
                issues.error(Error {
                    path: &index_path(path, 0),
                    message: "a fraction of a GPU lies in (0, 1]",
                    found: &format!("{f}"),
                    expected: "a share of one GPU from 0.001 to 1, e.g. Fraction(0.25)",
                    fix: "ask for whole GPUs with Gpus(n) beyond one GPU; a share below 0.001 cannot be scheduled",
                });
                return None;
            }
            if milli >= 1000.0 {
                return whole(JobRequest::Gpus(1));
            }
            let share = GpuShare::Fraction {
                milli: milli as u16,
            };
            Some((JobRequest::Gpus(1), share))
        }
        file::Request::Mig(ref name) => match crate::hardware::mig::name_index(name) {
            Some(profile) => Some((JobRequest::Gpus(1), GpuShare::Mig { profile })),
            None => {
                let names = crate::hardware::mig::MIG_NAMES;
                let shown = crate::text::escape_control(name);
                let fix = match crate::text::did_you_mean(name, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "name a profile of NVIDIA's MIG user guide, e.g. \"3g.40gb\" on an H100 80GB".into(),
                };
                issues.error(Error {
                    path: &index_path(path, 0),
                    message: &format!("`{shown}` is not a MIG profile"),
                    found: &format!("\"{shown}\""),
                    expected: &format!("one of {}", names.join(", ")),
                    fix: &fix,
                });
                None
            }
        },
    }
}

/// Partition and QOS names, for job lookups.
pub(super) struct Names<'a> {
    partitions: Vec<&'a str>,
    qos: Vec<&'a str>,
}

impl<'a> Names<'a> {
    fn of(config: &'a SchedulerConfig) -> Self {
        Names {
            partitions: config.partitions.iter().map(|p| p.name.as_str()).collect(),
            qos: config.qos.iter().map(|q| q.name.as_str()).collect(),
        }
    }
}

/// The directory ids of a trace's user or account names, looked up by
/// name once per distinct name, and by address for a run of jobs that
/// share the importer's one string of a name.
#[derive(Default)]
struct NameIndex<'a, T> {
    last: Option<(&'a std::sync::Arc<str>, T)>,
    ids: std::collections::BTreeMap<&'a str, T>,
}

impl<'a, T: Copy> NameIndex<'a, T> {
    /// The id of `name`, added to the directory by `add` if new.
    fn get(&mut self, name: &'a std::sync::Arc<str>, add: impl FnOnce(&str) -> T) -> T {
        if let Some((last, id)) = self.last
            && std::sync::Arc::ptr_eq(last, name)
        {
            return id;
        }
        let id = *self.ids.entry(&**name).or_insert_with(|| add(name));
        self.last = Some((name, id));
        id
    }
}
