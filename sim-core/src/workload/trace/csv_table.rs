//! A CSV job table read through a column map (`csv_map.rs`): Helios,
//! Philly (flattened), Acme, or any table whose columns the user names.
//!
//! Job: read the text into records ([`RawJob`]); the replay semantics
//! (drops, window, scaling) are the parent module's.
//!
//! Format: comma-separated, the first non-blank line naming the columns
//! (matched exactly, spaces around a name ignored); fields may be quoted
//! with `"` (`""` inside for a quote), but a record is one line. Every
//! line has as many fields as the header.
//!
//! Semantics:
//! - submit is the `submit` column; the run time is `end - start` when
//!   both are mapped and given, else `duration` (seconds); an end before
//!   the start is a negative run time (dropped as "run time unknown or <
//!   0");
//! - a job with a `start` column but no start time never started
//!   (Philly's jobs without attempts, jobs cancelled in the queue) and is
//!   dropped as such;
//! - missing values: an empty field, `None`, `nan`, `NaN`, `NaT` (what
//!   pandas writes);
//! - GPUs: a whole number (`8` or pandas' `8.0`); a job with 0 GPUs (the
//!   CPU jobs of Helios and Acme) is dropped as "no GPUs (CPU-only job)":
//!   clustersim models GPUs only;
//! - nodes: a job over `n > 1` nodes whose GPUs divide evenly asks for `n`
//!   nodes of `gpus / n` GPUs (`JobRequest::Nodes`), otherwise for its GPU
//!   count (counted as altered);
//! - the job id is the `job_id` column when it is a whole number, else the
//!   row's number (1 for the first job row; counted as altered); the user
//!   is `user` (`?` when unmapped or empty); the virtual cluster `vc` is
//!   the job's queue and its account (`?` when unmapped); `state` is kept
//!   for the report (`COMPLETED`, `CANCELLED`, `FAILED`, Philly's `Pass`,
//!   `Killed`, `Failed`).
//!
//! Invariant: a malformed field is an error at its line and column, never
//! a panic and never a silently wrong job.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::csv_map::{CsvColumns, TimeFormat};
use super::{Extra, IdOrigin, Parsed, RawJob, SwfHeader, parse_nano, sacct};
use crate::engine::NS_PER_SEC;
use crate::text::{FileError, did_you_mean};

const FIX_FORMAT: &str = "map the table's columns in the scenario's \
     `format: Csv(columns: (...))`, or start from a preset: `Csv(preset: Helios)`";

/// One data line of a comma-separated file: its number, its text and its
/// fields (byte offset, text without quotes).
pub(crate) struct CsvRow<'a> {
    pub line_no: usize,
    pub line: &'a str,
    pub fields: Vec<(usize, Cow<'a, str>)>,
}

impl CsvRow<'_> {
    /// Field `i`'s text, trimmed.
    pub fn value(&self, i: usize) -> &str {
        self.fields[i].1.trim()
    }

    /// A problem with field `i` of this row, underlined in `path`.
    pub fn error(
        &self,
        path: &str,
        i: usize,
        message: String,
        expected: &str,
        fix: &str,
    ) -> FileError {
        let (offset, text) = (self.fields[i].0, &self.fields[i].1);
        FileError::in_line(
            path,
            self.line_no,
            self.line,
            offset..offset + text.len(),
            message,
            expected,
            fix,
        )
    }
}

/// A comma-separated file's numbered lines after its header, and the
/// header (its line number and text): the first non-blank line, or an
/// error at 1:1 if there is none (`rows` says what should follow it).
pub(crate) fn with_header<'a>(
    path: &str,
    text: &'a str,
    rows: &str,
    fix: &str,
) -> Result<(impl Iterator<Item = (usize, &'a str)> + 'a, usize, &'a str), FileError> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    match lines.find(|(_, l)| !l.trim().is_empty()) {
        Some((header_no, header_line)) => Ok((lines, header_no, header_line)),
        None => Err(FileError::at(
            path,
            1,
            1,
            "the file is empty",
            format!("a header line naming the columns, then one line per {rows}"),
            fix,
        )),
    }
}

