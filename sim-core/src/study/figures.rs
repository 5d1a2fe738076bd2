//! Which plots a study's results make, and the lines on each: every
//! collected metric against every varied parameter, one line per
//! combination of the other parameters. `plot.rs` draws a figure; this file
//! decides what goes in it, for the SVG files (`plots/`) and for the viewer
//! alike, so both show the same lines.
//!
//! Invariants:
//! - the plots are a function of the manifest and the points' statistics
//!   alone (the rows' order is already fixed), so a merge of shards writes
//!   the same bytes as one machine;
//! - `plots/` holds exactly the current study's plots: stale `.svg` files
//!   of an earlier study written to the same directory are removed;
//! - a parameter with one value is a setting, not a sweep: nothing is
//!   plotted against it and it does not split lines; a study that varies
//!   nothing writes no plot (its `points.csv` holds its one point).

use std::fs;
use std::io;
use std::path::Path;

use super::Parameter;
use super::file::ManifestFile;
use super::plot::{self, Axis, Figure};
use super::stats::Describe;

/// The directory of a study's plots, inside its output directory.
pub const PLOTS_DIR: &str = "plots";

/// One line of a plot against one parameter: points that differ only in
/// that parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// What the line's points share: the other parameters' values as
    /// `path=value`, in parameter order (empty when nothing else varies).
    pub fixed: Vec<String>,
    /// Indices of the points, in the order of the varied parameter's
    /// values.
    pub points: Vec<usize>,
}

/// The lines of a plot against parameter `x`, given each point's values
/// (one per parameter, in point order): one line per combination of the
/// other parameters in a grid (those with one value aside), in the order
/// its first point appears; in a
/// zip (the parameters vary together, so there are fewer points than the
/// grid of their values) every point on one line. With no parameter `x`,
/// every point on one line.
pub fn lines(parameters: &[Parameter], point_values: &[&[String]], x: usize) -> Vec<Line> {
    let grid_size = (parameters.iter()).try_fold(1usize, |n, p| n.checked_mul(p.values.len()));
    let grid = grid_size == Some(point_values.len());
    let mut lines: Vec<Line> = Vec::new();
    for (index, values) in point_values.iter().enumerate() {
        let fixed: Vec<String> = (parameters.iter().zip(values.iter()).enumerate())
            .filter(|&(i, (p, _))| grid && i != x && p.values.len() > 1)
            .map(|(_, (p, v))| format!("{}={v}", p.path))
            .collect();
        match lines.iter_mut().find(|line| line.fixed == fixed) {
            Some(line) => line.points.push(index),
            None => lines.push(Line {
                fixed,
                points: vec![index],
            }),
        }
    }
    if let Some(parameter) = parameters.get(x) {
        let rank = |point: &usize| {
            let value = &point_values[*point][x];
            parameter.values.iter().position(|v| v == value)
        };
        for line in &mut lines {
            line.points.sort_by_key(rank);
        }
    }
    lines
}

/// The file name of the plot of `metric` against `parameter`:
/// `<metric>--<parameter>.svg`, with any character a shell or a file
/// system might mind (`[`, `]`, `/`, spaces...) replaced by `_`.
pub fn file_name(metric: &str, parameter: &str) -> String {
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!("{}--{}.svg", safe(metric), safe(parameter))
}

/// Writes `plots/` of a study into `dir`: each metric against each
/// parameter, from each point's description of each metric (`stats[point]
/// [metric]`, `None`: never a number).
pub(super) fn write_plots(
    dir: &Path,
    manifest: &ManifestFile,
    stats: &[Vec<Option<Describe>>],
) -> io::Result<()> {
    let plots = dir.join(PLOTS_DIR);
    let parameters: Vec<Parameter> = (manifest.parameters.iter())
        .map(|p| Parameter {
            path: p.path.clone(),
            values: p.values.clone(),
            numeric: p.numeric,
        })
        .collect();
    let point_values: Vec<&[String]> = (manifest.points.iter())
        .map(|p| p.values.as_slice())
        .collect();
    let mut wanted = Vec::new();
    for (x, parameter) in parameters.iter().enumerate() {
        if parameter.values.len() < 2 {
            // A setting, not a sweep: nothing to plot against.
            continue;
        }
        let lines = lines(&parameters, &point_values, x);
        let axis = if parameter.numeric {
            Axis::Numeric
        } else {
            Axis::Categories(parameter.values.clone())
        };
        for (m, metric) in manifest.metrics.iter().enumerate() {
            let series: Vec<plot::Series> = (lines.iter())
                .map(|line| plot::Series {
                    label: if line.fixed.is_empty() {
                        manifest.study.clone()
                    } else {
                        line.fixed.join(", ")
                    },
                    points: (line.points.iter())
                        .filter_map(|&p| {
                            let d = stats[p][m].as_ref()?;
                            let value = &point_values[p][x];
                            let x = if parameter.numeric {
                                value.parse::<f64>().ok()?
                            } else {
                                parameter.values.iter().position(|v| v == value)? as f64
                            };
                            Some(plot::Point {
                                x,
                                mean: d.mean,
                                ci95_low: d.ci95_low,
                                ci95_high: d.ci95_high,
                            })
                        })
                        .collect(),
                })
                .collect();
            let title = format!("{}: {metric} against {}", manifest.study, parameter.path);
            let y_label = format!("{metric} (mean, 95% CI)");
            let svg = plot::svg(&Figure {
                title: &title,
                x_label: &parameter.path,
                y_label: &y_label,
                axis: axis.clone(),
                y_format: plot::TickFormat::Plain,
                mark_every: 1,
                series: &series,
            });
            let name = file_name(metric, &parameter.path);
            if wanted.is_empty() {
                fs::create_dir_all(&plots)?;
            }
            fs::write(plots.join(&name), svg)?;
            wanted.push(name);
        }
    }
    remove_stale(&plots, &wanted)
}

