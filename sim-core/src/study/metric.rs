//! Metric paths: `wait_s.p95`, `fairness.accounts[0].delivered_share`,
//! `reliability.ettr`: a path into a run's summary JSON (what `clustersim
//! run --format json` prints), fields joined by `.`, list elements as
//! `[i]`.
//!
//! Invariant: a path names a number or `null` (a statistic the run has no
//! value for, such as a wait percentile with no jobs), never a group.

use serde_json::Value;

/// What a path finds in a summary.
#[derive(Clone, Debug, PartialEq)]
pub enum Lookup {
    Number(f64),
    Null,
    /// Not there: the deepest part of the path that was, and what it held.
    Missing {
        found_up_to: String,
        choices: Vec<String>,
    },
    /// A group, not a number: its fields.
    Group {
        choices: Vec<String>,
    },
}

/// Looks `path` up in `summary`.
pub fn lookup(summary: &Value, path: &str) -> Lookup {
    let mut here = summary;
    let mut walked = String::new();
    for step in steps(path) {
        let next = match step {
            Step::Field(name) => here.get(name),
            Step::Index(i) => here.get(i),
        };
        match next {
            Some(value) => {
                walked.push_str(&match step {
                    Step::Field(name) if walked.is_empty() => name.to_string(),
                    Step::Field(name) => format!(".{name}"),
                    Step::Index(i) => format!("[{i}]"),
                });
                here = value;
            }
            None => {
                return Lookup::Missing {
                    found_up_to: walked,
                    choices: children(here),
                };
            }
        }
    }
    match here {
        Value::Number(n) => Lookup::Number(n.as_f64().unwrap_or(f64::NAN)),
        Value::Bool(b) => Lookup::Number(f64::from(u8::from(*b))),
        Value::Null => Lookup::Null,
        _ => Lookup::Group {
            choices: children(here),
        },
    }
}

/// Every path to a number (or a null) in `summary`, in document order:
/// what a study can collect.
pub fn leaf_paths(summary: &Value) -> Vec<String> {
    fn walk(value: &Value, path: String, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    let p = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    walk(v, p, out);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, format!("{path}[{i}]"), out);
                }
            }
            Value::String(_) => {}
            _ => out.push(path),
        }
    }
    let mut out = Vec::new();
    walk(summary, String::new(), &mut out);
    out
}

enum Step<'a> {
    Field(&'a str),
    Index(usize),
}

/// `a.b[2].c` as steps; a malformed index is a field name no summary has.
fn steps(path: &str) -> impl Iterator<Item = Step<'_>> {
    path.split('.').flat_map(|part| {
        let (name, indices) = part
            .split_once('[')
            .map_or((part, ""), |(n, rest)| (n, rest));
        let name = (!name.is_empty()).then_some(Step::Field(name));
        let indices = (!indices.is_empty())
            .then(|| format!("[{indices}"))
            .into_iter()
            .flat_map(|all| {
                all.split('[')
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        s.trim_end_matches(']')
                            .parse::<usize>()
                            .unwrap_or(usize::MAX)
                    })
                    .collect::<Vec<_>>()
            })
            .map(Step::Index);
        name.into_iter().chain(indices)
    })
}

fn children(value: &Value) -> Vec<String> {
    match value {
        Value::Object(map) => map.keys().cloned().collect(),
        Value::Array(items) => (0..items.len()).map(|i| format!("[{i}]")).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_find_numbers_nulls_and_say_what_is_there() {
        let summary: Value = serde_json::json!({
            "wait_s": {"mean": 12.5, "p95": null},
            "fairness": {"accounts": [{"delivered_share": 0.25}]},
        });
        assert_eq!(lookup(&summary, "wait_s.mean"), Lookup::Number(12.5));
        assert_eq!(lookup(&summary, "wait_s.p95"), Lookup::Null);
        assert_eq!(
            lookup(&summary, "fairness.accounts[0].delivered_share"),
            Lookup::Number(0.25)
        );
        assert_eq!(
            lookup(&summary, "wait_s.p99"),
            Lookup::Missing {
                found_up_to: "wait_s".into(),
                choices: vec!["mean".into(), "p95".into()]
            }
        );
        assert!(matches!(
            lookup(&summary, "fairness.accounts[3]"),
            Lookup::Missing { .. }
        ));
        assert!(matches!(lookup(&summary, "wait_s"), Lookup::Group { .. }));
        assert_eq!(
            leaf_paths(&summary),
            [
                "fairness.accounts[0].delivered_share",
                "wait_s.mean",
                "wait_s.p95"
            ]
        );
    }
}
