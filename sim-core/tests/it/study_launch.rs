//! `clustersim study slurm` and `study k8s`: what they write is what the
//! engines accept and does what it says.
//!
//! - Kubernetes: each manifest read into k8s-openapi's `batch/v1` `Job`
//!   (the API's own types, v1.33) and written back equals the generated
//!   JSON, so a misspelt or misplaced field (which the typed reader drops)
//!   fails; the fields that matter are asserted (Indexed, completions,
//!   `$(JOB_COMPLETION_INDEX)`, restartPolicy Never as
//!   `backoffLimitPerIndex` requires). `run.sh` against a stand-in
//!   kubectl: the merge is applied only after the shards' Job completes.
//! - Slurm: the scripts pass `bash -n`; the array range, the `#SBATCH`
//!   lines before the first command (sbatch reads no directive after it),
//!   and `submit.sh` against a stand-in sbatch: the merge is submitted with
//!   `--dependency=afterok:<the array's id>`. (The real thing:
//!   `scripts/slurm/study.sh`.)
//! - The command line: files written and named, bad values refused with
//!   exit code 2 before anything is written.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use k8s_openapi::api::batch::v1::Job;
use serde_json::Value;
use sim_core::study::launch::{self, K8sOptions, Launch, SlurmOptions, SlurmScripts, TimeLimit};

use crate::support::{clustersim, path, scratch, stderr, stdout, workspace_root};

const STUDY: &str = "sim-core/tests/studies/e2e.ron";

fn launch(tasks: u32) -> Launch {
    Launch {
        study_name: "e2e".into(),
        study_file: STUDY.into(),
        out_dir: "out/e2e".into(),
        tasks,
        cpus_per_task: 2,
        version: "0.0.0".into(),
    }
}

fn k8s_options() -> K8sOptions {
    K8sOptions {
        image: "registry.example.com/clustersim:0.1".into(),
        pvc: "study-results".into(),
        parallelism: Some(3),
    }
}

fn slurm_scripts() -> SlurmScripts {
    let options = SlurmOptions {
        clustersim: "/opt/clustersim/bin/clustersim".into(),
        workdir: "/home/ada/project".into(),
        partition: Some("cpu".into()),
        time: Some(TimeLimit::Minutes(120)),
    };
    launch::slurm_scripts(&launch(4), &options).unwrap()
}

/// The manifest read into the API's `Job` and written back.
fn round_trip(manifest: &Value) -> Value {
    let job: Job = serde_json::from_value(manifest.clone()).expect("a batch/v1 Job");
    serde_json::to_value(&job).unwrap()
}

#[test]
fn kubernetes_manifests_are_jobs_of_the_api_field_for_field() {
    let manifests = launch::k8s_manifests(&launch(4), &k8s_options()).unwrap();
    for text in [&manifests.job, &manifests.merge_job] {
        let manifest: Value = serde_json::from_str(text).unwrap();
        assert_eq!(round_trip(&manifest), manifest, "{text}");
    }

    let job: Job = serde_json::from_str(&manifests.job).unwrap();
    assert_eq!(job.metadata.name.as_deref(), Some("e2e"));
    let spec = job.spec.unwrap();
    assert_eq!(spec.completion_mode.as_deref(), Some("Indexed"));
    assert_eq!(spec.completions, Some(4));
    assert_eq!(spec.parallelism, Some(3));
    assert_eq!(spec.backoff_limit_per_index, Some(2));
    let pod = spec.template.spec.unwrap();
    // backoffLimitPerIndex is refused with any other restart policy.
    assert_eq!(pod.restart_policy.as_deref(), Some("Never"));
    let container = &pod.containers[0];
    assert_eq!(
        container.command.as_deref(),
        Some(&["clustersim".to_string()][..])
    );
    assert_eq!(
        container.args.as_deref().unwrap(),
        [
            "study",
            STUDY,
            "--shard",
            "$(JOB_COMPLETION_INDEX)/4",
            "--out",
            "/results",
            "--threads",
            "2",
            "-q"
        ]
    );
    assert_eq!(container.working_dir.as_deref(), Some("/study"));
    let requests = container
        .resources
        .as_ref()
        .unwrap()
        .requests
        .as_ref()
        .unwrap();
    assert_eq!(requests["cpu"].0, "2");
    let volume = &pod.volumes.as_ref().unwrap()[0];
    let claim = volume.persistent_volume_claim.as_ref().unwrap();
    assert_eq!(claim.claim_name, "study-results");
    assert_eq!(
        container.volume_mounts.as_ref().unwrap()[0].mount_path,
        "/results"
    );
    assert_eq!(
        container.volume_mounts.as_ref().unwrap()[0].name,
        volume.name
    );

    let merge: Job = serde_json::from_str(&manifests.merge_job).unwrap();
    assert_eq!(merge.metadata.name.as_deref(), Some("e2e-merge"));
    let spec = merge.spec.unwrap();
    assert_eq!((spec.completion_mode, spec.completions), (None, None));
    let pod = spec.template.spec.unwrap();
    assert_eq!(
        pod.containers[0].args.as_deref().unwrap(),
        ["study", "merge", "/results"]
    );
    let claim = pod.volumes.as_ref().unwrap()[0]
        .persistent_volume_claim
        .as_ref();
    assert_eq!(claim.unwrap().claim_name, "study-results");
}

