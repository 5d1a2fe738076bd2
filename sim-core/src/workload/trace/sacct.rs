//! Slurm accounting records: the output of
//! `sacct --parsable2 --format=JobID,User,Account,Partition,QOS,Submit,Start,End,Elapsed,Timelimit,ReqTRES,AllocTRES,State`.
//!
//! Job: read that text into records ([`RawJob`]); the replay semantics
//! (drops, window, scaling) are applied by the parent module.
//!
//! Format: `|`-separated fields; the first non-blank line is the header
//! naming the columns (any order, matched case-insensitively, unknown
//! columns ignored; a trailing `|` as printed by `--parsable` is accepted).
//! Required: `JobID`, `Submit`, and `Elapsed` or both `Start` and `End`.
//! Optional: `User`, `Account`, `Partition`, `QOS`, `Timelimit`, `ReqTRES`,
//! `AllocTRES`, `ReqCPUS`, `AllocCPUS`, `State`.
//!
//! Semantics:
//! - job steps (`JobID` with a `.`: `123.batch`, `123.0`, `123.extern`) are
//!   skipped and counted in `steps_skipped`, not as records;
//! - array tasks (`123_4`, `123_[1-5]`) and heterogeneous components
//!   (`123+0`) take the numeric id before the suffix and stay distinct jobs,
//!   ordered by (submit, line in the file); each is counted as altered;
//! - times are `YYYY-MM-DDTHH:MM:SS` (`SLURM_TIME_FORMAT=standard`), read as
//!   naive UTC-like instants with a days-from-civil computation; `Unknown`,
//!   `None` and empty mean missing;
//! - durations (`Elapsed`, `Timelimit`) use Slurm's spellings: `MM`,
//!   `MM:SS`, `HH:MM:SS`, `D-HH`, `D-HH:MM`, `D-HH:MM:SS`; `UNLIMITED`,
//!   `Partition_Limit`, `INVALID`, `Unknown`, `None` and empty mean missing;
//! - a job never started when its `Start` is missing or its `State` is
//!   `PENDING` (this covers jobs cancelled before they started);
//! - run time is `End - Start` when both are known, else `Elapsed` when the
//!   job has finished (not `RUNNING`, `SUSPENDED`, `REQUEUED`, `RESIZING`,
//!   `PENDING`), else unknown;
//! - size: `gres/gpu=N` in `ReqTRES` (requested) and `AllocTRES`
//!   (allocated); typed entries (`gres/gpu:a100=2`) are summed when there is
//!   no plain `gres/gpu` entry (sacct often prints both, which must not
//!   count twice). When no job of the whole trace mentions `gres/gpu`, the
//!   sizes are CPUs (`cpu=N` in the TRES, else `ReqCPUS`/`AllocCPUS`) times
//!   `gpus_per_processor`; otherwise a job without GPUs is dropped as "no
//!   GPUs requested".
//!
//! Invariants: a malformed field is an error at its line and column, never a
//! panic and never a silently wrong job.

use std::sync::Arc;

use super::{IdOrigin, Parsed, RawJob, SwfHeader, parse_nano};
use crate::engine::NS_PER_SEC;
use crate::text::FileError;

const FIX_FORMAT: &str = "export the records with `sacct --parsable2 \
     --format=JobID,User,Account,Partition,QOS,Submit,Start,End,Elapsed,Timelimit,ReqTRES,AllocTRES,State` \
     and SLURM_TIME_FORMAT=standard";

/// Column indices found in the header.
#[derive(Default)]
struct Columns {
    count: usize,
    job_id: usize,
    submit: usize,
    start: Option<usize>,
    end: Option<usize>,
    elapsed: Option<usize>,
    user: Option<usize>,
    account: Option<usize>,
    partition: Option<usize>,
    qos: Option<usize>,
    timelimit: Option<usize>,
    req_tres: Option<usize>,
    alloc_tres: Option<usize>,
    req_cpus: Option<usize>,
    alloc_cpus: Option<usize>,
    state: Option<usize>,
}

/// Sizes read from one record, before the trace-wide GPU/CPU decision.
#[derive(Default)]
struct Sizes {
    req_gpus: Option<u64>,
    alloc_gpus: Option<u64>,
    req_cpus: Option<u64>,
    alloc_cpus: Option<u64>,
}

