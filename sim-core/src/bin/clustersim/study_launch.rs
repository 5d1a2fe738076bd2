//! `clustersim study slurm` and `clustersim study k8s`: write the scripts
//! or manifests that run a study's shards on a cluster engine and merge
//! them (`sim_core::study::launch` writes their text), and with `--submit`
//! hand the Slurm ones to sbatch.
//!
//! Everything is checked before anything is written: the study file, the
//! options (exit 2 with what to do), and with `--submit` that sbatch is
//! there. The files go to `OUT/slurm/` or `OUT/k8s/`, OUT being where the
//! shards and the merged outputs go too (default `out/<study name>`).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use sim_core::study::launch::{
    K8S_FILES, K8sOptions, Launch, MAX_SHARDS, SLURM_FILES, SlurmOptions, TimeLimit,
};
use sim_core::study::{self, launch};
use sim_core::text::escape_control;
use sim_core::units;

use super::{Failure, out_failure, shown};

pub const SLURM_EXAMPLES: &str = "\
Examples:
  clustersim study slurm scenarios/studies/fcfs-easy-conservative.ron --tasks 64 --partition cpu --time 2:00:00
  clustersim study slurm sim-core/tests/studies/e2e.ron --tasks 4 --submit";

pub const K8S_EXAMPLES: &str = "\
Examples:
  clustersim study k8s scenarios/studies/fcfs-easy-conservative.ron --tasks 64 --image registry.example.com/clustersim:0.1 --pvc study-results";

/// What both engines share.
#[derive(clap::Args)]
pub struct Common {
    /// The study file (RON), as the tasks will name it: relative paths are
    /// from this directory (Slurm: the tasks' --chdir; Kubernetes: the
    /// image's /study).
    study: PathBuf,
    /// Shards: array tasks (Slurm) or completions (Kubernetes).
    #[arg(long, value_parser = tasks)]
    tasks: u32,
    /// CPUs per shard, and its --threads. One by default: the shards are
    /// interchangeable slices, so --tasks alone sets how many cores work
    /// at once, and one-CPU tasks fit in any gap the scheduler has.
    #[arg(long, default_value_t = 1, value_parser = cpus)]
    cpus_per_task: u32,
    /// The study's output directory: the shards and the merged outputs
    /// go there, the scripts to its slurm/ or k8s/ [default: out/<study
    /// name>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct SlurmArgs {
    #[command(flatten)]
    common: Common,
    /// The partition (sbatch --partition) [default: the cluster's].
    #[arg(long)]
    partition: Option<String>,
    /// Each array task's time limit, as sbatch reads it (minutes, "4:00:00",
    /// "1-00:00:00", UNLIMITED) or as a duration ("2h") [default: the
    /// partition's].
    #[arg(long, value_parser = time_limit)]
    time: Option<TimeLimit>,
    /// Also submit them (runs slurm/submit.sh; needs sbatch) and print the
    /// job ids.
    #[arg(long)]
    submit: bool,
}

#[derive(clap::Args)]
pub struct K8sArgs {
    #[command(flatten)]
    common: Common,
    /// The image: clustersim on its PATH, the study's files under /study
    /// [default: clustersim:<this version>].
    #[arg(long)]
    image: Option<String>,
    /// The PersistentVolumeClaim the results go to, mounted at /results
    /// [default: <job name>-results].
    #[arg(long, value_name = "NAME")]
    pvc: Option<String>,
    /// Shards running at once [default: all].
    #[arg(long, value_parser = cpus)]
    parallelism: Option<u32>,
}

fn tasks(text: &str) -> Result<u32, String> {
    match text.parse::<u32>() {
        Ok(n) if (1..=MAX_SHARDS).contains(&n) => Ok(n),
        Ok(_) => Err(format!(
            "a study runs as 1 to {MAX_SHARDS} shards; give a number in that range, such as 4"
        )),
        Err(_) => Err("not a whole number; give the number of shards, such as 4".into()),
    }
}

fn cpus(text: &str) -> Result<u32, String> {
    match text.parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("not a whole number of 1 or more; give one such as 1 or 8".into()),
    }
}

/// sbatch's `--time` forms, or one of clustersim's durations.
fn time_limit(text: &str) -> Result<TimeLimit, String> {
    let limit = match units::parse_slurm_minutes(text) {
        Ok(None) => return Ok(TimeLimit::Unlimited),
        Ok(Some(d)) => d,
        Err(slurm) => units::parse_duration(text)
            .map_err(|_| format!("{}; or a duration such as \"2h\"", slurm.fix))?,
    };
    match limit.as_ns().div_ceil(60 * sim_core::engine::NS_PER_SEC) {
        0 => Err("a time limit of zero; give one such as \"4:00:00\", or UNLIMITED".into()),
        minutes => Ok(TimeLimit::Minutes(minutes)),
    }
}

/// The study's name, once its file is loaded and checked (every point's
/// scenario too) and `tasks` shards are not more than its runs.
fn study_name(path: &Path, tasks: u32) -> Result<String, Failure> {
    let loaded = study::load(path)?;
    for warning in &loaded.warnings {
        note!("{warning}");
    }
    let s = loaded.study;
    let runs = (s.points.len() as u64).saturating_mul(s.rule.max_replications());
    if u64::from(tasks) > runs {
        return Err(Failure::BadInput(format!(
            "error: --tasks {tasks}: the study {} has {runs} runs ({} points x {} replications at most), so some shards would have nothing to do\nfix: give --tasks {runs} or fewer",
            shown(path),
            s.points.len(),
            s.rule.max_replications(),
        )));
    }
    Ok(s.name)
}