/// The data rows that follow a header naming `count` columns, blank lines
/// skipped: each row split into exactly `count` fields, or an error at the
/// first field too many (or at the end of a short line) with `repair` as
/// the fix. The one row reader of the CSV trace formats.
pub(crate) fn csv_rows<'a>(
    path: &'a str,
    lines: impl Iterator<Item = (usize, &'a str)> + 'a,
    count: usize,
    repair: &'a str,
) -> impl Iterator<Item = Result<CsvRow<'a>, FileError>> + 'a {
    lines
        .filter(|(_, line)| !line.trim().is_empty())
        .map(move |(line_no, line)| {
            let line = line.trim_end_matches('\r');
            let fields = split_line(line);
            if fields.len() != count {
                let span = match fields.get(count) {
                    Some(&(offset, _)) => offset..line.len(),
                    None => line.len()..line.len(),
                };
                return Err(FileError::in_line(
                    path,
                    line_no,
                    line,
                    span,
                    format!(
                        "{} fields on this line, but the header names {count}",
                        fields.len()
                    ),
                    "one comma-separated field per column of the header",
                    repair,
                ));
            }
            Ok(CsvRow {
                line_no,
                line,
                fields,
            })
        })
}

/// The fields of one CSV line: (byte offset of the field's text, the text
/// with quotes removed). A line without quotes is split at every comma.
pub(crate) fn split_line(line: &str) -> Vec<(usize, Cow<'_, str>)> {
    let mut fields = Vec::new();
    let bytes = line.as_bytes();
    let mut start = 0;
    loop {
        if bytes.get(start) == Some(&b'"') {
            // A quoted field: up to the closing quote, `""` an escaped one.
            let mut text = String::new();
            let mut i = start + 1;
            let mut chars = line[i..].char_indices().peekable();
            let mut closed = line.len();
            while let Some((at, c)) = chars.next() {
                if c == '"' {
                    if chars.peek().map(|&(_, c)| c) == Some('"') {
                        text.push('"');
                        chars.next();
                    } else {
                        closed = i + at;
                        break;
                    }
                } else {
                    text.push(c);
                }
            }
            i = closed;
            fields.push((start + 1, Cow::Owned(text)));
            // Skip to the next comma after the closing quote.
            match line[i.min(line.len())..].find(',') {
                Some(comma) => start = i + comma + 1,
                None => return fields,
            }
        } else {
            match line[start..].find(',') {
                Some(comma) => {
                    fields.push((start, Cow::Borrowed(&line[start..start + comma])));
                    start += comma + 1;
                }
                None => {
                    fields.push((start, Cow::Borrowed(&line[start..])));
                    return fields;
                }
            }
        }
    }
}

/// A value that stands for "missing".
pub(crate) fn is_missing(text: &str) -> bool {
    ["", "none", "nan", "nat", "null"]
        .iter()
        .any(|m| text.eq_ignore_ascii_case(m))
}

/// Column indices of the mapped fields.
struct Indices {
    count: usize,
    job_id: Option<usize>,
    user: Option<usize>,
    vc: Option<usize>,
    gpus: usize,
    nodes: Option<usize>,
    submit: usize,
    start: Option<usize>,
    end: Option<usize>,
    duration: Option<usize>,
    state: Option<usize>,
}

/// A column of the map missing from the header: an error at the header,
/// listing its columns and the nearest name.
pub(crate) fn missing_column_fix(column: &str, header: &[String]) -> String {
    let hint = did_you_mean(column, header.iter().map(String::as_str))
        .map(|c| format!("did you mean `{c}`? "))
        .unwrap_or_default();
    format!(
        "{hint}name one of the table's columns: {}",
        header.join(", ")
    )
}