/// The round trip catches what the typed reader drops: a misspelt field,
/// and a right one in the wrong object.
#[test]
fn the_round_trip_catches_a_misspelt_or_misplaced_field() {
    let manifests = launch::k8s_manifests(&launch(4), &k8s_options()).unwrap();
    let good: Value = serde_json::from_str(&manifests.job).unwrap();

    let mut misspelt = good.clone();
    let mode = misspelt["spec"]
        .as_object_mut()
        .unwrap()
        .remove("completionMode");
    misspelt["spec"]["completionmode"] = mode.unwrap();
    assert_ne!(round_trip(&misspelt), misspelt);

    let mut misplaced = good.clone();
    let pod = misplaced["spec"]["template"]["spec"]
        .as_object_mut()
        .unwrap();
    let claim = pod.remove("volumes").unwrap();
    misplaced["spec"]["volumes"] = claim;
    assert_ne!(round_trip(&misplaced), misplaced);
}

#[test]
fn kubernetes_names_and_paths_it_cannot_use_are_refused() {
    let mut absolute = launch(4);
    absolute.study_file = "/home/ada/study.ron".into();
    let e = launch::k8s_manifests(&absolute, &k8s_options()).unwrap_err();
    assert_eq!(e.what, "the study file");
    let mut above = launch(4);
    above.study_file = "../study.ron".into();
    assert!(launch::k8s_manifests(&above, &k8s_options()).is_err());
    let mut options = k8s_options();
    options.pvc = "Study_Results".into();
    let e = launch::k8s_manifests(&launch(4), &options).unwrap_err();
    assert_eq!(e.what, "--pvc");
}

