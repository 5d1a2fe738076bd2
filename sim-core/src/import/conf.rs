//! The reader of slurm.conf and topology.conf, as slurmctld reads them:
//! `Key=Value` pairs separated by blanks, keys in any case, `#` to the end
//! of a line a comment (`\#` a literal `#`), a line ending in `\` continued
//! on the next, values in double quotes when they hold blanks, and
//! `Include FILE` read in place (a relative path starts at the including
//! file's folder).
//!
//! Each logical line becomes a [`Statement`]: its pairs in order, each
//! with the file, line and byte span it came from, so that whatever is
//! wrong with it later is reported at its line and column. Invariants:
//! nothing is dropped (every pair of every line comes out), includes nest
//! at most [`MAX_INCLUDE_DEPTH`] deep, and a file that cannot be read is
//! an error at the line that included it.

use std::ops::Range;
use std::path::Path;

use crate::text::{FileError, without_bom};

/// Deepest chain of `Include`s followed; deeper is surely a cycle.
pub const MAX_INCLUDE_DEPTH: usize = 16;

/// Where something was written: a line of a file and a byte span of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    pub path: String,
    pub line: usize,
    /// The text of the line, for the snippet of an error.
    pub text: String,
    pub span: Range<usize>,
}

impl Place {
    /// An error here, underlining the span.
    pub fn error(
        &self,
        message: impl Into<String>,
        expected: impl Into<String>,
        fix: impl Into<String>,
    ) -> FileError {
        FileError::in_line(
            &self.path,
            self.line,
            &self.text,
            self.span.clone(),
            message,
            expected,
            fix,
        )
    }

    /// The same line, a sub-span of this one (`offset` bytes in, `len`
    /// long): a part of a value.
    pub fn within(&self, offset: usize, len: usize) -> Place {
        let start = (self.span.start + offset).min(self.span.end);
        Place {
            span: start..(start + len).min(self.span.end).max(start),
            ..self.clone()
        }
    }

    /// `path:line`, for the opening comment.
    pub fn short(&self) -> String {
        format!("{}:{}", self.path, self.line)
    }
}

/// One `Key=Value` of a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair {
    /// As written; compare with `eq_ignore_ascii_case`.
    pub key: String,
    pub value: String,
    pub key_at: Place,
    pub value_at: Place,
}

impl Pair {
    pub fn is(&self, key: &str) -> bool {
        self.key.eq_ignore_ascii_case(key)
    }
}

/// A logical line: its pairs, the first naming what it defines
/// (`NodeName=...`, `PartitionName=...`) or a global parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub pairs: Vec<Pair>,
}

impl Statement {
    pub fn head(&self) -> &Pair {
        &self.pairs[0]
    }

    /// The last value given for `key` (slurmctld keeps the last).
    pub fn get(&self, key: &str) -> Option<&Pair> {
        self.pairs.iter().rev().find(|p| p.is(key))
    }
}

/// The statements of `path` and of the files it includes, in order.
pub fn read(path: &Path) -> Result<Vec<Statement>, FileError> {
    let text = read_text(path, None)?;
    let mut out = Vec::new();
    read_into(path, &text, 0, &mut out)?;
    Ok(out)
}

fn read_text(path: &Path, included_at: Option<&Place>) -> Result<String, FileError> {
    std::fs::read_to_string(path).map_err(|e| {
        let shown = path.display().to_string();
        match included_at {
            Some(at) => at.error(
                format!("cannot read the included file {shown}: {e}"),
                "a readable file",
                "fix the Include path (a relative path starts at the including file's folder), or remove the line",
            ),
            None => FileError::at(
                &shown,
                0,
                0,
                format!("cannot read: {e}"),
                "a readable text file",
                "check the path",
            ),
        }
    })
}

