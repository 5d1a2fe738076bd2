//! QOS definitions from `sacctmgr show qos -P` (or `--parsable2`): a
//! header line of column names, then one `|`-separated line per QOS.
//!
//! Mapped: `Name`, `Priority`, `GraceTime`, `Preempt` (comma-separated
//! QOS names, each checked to exist), `GrpTRES` and `MaxTRESPU`
//! (`gres/gpu=N`; the other TRES are listed as not modelled). Every other
//! non-empty column is kept per QOS as not modelled, for the opening
//! comment. Errors name the line and column of the offending cell.

use super::conf::Place;
use crate::text::{FileError, did_you_mean, without_bom};
use crate::units::{format_duration, slurm_clock_secs};

/// One QOS as the scenario gets it; fields are RON values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QosDef {
    pub name: String,
    pub fields: Vec<(&'static str, String)>,
    /// `column=value` cells left out, with why.
    pub ignored: Vec<String>,
    pub at: Option<Place>,
}

const MAPPED: &[&str] = &[
    "Name",
    "Priority",
    "GraceTime",
    "Preempt",
    "GrpTRES",
    "MaxTRESPU",
];

/// Reads sacctmgr's output.
pub fn read(path: &str, text: &str) -> Result<Vec<QosDef>, FileError> {
    let mut lines = without_bom(text).lines().enumerate();
    let Some((_, header)) = lines.next() else {
        return Err(FileError::at(
            path,
            0,
            0,
            "the QOS file is empty",
            "`sacctmgr show qos -P` output: a header line, then one line per QOS",
            "write it with: sacctmgr show qos -P > qos.txt",
        ));
    };
    let columns: Vec<&str> = header.split('|').collect();
    let Some(name_col) = columns.iter().position(|c| c.eq_ignore_ascii_case("Name")) else {
        return Err(FileError::in_line(
            path,
            1,
            header,
            0..header.len(),
            "the header has no `Name` column",
            "`sacctmgr show qos -P` output, its first line the column names",
            "write it with: sacctmgr show qos -P > qos.txt",
        ));
    };
    let mut out: Vec<QosDef> = Vec::new();
    let mut preempts: Vec<(usize, Place, String)> = Vec::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let mut offset = 0;
        let cells: Vec<(Place, &str)> = line
            .split('|')
            .map(|cell| {
                let at = Place {
                    path: path.to_string(),
                    line: i + 1,
                    text: line.to_string(),
                    span: offset..offset + cell.len(),
                };
                offset += cell.len() + 1;
                (at, cell)
            })
            .collect();
        if cells.len() != columns.len() {
            return Err(FileError::in_line(
                path,
                i + 1,
                line,
                0..line.len(),
                format!(
                    "{} cells where the header has {} columns",
                    cells.len(),
                    columns.len()
                ),
                "one cell per header column, separated by `|`",
                "regenerate the file with sacctmgr show qos -P (no hand edits that add or drop a `|`)",
            ));
        }
        let (name_at, name) = &cells[name_col];
        let mut q = QosDef {
            name: name.to_string(),
            at: Some(name_at.clone()),
            ..QosDef::default()
        };
        for ((at, cell), column) in cells.iter().zip(&columns) {
            if cell.is_empty() || column.eq_ignore_ascii_case("Name") {
                continue;
            }
            match column.to_ascii_lowercase().as_str() {
                "priority" => {
                    let p: u32 = cell.parse().map_err(|_| {
                        at.error(
                            format!("the priority `{cell}` is not a whole number"),
                            "a QOS priority, 0 to 4294967295",
                            "fix the cell",
                        )
                    })?;
                    q.fields.push(("priority", p.to_string()));
                }
                "gracetime" => {
                    let secs = slurm_clock_secs(cell)
                        .or_else(|e| cell.parse::<u64>().map_err(|_| e))
                        .map_err(|e| {
                            at.error(
                                format!("the grace time `{cell}` is not a time: {e}"),
                                "seconds, or [days-]hours:minutes:seconds as sacctmgr prints it",
                                "fix the cell, e.g. 00:05:00",
                            )
                        })?;
                    if secs > 0 {
                        let d = crate::engine::SimDuration::from_secs(secs);
                        q.fields
                            .push(("grace_time", format!("\"{}\"", format_duration(d))));
                    }
                }
                "preempt" => preempts.push((out.len(), at.clone(), cell.to_string())),
                "grptres" | "maxtrespu" => {
                    let field = if column.eq_ignore_ascii_case("GrpTRES") {
                        "grp_gpus"
                    } else {
                        "max_gpus_per_user"
                    };
                    for tres in cell.split(',') {
                        match tres.split_once('=') {
                            Some((k, v)) if k.eq_ignore_ascii_case("gres/gpu") => {
                                let n: u64 = v.parse().map_err(|_| {
                                    at.error(
                                        format!("`{tres}` gives no whole number of GPUs"),
                                        "gres/gpu=N",
                                        "fix the cell",
                                    )
                                })?;
                                q.fields.push((field, n.to_string()));
                            }
                            _ => q.ignored.push(format!(
                                "{column} {tres}: only GPU limits (gres/gpu) are modelled"
                            )),
                        }
                    }
                }
                _ if MAPPED.iter().any(|m| m.eq_ignore_ascii_case(column)) => {}
                _ => q.ignored.push(format!("{column}={cell}: not modelled")),
            }
        }
        out.push(q);
    }
    let names: Vec<String> = out.iter().map(|q| q.name.clone()).collect();
    for (index, at, cell) in preempts {
        let mut list = Vec::new();
        for name in cell.split(',').filter(|n| !n.is_empty()) {
            if !names.iter().any(|n| n == name) {
                let hint = did_you_mean(name, names.iter().map(String::as_str))
                    .map(|m| format!("did you mean `{m}`? "))
                    .unwrap_or_default();
                return Err(at.error(
                    format!("QOS `{}` preempts `{name}`, which this file does not define", names[index]),
                    format!("QOS names of this file: {}", names.join(", ")),
                    format!("{hint}add `{name}` to the file (sacctmgr show qos -P lists every QOS), or remove it from Preempt"),
                ));
            }
            list.push(format!("\"{name}\""));
        }
        if !list.is_empty() {
            out[index]
                .fields
                .push(("preempt", format!("[{}]", list.join(", "))));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sacctmgr_output_maps_priority_grace_preempt_and_gpu_limits() {
        let text = "Name|Priority|GraceTime|Preempt|PreemptMode|GrpTRES|MaxTRESPU|MaxWall\n\
                    normal|0|00:00:00||cluster|||\n\
                    high|100|00:05:00|normal|cluster|gres/gpu=16,cpu=64|gres/gpu=8|1-00:00:00\n";
        let q = read("qos.txt", text).unwrap();
        assert_eq!(q.len(), 2);
        assert_eq!(q[0].fields, [("priority", "0".to_string())]);
        assert_eq!(
            q[1].fields,
            [
                ("priority", "100".to_string()),
                ("grace_time", "\"5m\"".to_string()),
                ("grp_gpus", "16".to_string()),
                ("max_gpus_per_user", "8".to_string()),
                ("preempt", "[\"normal\"]".to_string()),
            ]
        );
        assert!(q[1].ignored.iter().any(|i| i.starts_with("MaxWall=")));
        assert!(q[1].ignored.iter().any(|i| i.contains("cpu=64")));
    }

    #[test]
    fn a_preempted_qos_must_exist() {
        let text = "Name|Priority|Preempt\nhigh|10|nromal\nnormal|0|\n";
        let e = read("qos.txt", text).unwrap_err();
        assert_eq!((e.line, e.column), (2, 9));
        assert!(e.fix.contains("did you mean `normal`"), "{}", e.fix);
    }
}
