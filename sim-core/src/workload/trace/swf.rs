//! The Standard Workload Format (SWF) of the Parallel Workloads Archive.
//!
//! Job: read an SWF text into records ([`RawJob`]) and its header
//! ([`SwfHeader`]); the replay semantics (drops, window, scaling) are applied
//! by the parent module.
//!
//! Format: header lines start with `;` and read `; Key: value`, where a
//! value may be followed by a comment (`; MaxNodes: 338 (batch partition;
//! 512 total)` gives 338); other comment lines are ignored, and the first
//! occurrence of a key wins. Blank lines are ignored. Every other line has
//! exactly 18 whitespace-separated fields, `-1` meaning unknown:
//! 1 job number, 2 submit time (s), 3 wait time (s), 4 run time (s),
//! 5 allocated processors, 6 average CPU time (s), 7 used memory (KB),
//! 8 requested processors, 9 requested time (s), 10 requested memory (KB),
//! 11 status, 12 user id, 13 group id, 14 executable number, 15 queue
//! number, 16 partition number, 17 preceding job number, 18 think time (s).
//!
//! Invariants:
//! - every one of the 18 fields is checked, so a shifted or merged column is
//!   an error at its exact line and column rather than a silently wrong job;
//! - times (fields 2, 3, 4, 9, 18) are decimal seconds, read exactly (up to
//!   nanoseconds, never through `f64`); counts and ids must be whole numbers
//!   (`12` or `12.0`); fields 6, 7 and 10 may be any finite decimal number;
//! - a record becomes a [`RawJob`] unchanged: unknown values stay unknown
//!   for the parent module to drop or replace and count.
//!
//! Speed (a trace has up to millions of records): a line whose every field
//! is a plain integer (`-?[0-9]{1,18}`, nearly every line of the archive's
//! logs) is read by a hand-written byte scanner; any other token goes
//! through the general reader, and a line that fails either is read again
//! by the general path, which alone writes errors, so both paths accept
//! and refuse exactly the same lines with the same results. Names (`u7`,
//! `g3`, `q1`, `p2`) are built once per distinct number and shared.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{IdOrigin, Parsed, RawJob, SwfHeader, parse_nano};
use crate::engine::NS_PER_SEC;
use crate::text::FileError;

/// How a field is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Decimal seconds, exact to the nanosecond.
    Seconds,
    /// A whole number.
    Whole,
    /// Any finite decimal number (averages and memory sizes).
    Real,
}

const FIELDS: [(&str, Kind); 18] = [
    ("job number", Kind::Whole),
    ("submit time", Kind::Seconds),
    ("wait time", Kind::Seconds),
    ("run time", Kind::Seconds),
    ("allocated processors", Kind::Whole),
    ("average CPU time", Kind::Real),
    ("used memory", Kind::Real),
    ("requested processors", Kind::Whole),
    ("requested time", Kind::Seconds),
    ("requested memory", Kind::Real),
    ("status", Kind::Whole),
    ("user id", Kind::Whole),
    ("group id", Kind::Whole),
    ("executable number", Kind::Whole),
    ("queue number", Kind::Whole),
    ("partition number", Kind::Whole),
    ("preceding job number", Kind::Whole),
    ("think time", Kind::Seconds),
];

const EXPECTED_LINE: &str = "18 whitespace-separated numbers (SWF): job number, submit, wait, \
     run time, allocated processors, average CPU time, used memory, requested processors, \
     requested time, requested memory, status, user, group, executable, queue, partition, \
     preceding job, think time";
const FIX_LINE: &str = "repair the line (an unknown value is written -1), or comment it out \
     with a leading ';'";

/// Parses an SWF text.
pub(crate) fn parse(path: &str, text: &str) -> Result<Parsed, FileError> {
    // A data line of the archive's logs is some 90 bytes long.
    let mut parser = Parser::with_capacity(text.len() / 80);
    parser.lines(path, text)?;
    Ok(parser.finish())
}

/// Parses an SWF text given in pieces of whole lines, as it is read.
pub(crate) struct Parser {
    header: SwfHeader,
    jobs: Vec<RawJob>,
    names: Names,
    /// Lines read so far.
    lines: usize,
}

impl Parser {
    /// A parser with room for `jobs` records.
    pub fn with_capacity(jobs: usize) -> Self {
        Parser {
            header: SwfHeader::default(),
            jobs: Vec::with_capacity(jobs),
            names: Names::default(),
            lines: 0,
        }
    }

