//! A study on a cluster engine: the Slurm job array and the Kubernetes
//! Indexed Job that run its shards (`clustersim study STUDY --shard I/N`),
//! each followed by the merge (`clustersim study merge DIR`), written as
//! text from typed options. Pure: nothing here reads a file, the clock or
//! the environment; the CLI writes what these functions return.
//!
//! Slurm ([`slurm_scripts`]): `array.sbatch` is a job array
//! (`--array=0-(N-1)`; each task gets `SLURM_ARRAY_TASK_ID`, per
//! <https://slurm.schedmd.com/job_array.html>), `merge.sbatch` the merge,
//! and `submit.sh` submits the array with `sbatch --parsable`, then the
//! merge with `--dependency=afterok:<array job id>`: a dependency on an
//! array's job id waits for every task, and afterok holds only when the
//! highest exit code of its tasks is zero (same page, "Job Dependencies").
//! The merge also asks `--kill-on-invalid-dep=yes`, so a failed task
//! cancels it instead of leaving it pending for ever.
//!
//! Kubernetes ([`k8s_manifests`]): `job.json`, a batch/v1 Job with
//! `completionMode: Indexed` and `completions: N`, whose container runs
//! `--shard $(JOB_COMPLETION_INDEX)/N`: the control plane sets
//! `JOB_COMPLETION_INDEX` in every container of an Indexed Job's pods
//! (<https://kubernetes.io/docs/concepts/workloads/controllers/job/#completion-mode>,
//! <https://kubernetes.io/docs/tasks/job/indexed-parallel-processing-static/>),
//! and `$(VAR)` in `args` is expanded from the container's environment
//! (<https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/>).
//! Kubernetes has no `afterok`, so the merge is a second Job
//! (`merge-job.json`) that `run.sh` applies once `kubectl wait` has seen
//! the first complete. The manifests are JSON, which is YAML too;
//! `tests/it/study_launch.rs` reads them back through the API's own types
//! (k8s-openapi), so a misspelt or misplaced field fails a test.
//!
//! Invariants:
//! - the same options give the same bytes;
//! - every task runs the study file and writes to the output directory
//!   exactly as the user named them, from the directory the user ran
//!   `clustersim study slurm` in (`--chdir`) or from the image's `/study`:
//!   the outputs record those paths, so the merged results are
//!   byte-identical to a `clustersim study` run there;
//! - a value that cannot be written safely where it goes (a path with a
//!   space in an `#SBATCH` line, a name Kubernetes refuses) is an error
//!   naming it, never a script that breaks on the cluster.

use std::borrow::Cow;
use std::fmt;

use serde_json::{Value, json};

/// The most shards a launch writes: Kubernetes refuses an Indexed Job of
/// more completions when `backoffLimitPerIndex` is set (the Job API
/// reference, `spec.backoffLimitPerIndex`), and a Slurm array that large
/// is past any site's `MaxArraySize` but the largest.
pub const MAX_SHARDS: u32 = 100_000;

/// The container's working directory in the image: the study file and
/// what it names are found from here, as from the directory the user ran
/// `clustersim study k8s` in.
pub const K8S_STUDY_DIR: &str = "/study";

/// Where the results volume is mounted in the containers, and the
/// shards' and the merge's `--out`.
pub const K8S_RESULTS_DIR: &str = "/results";

/// Per-shard retries on Kubernetes (`backoffLimitPerIndex`): a pod lost
/// with its node is retried, a shard that fails three times fails the Job.
pub const K8S_RETRIES_PER_SHARD: u32 = 2;

/// What every launch needs to know about the study.
#[derive(Clone, Debug)]
pub struct Launch {
    /// The study's name, for job names.
    pub study_name: String,
    /// The study file as the user gave it, relative to the working
    /// directory of the tasks.
    pub study_file: String,
    /// The output directory as the user gave it (Slurm: the shards, the
    /// merged outputs and the scripts with their logs go there).
    pub out_dir: String,
    /// Shards (array tasks, completions): 1 to [`MAX_SHARDS`].
    pub tasks: u32,
    /// CPUs per shard, and its `--threads`.
    pub cpus_per_task: u32,
    /// This program's version, named in the generated files' headers.
    pub version: String,
}

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

