//! Small things about text users type and read.
//!
//! A bottom-layer module: it knows no other module of the crate, so every
//! layer that names things (the scenario schema, the fabric's switches and
//! nodes, the catalog) can use it.
//!
//! Invariant: suggestions are deterministic: the same name and candidates,
//! in the same order, give the same suggestion.

/// The closest candidate to `name`, if any is close enough to be a typo:
/// Jaro-Winkler similarity of at least 0.8, ignoring case. Of equally
/// close candidates, the first one wins (`b-000` suggests `b-0000`, not
/// `b-0090`).
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_lowercase()), c))
        .filter(|&(score, _)| score >= 0.8)
        .fold(None, |best: Option<(f64, &str)>, (score, c)| match best {
            Some((best_score, _)) if best_score >= score => best,
            _ => Some((score, c)),
        })
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_catch_typos_only() {
        let fields = ["count", "node_model", "gpu_model", "gpus_per_node"];
        assert_eq!(did_you_mean("cout", fields), Some("count"));
        assert_eq!(
            did_you_mean("gpus_per_nodes", fields),
            Some("gpus_per_node")
        );
        assert_eq!(did_you_mean("zzz", fields), None);
        assert_eq!(
            did_you_mean("h100-sxm-80gb", ["H100-SXM-80GB", "L40S"]),
            Some("H100-SXM-80GB")
        );
    }

    #[test]
    fn of_equally_close_candidates_the_first_wins() {
        let nodes: Vec<String> = (0..100).map(|i| format!("b-{i:04}")).collect();
        assert_eq!(
            did_you_mean("b-000", nodes.iter().map(String::as_str)),
            Some("b-0000")
        );
    }
}
