//! The scenario text, `--set` overrides applied to it, and the mapping from
//! positions in the edited text back to the file or the override.
//!
//! `--set path=value` works on the text, not on parsed values: the value's
//! span is found with [`SpanIndex`] and replaced (or the field inserted when
//! the file leaves it out), then the whole text is parsed as usual. So any
//! field can be overridden, and the override goes through exactly the same
//! parsing and validation as the file itself.
//!
//! Conveniences, so shells need no nested quoting: when the field being
//! replaced is a string in the file, or the value cannot be RON by itself
//! (like `36h` or `$2.50`), the value is quoted automatically. So
//! `--set stop.horizon=36h` and `--set 'stop.horizon="36h"'` are the same.
//! A value used as written must be exactly one RON value, with nothing
//! after it: `--set 'name="a", seed: 9'` would otherwise add a field, and
//! `--set 'seed=7 // x'` comment out the rest of the file's line. It is
//! refused in the argument.
//!
//! Invariant: every byte of the edited text is either a byte of the file
//! or a byte of exactly one override's value, and [`Source::locate`] says
//! which, so errors point at what the user typed.

use std::ops::Range;

use super::error::{Diagnostic, Location, Severity};
use super::spans::{SpanIndex, field_path, index_path};

/// One override as given on a command line: the flag that gave it
/// (`--set`, or `compare`'s `--a-set` and `--b-set`), which diagnostics
/// name so the user edits the right argument, and the argument,
/// `path=value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetArg {
    pub flag: &'static str,
    pub argument: String,
}

impl SetArg {
    pub fn new(flag: &'static str, argument: impl Into<String>) -> Self {
        SetArg {
            flag,
            argument: argument.into(),
        }
    }

    /// An argument of `--set`, the flag of `run`, `validate` and the viewer.
    pub fn set(argument: impl Into<String>) -> Self {
        SetArg::new("--set", argument)
    }
}

/// One override, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    /// The flag that gave it.
    pub flag: &'static str,
    /// The argument as typed, `path=value`.
    pub argument: String,
    /// Canonical path: `a.b[2].c`.
    pub path: String,
    pub value: String,
}

#[derive(Clone, Debug)]
struct Edit {
    /// Range of the override's text in the edited text.
    start: usize,
    end: usize,
    /// Edited length minus original length of the replaced range.
    delta: isize,
    override_index: usize,
    /// Offset of the value within the override argument.
    value_offset_in_argument: usize,
    /// Bytes of our own making before the value (insertions add `field: `).
    prefix_len: usize,
}

/// Scenario text with overrides applied.
#[derive(Clone, Debug)]
pub struct Source {
    /// The file name as the user gave it.
    pub file: String,
    pub original: String,
    /// The text that is parsed.
    pub text: String,
    overrides: Vec<Override>,
    edits: Vec<Edit>,
}

/// Parses `path=value`.
pub fn parse_override(set: &SetArg) -> Result<Override, Diagnostic> {
    let (flag, argument) = (set.flag, set.argument.as_str());
    let bad = |message: &str, fix: &str| Diagnostic {
        cause: None,
        severity: Severity::Error,
        location: Location::Override {
            flag,
            argument: argument.to_string(),
            column: 1,
            span: 0..argument.len(),
        },
        path: None,
        message: message.to_string(),
        found: Some(format!("`{argument}`")),
        expected: Some("path=value, e.g. seed=7 or cluster.node_groups[0].count=64".into()),
        fix: Some(fix.to_string()),
    };
    let Some((path, value)) = argument.split_once('=') else {
        return Err(bad(
            &format!("a {flag} argument needs `=`"),
            "write it as path=value",
        ));
    };
    let path = canonical_path(path.trim()).ok_or_else(|| {
        bad(
            &format!("the path of a {flag} argument is malformed"),
            "use field names joined by dots, list elements as [i] or .i: workload.generators[0].count",
        )
    })?;
    Ok(Override {
        flag,
        argument: argument.to_string(),
        path,
        value: value.trim().to_string(),
    })
}

