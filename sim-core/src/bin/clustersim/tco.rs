//! `clustersim tco`: run two or more options (scenarios with a cost model)
//! and print their cost of ownership over N years side by side, as cash
//! and as book cost; with `--out`, `tco.csv` and `tco.svg`.
//!
//! Every scenario loads (and any mistake is reported, exit 2) and every one
//! is checked for a cost model before any runs; `--out` is checked before
//! the runs too. The projection is `sim_core::tco`'s.

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Instant;

use sim_core::tco::{self, Tco};
use sim_core::text::escape_control;
use sim_core::units::format_duration_approx;

use super::report::grouped;
use super::table::{Align, Table};
use super::{Failure, Overrides, check_out_dir, load, out_failure, progress, shown};

const EXAMPLES: &str = "\
Examples:
  clustersim tco on-prem.ron cloud.ron --years 5
  clustersim tco on-prem.ron reserved.ron spot.ron --years 3 --out out/tco
  clustersim tco on-prem.ron cloud.ron --years 5 --set 'cost.electricity_per_kwh=$0.15'";

#[derive(clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct TcoArgs {
    /// The options: two or more scenario files (RON), each with a cost
    /// model (a `cost` section, or a node group's `billing`).
    #[arg(required = true, num_args = 2.., value_name = "SCENARIO")]
    scenarios: Vec<PathBuf>,
    /// Years to project over (1 to 100).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=i64::from(tco::MAX_YEARS)))]
    years: u32,
    #[command(flatten)]
    overrides: Overrides,
    /// Write tco.csv (the table) and tco.svg (cumulative cash against
    /// months) here.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// No progress bar and no timing on stderr.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: TcoArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let overrides = args.overrides.args();
    let mut options = Vec::with_capacity(args.scenarios.len());
    for path in &args.scenarios {
        let loaded = load(path, &overrides)?;
        options.push((loaded.scenario.name.clone(), loaded.scenario));
    }
    // Two files of the same scenario name are told apart by their paths.
    let names: Vec<String> = options.iter().map(|(name, _)| name.clone()).collect();
    for ((name, _), path) in options.iter_mut().zip(&args.scenarios) {
        if names.iter().filter(|n| *n == name).count() > 1 {
            *name = format!("{name} ({})", path.display());
        }
    }
    tco::check(&options, args.years).map_err(|e| {
        let path = e.option().map(|i| &args.scenarios[i]);
        Failure::BadInput(match path {
            Some(path) => format!("{}: {e}", shown(path)),
            None => e.to_string(),
        })
    })?;
    if let Some(dir) = &args.out {
        check_out_dir(dir, &tco::FILES)?;
    }

    let started = Instant::now();
    let mut bar = progress::DelayedBar::new(!args.quiet);
    let mut current = 0;
    let projected = tco::run(&options, args.years, &mut |i, p| {
        if i != current {
            bar.finish();
            bar = progress::DelayedBar::new(!args.quiet);
            current = i;
        }
        bar.update(p);
    });
    bar.finish();
    let projected = projected.map_err(|e| {
        let path = e.option().map(|i| &args.scenarios[i]);
        Failure::BadInput(match path {
            Some(path) => format!("{}: {e}", shown(path)),
            None => e.to_string(),
        })
    })?;
    if !args.quiet {
        note!(
            "ran {} options in {:.3} s wall time",
            options.len(),
            started.elapsed().as_secs_f64()
        );
    }

    write_text(out, &projected).map_err(Failure::stdout)?;
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).map_err(|e| out_failure("cannot create", dir, e))?;
        tco::write_files(dir, &projected)
            .map_err(|e| Failure::Internal(format!("cannot write in {}: {e}", shown(dir))))?;
        let files: Vec<String> = (tco::FILES.iter()).map(|f| shown(&dir.join(f))).collect();
        writeln!(out, "wrote {}", files.join(" and ")).map_err(Failure::stdout)?;
    }
    Ok(())
}

fn write_text(out: &mut dyn Write, tco: &Tco) -> io::Result<()> {
    let n = tco.years;
    let cash = format!("{n}y cash");
    let book = format!("{n}y book cost");
    let mut table = Table::new(&[
        ("option", Align::Left),
        ("capital", Align::Right),
        ("running/yr", Align::Right),
        (&cash, Align::Right),
        (&book, Align::Right),
        ("book value left", Align::Right),
        ("delivered GPU-h/yr", Align::Right),
        ("$/delivered GPU-h", Align::Right),
        ("jobs completed", Align::Right),
        ("utilization", Align::Right),
    ]);
    for p in &tco.options {
        table.row([
            p.name.clone(),
            usd(p.capital_usd),
            usd(p.running_per_year_usd),
            usd(p.cash_usd),
            usd(p.book_cost_usd),
            usd(p.book_value_left_usd),
            grouped(p.delivered_gpu_hours_per_year),
            p.cash_per_delivered_gpu_hour_usd
                .map_or_else(|| "—".to_string(), |x| format!("${x:.2}")),
            p.jobs_completed.to_string(),
            format!("{:.1}%", p.gpu_utilization * 100.0),
        ]);
    }
    table.write(out)?;
    writeln!(
        out,
        "\ncash: capital at month 0, then running cost (energy, maintenance, space, staff, cloud bills);\n\
         book cost: running cost plus straight-line depreciation of the capital over the scenario's cost.depreciation;\n\
         $/delivered GPU-h: {n}-year cash over the GPU-hours jobs used in {n} years."
    )?;
    let spans: Vec<String> = (tco.options.iter())
        .map(|p| {
            let span = format_duration_approx(p.simulated_years * 365.0 * 86_400.0);
            format!("{} {span}", escape_control(&p.name))
        })
        .collect();
    writeln!(
        out,
        "assumes every year repeats the simulated span, scaled to a year ({})",
        spans.join(", ")
    )
}

/// Whole dollars with thousands separators: `$270,000`, `-$1,200`.
fn usd(x: f64) -> String {
    let text = grouped(x.abs());
    match x < 0.0 && text != "0" {
        true => format!("-${text}"),
        false => format!("${text}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_grouped_in_thousands() {
        assert_eq!(usd(270_000.0), "$270,000");
        assert_eq!(usd(1_234_567.4), "$1,234,567");
        assert_eq!(usd(999.6), "$1,000");
        assert_eq!(usd(0.0), "$0");
        assert_eq!(usd(-0.2), "$0");
        assert_eq!(usd(-1_200.0), "-$1,200");
        assert_eq!(grouped(70_080.0), "70,080");
    }
}
