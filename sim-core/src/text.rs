//! Small things about text that users type and read, with one home each.
//!
//! - [`FileError`]: a problem at a line and column of a text file (an
//!   imported workload trace, a `trace.jsonl` read back), with what was
//!   expected and how to fix it;
//! - `Report`: the one renderer of problems for people, in rustc's
//!   layout (a headline, the offending line with the offending text
//!   underlined, then found/expected/fix), used by file errors and by the
//!   scenario's diagnostics alike;
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
use std::ops::Range;

/// A problem in a text file: where, what, what was expected and how to fix
/// it. `line` and `column` are 1-based; 0 means the whole file (an I/O
/// problem, or options that make reading it impossible).
///
/// Shown in the same layout as a scenario's diagnostics (see [`Report`]):
///
/// ```text
/// error: t.swf:3:8: field 4 (run time) is `5x0`
///   |
/// 3 | 2 5 -1 5x0 8 -1 -1 8 100 -1 1 7 3 -1 1 -1 -1 -1
///   |        ^^^
///   = expected: seconds as a decimal number (at most 9 decimals), or -1
///   = fix: repair the line (an unknown value is written -1), or comment it out with a leading ';'
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub expected: String,
    pub fix: String,
    /// The text of `line` and the offending part of it, when the reader
    /// had them; shown under the message with that part underlined.
    /// (Boxed: errors travel in `Result`s, which stay small.)
    pub excerpt: Option<Box<Excerpt>>,
}

/// A line of a file and the offending part of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Excerpt {
    /// The line, without its line break.
    pub text: String,
    /// The offending part, in bytes of `text`; it starts at the error's
    /// column.
    pub span: Range<usize>,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Report {
            severity: "error",
            position: &self.position(),
            message: &self.message,
            snippets: self.snippet(None).into_iter().collect(),
            notes: &[
                ("expected", Some(self.expected.as_str())),
                ("fix", Some(self.fix.as_str())),
            ],
        }
        .fmt(f)
    }
}

impl std::error::Error for FileError {}

impl FileError {
    /// An error about the whole file (`line` 0) or at a line whose text
    /// the reader does not have.
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
            excerpt: None,
        }
    }

    /// An error at `span`, in bytes of `text`, the text of line `line`:
    /// the column is that of the span's start, and the line is kept for
    /// the snippet.
    pub(crate) fn in_line(
        path: &str,
        line: usize,
        text: &str,
        span: Range<usize>,
        message: impl Into<String>,
        expected: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        let text = text.trim_end_matches(['\n', '\r']);
        let start = span.start.min(text.len());
        let span = start..span.end.clamp(start, text.len());
        FileError {
            column: text.get(..start).map_or(start, |s| s.chars().count()) + 1,
            excerpt: Some(Box::new(Excerpt {
                text: text.to_string(),
                span,
            })),
            ..FileError::at(path, line, 0, message, expected, fix)
        }
    }

    /// `path:line:column`, or `path` for the whole file.
    pub fn position(&self) -> String {
        if self.line == 0 {
            self.path.clone()
        } else {
            format!("{}:{}:{}", self.path, self.line, self.column)
        }
    }

    /// The excerpt as a snippet, `place` naming where it is when it is
    /// shown under another place's headline.
    pub(crate) fn snippet(&self, place: Option<String>) -> Option<Snippet<'_>> {
        self.excerpt.as_ref().map(|excerpt| Snippet {
            place,
            gutter: self.line.to_string(),
            text: &excerpt.text,
            column: self.column,
            len: excerpt.span.len(),
        })
    }
}

/// A line shown under a headline, the offending part underlined.
pub(crate) struct Snippet<'a> {
    /// Where it is, shown after `:::` (as rustc does) when it is not the
    /// headline's own place.
    pub place: Option<String>,
    /// What stands left of the bar: the line number, or the flag of a
    /// command-line argument (`--set`).
    pub gutter: String,
    pub text: &'a str,
    /// 1-based character column of the underline's start in `text`.
    pub column: usize,
    /// Bytes of `text` underlined from `column`; at least one caret is
    /// drawn, and none past the end of the line.
    pub len: usize,
}

/// A problem shown to a person, in rustc's layout: the headline, each
/// snippet with the offending text underlined, then the notes that are
/// given. Scenario diagnostics and file errors are both drawn by it:
///
/// ```text
/// error: demo.ron:7:51: invalid duration
///   |
/// 7 |         (submit: "0s", request: Gpus(1), runtime: "1 parsec"),
///   |                                                   ^^^^^^^^^^
///   = found: "1 parsec" (unknown unit "parsec")
///   = fix: write it like "90s", "36h", "7d" or "1h30m"
/// ```
///
/// Tabs in a snippet are kept, so that the carets line up under the same
/// characters; other control characters, there and everywhere else, are
/// escaped. The gutters are right-aligned to the widest one.
pub(crate) struct Report<'a> {
    /// `error` or `warning`.
    pub severity: &'a str,
    pub position: &'a str,
    pub message: &'a str,
    pub snippets: Vec<Snippet<'a>>,
    /// (name, value): `found`, `expected`, `fix`; `None` is left out.
    pub notes: &'a [(&'a str, Option<&'a str>)],
}

