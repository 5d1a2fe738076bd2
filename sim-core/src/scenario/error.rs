//! Diagnostics for bad scenarios: where, what was found, what was expected,
//! and how to fix it.
//!
//! Every problem the loader finds becomes a [`Diagnostic`] with a
//! [`Location`] (file:line:column, or the override argument it came from,
//! named by its flag, `--set` or `--b-set`,
//! with the byte span of the offending text) so a user can jump straight
//! to it. Rendering follows rustc's layout, the offending token underlined
//! (on its first line when it spans several):
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
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        writeln!(f, "{label}: {}: {}", self.position(), self.message)?;
        let (gutter, text, column, len) = match &self.location {
            Location::File {
                line,
                column,
                line_text,
                span,
                ..
            } => (line.to_string(), line_text.as_str(), *column, span.len()),
            Location::Override {
                flag,
                argument,
                column,
                span,
            } => (flag.to_string(), argument.as_str(), *column, span.len()),
            Location::WholeFile { .. } => (String::new(), "", 0, 0),
        };
        let pad = " ".repeat(gutter.len());
        if column > 0 {
            // Keep tabs so the carets line up under the same characters.
            let indent: String = text
                .chars()
                .take(column - 1)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            writeln!(f, "{pad} |")?;
            writeln!(f, "{gutter} | {text}")?;
            writeln!(f, "{pad} | {indent}{}", underline(text, column, len))?;
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

/// Carets under the `len` bytes of `text` from character `column`
/// (1-based), cut at the end of the text; at least one.
fn underline(text: &str, column: usize, len: usize) -> String {
    let rest = text
        .char_indices()
        .nth(column - 1)
        .map_or("", |(start, _)| &text[start..]);
    let carets = rest
        .char_indices()
        .take_while(|&(i, _)| i < len)
        .count()
        .max(1);
    "^".repeat(carets)
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

    #[test]
    fn underlines_the_whole_token_on_its_line() {
        assert_eq!(underline("a: \"1 parsec\",", 4, 10), "^^^^^^^^^^");
        assert_eq!(underline("é: \"1 ĥ\"", 4, 6), "^^^^^", "counts characters");
        assert_eq!(
            underline("list: [", 7, 40),
            "^",
            "cut at the end of the line"
        );
        assert_eq!(underline("x", 2, 0), "^", "at least one, even past the end");
    }
}
