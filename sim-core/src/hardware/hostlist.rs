//! Slurm's host lists: `gpu-node[1-8,10]`, `n[01-04]`, `a1,b[2-3]`, the
//! way slurm.conf, topology.conf and partitions name nodes.
//!
//! [`expand`] turns a list into host names in the order written, as
//! Slurm's `hostlist_create` does: top-level commas separate hosts, a
//! bracket holds comma-separated numbers and `lo-hi` ranges, and a range's
//! numbers are zero-padded to the width of its lower bound (`[01-10]` gives
//! `01` to `10`, `[1-10]` gives `1` to `10`); several brackets multiply
//! (`r[1-2]n[1-2]` is four hosts). [`compress`] writes names back as such
//! a list, so that `expand(compress(names)) == names` for names in
//! ascending order.
//!
//! Invariants: at most [`MAX_TOTAL_NODES`] names come out of one list
//! (checked before they are made); an error names the offending part by
//! its byte range in the list, so a reader can underline it.

use std::ops::Range;

use super::MAX_TOTAL_NODES;

/// What is wrong with a host list, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostlistError {
    /// Bytes of the list at fault.
    pub span: Range<usize>,
    pub message: String,
}

/// What a host list looks like, for messages.
pub const HOSTLIST_EXPECTED: &str =
    "host names, or ranges like gpu-node[1-8,10] or n[01-04], separated by commas";

/// The host names of `list`, in the order written.
pub fn expand(list: &str) -> Result<Vec<String>, HostlistError> {
    let mut names = Vec::new();
    for (start, host) in top_level_items(list)? {
        if host.is_empty() {
            return Err(HostlistError {
                span: start..start + 1,
                message: "an empty host name (two commas, or a comma at an end)".into(),
            });
        }
        let mut expanded = vec![String::new()];
        let mut rest = host;
        let mut at = start;
        while !rest.is_empty() {
            let (literal, after) = rest.split_at(rest.find('[').unwrap_or(rest.len()));
            if literal.contains(']') {
                let close = at + literal.find(']').unwrap_or(0);
                return Err(HostlistError {
                    span: close..close + 1,
                    message: "a `]` without its `[`".into(),
                });
            }
            expanded.iter_mut().for_each(|n| n.push_str(literal));
            at += literal.len();
            if after.is_empty() {
                break;
            }
            let close = after.find(']').ok_or_else(|| HostlistError {
                span: at..start + host.len(),
                message: "a `[` without its closing `]`".into(),
            })?;
            let numbers = bracket(&after[1..close], at + 1)?;
            let total = expanded.len() as u64 * numbers.len() as u64;
            if names.len() as u64 + total > MAX_TOTAL_NODES {
                return Err(HostlistError {
                    span: at..at + close + 1,
                    message: format!("more than {MAX_TOTAL_NODES} hosts"),
                });
            }
            expanded = expanded
                .iter()
                .flat_map(|prefix| numbers.iter().map(move |n| format!("{prefix}{n}")))
                .collect();
            at += close + 1;
            rest = &after[close + 1..];
        }
        names.extend(expanded);
    }
    Ok(names)
}

/// The comma-separated items of `list` outside brackets, with their byte
/// offsets.
fn top_level_items(list: &str) -> Result<Vec<(usize, &str)>, HostlistError> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in list.char_indices() {
        match c {
            '[' if depth > 0 => {
                return Err(HostlistError {
                    span: i..i + 1,
                    message: "a `[` inside a range".into(),
                });
            }
            '[' => depth = 1,
            ']' => depth = 0,
            ',' if depth == 0 => {
                items.push((start, &list[start..i]));
                start = i + 1;
            }
            c if c.is_whitespace() || c.is_control() => {
                return Err(HostlistError {
                    span: i..i + c.len_utf8(),
                    message: "a space or control character in a host list".into(),
                });
            }
            _ => {}
        }
    }
    items.push((start, &list[start..]));
    Ok(items)
}

/// The numbers of a bracket's inside (`1-8,10`), zero-padded to each
/// range's lower bound; `offset` is where `inside` starts in the list.
fn bracket(inside: &str, offset: usize) -> Result<Vec<String>, HostlistError> {
    let mut out = Vec::new();
    let mut at = offset;
    for part in inside.split(',') {
        let span = at..at + part.len().max(1);
        at += part.len() + 1;
        let (lo, hi) = part.split_once('-').unwrap_or((part, part));
        let number = |s: &str| {
            (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u64>().ok())
                .flatten()
        };
        let (Some(a), Some(b)) = (number(lo), number(hi)) else {
            return Err(HostlistError {
                span,
                message: format!("`{part}` is not a number or a range lo-hi of numbers"),
            });
        };
        if a > b {
            return Err(HostlistError {
                span,
                message: format!("the range `{part}` runs backwards"),
            });
        }
        if b - a >= MAX_TOTAL_NODES || out.len() as u64 + (b - a) >= MAX_TOTAL_NODES {
            return Err(HostlistError {
                span,
                message: format!("the range `{part}` holds more than {MAX_TOTAL_NODES} hosts"),
            });
        }
        let width = lo.len();
        out.extend((a..=b).map(|n| format!("{n:0width$}")));
    }
    Ok(out)
}