impl fmt::Display for Report<'_> {
    /// Everything shown goes through [`escape_control`] (any of it can
    /// come from what a user typed or a file holds), except a snippet's
    /// tabs; the carets are placed on the escaped text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = escape_control;
        writeln!(
            f,
            "{}: {}: {}",
            self.severity,
            e(self.position),
            e(self.message)
        )?;
        let gutters: Vec<_> = self.snippets.iter().map(|s| e(&s.gutter)).collect();
        let width = gutters.iter().map(|g| g.chars().count()).max().unwrap_or(0);
        let pad = " ".repeat(width);
        for (snippet, gutter) in self.snippets.iter().zip(&gutters) {
            if let Some(place) = &snippet.place {
                writeln!(f, "{pad} |")?;
                writeln!(f, "{pad}::: {}", e(place))?;
            }
            let (text, column, len) =
                escape_snippet(snippet.text, snippet.column.max(1), snippet.len);
            let indent: String = (text.chars())
                .take(column - 1)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            writeln!(f, "{pad} |")?;
            writeln!(f, "{gutter:>width$} | {text}")?;
            writeln!(f, "{pad} | {indent}{}", underline(&text, column, len))?;
        }
        for (name, value) in self.notes {
            if let Some(value) = value {
                writeln!(f, "{pad} = {name}: {}", e(value))?;
            }
        }
        Ok(())
    }
}

/// A snippet's `text` with its control characters but tabs escaped, and
/// the underline's `column` (1-based, in characters) and `len` (bytes from
/// there) moved onto the escaped text, so the carets stay under the same
/// characters.
fn escape_snippet(text: &str, column: usize, len: usize) -> (Cow<'_, str>, usize, usize) {
    let escaped_char = |c: char| c.is_control() && c != '\t';
    if !text.chars().any(escaped_char) {
        return (Cow::Borrowed(text), column, len);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    let (mut new_column, mut new_len, mut span_start) = (None, 0, None);
    for (i, (at, c)) in text.char_indices().enumerate() {
        if i + 1 == column {
            new_column = Some(escaped.chars().count() + 1);
            span_start = Some(at);
        }
        let before = escaped.len();
        if escaped_char(c) {
            escaped.push_str(&escape_control(c.encode_utf8(&mut [0; 4])));
        } else {
            escaped.push(c);
        }
        if span_start.is_some_and(|start| at < start + len) {
            new_len += escaped.len() - before;
        }
    }
    // Past the end of the line, the column keeps its distance from it.
    let new_column =
        new_column.unwrap_or_else(|| escaped.chars().count() + column - text.chars().count());
    (Cow::Owned(escaped), new_column, new_len)
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

/// `text` with every control character (C0 including tab, newline and
/// carriage return, DEL, and C1) written as a Rust-style escape, `\u{1b}`
/// for ESC, so that printing back what a user typed (a path, a `--set`
/// argument, a name) cannot recolour, retitle or rewrite their terminal.
/// Borrowed when there is nothing to escape, which is the common case.
///
/// Source snippets under a caret keep their tabs so the caret lines up
/// (`Report` escapes the rest and moves the caret); a backslash is left as
/// it is, so escaped text is for people to read, not to parse back.
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

    #[test]
    fn snippets_keep_tabs_and_escape_the_rest_under_the_same_carets() {
        // `\t` kept, ESC before the span moves the column, CR inside the
        // span lengthens it.
        let (text, column, len) = escape_snippet("\ta\u{1b}b: \"x\ry\"", 7, 5);
        assert_eq!(text, "\ta\\u{1b}b: \"x\\u{d}y\"");
        assert_eq!((column, len), (12, 9));
        assert_eq!(&text[text.find(": ").unwrap() + 2..][..len], "\"x\\u{d}y\"");
        // Nothing to escape: as given; past the end: as far past it.
        assert_eq!(escape_snippet("a: 1", 9, 1), (Cow::Borrowed("a: 1"), 9, 1));
        assert_eq!(escape_snippet("\u{7}", 3, 0).1, 7);
    }

    #[test]
    fn a_file_error_in_a_line_underlines_its_span() {
        let e = FileError::in_line(
            "t.swf",
            3,
            "1 0 -1 5x0 4\r\n",
            7..10,
            "bad",
            "a number",
            "fix it",
        );
        assert_eq!(e.column, 8);
        assert_eq!(
            e.to_string(),
            "error: t.swf:3:8: bad\n  |\n3 | 1 0 -1 5x0 4\n  |        ^^^\n  = expected: a number\n  = fix: fix it\n"
        );
        let whole = FileError::at("t.swf", 0, 0, "cannot read", "a file", "check the path");
        assert_eq!(
            whole.to_string(),
            "error: t.swf: cannot read\n = expected: a file\n = fix: check the path\n"
        );
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