fn read_into(
    path: &Path,
    text: &str,
    depth: usize,
    out: &mut Vec<Statement>,
) -> Result<(), FileError> {
    let shown = path.display().to_string();
    let mut continuing = false;
    for (i, raw) in without_bom(text).lines().enumerate() {
        let place = |span: Range<usize>| Place {
            path: shown.clone(),
            line: i + 1,
            text: raw.to_string(),
            span,
        };
        let (tokens, continued) = tokens(raw).map_err(|(span, message)| {
            place(span).error(
                message,
                "Key=Value pairs separated by blanks",
                "close the quote",
            )
        })?;
        let was_continuing = std::mem::replace(&mut continuing, continued);
        if tokens.is_empty() {
            continue;
        }
        let first = &raw[tokens[0].clone()];
        if !was_continuing && first.eq_ignore_ascii_case("include") {
            let Some(file) = tokens.get(1) else {
                return Err(place(tokens[0].clone()).error(
                    "Include without a file",
                    "Include FILE",
                    "name the file to include, or remove the line",
                ));
            };
            let at = place(file.clone());
            if depth + 1 > MAX_INCLUDE_DEPTH {
                return Err(at.error(
                    format!("more than {MAX_INCLUDE_DEPTH} nested Includes"),
                    "a file that does not include itself",
                    "break the cycle of Includes",
                ));
            }
            let name = unquote(&raw[file.clone()]);
            let target = match Path::new(name) {
                p if p.is_absolute() => p.to_path_buf(),
                p => path.parent().map_or_else(|| p.to_path_buf(), |d| d.join(p)),
            };
            let included = read_text(&target, Some(&at))?;
            read_into(&target, &included, depth + 1, out)?;
            continue;
        }
        let mut pairs = Vec::new();
        for token in tokens {
            let word = &raw[token.clone()];
            let Some(eq) = word.find('=') else {
                return Err(place(token).error(
                    format!("`{word}` is not a Key=Value pair"),
                    "Key=Value pairs separated by blanks, or Include FILE",
                    "write it as Key=Value (no blanks around `=`), or comment it out with `#`",
                ));
            };
            let value_start = token.start + eq + 1;
            let value = unquote(&raw[value_start..token.end]);
            pairs.push(Pair {
                key: word[..eq].to_string(),
                value: value.to_string(),
                key_at: place(token.start..token.start + eq),
                value_at: place(value_start..token.end),
            });
        }
        match out.last_mut() {
            Some(last) if was_continuing => last.pairs.extend(pairs),
            _ => out.push(Statement { pairs }),
        }
    }
    Ok(())
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

/// The byte spans of a line's blank-separated tokens before its comment,
/// and whether it ends with a continuing `\`. Double quotes keep blanks
/// and `#` in a token.
type Tokens = (Vec<Range<usize>>, bool);
fn tokens(line: &str) -> Result<Tokens, (Range<usize>, String)> {
    let mut spans = Vec::new();
    let mut start: Option<usize> = None;
    let mut quote: Option<usize> = None;
    let mut end = line.len();
    let bytes = line.as_bytes();
    for (i, c) in line.char_indices() {
        match c {
            '"' => quote = if quote.is_some() { None } else { Some(i) },
            '#' if quote.is_none() && !(i > 0 && bytes[i - 1] == b'\\') => {
                end = i;
                break;
            }
            c if c.is_whitespace() && quote.is_none() => {
                if let Some(s) = start.take() {
                    spans.push(s..i);
                }
                continue;
            }
            _ => {}
        }
        if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(q) = quote {
        return Err((q..end, "a `\"` without its closing quote".into()));
    }
    if let Some(s) = start {
        spans.push(s..end);
    }
    let continued = match spans.last_mut() {
        Some(last) if line[last.clone()].ends_with('\\') => {
            last.end -= 1;
            if last.start == last.end {
                spans.pop();
            }
            true
        }
        _ => false,
    };
    Ok((spans, continued))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(s: &Statement) -> Vec<(String, String)> {
        s.pairs
            .iter()
            .map(|p| (p.key.clone(), p.value.clone()))
            .collect()
    }

    #[test]
    fn lines_comments_quotes_and_continuations() {
        let dir = std::env::temp_dir().join(format!("conf-reader-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("inc.conf"), "PriorityWeightAge=5\n").unwrap();
        let main = dir.join("slurm.conf");
        std::fs::write(
            &main,
            "# a comment\nNodeName=n[1-2] \\\n   Gres=gpu:h100:8 # trailing\nclustername=\"my cluster\"\ninclude inc.conf\nA=b\\#c\n",
        )
        .unwrap();
        let s = read(&main).unwrap();
        assert_eq!(s.len(), 4);
        assert_eq!(
            keys(&s[0]),
            [
                ("NodeName".into(), "n[1-2]".into()),
                ("Gres".into(), "gpu:h100:8".into())
            ]
        );
        assert_eq!(
            s[0].pairs[1].key_at.line, 3,
            "a continued pair keeps its own line"
        );
        assert_eq!(s[0].pairs[1].value_at.span, 8..18);
        assert!(s[1].head().is("ClusterName"));
        assert_eq!(s[1].head().value, "my cluster");
        assert_eq!(
            s[2].head().key_at.path,
            dir.join("inc.conf").display().to_string()
        );
        assert_eq!(s[3].head().value, "b\\#c");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