fn indices(
    path: &str,
    line_no: usize,
    line: &str,
    columns: &CsvColumns,
) -> Result<Indices, FileError> {
    let header: Vec<String> = split_line(line)
        .into_iter()
        .map(|(_, f)| f.trim().to_string())
        .collect();
    let error = |message: String, fix: String| {
        FileError::in_line(
            path,
            line_no,
            line,
            0..line.len(),
            message,
            "a first line naming the table's columns, the mapped ones among them",
            fix,
        )
    };
    if let Some(field) = columns.missing_required() {
        return Err(error(
            format!("the column map gives no `{field}` column"),
            format!("map the `{field}` field to a column of the table; {FIX_FORMAT}"),
        ));
    }
    let find = |column: &Option<String>| -> Result<Option<usize>, FileError> {
        let Some(column) = column else {
            return Ok(None);
        };
        match header.iter().position(|h| h == column) {
            Some(i) => Ok(Some(i)),
            None => Err(error(
                format!("the table has no column `{column}`"),
                missing_column_fix(column, &header),
            )),
        }
    };
    let required = |column: &Option<String>| find(column).map(|i| i.unwrap_or(0));
    Ok(Indices {
        count: header.len(),
        job_id: find(&columns.job_id)?,
        user: find(&columns.user)?,
        vc: find(&columns.vc)?,
        gpus: required(&columns.gpus)?,
        nodes: find(&columns.nodes)?,
        submit: required(&columns.submit)?,
        start: find(&columns.start)?,
        end: find(&columns.end)?,
        duration: find(&columns.duration)?,
        state: find(&columns.state)?,
    })
}

/// Shares one string per distinct name.
#[derive(Default)]
pub(crate) struct Names(BTreeMap<String, Arc<str>>);

impl Names {
    pub fn get(&mut self, name: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(name) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(name);
        self.0.insert(name.to_string(), Arc::clone(&shared));
        shared
    }
}

/// Parses a CSV job table through `columns`.
pub(crate) fn parse(path: &str, text: &str, columns: &CsvColumns) -> Result<Parsed, FileError> {
    let (lines, header_no, header_line) = with_header(path, text, "job", FIX_FORMAT)?;
    let at = indices(path, header_no, header_line, columns)?;
    let mut names = Names::default();
    let mut jobs = Vec::new();
    let mut row = 0u64;
    let repair = "repair the line; a field holding a comma must be quoted (\"a,b\")";
    for r in csv_rows(path, lines, at.count, repair) {
        let r = r?;
        row += 1;
        let value = |i: usize| r.value(i);
        let err = |i: usize, message: String, expected: &str| {
            r.error(path, i, message, expected, FIX_FORMAT)
        };
        let time = |c: Option<usize>, field: &str| -> Result<Option<i64>, FileError> {
            let Some(i) = c else { return Ok(None) };
            let v = value(i);
            if is_missing(v) {
                return Ok(None);
            }
            parse_time(v, columns.time_format).map(Some).ok_or_else(|| {
                let expected = match columns.time_format {
                    TimeFormat::Unix => "seconds, like 1591728061",
                    TimeFormat::DateTime => {
                        "a time as YYYY-MM-DD HH:MM:SS, optionally with a UTC offset (+08:00)"
                    }
                };
                err(i, format!("the {field} time is `{v}`"), expected)
            })
        };
        let whole = |c: usize, field: &str| -> Result<Option<u64>, FileError> {
            let v = value(c);
            if is_missing(v) {
                return Ok(None);
            }
            match parse_nano(v) {
                Some(n) if n >= 0 && n % i128::from(NS_PER_SEC) == 0 => Ok(Some(
                    u64::try_from(n / i128::from(NS_PER_SEC)).unwrap_or(u64::MAX),
                )),
                _ => Err(err(
                    c,
                    format!("the {field} count is `{v}`"),
                    "a whole number (8, or 8.0)",
                )),
            }
        };

        let id_text = at.job_id.map(value).unwrap_or("");
        let (id, id_from_row) = match id_text.parse::<u64>() {
            Ok(id) => (id, false),
            Err(_) => (row, true),
        };
        let submit_ns =
            time(Some(at.submit), "submit")?.map(|s| s.saturating_mul(NS_PER_SEC as i64));
        let start = time(at.start, "start")?;
        let end = time(at.end, "end")?;
        let duration_ns = match at.duration {
            Some(i) if !is_missing(value(i)) => {
                let v = value(i);
                let ns = parse_nano(v).ok_or_else(|| {
                    err(
                        i,
                        format!("the duration is `{v}`"),
                        "seconds, like 3600 or 3600.5",
                    )
                })?;
                Some(i64::try_from(ns).unwrap_or(i64::MAX))
            }
            _ => None,
        };
        let runtime_ns = match (start, end) {
            (Some(s), Some(e)) => e
                .checked_sub(s)
                .and_then(|d| d.checked_mul(NS_PER_SEC as i64)),
            _ => duration_ns,
        };
        let gpus = whole(at.gpus, "GPU")?.unwrap_or(0);
        let nodes = match at.nodes {
            Some(i) => whole(i, "node")?.unwrap_or(0),
            None => 0,
        };
        let name = |c: Option<usize>, names: &mut Names| match c.map(value) {
            Some(v) if !is_missing(v) => names.get(v),
            _ => names.get("?"),
        };
        let vc = at
            .vc
            .map(value)
            .filter(|v| !is_missing(v))
            .map(|v| names.get(v));
        let state = at
            .state
            .map(value)
            .filter(|v| !is_missing(v))
            .map(|v| names.get(v));
        jobs.push(RawJob {
            line: r.line_no,
            id,
            id_origin: IdOrigin::Plain,
            submit_ns,
            runtime_ns,
            requested_size: i64::try_from(gpus).unwrap_or(i64::MAX),
            allocated_size: 0,
            requested_time_ns: None,
            never_started: at.start.is_some() && start.is_none(),
            user: name(at.user, &mut names),
            account: vc.clone().unwrap_or_else(|| names.get("?")),
            partition: None,
            qos: None,
            queue: vc,
            extra: Extra {
                state,
                nodes: u32::try_from(nodes).unwrap_or(0),
                id_from_row,
                ..Extra::default()
            },
        });
    }
    Ok(Parsed {
        jobs,
        header: SwfHeader::default(),
        size_in_processors: false,
        sizes_from_cpus: false,
        steps_skipped: 0,
        no_size_reason: "no GPUs (CPU-only job)",
    })
}