/// Where and how the Kubernetes Jobs run.
#[derive(Clone, Debug)]
pub struct K8sOptions {
    /// An image with `clustersim` on its PATH and the study's files under
    /// [`K8S_STUDY_DIR`], laid out as in the user's working directory.
    pub image: String,
    /// A PersistentVolumeClaim for the results, mounted at
    /// [`K8S_RESULTS_DIR`] by every shard and the merge (ReadWriteMany
    /// when the pods may land on several nodes).
    pub pvc: String,
    /// Shards running at once; `None` lets Kubernetes run them all.
    pub parallelism: Option<u32>,
}

/// The three files of a Kubernetes launch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct K8sManifests {
    /// The Jobs' names (`NAME` and `NAME-merge`).
    pub job_name: String,
    pub merge_job_name: String,
    /// `job.json`: the Indexed Job of the shards.
    pub job: String,
    /// `merge-job.json`: the merge.
    pub merge_job: String,
    /// `run.sh`: applies the first, waits for it, applies the second.
    pub run: String,
}

/// The names of the Kubernetes files in `OUT/k8s/`, in the order written.
pub const K8S_FILES: [&str; 3] = ["job.json", "merge-job.json", "run.sh"];

/// A value that cannot go where it must.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaunchError {
    /// The option or file it comes from (`--partition`, `the study file`).
    pub what: &'static str,
    pub found: String,
    pub expected: &'static str,
    pub fix: &'static str,
}

impl fmt::Display for LaunchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: cannot use {:?}\nexpected: {}\nfix: {}",
            self.what, self.found, self.expected, self.fix
        )
    }
}

impl std::error::Error for LaunchError {}

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

/// `text` as one shell word: unchanged when it holds only characters no
/// shell treats specially, otherwise in single quotes.
pub fn shell_word(text: &str) -> Cow<'_, str> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_./:=@+,%-".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(format!("'{}'", text.replace('\'', r"'\''")))
    }
}

/// A job name for either engine from the study's name: lowercase letters,
/// digits and dashes (a DNS label, as Kubernetes wants one), short enough
/// that `-merge` and a pod's `-<index>` still fit in 63 characters.
pub fn job_name(study_name: &str) -> String {
    let mut name = String::new();
    for c in study_name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            name.push(c);
        } else if !name.is_empty() && !name.ends_with('-') {
            name.push('-');
        }
    }
    name.truncate(50);
    let name = name.trim_end_matches('-');
    if name.is_empty() {
        "clustersim-study".to_string()
    } else {
        name.to_string()
    }
}

/// `dir/name` for a script's text: `name` alone when `dir` is empty.
fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{}/{name}", dir.trim_end_matches('/'))
    }
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

/// Whether `name` is a DNS subdomain name, as Kubernetes wants an object
/// name (a PersistentVolumeClaim's): at most 253 lowercase letters,
/// digits, `-` and `.`, starting and ending with a letter or digit.
fn dns_subdomain(name: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    name.len() <= 253
        && edge(name.chars().next())
        && edge(name.chars().last())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
}

/// The study file as a path below the image's working directory.
fn relative_inside(path: &str) -> bool {
    !path.starts_with('/')
        && path
            .split('/')
            .try_fold(0usize, |depth, part| match part {
                ".." => depth.checked_sub(1),
                "" | "." => Some(depth),
                _ => Some(depth + 1),
            })
            .is_some()
}

/// A container of the study's image with the results volume mounted.
fn container(options: &K8sOptions, name: &str, args: Vec<String>, cpus: u32) -> Value {
    json!({
        "name": name,
        "image": options.image,
        "command": ["clustersim"],
        "args": args,
        "workingDir": K8S_STUDY_DIR,
        "resources": { "requests": { "cpu": cpus.to_string() } },
        "volumeMounts": [{ "name": "results", "mountPath": K8S_RESULTS_DIR }],
    })
}

