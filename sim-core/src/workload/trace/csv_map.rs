//! A CSV job table's column map: which column of the user's table gives
//! each field of a job, and the presets for the public GPU-cluster job
//! tables.
//!
//! Fields: job id, user, virtual cluster (the job's queue and, until
//! queues are modelled, its account), GPU count, node count, submit time,
//! start time, end time, duration (seconds), final state. Required: GPUs,
//! submit, and a duration or both start and end; the others may be left
//! unmapped.
//!
//! Presets, with the column names as each trace's repository documents
//! them:
//! - [`CsvPreset::Helios`]: SenseTime Helios (Hu et al., SC'21),
//!   `cluster_log.csv` of S-Lab-System-Group/HeliosData (README, "Schema
//!   and Description"): `job_id, user, vc, gpu_num, cpu_num, node_num,
//!   state, submit_time, start_time, end_time, duration, queue`, times as
//!   `2020-06-09 18:41:01`, `duration` = end - start in seconds, `queue`
//!   the wait in seconds (not read). The `*_job_trace.csv` files of
//!   HeliosArtifact keep the same names.
//! - [`CsvPreset::Acme`]: Shanghai AI Lab Acme (Hu et al., NSDI'24),
//!   `trace_seren.csv` and `trace_kalos.csv` of InternLM/AcmeTrace (README,
//!   "Job Trace"): `job_id, user, node_num, gpu_num, cpu_num, type, state,
//!   submit_time, start_time, end_time, duration, queue, gpu_time` (Kalos
//!   adds `mem_per_pod_GB, shared_mem_per_pod, fail_time, stop_time`);
//!   times as `2023-03-01 00:18:22+08:00` (the offset is applied); no
//!   virtual cluster; Kalos job ids are not numbers (`dlctk696s0jbvitv`),
//!   so the row number stands in (counted as altered).
//! - [`CsvPreset::Philly`]: Microsoft Philly (Jeon et al., ATC'19),
//!   msr-fiddle/philly-traces, whose `cluster_job_log` is JSON (README,
//!   "Schema"): one object per job with `status` (Pass, Killed, Failed),
//!   `vc`, `jobid`, `attempts` (each `start_time`, `end_time` and `detail`,
//!   a list of `{ip, gpus: [...]}`), `submitted_time` and `user`. The
//!   preset reads it flattened to one row per job with the columns
//!   `jobid, user, vc, status, submitted_time, start_time, end_time,
//!   num_gpus, num_nodes`: `start_time` the first attempt's start,
//!   `end_time` the last attempt's end, `num_gpus` the GPUs of the last
//!   attempt (the sum of its `detail[].gpus` lengths), `num_nodes` its
//!   `detail` length; a job without attempts has empty times (dropped as
//!   never started). For example, with jq:
//!   `jq -r '["jobid","user","vc","status","submitted_time","start_time","end_time","num_gpus","num_nodes"], (.[] | (.attempts[-1].detail // []) as $d | [.jobid, .user, .vc, .status, .submitted_time, (.attempts[0].start_time // ""), (.attempts[-1].end_time // ""), ([$d[].gpus | length] | add // 0), ($d | length)]) | @csv' cluster_job_log > philly.csv`.
//!   Times as `2017-10-07 01:12:09`; `None` is a missing time.
//!
//! Invariant: a preset's columns are exactly the names its repository's
//! README prints (the tests hold one fixture row per preset written from
//! those READMEs).

/// How times are written in a CSV table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TimeFormat {
    /// Seconds (decimals allowed) from any origin: only differences count.
    Unix,
    /// `YYYY-MM-DD HH:MM:SS` (or with a `T`), optionally followed by a UTC
    /// offset (`+08:00`, `Z`) that is applied.
    #[default]
    DateTime,
}

/// Which column gives each field of a job (`None`: not in the table).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CsvColumns {
    pub job_id: Option<String>,
    pub user: Option<String>,
    /// The virtual cluster (Helios, Philly `vc`): the job's queue, and its
    /// account.
    pub vc: Option<String>,
    pub gpus: Option<String>,
    pub nodes: Option<String>,
    pub submit: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    /// The run time in seconds.
    pub duration: Option<String>,
    pub state: Option<String>,
    pub time_format: TimeFormat,
}

/// The public job tables a column map can start from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsvPreset {
    Helios,
    Philly,
    Acme,
}

impl CsvPreset {
    /// The preset's column map (see the module's documentation).
    pub fn columns(self) -> CsvColumns {
        let s = |name: &str| Some(name.to_string());
        match self {
            CsvPreset::Helios => CsvColumns {
                job_id: s("job_id"),
                user: s("user"),
                vc: s("vc"),
                gpus: s("gpu_num"),
                nodes: s("node_num"),
                submit: s("submit_time"),
                start: s("start_time"),
                end: s("end_time"),
                duration: s("duration"),
                state: s("state"),
                time_format: TimeFormat::DateTime,
            },
            CsvPreset::Acme => CsvColumns {
                job_id: s("job_id"),
                user: s("user"),
                vc: None,
                gpus: s("gpu_num"),
                nodes: s("node_num"),
                submit: s("submit_time"),
                start: s("start_time"),
                end: s("end_time"),
                duration: s("duration"),
                state: s("state"),
                time_format: TimeFormat::DateTime,
            },
            CsvPreset::Philly => CsvColumns {
                job_id: s("jobid"),
                user: s("user"),
                vc: s("vc"),
                gpus: s("num_gpus"),
                nodes: s("num_nodes"),
                submit: s("submitted_time"),
                start: s("start_time"),
                end: s("end_time"),
                duration: None,
                state: s("status"),
                time_format: TimeFormat::DateTime,
            },
        }
    }
}

impl CsvColumns {
    /// (field name, column) of every mapped field, in a fixed order; the
    /// field names are those of a scenario's `columns`.
    pub fn mapped(&self) -> Vec<(&'static str, &str)> {
        [
            ("job_id", &self.job_id),
            ("user", &self.user),
            ("vc", &self.vc),
            ("gpus", &self.gpus),
            ("nodes", &self.nodes),
            ("submit", &self.submit),
            ("start", &self.start),
            ("end", &self.end),
            ("duration", &self.duration),
            ("state", &self.state),
        ]
        .into_iter()
        .filter_map(|(field, column)| column.as_deref().map(|c| (field, c)))
        .collect()
    }

    /// What a usable map lacks: `Some(fields)` naming the missing required
    /// fields (GPUs, submit, and a duration or both start and end).
    pub fn missing_required(&self) -> Option<&'static str> {
        if self.gpus.is_none() {
            return Some("gpus");
        }
        if self.submit.is_none() {
            return Some("submit");
        }
        if self.duration.is_none() && (self.start.is_none() || self.end.is_none()) {
            return Some("duration (or both start and end)");
        }
        None
    }
}