/// Parses a `sacct --parsable2` text.
pub(crate) fn parse(path: &str, text: &str) -> Result<Parsed, FileError> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    let Some((header_no, header_line)) = lines.find(|(_, l)| !l.trim().is_empty()) else {
        return Err(FileError::at(
            path,
            1,
            1,
            "the file is empty",
            "a header line naming the columns, then one line per job",
            FIX_FORMAT,
        ));
    };
    let columns = header(path, header_no, header_line)?;

    let mut jobs = Vec::new();
    let mut sizes = Vec::new();
    let mut steps_skipped = 0;
    for (line_no, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let fields = split(path, line_no, line, &columns)?;
        let job_text = fields[columns.job_id].1;
        let job_text = job_text.trim();
        if job_text.contains('.') {
            steps_skipped += 1;
            continue;
        }
        let at = |i: usize| fields[i];
        let opt = |c: Option<usize>| c.map(|i| fields[i].1.trim());
        // At a field's text (`fields` holds each field's offset and text).
        let err = |span: std::ops::Range<usize>, message: String, expected: &str| {
            FileError::in_line(path, line_no, line, span, message, expected, FIX_FORMAT)
        };
        let whole = |(offset, text): (usize, &str)| offset..offset + text.len();
        let (id, id_origin) = job_id(job_text).ok_or_else(|| {
            err(
                whole(fields[columns.job_id]),
                format!("JobID is `{job_text}`"),
                "a job id: `123`, `123_4` (array task) or `123+0` (heterogeneous component)",
            )
        })?;

        let time = |c: Option<usize>, name: &str| -> Result<Option<i64>, FileError> {
            let Some(i) = c else { return Ok(None) };
            let (_, value) = at(i);
            timestamp(value.trim()).map_err(|()| {
                err(
                    whole(at(i)),
                    format!("{name} is `{}`", value.trim()),
                    "a time as YYYY-MM-DDTHH:MM:SS (years 1678 to 2261), or Unknown/None",
                )
            })
        };
        let duration = |c: Option<usize>, name: &str| -> Result<Option<i64>, FileError> {
            let Some(i) = c else { return Ok(None) };
            let (_, value) = at(i);
            slurm_duration(value.trim()).map_err(|()| {
                err(
                    whole(at(i)),
                    format!("{name} is `{}`", value.trim()),
                    "a duration as [D-]HH:MM:SS, MM:SS, MM, D-HH or D-HH:MM, or UNLIMITED",
                )
            })
        };
        let count = |c: Option<usize>, name: &str| -> Result<Option<u64>, FileError> {
            let Some(i) = c else { return Ok(None) };
            let value = at(i).1.trim();
            if value.is_empty() {
                return Ok(None);
            }
            value.parse::<u64>().map(Some).map_err(|_| {
                err(
                    whole(at(i)),
                    format!("{name} is `{value}`"),
                    "a whole number",
                )
            })
        };
        let tres = |c: Option<usize>, name: &str| -> Result<TresCounts, FileError> {
            let Some(i) = c else { return Ok((None, None)) };
            let (offset, value) = at(i);
            parse_tres(value).map_err(|(inner, entry)| {
                err(
                    offset + inner..offset + inner + entry.len(),
                    format!("{name} entry `{entry}` is not `key=value` with a whole number"),
                    "TRES as `cpu=8,gres/gpu=2,mem=64G,node=1` (gres/gpu:TYPE=N also accepted)",
                )
            })
        };

        let submit_s = time(Some(columns.submit), "Submit")?;
        let start_s = time(columns.start, "Start")?;
        let end_s = time(columns.end, "End")?;
        let elapsed_ns = duration(columns.elapsed, "Elapsed")?;
        let limit_ns = duration(columns.timelimit, "Timelimit")?;
        let (req_gpus, mut req_cpus) = tres(columns.req_tres, "ReqTRES")?;
        let (alloc_gpus, mut alloc_cpus) = tres(columns.alloc_tres, "AllocTRES")?;
        if req_cpus.is_none() {
            req_cpus = count(columns.req_cpus, "ReqCPUS")?;
        }
        if alloc_cpus.is_none() {
            alloc_cpus = count(columns.alloc_cpus, "AllocCPUS")?;
        }
        let state = opt(columns.state)
            .and_then(|s| s.split_whitespace().next())
            .unwrap_or("")
            .trim_end_matches('+')
            .to_ascii_uppercase();

        let never_started = (columns.start.is_some() && start_s.is_none()) || state == "PENDING";
        let finished = !matches!(
            state.as_str(),
            "RUNNING" | "SUSPENDED" | "REQUEUED" | "RESIZING" | "PENDING"
        );
        let runtime_ns = match (start_s, end_s) {
            (Some(s), Some(e)) => e
                .checked_sub(s)
                .and_then(|d| d.checked_mul(NS_PER_SEC as i64)),
            _ if finished => elapsed_ns,
            _ => None,
        };
        let name = |c: Option<usize>| opt(c).filter(|s| !s.is_empty()).map(Arc::<str>::from);
        jobs.push(RawJob {
            line: line_no,
            id,
            id_origin,
            submit_ns: submit_s.and_then(|s| s.checked_mul(NS_PER_SEC as i64)),
            runtime_ns,
            requested_size: 0,
            allocated_size: 0,
            requested_time_ns: limit_ns,
            never_started,
            user: name(columns.user).unwrap_or_else(|| Arc::from("?")),
            account: name(columns.account).unwrap_or_else(|| Arc::from("?")),
            partition: name(columns.partition),
            qos: name(columns.qos),
            queue: None,
            extra: super::Extra::default(),
        });
        sizes.push(Sizes {
            req_gpus,
            alloc_gpus,
            req_cpus,
            alloc_cpus,
        });
    }

    let any_gpu = sizes
        .iter()
        .any(|s| s.req_gpus.is_some() || s.alloc_gpus.is_some());
    let to_size = |v: Option<u64>| v.map_or(0, |n| i64::try_from(n).unwrap_or(i64::MAX));
    for (job, s) in jobs.iter_mut().zip(&sizes) {
        if any_gpu {
            job.requested_size = to_size(s.req_gpus);
            job.allocated_size = to_size(s.alloc_gpus);
        } else {
            job.requested_size = to_size(s.req_cpus);
            job.allocated_size = to_size(s.alloc_cpus);
        }
    }
    Ok(Parsed {
        jobs,
        header: SwfHeader::default(),
        size_in_processors: !any_gpu,
        sizes_from_cpus: !any_gpu,
        steps_skipped,
        no_size_reason: if any_gpu {
            "no GPUs requested"
        } else {
            "size <= 0 (no CPUs)"
        },
    })
}

