//! Diagnostics for bad scenarios: where, what was found, what was expected,
//! and how to fix it.
//!
//! Every problem the loader finds becomes a [`Diagnostic`] with a
//! [`Location`] (file:line:column, or the override argument it came from,
//! named by its flag, `--set` or `--b-set`,
//! with the byte span of the offending text) so a user can jump straight
//! to it. Rendering (by `text::Report`, which draws file errors too)
//! follows rustc's layout, the offending token underlined (on its first
//! line when it spans several), and the line of another file that caused
//! the problem (a trace's) after `:::`:
//!
//! ```text
//! error: demo.ron:7:51: invalid duration
//!   |
//! 7 |         (submit: "0s", request: Gpus(1), runtime: "1 parsec"),
//!   |                                                   ^^^^^^^^^^
//!   = found: "1 parsec" (unknown unit "parsec")
//!   = expected: a duration: a number and a unit (ns, us, ms, s, m, h, d, w), or several, like "1h30m"
//!   = fix: write it like "90s", "36h", "7d" or "1h30m"
//! ```

use std::fmt;
use std::ops::Range;

use crate::text::{FileError, Report, Snippet};

/// Where a problem is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// In the scenario file; line and column are 1-based, columns count
    /// characters (as `ron` does).
    File {
        file: String,
        line: usize,
        column: usize,
        /// The text of that line, for the snippet.
        line_text: String,
        /// The offending text, in bytes of the file; it starts at
        /// `line`:`column`.
        span: Range<usize>,
    },
    /// In an override argument; `column` is 1-based within `argument`.
    Override {
        /// The flag that gave it: `--set`, `--a-set`, `--b-set`.
        flag: &'static str,
        argument: String,
        column: usize,
        /// The offending text, in bytes of `argument`; it starts at
        /// `column`.
        span: Range<usize>,
    },
    /// The file as a whole (it could not be read).
    WholeFile { file: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub location: Location,
    /// The field path, when the problem is about one field.
    pub path: Option<String>,
    /// One line saying what is wrong.
    pub message: String,
    pub found: Option<String>,
    pub expected: Option<String>,
    pub fix: Option<String>,
    /// The error in another file that this problem comes from (a line of
    /// a workload trace that cannot be imported): its line is shown under
    /// this one's.
    pub cause: Option<FileError>,
}

impl Diagnostic {
    /// `file:line:column` (or the flag and the override argument) as a
    /// string.
    pub fn position(&self) -> String {
        match &self.location {
            Location::File {
                file, line, column, ..
            } => format!("{file}:{line}:{column}"),
            Location::Override {
                flag,
                argument,
                column,
                ..
            } => {
                format!("{flag} {argument} (column {column})")
            }
            Location::WholeFile { file } => file.clone(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let snippet = match &self.location {
            Location::File {
                line,
                column,
                line_text,
                span,
                ..
            } => Some(Snippet {
                place: None,
                gutter: line.to_string(),
                text: line_text,
                column: *column,
                len: span.len(),
            }),
            Location::Override {
                flag,
                argument,
                column,
                span,
            } => Some(Snippet {
                place: None,
                gutter: flag.to_string(),
                text: argument,
                column: *column,
                len: span.len(),
            }),
            Location::WholeFile { .. } => None,
        };
        // The line of another file that caused this problem, under it.
        let cause = (self.cause.as_ref()).and_then(|c| c.snippet(Some(c.position())));
        Report {
            severity: match self.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            },
            position: &self.position(),
            message: &self.message,
            snippets: snippet.into_iter().chain(cause).collect(),
            notes: &[
                ("found", self.found.as_deref()),
                ("expected", self.expected.as_deref()),
                ("fix", self.fix.as_deref()),
            ],
        }
        .fmt(f)
    }
}

/// A scenario that cannot be run, with every problem found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub diagnostics: Vec<Diagnostic>,
}

impl ScenarioError {
    pub fn single(diagnostic: Diagnostic) -> Self {
        ScenarioError {
            diagnostics: vec![diagnostic],
        }
    }

    /// The first problem (there is always at least one).
    pub fn first(&self) -> &Diagnostic {
        &self.diagnostics[0]
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.diagnostics {
            writeln!(f, "{d}")?;
        }
        let n = self.diagnostics.len();
        write!(
            f,
            "{n} problem{} found; nothing was run.",
            if n == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for ScenarioError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_position_snippet_and_fix() {
        let d = Diagnostic {
            cause: None,
            severity: Severity::Error,
            location: Location::File {
                file: "s.ron".into(),
                line: 7,
                column: 5,
                line_text: "\tab: 0,".into(),
                span: 14..15,
            },
            path: Some("ab".into()),
            message: "`ab` must be at least 1".into(),
            found: Some("0".into()),
            expected: Some("1 or more".into()),
            fix: Some("set it to 1".into()),
        };
        let text = d.to_string();
        assert!(
            text.starts_with("error: s.ron:7:5: `ab` must be at least 1\n"),
            "{text}"
        );
        assert!(text.contains("7 | \tab: 0,\n  | \t   ^\n"), "{text}");
        assert!(text.contains("= fix: set it to 1"));
    }
}