    /// Parses the next lines of the text: `text` holds whole lines (only
    /// the text's last may lack its line feed).
    pub fn lines(&mut self, path: &str, text: &str) -> Result<(), FileError> {
        for line in text.lines() {
            self.lines += 1;
            let line_no = self.lines;
            let trimmed = line.trim_start();
            if trimmed.is_empty() {
                continue;
            }
            if let Some(rest) = trimmed.strip_prefix(';') {
                let rest_offset = line.len() - rest.len();
                header_line(path, line_no, line, rest, rest_offset, &mut self.header)?;
                continue;
            }
            let values = match fast_values(line) {
                Some(values) => values,
                None => values(path, line_no, line)?,
            };
            self.jobs.push(self.names.job(line_no, values));
        }
        Ok(())
    }

    pub fn finish(self) -> Parsed {
        Parsed {
            jobs: self.jobs,
            header: self.header,
            size_in_processors: true,
            sizes_from_cpus: false,
            steps_skipped: 0,
            no_size_reason: "size <= 0",
        }
    }
}

/// Reads one `; Key: value` line into the header; other comments are
/// ignored.
fn header_line(
    path: &str,
    line_no: usize,
    line: &str,
    rest: &str,
    rest_offset: usize,
    header: &mut SwfHeader,
) -> Result<(), FileError> {
    let Some((key, value)) = rest.split_once(':') else {
        return Ok(());
    };
    let key = key.trim();
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Ok(()); // a comment that happens to contain a colon
    }
    let value_offset = rest_offset + rest.len() - value.len();
    let value_trimmed = value.trim();
    let value_start = value_offset + (value.len() - value.trim_start().len());
    let number = |negative_ok: bool| -> Result<i64, FileError> {
        leading_integer(value_trimmed, negative_ok).ok_or_else(|| {
            let token = value_trimmed.split_whitespace().next().unwrap_or("");
            FileError::in_line(
                path,
                line_no,
                line,
                value_start..value_start + token.len(),
                format!("header `{key}` has no usable number: `{value_trimmed}`"),
                format!(
                    "`; {key}: <{}whole number>`, optionally followed by a comment",
                    if negative_ok { "" } else { "non-negative " }
                ),
                "correct the header line, or delete it (the value is then unknown)",
            )
        })
    };
    let text = || Some(value_trimmed.to_string());
    match key {
        "MaxProcs" if header.max_procs.is_none() => {
            header.max_procs = Some(number(false)?.unsigned_abs());
        }
        "MaxNodes" if header.max_nodes.is_none() => {
            header.max_nodes = Some(number(false)?.unsigned_abs());
        }
        "MaxJobs" if header.max_jobs.is_none() => {
            header.max_jobs = Some(number(false)?.unsigned_abs());
        }
        "MaxRecords" if header.max_records.is_none() => {
            header.max_records = Some(number(false)?.unsigned_abs());
        }
        "UnixStartTime" if header.unix_start_time.is_none() => {
            header.unix_start_time = Some(number(true)?);
        }
        "Version" if header.version.is_none() => header.version = text(),
        "Computer" if header.computer.is_none() => header.computer = text(),
        "Installation" if header.installation.is_none() => header.installation = text(),
        _ => {}
    }
    Ok(())
}

/// The whole number at the start of `value`, which must end there or be
/// followed by white space (a comment): `338 (batch partition)` gives 338.
fn leading_integer(value: &str, negative_ok: bool) -> Option<i64> {
    let end = value.find(char::is_whitespace).unwrap_or(value.len());
    let token = &value[..end];
    if !negative_ok && token.starts_with('-') {
        return None;
    }
    token.parse().ok()
}

/// The whitespace-separated tokens of `line` with their byte offsets.
fn tokens(line: &str) -> impl Iterator<Item = (usize, &str)> {
    line.split_ascii_whitespace()
        .map(move |t| (t.as_ptr() as usize - line.as_ptr() as usize, t))
}

/// Reads one data line's 18 fields (seconds in nanoseconds, real numbers as
/// 0), or the error at its exact position: the general path.
fn values(path: &str, line_no: usize, line: &str) -> Result<[i64; 18], FileError> {
    let mut values = [0i64; 18];
    let mut count = 0;
    for (offset, token) in tokens(line) {
        // Columns are counted only for errors (by `FileError::in_line`):
        // counting characters of every token would make a large trace's
        // import quadratic per line.
        let span = offset..offset + token.len();
        let Some(&(name, kind)) = FIELDS.get(count) else {
            return Err(FileError::in_line(
                path,
                line_no,
                line,
                span,
                format!(
                    "{} fields on this line, more than the 18 of SWF (`{token}` is field {})",
                    tokens(line).count(),
                    count + 1
                ),
                EXPECTED_LINE,
                FIX_LINE,
            ));
        };
        values[count] = field(token, kind).ok_or_else(|| {
            FileError::in_line(
                path,
                line_no,
                line,
                span,
                format!("field {} ({name}) is `{token}`", count + 1),
                match kind {
                    Kind::Seconds => "seconds as a decimal number (at most 9 decimals), or -1",
                    Kind::Whole => "a whole number, or -1",
                    Kind::Real => "a finite decimal number, or -1",
                },
                FIX_LINE,
            )
        })?;
        count += 1;
    }
    if count < FIELDS.len() {
        let end = line.trim_end().len();
        return Err(FileError::in_line(
            path,
            line_no,
            line,
            end..end,
            format!(
                "{count} fields on this line, fewer than the 18 of SWF (field {}, {}, is missing)",
                count + 1,
                FIELDS[count].0
            ),
            EXPECTED_LINE,
            FIX_LINE,
        ));
    }
    if values[0] < 0 {
        let (offset, token) = tokens(line).next().unwrap_or((0, ""));
        return Err(FileError::in_line(
            path,
            line_no,
            line,
            offset..offset + token.len(),
            format!("the job number is `{token}`"),
            "a job number >= 0",
            FIX_LINE,
        ));
    }
    Ok(values)
}