/// Finds the columns in the header line.
fn header(path: &str, line_no: usize, line: &str) -> Result<Columns, FileError> {
    let names: Vec<String> = line
        .split('|')
        .map(|n| n.trim().to_ascii_lowercase())
        .collect();
    let find = |name: &str| names.iter().position(|n| n == name);
    let missing = |what: &str| {
        FileError::in_line(
            path,
            line_no,
            line,
            0..line.len(),
            format!("the header has no {what} column"),
            "a first line naming the columns, as `sacct --parsable2` prints it \
             (JobID, Submit, and Elapsed or Start and End are required)",
            FIX_FORMAT,
        )
    };
    let job_id = find("jobid").ok_or_else(|| missing("`JobID`"))?;
    let submit = find("submit").ok_or_else(|| missing("`Submit`"))?;
    let (start, end, elapsed) = (find("start"), find("end"), find("elapsed"));
    if elapsed.is_none() && (start.is_none() || end.is_none()) {
        let what = match (start, end) {
            (None, None) => "`Elapsed` (nor `Start` and `End`)",
            (Some(_), None) => "`Elapsed` (nor `End`, needed with `Start`)",
            _ => "`Elapsed` (nor `Start`, needed with `End`)",
        };
        return Err(missing(what));
    }
    let mut count = names.len();
    if count > 1 && names[count - 1].is_empty() {
        count -= 1; // `--parsable` ends every line with `|`
    }
    Ok(Columns {
        count,
        job_id,
        submit,
        start,
        end,
        elapsed,
        user: find("user"),
        account: find("account"),
        partition: find("partition"),
        qos: find("qos"),
        timelimit: find("timelimit"),
        req_tres: find("reqtres"),
        alloc_tres: find("alloctres"),
        req_cpus: find("reqcpus"),
        alloc_cpus: find("alloccpus"),
        state: find("state"),
    })
}

/// Splits a data line into (byte offset, text) per column.
fn split<'a>(
    path: &str,
    line_no: usize,
    line: &'a str,
    columns: &Columns,
) -> Result<Vec<(usize, &'a str)>, FileError> {
    let mut fields = Vec::with_capacity(columns.count + 1);
    let mut offset = 0;
    for part in line.split('|') {
        fields.push((offset, part));
        offset += part.len() + 1;
    }
    if fields.len() == columns.count + 1 && fields.last().is_some_and(|f| f.1.trim().is_empty()) {
        fields.pop();
    }
    if fields.len() == columns.count {
        return Ok(fields);
    }
    // The first field too many, or the end of the line.
    let span = match fields.get(columns.count) {
        Some(&(offset, _)) => offset..line.len(),
        None => line.len()..line.len(),
    };
    Err(FileError::in_line(
        path,
        line_no,
        line,
        span,
        format!(
            "{} fields on this line, but the header names {}",
            fields.len(),
            columns.count
        ),
        "one `|`-separated field per column of the header",
        "repair the line; a field containing `|` needs sacct's --delimiter set to another character",
    ))
}

