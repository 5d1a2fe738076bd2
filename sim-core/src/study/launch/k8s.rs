//! The Kubernetes launch of a study's shards.
//!
//! `job.json`, a batch/v1 Job with
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

use serde_json::{Value, json};

use super::{Launch, LaunchError, job_name};

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
    fn the_study_file_must_stay_inside_the_images_directory() {
        assert!(relative_inside("scenarios/studies/a.ron"));
        assert!(relative_inside("x/../a.ron"));
        assert!(!relative_inside("../a.ron"));
        assert!(!relative_inside("/abs/a.ron"));
    }
}
