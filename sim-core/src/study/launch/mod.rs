//! A study on a cluster engine: the Slurm job array and the Kubernetes
//! Indexed Job that run its shards (`clustersim study STUDY --shard I/N`),
//! each followed by the merge (`clustersim study merge DIR`), written as
//! text from typed options. Pure: nothing here reads a file, the clock or
//! the environment; the CLI writes what these functions return.
//!
//! `slurm.rs` writes the Slurm job array, `k8s.rs` the Kubernetes Indexed
//! Job; this file holds what both share.
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

mod k8s;
mod slurm;

pub use k8s::{
    K8S_FILES, K8S_RESULTS_DIR, K8S_RETRIES_PER_SHARD, K8S_STUDY_DIR, K8sManifests, K8sOptions,
    k8s_manifests,
};
pub use slurm::{SLURM_FILES, SlurmOptions, SlurmScripts, TimeLimit, slurm_scripts};

use std::borrow::Cow;
use std::fmt;

/// The most shards a launch writes: Kubernetes refuses an Indexed Job of
/// more completions when `backoffLimitPerIndex` is set (the Job API
/// reference, `spec.backoffLimitPerIndex`), and a Slurm array that large
/// is past any site's `MaxArraySize` but the largest.
pub const MAX_SHARDS: u32 = 100_000;

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
}
