//! A trace's format and what the GPU-cluster formats ask of the scenario:
//! a CSV table's column map (a preset's columns, any replaced by the
//! scenario's `columns`), checked against the table's header before the
//! import so that a column that is not there is shown at its name in the
//! scenario; and a pod's GPU types (`gpu_spec`) as the cluster's GPU
//! models, through the trace's `gpu_models` map (refused with
//! backfilling, whose reservations count a partition's GPUs, not a
//! type's).
//!
//! Invariant: every column the map names is in the header, or the load
//! fails at the field that named it (the scenario's column, or its
//! `preset`).

use std::path::Path;

use super::super::file;
use super::super::spans::field_path;
use super::Error;
use super::workload::Context;
use crate::workload::trace::{self, CsvColumns, CsvPreset, TimeFormat, TraceFormat};

impl Context<'_> {
    /// The trace's format as the importer takes it; `None` after an error.
    pub(super) fn trace_format(
        &mut self,
        path: &str,
        format: &file::TraceFormat,
    ) -> Option<TraceFormat> {
        let (preset, written, time_format) = match format {
            file::TraceFormat::Swf => return Some(TraceFormat::Swf),
            file::TraceFormat::Sacct => return Some(TraceFormat::Sacct),
            file::TraceFormat::AlibabaPods => return Some(TraceFormat::AlibabaPods),
            file::TraceFormat::Csv {
                preset,
                columns,
                time_format,
            } => (preset, columns, time_format),
        };
        let mut columns = match preset {
            None => CsvColumns::default(),
            Some(file::CsvPreset::Helios) => CsvPreset::Helios.columns(),
            Some(file::CsvPreset::Philly) => CsvPreset::Philly.columns(),
            Some(file::CsvPreset::Acme) => CsvPreset::Acme.columns(),
        };
        let over = |slot: &mut Option<String>, value: &Option<String>| {
            if let Some(v) = value {
                *slot = Some(v.clone());
            }
        };
        over(&mut columns.job_id, &written.job_id);
        over(&mut columns.user, &written.user);
        over(&mut columns.vc, &written.vc);
        over(&mut columns.gpus, &written.gpus);
        over(&mut columns.nodes, &written.nodes);
        over(&mut columns.submit, &written.submit);
        over(&mut columns.start, &written.start);
        over(&mut columns.end, &written.end);
        over(&mut columns.duration, &written.duration);
        over(&mut columns.state, &written.state);
        match time_format {
            Some(file::TimeFormat::Unix) => columns.time_format = TimeFormat::Unix,
            Some(file::TimeFormat::DateTime) => columns.time_format = TimeFormat::DateTime,
            None => {}
        }
        if let Some(field) = columns.missing_required() {
            self.issues.error(Error {
                path: &field_path(path, "format"),
                message: &format!("the CSV column map gives no `{field}` column"),
                found: "a map without it",
                expected: "columns for gpus, submit, and duration or both start and end",
                fix: &format!(
                    "name the table's column for `{field}` in `columns: (...)`, or start from a preset: Csv(preset: Helios), Philly or Acme"
                ),
            });
            return None;
        }
        Some(TraceFormat::Csv(Box::new(columns)))
    }

    /// Checks that every column the map names is in the table's header;
    /// `false` after an error (at the scenario's column name, or at the
    /// preset that named it). A file that cannot be read is left to the
    /// import, which says why.
    pub(super) fn csv_columns_in_header(
        &mut self,
        path: &str,
        format: &file::TraceFormat,
        columns: &CsvColumns,
        file_path: &Path,
    ) -> bool {
        let Ok((_, header)) = trace::csv_header(file_path) else {
            return true;
        };
        let file::TraceFormat::Csv {
            columns: written, ..
        } = format
        else {
            return true;
        };
        let format_path = field_path(path, "format");
        for (field, column) in columns.mapped() {
            if header.iter().any(|h| h == column) {
                continue;
            }
            let own = [
                ("job_id", &written.job_id),
                ("user", &written.user),
                ("vc", &written.vc),
                ("gpus", &written.gpus),
                ("nodes", &written.nodes),
                ("submit", &written.submit),
                ("start", &written.start),
                ("end", &written.end),
                ("duration", &written.duration),
                ("state", &written.state),
            ]
            .iter()
            .any(|(f, c)| *f == field && c.is_some());
            let at = if own {
                field_path(&field_path(&format_path, "columns"), field)
            } else {
                field_path(&format_path, "preset")
            };
            let hint = crate::text::did_you_mean(column, header.iter().map(String::as_str))
                .map(|c| format!("did you mean `{c}`? "))
                .unwrap_or_default();
            let fix = if own {
                format!(
                    "{hint}name one of the table's columns: {}",
                    header.join(", ")
                )
            } else {
                format!(
                    "{hint}the preset's `{field}` column is not in this table; map it with columns: ({field}: \"...\"), one of: {}",
                    header.join(", ")
                )
            };
            self.issues.error(Error {
                path: &at,
                message: &format!("the trace has no column `{column}` (for `{field}`)"),
                found: &format!("\"{column}\""),
                expected: &format!("a column of the header of {}", file_path.display()),
                fix: &fix,
            });
            return false;
        }
        true
    }

    /// The GPU-type constraint of a job's `gpu_spec` (`V100M16|V100M32`),
    /// each name through the trace's `gpu_models`; `None` after an error.
    pub(super) fn trace_gpu_type(
        &mut self,
        path: &str,
        t: &file::Trace,
        spec: &str,
        job_id: u64,
    ) -> Option<u16> {
        let names: Vec<&str> = spec
            .split('|')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| t.gpu_models.get(n).map_or(n, String::as_str))
            .collect();
        let models: Vec<String> = self
            .cluster
            .map(|c| c.groups.iter().map(|g| g.gpu_model.name.clone()).collect())
            .unwrap_or_default();
        if self.cluster.is_some()
            && let Some(unknown) = names.iter().find(|n| !models.iter().any(|m| m == *n))
        {
            self.issues.error(Error {
                path: &field_path(path, "gpu_models"),
                message: &format!(
                    "trace job {job_id} asks for GPU type `{unknown}`, the GPU model of no node group"
                ),
                found: &format!("\"{unknown}\""),
                expected: &format!("one of the cluster's GPU models: {}", models.join(", ")),
                fix: &format!(
                    "map the trace's name to a model of the cluster: gpu_models: {{\"{unknown}\": \"MODEL\"}}, or add a node group of that model"
                ),
            });
            return None;
        }
        let gpu_type = self.gpu_type(path, &names)?;
        if gpu_type != 0 && self.scheduler.backfill != crate::scheduler::Backfill::None {
            self.issues.error(Error {
                path: &field_path(path, "file"),
                message: &format!(
                    "trace job {job_id} asks for GPU types (`{spec}`), and GPU types with backfilling are not modelled: backfill reservations count a partition's GPUs, not a type's"
                ),
                found: &format!("gpu_spec with backfill {:?}", self.scheduler.backfill),
                expected: "backfill: None (Kubernetes queues have no backfill), or a trace without GPU types",
                fix: "set scheduler.backfill: None",
            });
            return None;
        }
        Some(gpu_type)
    }
}