/// `a.b.0.c` or `a.b[0].c` -> `a.b[0].c`; `None` if malformed.
fn canonical_path(path: &str) -> Option<String> {
    let mut out = String::new();
    for segment in path.split('.') {
        let (name, indices) = match segment.find('[') {
            Some(i) => segment.split_at(i),
            None => (segment, ""),
        };
        if name.chars().all(|c| c.is_ascii_digit()) && !name.is_empty() {
            out = index_path(&out, name.parse().ok()?);
        } else if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            out = field_path(&out, name);
        } else if !(name.is_empty() && !indices.is_empty() && !out.is_empty()) {
            return None;
        }
        let mut rest = indices;
        while let Some(stripped) = rest.strip_prefix('[') {
            let close = stripped.find(']')?;
            out = index_path(&out, stripped[..close].parse().ok()?);
            rest = &stripped[close + 1..];
        }
        if !rest.is_empty() {
            return None;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Whether `value` can stand as a RON value by itself; if not, it is
/// quoted (so `36h` becomes `"36h"`).
fn is_ron_literal(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() {
        return false;
    }
    if v.starts_with(['(', '[', '{', '"', '\''])
        || matches!(v, "true" | "false" | "None" | "inf" | "NaN")
    {
        return true;
    }
    let number = v.strip_prefix(['-', '+']).unwrap_or(v);
    let is_number = number.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && number.parse::<f64>().is_ok_and(f64::is_finite)
        || number.replace('_', "").parse::<u64>().is_ok();
    if is_number {
        return true;
    }
    // An identifier, optionally with a parenthesised body: `Fcfs`, `Gpus(8)`.
    let ident_end = v
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(v.len());
    let (ident, rest) = v.split_at(ident_end);
    ident.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && (rest.is_empty() || rest.starts_with('('))
}

/// Whether `value` is exactly one RON value, with nothing before or after
/// it (not even a comment, which would swallow the rest of the file's
/// line).
fn is_one_value(value: &str) -> bool {
    SpanIndex::build(value).and_then(|index| index.get("").map(|root| (root.start, root.end)))
        == Some((0, value.len()))
}

fn quote(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

impl Source {
    pub fn new(file: impl Into<String>, text: String) -> Self {
        Source {
            file: file.into(),
            original: text.clone(),
            text,
            overrides: Vec::new(),
            edits: Vec::new(),
        }
    }

    /// Applies one override. The text must be walkable RON (the caller
    /// checks that before, and reports `ron`'s syntax error otherwise).
    pub fn apply(&mut self, ov: Override) -> Result<(), Diagnostic> {
        let index = SpanIndex::build(&self.text).expect("caller checked the text is well-formed");
        let override_index = self.overrides.len();
        let after_equals = ov.argument.find('=').map_or(0, |i| i + 1);
        let raw_value = &ov.argument[after_equals..];
        let value_offset = after_equals + (raw_value.len() - raw_value.trim_start().len());
        let error = |message: String, fix: String| Diagnostic {
            cause: None,
            severity: Severity::Error,
            // About the path: the text before `=`.
            location: Location::Override {
                flag: ov.flag,
                argument: ov.argument.clone(),
                column: 1,
                span: 0..ov.argument.find('=').unwrap_or(ov.argument.len()),
            },
            path: Some(ov.path.clone()),
            message,
            found: None,
            expected: None,
            fix: Some(fix),
        };

        // A value spliced as written must be one value, or it would add
        // fields to the file or break what follows it there.
        let as_written = |value: &str| -> Result<String, Diagnostic> {
            if is_one_value(value) {
                return Ok(value.to_string());
            }
            Err(Diagnostic {
                cause: None,
                severity: Severity::Error,
                location: Location::Override {
                    flag: ov.flag,
                    argument: ov.argument.clone(),
                    column: ov.argument[..value_offset].chars().count() + 1,
                    span: value_offset..value_offset + value.len(),
                },
                path: Some(ov.path.clone()),
                message: format!("a {} value must be exactly one value", ov.flag),
                found: Some(format!("`{value}`")),
                expected: Some(
                    "one value: a number, \"text\", a name like Easy, or one (...) or [...]".into(),
                ),
                fix: Some(format!(
                    "set one field per {flag} (give {flag} several times); quote text that holds `,` or `(`: {flag} '{}=\"...\"'",
                    ov.path,
                    flag = ov.flag
                )),
            })
        };

        let (start, end, replacement, prefix_len) = if let Some(span) = index.get(&ov.path) {
            let value = if span.is_string && !ov.value.starts_with(['"', '\''])
                || !is_ron_literal(&ov.value)
            {
                quote(&ov.value)
            } else {
                as_written(&ov.value)?
            };
            (span.start, span.end, value, 0)
        } else {
            // Find the deepest ancestor present in the file.
            let segments = path_segments(&ov.path);
            let mut depth = segments.len();
            let (ancestor, span) = loop {
                depth -= 1;
                let prefix = segments[..depth].concat();
                if let Some(span) = index.get(&prefix) {
                    break (prefix, *span);
                }
            };
            let missing = &segments[depth..];
            if let Some(list_len) = span.len.filter(|_| missing[0].starts_with('[')) {
                return Err(error(
                    format!("`{ancestor}` has no element {}", missing[0]),
                    format!("it has {list_len} element(s); use an index below {list_len}"),
                ));
            }
            if missing.iter().any(|s| s.starts_with('[')) {
                return Err(error(
                    format!("`{}` does not exist in the file", ov.path),
                    "add the list to the file first; --set can only add struct fields".to_string(),
                ));
            }
            let Some(body) = span.struct_body else {
                let shown = if ancestor.is_empty() {
                    "the scenario"
                } else {
                    &ancestor
                };
                return Err(error(
                    format!(
                        "`{shown}` is not a struct with fields, so `{}` cannot be set",
                        ov.path
                    ),
                    format!("set `{shown}` as a whole"),
                ));
            };
            // `a.b.c` under existing `a` becomes `b: (c: VALUE), `.
            let names: Vec<&str> = missing.iter().map(|s| s.trim_start_matches('.')).collect();
            let value = if is_ron_literal(&ov.value) {
                as_written(&ov.value)?
            } else {
                quote(&ov.value)
            };
            let mut text = String::new();
            for (i, name) in names.iter().enumerate() {
                text.push_str(name);
                text.push_str(if i + 1 == names.len() { ": " } else { ": (" });
            }
            let prefix_len = text.len();
            text.push_str(&value);
            text.push_str(&")".repeat(names.len() - 1));
            text.push_str(", ");
            (body, body, text, prefix_len)
        };

        self.splice(
            start,
            end,
            &replacement,
            override_index,
            value_offset,
            prefix_len,
        );
        self.overrides.push(ov);
        Ok(())
    }

    fn splice(
        &mut self,
        start: usize,
        end: usize,
        replacement: &str,
        override_index: usize,
        value_offset_in_argument: usize,
        prefix_len: usize,
    ) {
        let delta = replacement.len() as isize - (end - start) as isize;
        // Earlier overrides inside the replaced range are superseded; their
        // deltas fold into this edit so positions after it still map back.
        let mut folded = 0isize;
        self.edits.retain(|e| {
            let inside = e.start >= start && e.end <= end;
            if inside {
                folded += e.delta;
            }
            !inside
        });
        for e in &mut self.edits {
            if e.start >= end {
                e.start = (e.start as isize + delta) as usize;
                e.end = (e.end as isize + delta) as usize;
            }
        }
        self.text.replace_range(start..end, replacement);
        self.edits.push(Edit {
            start,
            end: start + replacement.len(),
            delta: delta + folded,
            override_index,
            value_offset_in_argument,
            prefix_len,
        });
        self.edits.sort_by_key(|e| e.start);
    }

    /// Where the bytes `span` of the edited text came from: the same
    /// bytes in the file, or in the `--set` argument whose value they are
    /// part of. The start decides which; the end is cut where that part
    /// ends (a span is never split between the file and an argument).
    pub fn locate(&self, span: Range<usize>) -> Location {
        let start = span.start.min(self.text.len());
        let end = span.end.clamp(start, self.text.len());
        let mut shift = 0isize;
        let mut region_end = self.text.len();
        for e in &self.edits {
            if start >= e.end {
                shift += e.delta;
            } else if start >= e.start {
                let ov = &self.overrides[e.override_index];
                let in_argument = |offset: usize| {
                    let within_value = (offset - e.start).saturating_sub(e.prefix_len);
                    (e.value_offset_in_argument + within_value).min(ov.argument.len())
                };
                let (a, b) = (in_argument(start), in_argument(end.min(e.end)));
                return Location::Override {
                    flag: ov.flag,
                    argument: ov.argument.clone(),
                    column: ov.argument[..a].chars().count() + 1,
                    span: a..b,
                };
            } else {
                region_end = e.start;
                break;
            }
        }
        let original = |offset: usize| {
            (offset as isize - shift).clamp(0, self.original.len() as isize) as usize
        };
        let (a, b) = (original(start), original(end.min(region_end)));
        let (line, column, line_text) = line_column(&self.original, a);
        Location::File {
            file: self.file.clone(),
            line,
            column,
            line_text,
            span: a..b,
        }
    }

    /// Byte offset in the edited text of a 1-based (line, char column).
    pub fn offset_of(&self, line: usize, column: usize) -> usize {
        let mut offset = 0;
        for (i, text) in self.text.split_inclusive('\n').enumerate() {
            if i + 1 == line {
                return offset
                    + text
                        .char_indices()
                        .nth(column.saturating_sub(1))
                        .map_or(text.trim_end_matches('\n').len(), |(b, _)| b);
            }
            offset += text.len();
        }
        self.text.len()
    }
}

/// `a.b[2].c` -> [`a`, `.b`, `[2]`, `.c`]: concatenating a prefix gives the
/// path of that ancestor.
fn path_segments(path: &str) -> Vec<String> {
    let mut segments = Vec::new();
    let mut current = String::new();
    for c in path.chars() {
        if (c == '.' || c == '[') && !current.is_empty() {
            segments.push(std::mem::take(&mut current));
        }
        current.push(c);
    }
    if !current.is_empty() {
        segments.push(current);
    }
    segments
}

/// 1-based line and character column of a byte offset, and the line's text.
pub fn line_column(text: &str, offset: usize) -> (usize, usize, String) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    (
        line,
        column,
        text[line_start..line_end]
            .trim_end_matches('\r')
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "(\n    name: \"x\",\n    seed: 1,\n    stop: (horizon: \"1d\"),\n    list: [(a: 1), (a: 2)],\n)\n";

    fn applied(args: &[&str]) -> Result<Source, Diagnostic> {
        let mut source = Source::new("f.ron", FILE.to_string());
        for a in args {
            source.apply(parse_override(&SetArg::set(*a))?)?;
        }
        Ok(source)
    }

    #[test]
    fn paths_are_canonicalised() {
        assert_eq!(canonical_path("a.b.0.c").unwrap(), "a.b[0].c");
        assert_eq!(canonical_path("a.b[0].c").unwrap(), "a.b[0].c");
        assert_eq!(canonical_path("a.b[0][1]").unwrap(), "a.b[0][1]");
        assert!(canonical_path("a..b").is_none());
        assert!(canonical_path("a.b[x]").is_none());
        assert!(canonical_path("").is_none());
    }

    #[test]
    fn replaces_existing_values_and_quotes_strings() {
        let s = applied(&["seed=7", "name=demo run", "stop.horizon=36h", "list[1].a=5"]).unwrap();
        assert!(s.text.contains("seed: 7,"));
        assert!(s.text.contains("name: \"demo run\","));
        assert!(s.text.contains("horizon: \"36h\""));
        assert!(s.text.contains("(a: 5)"));
    }

    #[test]
    fn inserts_missing_fields_and_nested_structs() {
        let s = applied(&["stop.max_events=100", "outputs.timeseries_interval=5m"]).unwrap();
        assert!(
            s.text.contains("stop: (max_events: 100, horizon: \"1d\")"),
            "{}",
            s.text
        );
        assert!(
            s.text.contains("outputs: (timeseries_interval: \"5m\"), "),
            "{}",
            s.text
        );
    }

    #[test]
    fn positions_map_back_to_the_file_or_the_override() {
        let s = applied(&["seed=12345"]).unwrap();
        // `stop` is on line 4 of the file whatever the override did.
        let stop = s.text.find("stop").unwrap();
        match s.locate(stop..stop + 4) {
            Location::File {
                line, column, span, ..
            } => {
                assert_eq!((line, column), (4, 5));
                assert_eq!(&FILE[span], "stop");
            }
            other => panic!("{other:?}"),
        }
        let seed_value = s.text.find("12345").unwrap();
        assert_eq!(
            s.locate(seed_value + 2..seed_value + 5),
            Location::Override {
                flag: "--set",
                argument: "seed=12345".into(),
                column: 8,
                span: 7..10,
            }
        );
        assert_eq!(s.offset_of(4, 5), stop);
    }

    #[test]
    fn bad_overrides_explain_themselves() {
        let e = applied(&["list[5].a=1"]).unwrap_err();
        assert!(e.message.contains("no element [5]"), "{}", e.message);
        let e = applied(&["name.x=1"]).unwrap_err();
        assert!(e.message.contains("not a struct"), "{}", e.message);
        assert!(parse_override(&SetArg::set("seed")).is_err());
        assert!(parse_override(&SetArg::set("a b=1")).is_err());
    }
}