/// Removes the `.svg` files in `plots` that are not `wanted`.
fn remove_stale(plots: &Path, wanted: &[String]) -> io::Result<()> {
    let entries = match fs::read_dir(plots) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".svg") && !wanted.contains(&name) && entry.file_type()?.is_file() {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parameter(path: &str, values: &[&str]) -> Parameter {
        Parameter {
            path: path.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
            numeric: false,
        }
    }

    fn values(points: &[&[&str]]) -> Vec<Vec<String>> {
        (points.iter())
            .map(|p| p.iter().map(|v| v.to_string()).collect())
            .collect()
    }

    #[test]
    fn a_grid_gives_one_line_per_combination_of_the_other_parameters() {
        let parameters = [
            parameter("a", &["x", "y", "z"]),
            parameter("b", &["1", "2"]),
        ];
        let points = values(&[
            &["x", "1"],
            &["x", "2"],
            &["y", "1"],
            &["y", "2"],
            &["z", "1"],
            &["z", "2"],
        ]);
        let refs: Vec<&[String]> = points.iter().map(Vec::as_slice).collect();
        let against_a = lines(&parameters, &refs, 0);
        assert_eq!(
            against_a,
            [
                Line {
                    fixed: vec!["b=1".into()],
                    points: vec![0, 2, 4]
                },
                Line {
                    fixed: vec!["b=2".into()],
                    points: vec![1, 3, 5]
                },
            ]
        );
        let against_b = lines(&parameters, &refs, 1);
        assert_eq!(against_b.len(), 3);
        assert_eq!(against_b[2].fixed, ["a=z"]);
        assert_eq!(against_b[2].points, [4, 5]);
    }

    #[test]
    fn a_zip_puts_every_point_on_one_line_in_the_parameters_order() {
        let parameters = [parameter("a", &["x", "y"]), parameter("b", &["1", "2"])];
        // Listed out of order: the line follows the parameter's values.
        let points = values(&[&["y", "2"], &["x", "1"]]);
        let refs: Vec<&[String]> = points.iter().map(Vec::as_slice).collect();
        assert_eq!(
            lines(&parameters, &refs, 0),
            [Line {
                fixed: vec![],
                points: vec![1, 0]
            }]
        );
    }

    #[test]
    fn without_parameters_the_one_point_is_one_line() {
        let points = values(&[&[]]);
        let refs: Vec<&[String]> = points.iter().map(Vec::as_slice).collect();
        assert_eq!(lines(&[], &refs, 0)[0].points, [0]);
    }

    #[test]
    fn a_parameter_with_one_value_does_not_split_lines() {
        let parameters = [parameter("a", &["x", "y"]), parameter("b", &["1"])];
        let points = values(&[&["x", "1"], &["y", "1"]]);
        let refs: Vec<&[String]> = points.iter().map(Vec::as_slice).collect();
        assert_eq!(
            lines(&parameters, &refs, 0),
            [Line {
                fixed: vec![],
                points: vec![0, 1]
            }]
        );
    }

    #[test]
    fn file_names_keep_to_safe_characters() {
        assert_eq!(
            file_name("wait_s.p95", "cluster.node_groups[0].count"),
            "wait_s.p95--cluster.node_groups_0_.count.svg"
        );
        assert_eq!(file_name("jobs/hour", "a b"), "jobs_hour--a_b.svg");
    }
}