/// A time in seconds: Unix seconds (decimals cut to the second below), or
/// `YYYY-MM-DD HH:MM:SS` / `YYYY-MM-DDTHH:MM:SS` with an optional
/// fraction of a second (ignored) and UTC offset (`+08:00`, `-0500`, `Z`),
/// which is applied.
pub(crate) fn parse_time(text: &str, format: TimeFormat) -> Option<i64> {
    match format {
        TimeFormat::Unix => {
            let ns = parse_nano(text)?;
            i64::try_from(ns.div_euclid(i128::from(NS_PER_SEC))).ok()
        }
        TimeFormat::DateTime => {
            if text.len() < 19 || !text.is_char_boundary(19) {
                return None;
            }
            let (clock, mut rest) = text.split_at(19);
            let mut standard = clock.to_string();
            if standard.as_bytes()[10] == b' ' {
                standard.replace_range(10..11, "T");
            }
            let seconds = sacct::timestamp(&standard).ok()??;
            if let Some(fraction) = rest.strip_prefix('.') {
                let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
                if digits == 0 {
                    return None;
                }
                rest = &fraction[digits..];
            }
            let offset_s = match rest.as_bytes().first() {
                None => 0,
                Some(b'Z') if rest.len() == 1 => 0,
                Some(&sign @ (b'+' | b'-')) => {
                    let digits: String = rest[1..].chars().filter(|&c| c != ':').collect();
                    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                        return None;
                    }
                    let (h, m): (i64, i64) = (digits[..2].parse().ok()?, digits[2..].parse().ok()?);
                    let s = h * 3_600 + m * 60;
                    if sign == b'+' { s } else { -s }
                }
                _ => return None,
            };
            Some(seconds - offset_s)
        }
    }
}
