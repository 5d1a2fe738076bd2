//! Small things about text that users type and read, with one home each.
//!
//! - [`FileError`]: a problem at a line and column of a text file (an
//!   imported workload trace, a `trace.jsonl` read back), with what was
//!   expected and how to fix it.
//! - [`escape_control`]: text a user typed (a path, a `--set` argument, a
//!   name), made safe to print back on their terminal;
//! - [`did_you_mean`]: the known name closest to a misspelt one;
//! - [`without_bom`]: a text file's text without the UTF-8 byte-order mark
//!   some editors write first.
//!
//! Invariants: nothing here knows about scenarios, the model or the
//! simulation; this module sits at the bottom of the dependency order, so
//! every layer that names things (the scenario schema, the fabric's
//! switches and nodes, the catalog) can use it. Suggestions are
//! deterministic: the same name and candidates, in the same order, give
//! the same suggestion.

use std::borrow::Cow;
use std::fmt::{self, Write};

/// A problem in a text file: where, what, what was expected and how to fix
/// it. `line` and `column` are 1-based; 0 means the whole file (an I/O
/// problem, or options that make reading it impossible).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub expected: String,
    pub fix: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path, self.message)?;
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.path, self.line, self.column, self.message
            )?;
        }
        write!(f, "\n  expected {}\n  fix: {}", self.expected, self.fix)
    }
}

impl std::error::Error for FileError {}

impl FileError {
    pub(crate) fn at(
        path: &str,
        line: usize,
        column: usize,
        message: impl Into<String>,
        expected: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        FileError {
            path: path.to_string(),
            line,
            column,
            message: message.into(),
            expected: expected.into(),
            fix: fix.into(),
        }
    }
}

/// `text` with every control character (C0 including tab, newline and
/// carriage return, DEL, and C1) written as a Rust-style escape, `\u{1b}`
/// for ESC, so that printing back what a user typed (a path, a `--set`
/// argument, a name) cannot recolour, retitle or rewrite their terminal.
/// Borrowed when there is nothing to escape, which is the common case.
///
/// Not for source snippets under a caret, which keep their tabs so the
/// caret lines up; a backslash is left as it is, so escaped text is for
/// people to read, not to parse back.
pub fn escape_control(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            write!(escaped, "\\u{{{:x}}}", u32::from(c)).expect("writing to a String");
        } else {
            escaped.push(c);
        }
    }
    Cow::Owned(escaped)
}

/// `text` without a leading UTF-8 byte-order mark (U+FEFF), which some
/// editors (Notepad, Excel's CSV export) write first and which is no part
/// of the content. Lines and columns counted on the result are the ones
/// the user's editor shows.
pub fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

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
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert!(matches!(
            escape_control("scenarios/é × 2.ron"),
            Cow::Borrowed(_)
        ));
        assert_eq!(escape_control("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(
            escape_control("\0\t\n\r\u{7}\u{1f}\u{7f}\u{80}\u{9b}\u{9f}"),
            "\\u{0}\\u{9}\\u{a}\\u{d}\\u{7}\\u{1f}\\u{7f}\\u{80}\\u{9b}\\u{9f}"
        );
        // Printable neighbours of the control ranges stay as they are.
        assert_eq!(escape_control(" ~\u{a0}\\"), " ~\u{a0}\\");
    }

    #[test]
    fn a_byte_order_mark_is_dropped_only_at_the_start() {
        assert_eq!(without_bom("\u{feff}(a: 1)"), "(a: 1)");
        assert_eq!(without_bom("(a: \"\u{feff}\")"), "(a: \"\u{feff}\")");
        assert_eq!(without_bom(""), "");
    }

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