/// The fast path of [`values`]: `None` unless the line has exactly 18
/// fields, each a plain integer `-?[0-9]{1,18}` (read in the same pass
/// that finds it), a plain real where a real may be ([`plain_real`]), or
/// else read by [`field`]; and a job number >= 0. The general path then
/// decides (and reports the error).
fn fast_values(line: &str) -> Option<[i64; 18]> {
    let bytes = line.as_bytes();
    let n = bytes.len();
    let mut values = [0i64; 18];
    let mut at = 0;
    for (value, &(_, kind)) in values.iter_mut().zip(&FIELDS) {
        while at < n && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if at == n {
            return None;
        }
        let start = at;
        let negative = bytes[at] == b'-';
        at += usize::from(negative);
        let digits_start = at;
        let mut plain: i64 = 0;
        // Eight bytes at a time where the line has them: most fields are
        // read without a byte loop (and its mispredicted exit).
        if let Some(word) = bytes.get(at..at + 8) {
            let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
            let digits = leading_digits(word);
            if digits > 0 {
                plain = digits_value(word << (64 - 8 * digits)) as i64;
                at += digits;
            }
        }
        while at < n {
            let digit = bytes[at].wrapping_sub(b'0');
            if digit > 9 {
                break;
            }
            // Wraps only past 18 digits, which are not taken below.
            plain = plain.wrapping_mul(10).wrapping_add(i64::from(digit));
            at += 1;
        }
        let digits = at - digits_start;
        if (at == n || bytes[at].is_ascii_whitespace()) && (1..=18).contains(&digits) {
            let plain = if negative { -plain } else { plain };
            *value = match kind {
                Kind::Seconds => plain.checked_mul(NS_PER_SEC as i64)?,
                Kind::Whole => plain,
                Kind::Real => 0,
            };
            continue;
        }
        while at < n && !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        // Tokens end at ASCII bytes, so both ends are character boundaries.
        let token = &bytes[start..at];
        *value = match kind {
            Kind::Real => plain_real(token).or_else(|| field(&line[start..at], kind))?,
            _ => field(&line[start..at], kind)?,
        };
    }
    let rest_is_blank = bytes[at..].iter().all(u8::is_ascii_whitespace);
    (rest_is_blank && values[0] >= 0).then_some(values)
}

/// How many ASCII digits the bytes of `word` (little-endian: the first
/// byte lowest) start with, 0 to 8.
fn leading_digits(word: u64) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Each byte minus '0'; a byte below '0' wraps above 0x7f and borrows
    // from the bytes after it only, which no longer count.
    let x = word.wrapping_sub(ONES * u64::from(b'0'));
    // The high bit of each byte that is not 0..=9 (the carry of the
    // addition, too, only reaches bytes after a non-digit).
    let not_digit = (x.wrapping_add(ONES * 0x76) | x) & (ONES * 0x80);
    (not_digit.trailing_zeros() / 8) as usize
}

/// The value of the 8 ASCII digits of `word`, its first byte (lowest)
/// the most significant; bytes 0 count as zeros (a shorter number is
/// shifted up to its last byte).
fn digits_value(word: u64) -> u64 {
    let word = word & 0x0f0f_0f0f_0f0f_0f0f;
    let word = ((word & 0x0f00_0f00_0f00_0f00) >> 8) + (word & 0x000f_000f_000f_000f) * 10;
    let word = ((word & 0x00ff_0000_00ff_0000) >> 16) + (word & 0x0000_00ff_0000_00ff) * 100;
    ((word & 0x0000_ffff_0000_0000) >> 32) + (word & 0x0000_0000_0000_ffff) * 10_000
}