/// A path the scripts will name, as text.
fn text_of<'a>(what: &str, path: &'a Path) -> Result<&'a str, Failure> {
    path.to_str().ok_or_else(|| {
        Failure::BadInput(format!(
            "error: {what} {} is not UTF-8 text; rename it so the scripts can name it",
            shown(path)
        ))
    })
}

/// The launch both engines share, the output directory and the
/// directory for the engine's files (created).
fn prepare(common: &Common, engine: &str) -> Result<(Launch, PathBuf, PathBuf), Failure> {
    let name = study_name(&common.study, common.tasks)?;
    let out = (common.out.clone()).unwrap_or_else(|| Path::new("out").join(&name));
    let launch = Launch {
        study_name: name,
        study_file: text_of("the study file", &common.study)?.to_string(),
        out_dir: text_of("--out", &out)?.to_string(),
        tasks: common.tasks,
        cpus_per_task: common.cpus_per_task,
        version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let dir = out.join(engine);
    Ok((launch, out, dir))
}

fn bad(e: launch::LaunchError) -> Failure {
    Failure::BadInput(format!("error: {e}"))
}

/// Writes `files` (name, text) into `dir`, the scripts executable.
/// Writes `texts[i]` to `dir/names[i]` (scripts executable), saying so.
fn write_files(
    dir: &Path,
    names: &[&str; 3],
    texts: [&String; 3],
    out: &mut dyn Write,
) -> Result<(), Failure> {
    fs::create_dir_all(dir).map_err(|e| out_failure("cannot create the directory", dir, e))?;
    for (name, text) in names.iter().zip(texts) {
        let path = dir.join(name);
        fs::write(&path, text).map_err(|e| out_failure("cannot write", &path, e))?;
        if name.ends_with(".sh") || name.ends_with(".sbatch") {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755))
                .map_err(|e| out_failure("cannot make executable", &path, e))?;
        }
        writeln!(out, "wrote {}", shown(&path)).map_err(Failure::stdout)?;
    }
    Ok(())
}

/// Whether `program` is an executable file in a directory of PATH.
fn on_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| {
            fs::metadata(dir.join(program))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

pub fn slurm(args: SlurmArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let (launch, results, dir) = prepare(&args.common, "slurm")?;
    if args.submit && !on_path("sbatch") {
        return Err(Failure::BadInput(
            "error: --submit needs sbatch, which is not on PATH\nfix: run this on a machine with Slurm's client commands (a login node), or leave out --submit and submit later with the submit.sh written".into(),
        ));
    }
    let io = |what: &str, e: std::io::Error| Failure::Internal(format!("{what}: {e}"));
    let workdir =
        std::env::current_dir().map_err(|e| io("cannot read the working directory", e))?;
    let clustersim = (std::env::current_exe())
        .and_then(fs::canonicalize)
        .map_err(|e| io("cannot find this program's path", e))?;
    let options = SlurmOptions {
        clustersim: text_of("this program's path", &clustersim)?.to_string(),
        workdir: text_of("the working directory", &workdir)?.to_string(),
        partition: args.partition,
        time: args.time,
    };
    let scripts = launch::slurm_scripts(&launch, &options).map_err(bad)?;
    let texts = [&scripts.array, &scripts.merge, &scripts.submit];
    write_files(&dir, &SLURM_FILES, texts, out)?;
    let submit = dir.join("submit.sh");
    if !args.submit {
        writeln!(
            out,
            "submit with: bash {}\n(the array of {} tasks, then the merge into {} once every task has succeeded)",
            shown(&submit),
            launch.tasks,
            shown(&results),
        )
        .map_err(Failure::stdout)?;
        return Ok(());
    }
    let output = Command::new("bash")
        .arg(&submit)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| io("cannot run bash", e))?;
    let printed = String::from_utf8_lossy(&output.stdout);
    let id = |label: &str| {
        printed
            .lines()
            .find_map(|line| line.strip_prefix(label))
            .map(|id| escape_control(id.trim()).into_owned())
    };
    match (output.status.success(), id("array job: "), id("merge job: ")) {
        (true, Some(array), Some(merge)) => writeln!(
            out,
            "submitted: array job {array} ({} tasks), merge job {merge} (afterok:{array})\nwatch: squeue -j {array},{merge}; the outputs are in {} once job {merge} has completed",
            launch.tasks,
            shown(&results),
        )
        .map_err(Failure::stdout),
        _ => Err(Failure::BadInput(format!(
            "error: {} failed ({}); sbatch's message is above\nfix: correct the options it names (--partition, --time, --cpus-per-task) and run again",
            shown(&submit),
            output.status
        ))),
    }
}

pub fn k8s(args: K8sArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let (launch, _, dir) = prepare(&args.common, "k8s")?;
    let name = launch::job_name(&launch.study_name);
    let options = K8sOptions {
        image: (args.image).unwrap_or_else(|| format!("clustersim:{}", env!("CARGO_PKG_VERSION"))),
        pvc: args.pvc.unwrap_or_else(|| format!("{name}-results")),
        parallelism: args.parallelism,
    };
    let manifests = launch::k8s_manifests(&launch, &options).map_err(bad)?;
    let texts = [&manifests.job, &manifests.merge_job, &manifests.run];
    write_files(&dir, &K8S_FILES, texts, out)?;
    writeln!(
        out,
        "run with: bash {}\n(the Indexed Job {} of {} shards with image {}, results on the claim {}; then the Job {}, which merges them)",
        shown(&dir.join("run.sh")),
        manifests.job_name,
        launch.tasks,
        escape_control(&options.image),
        escape_control(&options.pvc),
        manifests.merge_job_name,
    )
    .map_err(Failure::stdout)
}
