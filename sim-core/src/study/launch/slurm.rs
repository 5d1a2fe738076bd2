//! The Slurm launch of a study's shards.
//!
//! `array.sbatch` is a job array
//! (`--array=0-(N-1)`; each task gets `SLURM_ARRAY_TASK_ID`, per
//! <https://slurm.schedmd.com/job_array.html>), `merge.sbatch` the merge,
//! and `submit.sh` submits the array with `sbatch --parsable`, then the
//! merge with `--dependency=afterok:<array job id>`: a dependency on an
//! array's job id waits for every task, and afterok holds only when the
//! highest exit code of its tasks is zero (same page, "Job Dependencies").
//! The merge also asks `--kill-on-invalid-dep=yes`, so a failed task
//! cancels it instead of leaving it pending for ever.

use std::fmt;

use super::{Launch, LaunchError, job_name, join, shell_word};

/// A Slurm time limit (sbatch's `--time`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeLimit {
    Minutes(u64),
    Unlimited,
}

impl fmt::Display for TimeLimit {
    /// Slurm's `days-hours:minutes:seconds`, or `UNLIMITED`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            TimeLimit::Minutes(m) => {
                write!(f, "{}-{:02}:{:02}:00", m / 1440, m / 60 % 24, m % 60)
            }
            TimeLimit::Unlimited => f.write_str("UNLIMITED"),
        }
    }
}

/// The merge's time limit: reading the shards and writing the outputs
/// takes seconds, so 15 minutes, or the array's limit if shorter (a
/// partition that allows no more would never start it).
const MERGE_MINUTES: u64 = 15;

/// Where and how the Slurm jobs run.
#[derive(Clone, Debug)]
pub struct SlurmOptions {
    /// The clustersim binary as the compute nodes see it (an absolute
    /// path on a shared file system).
    pub clustersim: String,
    /// The tasks' working directory (`--chdir`): absolute, where the user
    /// ran the command, on a file system the nodes share.
    pub workdir: String,
    pub partition: Option<String>,
    /// The array tasks' limit; `None` leaves the partition's default.
    pub time: Option<TimeLimit>,
}

/// The three files of a Slurm launch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlurmScripts {
    /// `array.sbatch`: the shards.
    pub array: String,
    /// `merge.sbatch`: the merge, submitted after the array.
    pub merge: String,
    /// `submit.sh`: submits both, prints `array job: ID` and `merge job: ID`.
    pub submit: String,
}

/// The names of the Slurm files in `OUT/slurm/`, in the order written.
pub const SLURM_FILES: [&str; 3] = ["array.sbatch", "merge.sbatch", "submit.sh"];

/// Whether `text` can be an `#SBATCH` option's value as it is: sbatch
/// splits those lines at white space and reads quotes and backslashes,
/// and `%` starts a file-name pattern in `--output`.
fn sbatch_safe(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !"\"'\\%#".contains(c))
}

fn sbatch_value(what: &'static str, text: &str) -> Result<(), LaunchError> {
    if sbatch_safe(text) {
        return Ok(());
    }
    Err(LaunchError {
        what,
        found: text.to_string(),
        expected: "a value without spaces, quotes, backslashes, '#' or '%' (it goes in an #SBATCH line)",
        fix: "rename it, or run from (and write to) a directory whose path has none of those",
    })
}