/// `123` -> (123, plain); `123_4` and `123_[1-5]` -> array task; `123+0` ->
/// heterogeneous component.
fn job_id(text: &str) -> Option<(u64, IdOrigin)> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let id = text[..digits].parse().ok()?;
    let rest = &text[digits..];
    let origin = match rest.as_bytes().first() {
        None => IdOrigin::Plain,
        Some(b'_') if rest.len() > 1 => IdOrigin::ArrayTask,
        Some(b'+') if rest.len() > 1 => IdOrigin::HetComponent,
        _ => return None,
    };
    Some((id, origin))
}

/// `YYYY-MM-DDTHH:MM:SS` as seconds since 1970-01-01T00:00:00; `Ok(None)`
/// when missing. The range is what nanoseconds in an `i64` can hold.
pub(super) fn timestamp(text: &str) -> Result<Option<i64>, ()> {
    if is_missing(text) {
        return Ok(None);
    }
    let b = text.as_bytes();
    if !text.is_ascii()
        || b.len() != 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return Err(());
    }
    let num = |range: std::ops::Range<usize>| -> Result<i64, ()> {
        let part = &text[range];
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().map_err(|_| ())
        } else {
            Err(())
        }
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1678..=2261).contains(&year)
        || !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return Err(());
    }
    Ok(Some(
        days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second,
    ))
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
pub(super) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn is_missing(text: &str) -> bool {
    text.is_empty()
        || ["unknown", "none", "unlimited", "partition_limit", "invalid"]
            .iter()
            .any(|k| text.eq_ignore_ascii_case(k))
}

/// A Slurm duration in nanoseconds; `Ok(None)` when missing or unlimited.
pub(super) fn slurm_duration(text: &str) -> Result<Option<i64>, ()> {
    if is_missing(text) {
        return Ok(None);
    }
    let (days, clock) = match text.split_once('-') {
        Some((d, rest)) => (Some(whole(d)?), rest),
        None => (None, text),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    // (hours, minutes, seconds) as text; seconds may have decimals.
    let (h, m, s) = match (days.is_some(), parts.as_slice()) {
        (false, [m]) => ("0", *m, "0"),
        (false, [m, s]) => ("0", *m, *s),
        (true, [h]) => (*h, "0", "0"),
        (true, [h, m]) => (*h, *m, "0"),
        (_, [h, m, s]) => (*h, *m, *s),
        _ => return Err(()),
    };
    if s.starts_with(['-', '+']) {
        return Err(());
    }
    let seconds_ns = parse_nano(s).ok_or(())?;
    let minutes =
        i128::from(days.unwrap_or(0)) * 1_440 + i128::from(whole(h)?) * 60 + i128::from(whole(m)?);
    let total = minutes * 60 * i128::from(NS_PER_SEC) + seconds_ns;
    i64::try_from(total).map(Some).map_err(|_| ())
}

fn whole(text: &str) -> Result<u64, ()> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().map_err(|_| ())
    } else {
        Err(())
    }
}

/// (GPUs, CPUs) of a TRES list, each `None` when absent.
type TresCounts = (Option<u64>, Option<u64>);

/// The [`TresCounts`] of a TRES list; `Err((offset in the field, entry))` for an
/// entry that is not `key=value` or whose GPU/CPU count is not a number.
fn parse_tres(field: &str) -> Result<TresCounts, (usize, &str)> {
    let mut plain_gpus = None;
    let mut typed_gpus: Option<u64> = None;
    let mut cpus = None;
    let mut offset = 0;
    for entry in field.split(',') {
        let here = offset;
        offset += entry.len() + 1;
        let item = entry.trim();
        if item.is_empty() {
            continue;
        }
        let (key, value) = item.split_once('=').ok_or((here, entry))?;
        let key = key.trim();
        let number = || value.trim().parse::<u64>().map_err(|_| (here, entry));
        if key == "gres/gpu" {
            plain_gpus = Some(number()?);
        } else if key.starts_with("gres/gpu:") {
            typed_gpus = Some(typed_gpus.unwrap_or(0).saturating_add(number()?));
        } else if key == "cpu" {
            cpus = Some(number()?);
        }
    }
    Ok((plain_gpus.or(typed_gpus), cpus))
}