/// `bash -n`: the script parses.
fn assert_bash_parses(name: &str, text: &str) {
    let dir = scratch(&format!("study-launch-syntax-{name}"));
    fs::create_dir_all(&dir).unwrap();
    let file = dir.join(name);
    fs::write(&file, text).unwrap();
    let out = Command::new("bash").arg("-n").arg(&file).output().unwrap();
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// sbatch reads `#SBATCH` lines only up to the first command: every one
/// must come before it.
fn directives(script: &str) -> Vec<&str> {
    let first_command = (script.lines())
        .position(|l| !l.is_empty() && !l.starts_with('#'))
        .expect("the script runs something");
    let lines: Vec<&str> = script.lines().collect();
    assert!(
        !lines[first_command..]
            .iter()
            .any(|l| l.starts_with("#SBATCH")),
        "an #SBATCH line after the first command is ignored:\n{script}"
    );
    (lines[..first_command].iter())
        .filter_map(|l| l.strip_prefix("#SBATCH "))
        .collect()
}

#[test]
fn slurm_scripts_parse_with_the_array_range_and_the_dependency() {
    let scripts = slurm_scripts();
    for (name, text) in [
        ("array.sbatch", &scripts.array),
        ("merge.sbatch", &scripts.merge),
        ("submit.sh", &scripts.submit),
    ] {
        assert_bash_parses(name, text);
    }
    assert_eq!(
        directives(&scripts.array),
        [
            "--array=0-3",
            "--job-name=e2e",
            "--partition=cpu",
            "--time=0-02:00:00",
            "--cpus-per-task=2",
            "--chdir=/home/ada/project",
            "--output=/home/ada/project/out/e2e/slurm/array-%A_%a.out",
        ]
    );
    assert!(scripts.array.ends_with(
        "\nexec /opt/clustersim/bin/clustersim study sim-core/tests/studies/e2e.ron --shard \"$SLURM_ARRAY_TASK_ID/4\" --out out/e2e --threads \"$SLURM_CPUS_PER_TASK\" -q\n"
    ));
    assert_eq!(
        directives(&scripts.merge),
        [
            "--job-name=e2e-merge",
            "--partition=cpu",
            "--time=0-00:15:00",
            "--cpus-per-task=1",
            "--chdir=/home/ada/project",
            "--output=/home/ada/project/out/e2e/slurm/merge-%j.out",
            "--kill-on-invalid-dep=yes",
        ]
    );
    assert!(
        scripts
            .merge
            .ends_with("\nexec /opt/clustersim/bin/clustersim study merge out/e2e\n")
    );
    assert!(scripts.submit.contains(
        "merge=$(sbatch --parsable --dependency=\"afterok:$array\" \"$here/merge.sbatch\")"
    ));
}

#[test]
fn slurm_values_that_would_break_an_sbatch_line_are_refused() {
    let mut options = SlurmOptions {
        clustersim: "/usr/bin/clustersim".into(),
        workdir: "/home/ada/my project".into(),
        partition: None,
        time: None,
    };
    let e = launch::slurm_scripts(&launch(2), &options).unwrap_err();
    assert_eq!(e.what, "the working directory");
    options.workdir = "/home/ada".into();
    options.partition = Some("gpu#1".into());
    assert_eq!(
        launch::slurm_scripts(&launch(2), &options)
            .unwrap_err()
            .what,
        "--partition"
    );
    // Paths on command lines are quoted instead.
    options.partition = None;
    options.clustersim = "/opt/my tools/clustersim".into();
    let scripts = launch::slurm_scripts(&launch(2), &options).unwrap();
    assert!(
        scripts
            .array
            .contains("\nexec '/opt/my tools/clustersim' study ")
    );
    assert!(
        scripts
            .array
            .contains("# (no --time: the partition's default time limit applies)\n")
    );
}

/// An executable stand-in for a command, in its own directory, to put
/// first on PATH.
fn stand_in(dir: &Path, name: &str, script: &str) {
    fs::create_dir_all(dir).unwrap();
    let file = dir.join(name);
    fs::write(&file, script).unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o755)).unwrap();
}

fn path_with(dir: &Path) -> String {
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// A stand-in sbatch that logs its arguments and answers as
/// `sbatch --parsable` does (`id;cluster` for the first).
const FAKE_SBATCH: &str = r#"#!/bin/bash
echo "$*" >>"$(dirname "$0")/calls"
n=$(wc -l <"$(dirname "$0")/calls")
if [ "$n" = 1 ]; then echo "1234;cluster"; else echo 1235; fi
"#;

#[test]
fn submit_sh_submits_the_merge_after_every_array_task() {
    let dir = scratch("study-launch-submit");
    let scripts = slurm_scripts();
    let slurm = dir.join("slurm");
    fs::create_dir_all(&slurm).unwrap();
    for (name, text) in [
        ("array.sbatch", &scripts.array),
        ("merge.sbatch", &scripts.merge),
        ("submit.sh", &scripts.submit),
    ] {
        fs::write(slurm.join(name), text).unwrap();
    }
    let bin = dir.join("bin");
    stand_in(&bin, "sbatch", FAKE_SBATCH);
    let out = Command::new("bash")
        .arg(slurm.join("submit.sh"))
        .env("PATH", path_with(&bin))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "array job: 1234\nmerge job: 1235\n"
    );
    let slurm = fs::canonicalize(&slurm).unwrap();
    assert_eq!(
        fs::read_to_string(bin.join("calls")).unwrap(),
        format!(
            "--parsable {0}/array.sbatch\n--parsable --dependency=afterok:1234 {0}/merge.sbatch\n",
            slurm.display()
        )
    );
}

