//! A projection's files: `tco.csv` (one row per option, numbers in Rust's
//! shortest round-trip form, an empty field for what does not exist) and
//! `tco.svg` (cumulative cash against months, one line per option, drawn
//! by the studies' plotter with the y axis in dollars).

use std::io;
use std::path::Path;

use super::Tco;
use crate::study::plot::{self, Axis, Figure, Point, Series, TickFormat};
use crate::study::{Table, number, write_csv};

/// The files [`write_files`] writes.
pub const FILES: [&str; 2] = ["tco.csv", "tco.svg"];

/// `tco.csv`'s header and rows.
pub fn csv_table(tco: &Tco) -> Table {
    let header = [
        "option",
        "years",
        "capital_usd",
        "running_per_year_usd",
        "cash_usd",
        "book_cost_usd",
        "book_value_left_usd",
        "delivered_gpu_hours_per_year",
        "cash_per_delivered_gpu_hour_usd",
        "jobs_completed",
        "gpu_utilization",
        "simulated_years",
    ];
    let rows = (tco.options.iter())
        .map(|p| {
            vec![
                p.name.clone(),
                tco.years.to_string(),
                number(p.capital_usd),
                number(p.running_per_year_usd),
                number(p.cash_usd),
                number(p.book_cost_usd),
                number(p.book_value_left_usd),
                number(p.delivered_gpu_hours_per_year),
                p.cash_per_delivered_gpu_hour_usd
                    .map_or_else(String::new, number),
                p.jobs_completed.to_string(),
                number(p.gpu_utilization),
                number(p.simulated_years),
            ]
        })
        .collect();
    (header.map(String::from).to_vec(), rows)
}

/// Cumulative cash against months, one line per option (named in the
/// legend, or in the title when there is only one).
pub fn svg(tco: &Tco) -> String {
    let series: Vec<Series> = (tco.options.iter())
        .map(|p| Series {
            label: p.name.clone(),
            points: (p.cumulative_cash_usd.iter().enumerate())
                .map(|(month, &usd)| Point {
                    x: month as f64,
                    mean: usd,
                    ci95_low: f64::NAN,
                    ci95_high: f64::NAN,
                })
                .collect(),
        })
        .collect();
    let years = match tco.years {
        1 => "1 year".to_string(),
        n => format!("{n} years"),
    };
    let title = match tco.options.as_slice() {
        [only] => format!("{}: cumulative cash over {years}", only.name),
        _ => format!("Cumulative cash over {years}"),
    };
    plot::svg(&Figure {
        title: &title,
        x_label: "month",
        y_label: "cumulative cash (capital at month 0, then running cost)",
        axis: Axis::Numeric,
        y_format: TickFormat::Dollars,
        mark_every: 12,
        series: &series,
    })
}

/// Writes [`FILES`] into `dir`, which exists.
pub fn write_files(dir: &Path, tco: &Tco) -> io::Result<()> {
    write_csv(&dir.join(FILES[0]), csv_table(tco))?;
    std::fs::write(dir.join(FILES[1]), svg(tco))
}