/// The Slurm job array of the study's shards, its merge and the script
/// that submits both (see the module's documentation).
pub fn slurm_scripts(launch: &Launch, options: &SlurmOptions) -> Result<SlurmScripts, LaunchError> {
    sbatch_value("the working directory", &options.workdir)?;
    sbatch_value("--out", &launch.out_dir)?;
    if let Some(partition) = &options.partition {
        sbatch_value("--partition", partition)?;
    }
    let n = launch.tasks;
    let name = job_name(&launch.study_name);
    let logs = if launch.out_dir.starts_with('/') {
        join(&launch.out_dir, "slurm")
    } else {
        join(&join(&options.workdir, &launch.out_dir), "slurm")
    };
    let clustersim = shell_word(&options.clustersim);
    let study = shell_word(&launch.study_file);
    let out = shell_word(&launch.out_dir);
    let header = |job: &str| {
        format!(
            "#!/bin/bash\n\
             # {job} of the study \"{study_name}\" ({study_file}), written by\n\
             # `clustersim study slurm` (clustersim {version}). Submit the array and the\n\
             # merge together with: bash {submit}\n",
            study_name = launch.study_name.escape_debug(),
            study_file = launch.study_file.escape_debug(),
            version = launch.version,
            submit = shell_word(&join(&logs, "submit.sh")),
        )
    };
    let directives = |job_name: &str, time: Option<TimeLimit>, cpus: u32, log: &str| {
        let mut lines = format!("#SBATCH --job-name={job_name}\n");
        if let Some(partition) = &options.partition {
            lines += &format!("#SBATCH --partition={partition}\n");
        }
        match time {
            Some(t) => lines += &format!("#SBATCH --time={t}\n"),
            None => lines += "# (no --time: the partition's default time limit applies)\n",
        }
        lines += &format!(
            "#SBATCH --cpus-per-task={cpus}\n\
             #SBATCH --chdir={workdir}\n\
             #SBATCH --output={log}\n",
            workdir = options.workdir,
            log = join(&logs, log),
        );
        lines
    };

    let array = format!(
        "{header}\
         # Task I of {n} runs the (point, replication) pairs whose index % {n} == I and\n\
         # writes {shards}/shard-I-of-{n}.json; a task restarted (requeued) resumes from\n\
         # its journal. One CPU per task by default: the shards are interchangeable\n\
         # slices, so --tasks alone sets how many cores work at once, and small\n\
         # tasks start soonest.\n\
         #SBATCH --array=0-{last}\n\
         {directives}\
         set -euo pipefail\n\
         exec {clustersim} study {study} --shard \"$SLURM_ARRAY_TASK_ID/{n}\" --out {out} --threads \"$SLURM_CPUS_PER_TASK\" -q\n",
        header = header(&format!("The {n} shards")),
        shards = join(&launch.out_dir, "shards").escape_debug(),
        last = n - 1,
        directives = directives(&name, options.time, launch.cpus_per_task, "array-%A_%a.out"),
    );

    let merge_time = match options.time {
        Some(TimeLimit::Minutes(m)) => TimeLimit::Minutes(m.min(MERGE_MINUTES)),
        _ => TimeLimit::Minutes(MERGE_MINUTES),
    };
    let merge = format!(
        "{header}\
         # It combines the {n} shards into the study's outputs in {out_dir}; submit.sh\n\
         # submits it with --dependency=afterok:<array job id>, and it cancels itself\n\
         # if a task fails (--kill-on-invalid-dep).\n\
         {directives}\
         #SBATCH --kill-on-invalid-dep=yes\n\
         set -euo pipefail\n\
         exec {clustersim} study merge {out}\n",
        header = header("The merge"),
        out_dir = launch.out_dir.escape_debug(),
        directives = directives(
            &format!("{name}-merge"),
            Some(merge_time),
            1,
            "merge-%j.out"
        ),
    );

    let submit = format!(
        "#!/usr/bin/env bash\n\
         # Submits the study \"{study_name}\" to Slurm: the array of {n} shards, then the\n\
         # merge, which starts once every task has succeeded (afterok). Written by\n\
         # `clustersim study slurm` (clustersim {version}). Prints the two job ids.\n\
         set -euo pipefail\n\
         here=$(cd \"$(dirname \"${{BASH_SOURCE[0]}}\")\" && pwd)\n\
         # --parsable prints the job id, then \";cluster\" on a federation.\n\
         array=$(sbatch --parsable \"$here/array.sbatch\")\n\
         array=${{array%%;*}}\n\
         if ! merge=$(sbatch --parsable --dependency=\"afterok:$array\" \"$here/merge.sbatch\"); then\n\
         \x20   echo \"submit.sh: the merge was not submitted; the array (job $array) runs without it:\" >&2\n\
         \x20   echo \"  submit it with: sbatch --dependency=afterok:$array $here/merge.sbatch, or scancel $array\" >&2\n\
         \x20   exit 1\n\
         fi\n\
         merge=${{merge%%;*}}\n\
         echo \"array job: $array\"\n\
         echo \"merge job: $merge\"\n",
        study_name = launch.study_name.escape_debug(),
        version = launch.version,
    );
    Ok(SlurmScripts {
        array,
        merge,
        submit,
    })
}