/// A prefix, the width of its numbers, and runs of them (lo, hi).
type Item = (String, usize, Vec<(u64, u64)>);

/// `names` as a host list: runs of consecutive numbers after the same
/// prefix, written with the same width, become one bracket
/// (`["n01", "n02", "n04"]` is `n[01-02,04]`); a name without a number
/// stays as it is. Order is kept: a name that does not continue the
/// previous run starts a new item.
pub fn compress<S: AsRef<str>>(names: &[S]) -> String {
    let mut items: Vec<Item> = Vec::new();
    for name in names {
        let name = name.as_ref();
        let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let (prefix, number) = name.split_at(name.len() - digits);
        let Some(n) = number.parse::<u64>().ok().filter(|_| !number.is_empty()) else {
            items.push((name.to_string(), 0, Vec::new()));
            continue;
        };
        // The width a range from this number would be written with: the
        // number's own, unless it is unpadded (then any width reads back).
        let padded = number.len() > 1 && number.starts_with('0');
        match items.last_mut() {
            Some((p, width, runs))
                if p == prefix
                    && !runs.is_empty()
                    && format!("{n:0w$}", w = *width) == number
                    && (padded || *width <= number.len())
                    && runs.last().is_some_and(|&(_, hi)| n > hi) =>
            {
                let last = runs.last_mut().expect("checked non-empty");
                if n == last.1 + 1 {
                    last.1 = n;
                } else {
                    runs.push((n, n));
                }
            }
            _ => items.push((prefix.to_string(), number.len(), vec![(n, n)])),
        }
    }
    let item = |(prefix, width, runs): &Item| {
        if runs.is_empty() {
            return prefix.clone();
        }
        let w = *width;
        let parts: Vec<String> = runs
            .iter()
            .map(|&(lo, hi)| {
                if lo == hi {
                    format!("{lo:0w$}")
                } else {
                    format!("{lo:0w$}-{hi:0w$}")
                }
            })
            .collect();
        if runs.len() == 1 && runs[0].0 == runs[0].1 {
            format!("{prefix}{}", parts[0])
        } else {
            format!("{prefix}[{}]", parts.join(","))
        }
    };
    items.iter().map(item).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &str) -> Vec<String> {
        expand(list).unwrap()
    }

    /// Slurm's hostlist(3) semantics (`src/common/hostlist.c`): ranges are
    /// zero-padded to their lower bound's width, commas at the top level
    /// separate hosts.
    #[test]
    fn ranges_expand_as_slurm_writes_them() {
        assert_eq!(
            names("gpu-node[1-3,10]"),
            ["gpu-node1", "gpu-node2", "gpu-node3", "gpu-node10"]
        );
        assert_eq!(names("n[01-03]"), ["n01", "n02", "n03"]);
        assert_eq!(names("n[8-10]"), ["n8", "n9", "n10"]);
        assert_eq!(names("a,b[1-2],c"), ["a", "b1", "b2", "c"]);
        assert_eq!(names("r[1-2]n[1-2]"), ["r1n1", "r1n2", "r2n1", "r2n2"]);
        assert_eq!(names("gpu[1-2]-ib"), ["gpu1-ib", "gpu2-ib"]);
        assert_eq!(names("solo"), ["solo"]);
    }

    #[test]
    fn malformed_lists_name_the_part_at_fault() {
        for (list, span, what) in [
            ("n[1-4", 1..5, "closing"),
            ("n[4-1]", 2..5, "backwards"),
            ("n[1-x]", 2..5, "not a number"),
            ("n[1-2],,m", 7..8, "empty host"),
            ("n1]", 2..3, "without its `[`"),
            ("n[1-[2]]", 4..5, "inside a range"),
            ("n[0-99999999]", 2..12, "more than"),
            ("a b", 1..2, "space"),
        ] {
            let e = expand(list).unwrap_err();
            assert_eq!(e.span, span, "{list}: {e:?}");
            assert!(e.message.contains(what), "{list}: {}", e.message);
        }
    }

    #[test]
    fn compress_reads_back_to_the_same_names() {
        for list in [
            "gpu-node[1-8,10]",
            "n[01-04]",
            "n[8-10]",
            "a,b[1-2],c",
            "n[098-101]",
            "x1,y[1-2],x[3-4]",
        ] {
            let n = names(list);
            assert_eq!(compress(&n), list, "{list}");
            assert_eq!(names(&compress(&n)), n);
        }
        assert_eq!(
            compress(&["n1", "n01"]),
            "n1,n01",
            "different widths stay apart"
        );
    }
}