/// A stand-in kubectl: logs its arguments; `wait` for the condition in
/// `$DONE` returns at once, the other waits until run.sh stops it.
const FAKE_KUBECTL: &str = r#"#!/bin/bash
echo "$*" >>"$(dirname "$0")/calls"
case "$*" in
*"--for=condition=$DONE "*) exit 0 ;;
wait*) exec tail -f /dev/null ;;
esac
"#;

fn run_sh(name: &str, done: &str) -> (Output, String) {
    let dir = scratch(name);
    let manifests = launch::k8s_manifests(&launch(4), &k8s_options()).unwrap();
    stand_in(&dir.join("bin"), "kubectl", FAKE_KUBECTL);
    let run = dir.join("run.sh");
    fs::write(&run, &manifests.run).unwrap();
    let out = Command::new("bash")
        .arg(&run)
        .env("PATH", path_with(&dir.join("bin")))
        .env("DONE", done)
        .output()
        .unwrap();
    let here = fs::canonicalize(&dir).unwrap();
    let calls = fs::read_to_string(dir.join("bin/calls")).unwrap();
    (out, calls.replace(&here.display().to_string(), "DIR"))
}

#[test]
fn run_sh_applies_the_merge_only_once_the_shards_have_completed() {
    let (out, calls) = run_sh("study-launch-run-complete", "complete");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The watch for Failed runs beside each wait and is stopped once the
    // Job completes, perhaps before it has logged anything: left out.
    let calls: Vec<&str> = (calls.lines())
        .filter(|c| !c.contains("condition=failed"))
        .collect();
    assert_eq!(
        calls,
        [
            "apply -f DIR/job.json",
            "wait --for=condition=complete --timeout=24h job/e2e",
            "apply -f DIR/merge-job.json",
            "wait --for=condition=complete --timeout=1h job/e2e-merge",
        ]
    );

    let (out, calls) = run_sh("study-launch-run-failed", "failed");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("run.sh: job e2e failed"));
    assert!(calls.starts_with("apply -f DIR/job.json\n"), "{calls}");
    assert!(
        calls.contains("wait --for=condition=failed --timeout=24h job/e2e\n"),
        "{calls}"
    );
    assert!(!calls.contains("merge-job.json"), "{calls}");
}

