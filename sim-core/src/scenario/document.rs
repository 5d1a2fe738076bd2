//! Other RON files read with the scenario's conventions: a study file is
//! parsed, and its problems located and worded, exactly as a scenario's.
//!
//! A [`RonDocument`] is the text of a file that parsed, with the span of
//! every value by path, so that the file's own checks (in the module that
//! owns its schema) report at file:line:column through [`Diagnostic`].

use serde::de::DeserializeOwned;

use super::error::{Diagnostic, Location, ScenarioError, Severity};
use super::source::Source;
use super::spans::SpanIndex;
use crate::text::without_bom;

/// A RON file that parsed, for locating what its checks find.
#[derive(Clone, Debug)]
pub struct RonDocument {
    source: Source,
    spans: SpanIndex,
}

/// What a check of a [`RonDocument`] found at one value.
#[derive(Clone, Debug, Default)]
pub struct Finding {
    /// The value's path (`parameters[1].values`; `""` is the whole file).
    pub path: String,
    pub message: String,
    pub found: Option<String>,
    pub expected: Option<String>,
    pub fix: Option<String>,
}

/// Parses `text` (named `file` in diagnostics) as a `T`, with the errors of
/// [`super::load_str`]: unknown fields with did-you-mean, wrong types,
/// missing commas, each at line:column with a fix. `Option` fields may be
/// written without `Some(...)`.
/// `example` names a bundled file of the same schema, for fixes.
pub fn read_ron<T: DeserializeOwned>(
    file: &str,
    text: &str,
    example: &str,
) -> Result<(T, RonDocument), ScenarioError> {
    let source = Source::new(file, without_bom(text).to_string());
    let value = super::parse_as::<T>(&source, example)?;
    let spans = SpanIndex::build(&source.text).unwrap_or_default();
    Ok((value, RonDocument { source, spans }))
}

impl RonDocument {
    /// The file's name as given.
    pub fn file(&self) -> &str {
        &self.source.file
    }

    /// The file's text (without a byte-order mark).
    pub fn text(&self) -> &str {
        &self.source.text
    }

    /// Whether the file writes a value at `path`.
    pub fn has(&self, path: &str) -> bool {
        self.spans.get(path).is_some()
    }

    /// An error located at `finding.path`'s value, or at its nearest
    /// ancestor written in the file.
    pub fn error(&self, finding: Finding) -> Diagnostic {
        let span =
            (self.spans.nearest(&finding.path)).map_or(0..0, |(_, span)| span.start..span.end);
        let location = if self.source.text.is_empty() {
            Location::WholeFile {
                file: self.source.file.clone(),
            }
        } else {
            self.source.locate(span)
        };
        Diagnostic {
            severity: Severity::Error,
            location,
            path: Some(finding.path),
            message: finding.message,
            found: finding.found,
            expected: finding.expected,
            fix: finding.fix,
            cause: None,
        }
    }
}
