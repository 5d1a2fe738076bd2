//! Small things about text that users type and read, with one home each.
//!
//! - [`FileError`]: a problem at a line and column of a text file (an
//!   imported workload trace, a `trace.jsonl` read back), with what was
//!   expected and how to fix it.
//! - [`escape_control`]: text a user typed (a path, a `--set` argument, a
//!   name), made safe to print back on their terminal.
//!
//! Invariants: nothing here knows about scenarios, the model or the
//! simulation; this module sits at the bottom of the dependency order.

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
}
