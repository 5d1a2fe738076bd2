//! Diagnostics for bad scenarios: where, what was found, what was expected,
//! and how to fix it.
//!
//! Every problem the loader finds becomes a [`Diagnostic`] with a
//! [`Location`] (file:line:column, or the `--set` argument it came from) so a
//! user can jump straight to it. Rendering follows compilers' layout:
//!
//! ```text
//! error: scenarios/demo.ron:7:31: `cluster.node_groups[0].count` must be at least 1
//!    |
//!  7 |         (name: "h100", count: 0, node_model: "DGX-H100"),
//!    |                               ^
//!    = found: 0
//!    = expected: a node count of 1 or more
//!    = fix: set `count` to the number of nodes in this group, or delete the group
//! ```

use std::fmt;

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
    },
    /// In a `--set` argument; `column` is 1-based within `argument`.
    Override { argument: String, column: usize },
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
}

impl Diagnostic {
    /// `file:line:column` (or the `--set` argument) as a string.
    pub fn position(&self) -> String {
        match &self.location {
            Location::File {
                file, line, column, ..
            } => format!("{file}:{line}:{column}"),
            Location::Override { argument, column } => {
                format!("--set {argument} (column {column})")
            }
            Location::WholeFile { file } => file.clone(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        writeln!(f, "{label}: {}: {}", self.position(), self.message)?;
        let (gutter, text, column) = match &self.location {
            Location::File {
                line,
                column,
                line_text,
                ..
            } => (line.to_string(), line_text.as_str(), *column),
            Location::Override { argument, column } => {
                ("--set".to_string(), argument.as_str(), *column)
            }
            Location::WholeFile { .. } => (String::new(), "", 0),
        };
        let pad = " ".repeat(gutter.len());
        if column > 0 {
            // Keep tabs so the caret lines up under the same character.
            let indent: String = text
                .chars()
                .take(column - 1)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            writeln!(f, "{pad} |")?;
            writeln!(f, "{gutter} | {text}")?;
            writeln!(f, "{pad} | {indent}^")?;
        }
        for (key, value) in [
            ("found", &self.found),
            ("expected", &self.expected),
            ("fix", &self.fix),
        ] {
            if let Some(value) = value {
                writeln!(f, "{pad} = {key}: {value}")?;
            }
        }
        Ok(())
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
            severity: Severity::Error,
            location: Location::File {
                file: "s.ron".into(),
                line: 7,
                column: 5,
                line_text: "\tab: 0,".into(),
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