#[test]
fn the_commands_write_their_files_and_say_how_to_submit() {
    let dir = scratch("study-launch-cli");
    let out_dir = dir.to_str().unwrap();
    let out = clustersim(&[
        "study", "slurm", STUDY, "--tasks", "3", "--out", out_dir, "--time", "2h",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "wrote {out_dir}/slurm/array.sbatch\nwrote {out_dir}/slurm/merge.sbatch\nwrote {out_dir}/slurm/submit.sh\n\
             submit with: bash {out_dir}/slurm/submit.sh\n\
             (the array of 3 tasks, then the merge into {out_dir} once every task has succeeded)\n"
        )
    );
    let array = fs::read_to_string(dir.join("slurm/array.sbatch")).unwrap();
    let root = workspace_root();
    assert!(directives(&array).contains(&format!("--chdir={}", root.display()).as_str()));
    assert!(directives(&array).contains(&"--time=0-02:00:00"));
    let mode = fs::metadata(dir.join("slurm/submit.sh"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o111, 0o111);

    let out = clustersim(&["study", "k8s", STUDY, "--tasks", "3", "--out", out_dir]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with(&format!(
        "wrote {out_dir}/k8s/job.json\nwrote {out_dir}/k8s/merge-job.json\nwrote {out_dir}/k8s/run.sh\nrun with: bash {out_dir}/k8s/run.sh\n"
    )));
    let job: Job =
        serde_json::from_str(&fs::read_to_string(dir.join("k8s/job.json")).unwrap()).unwrap();
    let container = &job.spec.unwrap().template.spec.unwrap().containers[0];
    assert_eq!(
        container.image.as_deref(),
        Some(concat!("clustersim:", env!("CARGO_PKG_VERSION")))
    );
}

#[test]
fn submit_reports_the_job_ids_sbatch_gave() {
    let dir = scratch("study-launch-cli-submit");
    stand_in(&dir.join("bin"), "sbatch", FAKE_SBATCH);
    let out_dir = dir.join("out");
    let out = Command::new(env!("CARGO_BIN_EXE_clustersim"))
        .args(["study", "slurm", STUDY, "--tasks", "2", "--submit", "--out"])
        .arg(&out_dir)
        .current_dir(workspace_root())
        .env("PATH", path_with(&dir.join("bin")))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).ends_with(&format!(
            "submitted: array job 1234 (2 tasks), merge job 1235 (afterok:1234)\n\
             watch: squeue -j 1234,1235; the outputs are in {} once job 1235 has completed\n",
            out_dir.display()
        )),
        "{}",
        stdout(&out)
    );
}

/// Runs clustersim with these arguments and asserts a refusal: exit 2,
/// the message, and nothing written.
fn refused(args: &[&str], path_env: Option<&Path>, message: &str) {
    let dir = scratch(&format!("study-launch-refused-{}", args.len()));
    let mut command = Command::new(env!("CARGO_BIN_EXE_clustersim"));
    command
        .args(args)
        .arg("--out")
        .arg(&dir)
        .current_dir(workspace_root());
    if let Some(p) = path_env {
        command.env("PATH", p);
    }
    let out = command.output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    assert!(!dir.exists(), "{args:?} wrote {}", dir.display());
}

#[test]
fn bad_values_are_refused_with_exit_code_2_before_anything_is_written() {
    refused(
        &["study", "slurm", STUDY, "--tasks", "0"],
        None,
        "a study runs as 1 to 100000 shards",
    );
    refused(
        &["study", "k8s", STUDY, "--tasks", "four", "--image", "x"],
        None,
        "not a whole number",
    );
    refused(
        &["study", "slurm", "no/such/study.ron", "--tasks", "4"],
        None,
        "no/such/study.ron: cannot read the study file",
    );
    // e2e.ron: 9 points x 4 replications.
    refused(
        &["study", "k8s", STUDY, "--tasks", "37"],
        None,
        "--tasks 37: the study sim-core/tests/studies/e2e.ron has 36 runs (9 points x 4 replications at most)",
    );
    refused(
        &["study", "slurm", STUDY, "--tasks", "4", "--time", "0"],
        None,
        "a time limit of zero",
    );
    refused(
        &[
            "study",
            "slurm",
            STUDY,
            "--tasks",
            "4",
            "--cpus-per-task",
            "0",
            "--partition",
            "p",
        ],
        None,
        "not a whole number of 1 or more",
    );
    let abs = path(STUDY);
    refused(
        &[
            "study",
            "k8s",
            abs.to_str().unwrap(),
            "--tasks",
            "4",
            "--pvc",
            "r",
            "--image",
            "i",
        ],
        None,
        "the study file: cannot use",
    );
    // No sbatch on PATH: --submit cannot work, so nothing is written.
    let empty = scratch("study-launch-no-sbatch");
    fs::create_dir_all(&empty).unwrap();
    refused(
        &[
            "study", "slurm", STUDY, "--tasks", "4", "--submit", "--time", "1:00:00",
        ],
        Some(&empty),
        "--submit needs sbatch, which is not on PATH",
    );
}