/// A real number written `-?[0-9]{1,18}.[0-9]{1,18}`, read as [`field`]
/// reads it (any such number is finite, and stored as 0); `None` for
/// anything else.
fn plain_real(token: &[u8]) -> Option<i64> {
    let digits = token.strip_prefix(b"-").unwrap_or(token);
    let dot = digits.iter().position(|&b| b == b'.')?;
    let (whole, fraction) = (&digits[..dot], &digits[dot + 1..]);
    let plain = |part: &[u8]| (1..=18).contains(&part.len()) && part.iter().all(u8::is_ascii_digit);
    (plain(whole) && plain(fraction)).then_some(0)
}

/// The names of a trace's users, groups, queues and partitions, each built
/// once per distinct number and shared by the jobs that carry it.
#[derive(Default)]
struct Names {
    users: NumberNames,
    groups: NumberNames,
    queues: NumberNames,
    partitions: NumberNames,
    unknown_user: Option<Arc<str>>,
    unknown_group: Option<Arc<str>>,
}

/// Names `<prefix><number>` by number: a table for the small numbers
/// every log uses, a map for the rest.
#[derive(Default)]
struct NumberNames {
    small: Vec<Option<Arc<str>>>,
    large: BTreeMap<i64, Arc<str>>,
}

impl NumberNames {
    const SMALL: usize = 1 << 16;

    /// The name of `number` (>= 0).
    fn get(&mut self, prefix: char, number: i64) -> Arc<str> {
        let make = || Arc::<str>::from(format!("{prefix}{number}"));
        match usize::try_from(number) {
            Ok(i) if i < Self::SMALL => {
                if self.small.len() <= i {
                    self.small.resize(i + 1, None);
                }
                self.small[i].get_or_insert_with(make).clone()
            }
            _ => self.large.entry(number).or_insert_with(make).clone(),
        }
    }
}

impl Names {
    /// The job of a data line's fields.
    fn job(&mut self, line_no: usize, values: [i64; 18]) -> RawJob {
        let [
            job,
            submit_ns,
            _wait_ns,
            runtime_ns,
            allocated,
            _cpu,
            _memory,
            requested,
            requested_time_ns,
            _requested_memory,
            _status,
            user,
            group,
            _executable,
            queue,
            partition,
            _preceding,
            _think_ns,
        ] = values;
        let known = |v: i64| (v >= 0).then_some(v);
        RawJob {
            line: line_no,
            id: job.unsigned_abs(),
            id_origin: IdOrigin::Plain,
            submit_ns: known(submit_ns),
            runtime_ns: (runtime_ns != -(NS_PER_SEC as i64)).then_some(runtime_ns),
            requested_size: requested,
            allocated_size: allocated,
            requested_time_ns: Some(requested_time_ns),
            never_started: false,
            user: match known(user) {
                Some(u) => self.users.get('u', u),
                None => (self.unknown_user.get_or_insert_with(|| Arc::from("u?"))).clone(),
            },
            account: match known(group) {
                Some(g) => self.groups.get('g', g),
                None => (self.unknown_group.get_or_insert_with(|| Arc::from("g?"))).clone(),
            },
            partition: known(partition).map(|p| self.partitions.get('p', p)),
            qos: None,
            queue: known(queue).map(|q| self.queues.get('q', q)),
            extra: super::Extra::default(),
        }
    }
}

/// Reads one field: seconds in nanoseconds, other kinds as whole numbers
/// (a real number's value is checked, then stored as 0: it is not used).
fn field(token: &str, kind: Kind) -> Option<i64> {
    match kind {
        Kind::Seconds => parse_nano(token).and_then(|ns| i64::try_from(ns).ok()),
        Kind::Whole => {
            let ns = parse_nano(token)?;
            let whole = i128::from(NS_PER_SEC);
            if ns % whole != 0 {
                return None;
            }
            i64::try_from(ns / whole).ok()
        }
        Kind::Real => {
            let plain = token
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
            let value: f64 = token.parse().ok()?;
            (plain && value.is_finite()).then_some(0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The eight-byte reader against a byte loop, over digit strings cut
    /// at every length and followed by every kind of byte.
    #[test]
    fn eight_bytes_at_a_time_read_what_a_byte_loop_reads() {
        for text in ["12345678", "90817263", "00000001", "99999999"] {
            for len in 0..=8 {
                for next in [b' ', b'\t', b'.', b'-', b'/', b':', b'a', 0x00, 0xff, b'0'] {
                    let mut bytes = [b'7'; 8];
                    bytes[..len].copy_from_slice(&text.as_bytes()[..len]);
                    if len < 8 {
                        bytes[len] = next;
                    }
                    let word = u64::from_le_bytes(bytes);
                    let expected = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
                    assert_eq!(leading_digits(word), expected, "{bytes:?}");
                    if expected > 0 {
                        let value: u64 = std::str::from_utf8(&bytes[..expected])
                            .unwrap()
                            .parse()
                            .unwrap();
                        assert_eq!(digits_value(word << (64 - 8 * expected)), value);
                    }
                }
            }
        }
    }
}
