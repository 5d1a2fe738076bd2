//! Small things about text that users type and read, with one home each.
//!
//! - [`FileError`]: a problem at a line and column of a text file (an
//!   imported workload trace, a `trace.jsonl` read back), with what was
//!   expected and how to fix it.
//!
//! Invariants: nothing here knows about scenarios, the model or the
//! simulation; this module sits at the bottom of the dependency order.

use std::fmt;

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