/// A batch/v1 Job around one container; `spec` holds the Job's own
/// fields besides the pod template.
fn job(
    options: &K8sOptions,
    name: &str,
    component: &str,
    mut spec: Value,
    container: Value,
) -> Value {
    spec["template"] = json!({
        "metadata": { "labels": { "app.kubernetes.io/name": "clustersim", "app.kubernetes.io/component": component } },
        "spec": {
            "restartPolicy": "Never",
            "containers": [container],
            "volumes": [{ "name": "results", "persistentVolumeClaim": { "claimName": options.pvc } }],
        },
    });
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "labels": { "app.kubernetes.io/name": "clustersim", "app.kubernetes.io/component": component },
        },
        "spec": spec,
    })
}

/// The Kubernetes Indexed Job of the study's shards, its merge Job and
/// the script that runs one after the other (see the module's
/// documentation).
pub fn k8s_manifests(launch: &Launch, options: &K8sOptions) -> Result<K8sManifests, LaunchError> {
    if !relative_inside(&launch.study_file) {
        return Err(LaunchError {
            what: "the study file",
            found: launch.study_file.clone(),
            expected: "a path relative to the working directory, not above it: the image holds that directory at /study",
            fix: "run the command from the directory the image copies to /study, and name the study file from there",
        });
    }
    if options.image.is_empty()
        || options
            .image
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(LaunchError {
            what: "--image",
            found: options.image.clone(),
            expected: "an image reference without spaces, such as registry.example.com/clustersim:0.1",
            fix: "give the image that holds clustersim and the study's files",
        });
    }
    if !dns_subdomain(&options.pvc) {
        return Err(LaunchError {
            what: "--pvc",
            found: options.pvc.clone(),
            expected: "a PersistentVolumeClaim's name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit",
            fix: "give the name `kubectl get pvc` lists",
        });
    }
    let n = launch.tasks;
    let name = job_name(&launch.study_name);
    let merge_name = format!("{name}-merge");
    let threads = launch.cpus_per_task.to_string();
    let shard_args = vec![
        "study".to_string(),
        launch.study_file.clone(),
        "--shard".to_string(),
        format!("$(JOB_COMPLETION_INDEX)/{n}"),
        "--out".to_string(),
        K8S_RESULTS_DIR.to_string(),
        "--threads".to_string(),
        threads,
        "-q".to_string(),
    ];
    let mut spec = json!({
        "completionMode": "Indexed",
        "completions": n,
        "backoffLimitPerIndex": K8S_RETRIES_PER_SHARD,
    });
    if let Some(p) = options.parallelism {
        spec["parallelism"] = json!(p);
    }
    let shards = job(
        options,
        &name,
        "study-shards",
        spec,
        container(options, "shard", shard_args, launch.cpus_per_task),
    );
    let merge_args = vec!["study".into(), "merge".into(), K8S_RESULTS_DIR.to_string()];
    let merge = job(
        options,
        &merge_name,
        "study-merge",
        json!({ "backoffLimit": 1 }),
        container(options, "merge", merge_args, 1),
    );
    let pretty =
        |v: &Value| serde_json::to_string_pretty(v).expect("a JSON value serializes") + "\n";

    let run = format!(
        "#!/usr/bin/env bash\n\
         # Runs the study \"{study_name}\" on Kubernetes: the Indexed Job {name} ({n} shards),\n\
         # then, once it has completed, the Job {merge_name}, which merges the shards into\n\
         # the study's outputs on the volume {pvc} (mounted at {results}).\n\
         # Written by `clustersim study k8s` (clustersim {version}).\n\
         #\n\
         # The image {image} must hold clustersim on its PATH and the study's files\n\
         # under {study_dir}, laid out as in the directory the command ran in, e.g.:\n\
         #   FROM debian:12-slim\n\
         #   COPY target/release/clustersim /usr/local/bin/\n\
         #   COPY . {study_dir}\n\
         # The claim {pvc} must exist (ReadWriteMany if the pods may land on several nodes).\n\
         # Jobs are immutable: delete old ones before a re-run\n\
         # (kubectl delete job {name} {merge_name}). The waits' limits: TIMEOUT and\n\
         # MERGE_TIMEOUT (kubectl durations, default 24h and 1h).\n\
         set -euo pipefail\n\
         here=$(cd \"$(dirname \"${{BASH_SOURCE[0]}}\")\" && pwd)\n\
         \n\
         # Waits for a Job to complete, and stops at once if it fails: kubectl wait\n\
         # takes one condition, so a second one watches for Failed.\n\
         wait_for() {{\n\
         \x20   local job=$1 timeout=$2 complete failed\n\
         \x20   kubectl wait --for=condition=complete --timeout=\"$timeout\" \"job/$job\" &\n\
         \x20   complete=$!\n\
         \x20   kubectl wait --for=condition=failed --timeout=\"$timeout\" \"job/$job\" >/dev/null 2>&1 &\n\
         \x20   failed=$!\n\
         \x20   wait -n \"$complete\" \"$failed\" || true\n\
         \x20   if kill -0 \"$complete\" 2>/dev/null; then\n\
         \x20       kill \"$complete\" 2>/dev/null || true\n\
         \x20       echo \"run.sh: job $job failed; see kubectl describe job/$job and kubectl logs job/$job\" >&2\n\
         \x20       exit 1\n\
         \x20   fi\n\
         \x20   kill \"$failed\" 2>/dev/null || true\n\
         \x20   wait \"$complete\" || {{\n\
         \x20       echo \"run.sh: job $job did not complete within $timeout\" >&2\n\
         \x20       exit 1\n\
         \x20   }}\n\
         }}\n\
         \n\
         kubectl apply -f \"$here/job.json\"\n\
         wait_for {name} \"${{TIMEOUT:-24h}}\"\n\
         kubectl apply -f \"$here/merge-job.json\"\n\
         wait_for {merge_name} \"${{MERGE_TIMEOUT:-1h}}\"\n\
         echo \"run.sh: the study's outputs are on the volume {pvc}\"\n",
        study_name = launch.study_name.escape_debug(),
        pvc = options.pvc,
        results = K8S_RESULTS_DIR,
        version = launch.version,
        image = options.image,
        study_dir = K8S_STUDY_DIR,
    );
    Ok(K8sManifests {
        job: pretty(&shards),
        merge_job: pretty(&merge),
        job_name: name,
        merge_job_name: merge_name,
        run,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_limits_in_slurms_days_hours_minutes_seconds() {
        assert_eq!(TimeLimit::Minutes(90).to_string(), "0-01:30:00");
        assert_eq!(TimeLimit::Minutes(2 * 1440 + 61).to_string(), "2-01:01:00");
        assert_eq!(TimeLimit::Unlimited.to_string(), "UNLIMITED");
    }

    #[test]
    fn job_names_are_dns_labels() {
        assert_eq!(
            job_name("Backfill vs. load (SDSC)"),
            "backfill-vs-load-sdsc"
        );
        assert_eq!(job_name("..."), "clustersim-study");
        assert_eq!(job_name(&"a".repeat(80)).len(), 50);
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(
            shell_word("scenarios/studies/e2e.ron"),
            "scenarios/studies/e2e.ron"
        );
        assert_eq!(shell_word("my study.ron"), "'my study.ron'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn the_study_file_must_stay_inside_the_images_directory() {
        assert!(relative_inside("scenarios/studies/a.ron"));
        assert!(relative_inside("x/../a.ron"));
        assert!(!relative_inside("../a.ron"));
        assert!(!relative_inside("/abs/a.ron"));
    }
}
