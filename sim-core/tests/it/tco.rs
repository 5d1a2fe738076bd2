//! `sim_core::tco` and `clustersim tco`: a year on premise and a year in
//! the cloud projected by hand (capital, running cost, cash, book cost and
//! book value left), the files `--out` writes, and the refusals (no cost
//! model, a malformed scenario).

use std::fs;
use std::path::{Path, PathBuf};

use sim_core::tco::{self, TcoError};

use crate::support::{clustersim, load, scratch, stderr, stdout};

/// One DGX H100 bought at $270,000, written off over 5 years, 8% a year
/// maintenance, $0.10/kWh through a PUE of 1.5; one job holds 4 of its
/// GPUs for the whole simulated year at activity 0, so the node draws its
/// idle power all year.
const ON_PREMISE: &str = r#"(
    name: "on-prem",
    seed: 1,
    catalog: (nodes: [(name: "DGX-H100", purchase_price: "$270000")]),
    cluster: (node_groups: [(name: "dgx", count: 1, node_model: "DGX-H100")]),
    workload: (jobs: [(submit: "0s", request: Gpus(4), runtime: "365d", time_limit: "365d")]),
    power: Some((pue: 1.5, job_activity: 0.0)),
    cost: Some((electricity_per_kwh: "$0.10", depreciation: "5y", maintenance_per_year: 0.08)),
    stop: (horizon: "365d"),
)
"#;

/// One DGX H100 on demand at $4.00 per GPU-hour, all 8 GPUs busy all year.
const CLOUD: &str = r#"(
    name: "cloud",
    seed: 1,
    cluster: (node_groups: [(name: "p5", count: 1, node_model: "DGX-H100", billing: Some(OnDemand(price_per_gpu_hour: "$4.00")))]),
    workload: (jobs: [(submit: "0s", request: Gpus(8), runtime: "365d", time_limit: "365d")]),
    stop: (horizon: "365d"),
)
"#;

/// The same cluster with no cost model.
const NO_COST: &str = r#"(
    name: "no-cost",
    seed: 1,
    cluster: (node_groups: [(name: "dgx", count: 1, node_model: "DGX-H100")]),
    workload: (jobs: [(submit: "0s", request: Gpus(8), runtime: "1h", time_limit: "1h")]),
)
"#;

const HOURS_PER_YEAR: f64 = 365.0 * 24.0;

/// `files` (name, text) written into a fresh scratch directory.
fn write(dir: &str, files: &[(&str, &str)]) -> (PathBuf, Vec<String>) {
    let dir = scratch(dir);
    fs::create_dir_all(&dir).unwrap();
    let paths = (files.iter())
        .map(|(name, text)| {
            let path = dir.join(name);
            fs::write(&path, text).unwrap();
            path.to_str().unwrap().to_string()
        })
        .collect();
    (dir, paths)
}

fn close(actual: f64, expected: f64, what: &str) {
    let tolerance = 1e-9 * expected.abs().max(1.0);
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: {actual} != {expected}"
    );
}

#[test]
fn a_year_on_premise_and_a_year_in_the_cloud_project_as_computed_by_hand() {
    let (_, paths) = write(
        "tco_by_hand",
        &[("on-prem.ron", ON_PREMISE), ("cloud.ron", CLOUD)],
    );
    let on_prem = load(&paths[0], &[]);
    let cloud = load(&paths[1], &[]);
    let idle_watts = f64::from(on_prem.cluster.groups[0].node_model.idle_power_watts);
    let options = vec![
        ("on-prem".to_string(), on_prem),
        ("cloud".to_string(), cloud),
    ];

    for years in [3u32, 7] {
        let tco = tco::run(&options, years, &mut |_, _| {}).unwrap();
        assert_eq!(tco.years, years);
        let n = f64::from(years);

        // On premise: capital at month 0, then maintenance and energy.
        let capital = 270_000.0;
        let depreciation = capital / 5.0;
        let maintenance = 0.08 * capital;
        let energy = idle_watts / 1e3 * HOURS_PER_YEAR * 1.5 * 0.10;
        let running = maintenance + energy;
        let p = &tco.options[0];
        assert_eq!(p.name, "on-prem");
        close(p.simulated_years, 1.0, "simulated years");
        close(p.capital_usd, capital, "capital");
        close(p.running_per_year_usd, running, "running per year");
        close(
            p.depreciation_per_year_usd,
            depreciation,
            "depreciation per year",
        );
        close(p.depreciation_years, 5.0, "depreciation period");
        close(p.cash_usd, capital + running * n, "cash");
        let written_off = n.min(5.0);
        close(
            p.book_cost_usd,
            (running * n) + depreciation * written_off,
            "book cost",
        );
        close(
            p.book_value_left_usd,
            capital * (1.0 - written_off / 5.0),
            "book value left",
        );
        close(
            p.cash_usd,
            p.book_cost_usd + p.book_value_left_usd,
            "cash = book cost + book value left",
        );
        // Within the depreciation period, book cost is the run's total
        // scaled to N years.
        if years <= 5 {
            close(
                p.book_cost_usd,
                (running + depreciation) * n,
                "book cost in the depreciation period",
            );
        }
        let delivered = 4.0 * HOURS_PER_YEAR;
        close(
            p.delivered_gpu_hours_per_year,
            delivered,
            "delivered GPU-hours",
        );
        close(
            p.cash_per_delivered_gpu_hour_usd.unwrap(),
            (capital + running * n) / (delivered * n),
            "cash per delivered GPU-hour",
        );
        assert_eq!(p.jobs_completed, 1);
        close(p.gpu_utilization, 0.5, "utilization");
        assert_eq!(p.cumulative_cash_usd.len(), 12 * years as usize + 1);
        close(p.cumulative_cash_usd[0], capital, "month 0");
        close(p.cumulative_cash_usd[12], capital + running, "month 12");
        close(
            p.cumulative_cash_usd[18],
            capital + running * 1.5,
            "month 18",
        );
        close(
            *p.cumulative_cash_usd.last().unwrap(),
            p.cash_usd,
            "last month",
        );

        // In the cloud: 8 GPUs × $4.00 × every hour of the year, no capital.
        let bill = 8.0 * 4.0 * HOURS_PER_YEAR;
        let c = &tco.options[1];
        assert_eq!(c.name, "cloud");
        close(c.capital_usd, 0.0, "cloud capital");
        close(c.running_per_year_usd, bill, "cloud running per year");
        close(c.cash_usd, bill * n, "cloud cash");
        close(c.book_cost_usd, bill * n, "cloud book cost");
        close(c.book_value_left_usd, 0.0, "cloud book value left");
        close(
            c.cash_per_delivered_gpu_hour_usd.unwrap(),
            4.0,
            "cloud per GPU-hour",
        );
        close(c.cumulative_cash_usd[0], 0.0, "cloud month 0");
    }
}

#[test]
fn a_scenario_without_a_cost_model_is_refused_before_anything_runs() {
    let (_, paths) = write(
        "tco_no_cost",
        &[("cloud.ron", CLOUD), ("none.ron", NO_COST)],
    );
    let options = vec![
        ("cloud".to_string(), load(&paths[0], &[])),
        ("no-cost".to_string(), load(&paths[1], &[])),
    ];
    let mut runs = 0;
    let refused = tco::run(&options, 5, &mut |_, _| runs += 1).unwrap_err();
    assert_eq!(
        refused,
        TcoError::NoCost {
            option: 1,
            name: "no-cost".into()
        }
    );
    assert_eq!(runs, 0, "nothing ran");
    assert!(refused.to_string().contains("add a `cost:` section"));
    assert_eq!(tco::check(&options[..1], 0), Err(TcoError::Years(0)));
    assert_eq!(
        tco::check(&options[..1], tco::MAX_YEARS + 1),
        Err(TcoError::Years(tco::MAX_YEARS + 1))
    );

    let out = clustersim(&["tco", &paths[0], &paths[1], "--years", "5", "-q"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(message.starts_with("error: "), "{message}");
    assert!(message.contains(&paths[1]), "names the file: {message}");
    assert!(message.contains("add a `cost:` section"), "{message}");
    assert!(stdout(&out).is_empty());
}

#[test]
fn the_cli_prints_the_table_and_writes_tco_csv_and_tco_svg() {
    let (dir, paths) = write(
        "tco_cli",
        &[("on-prem.ron", ON_PREMISE), ("cloud.ron", CLOUD)],
    );
    let out_dir = dir.join("out");
    let out = clustersim(&[
        "tco",
        &paths[0],
        &paths[1],
        "--years",
        "3",
        "--out",
        out_dir.to_str().unwrap(),
        "-q",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let header = text.lines().next().unwrap();
    for column in [
        "option",
        "capital",
        "running/yr",
        "3y cash",
        "3y book cost",
        "book value left",
        "delivered GPU-h/yr",
        "$/delivered GPU-h",
        "jobs completed",
        "utilization",
    ] {
        assert!(header.contains(column), "{column} in {header}");
    }
    assert!(text.contains("$270,000"), "{text}");
    assert!(text.contains("$840,960"), "the cloud's 3-year cash: {text}");
    assert!(text.contains("repeats the simulated span"), "{text}");

    let csv = fs::read_to_string(out_dir.join("tco.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("option,years,capital_usd,running_per_year_usd,cash_usd,"));
    assert!(lines[1].starts_with("on-prem,3,270000,"), "{csv}");
    assert!(
        lines[2].starts_with("cloud,3,0,280320,840960,840960,0,70080,4,1,1,"),
        "{csv}"
    );

    let svg = fs::read_to_string(out_dir.join("tco.svg")).unwrap();
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(svg.trim_end().ends_with("</svg>"));
    // plotters writes each text on a line of its own.
    let texts: Vec<&str> = svg.lines().map(str::trim).collect();
    for name in ["on-prem", "cloud"] {
        assert!(texts.contains(&name), "the legend names {name}: {svg}");
    }
    assert!(texts.contains(&"month"), "{svg}");
    // Dollar ticks: $0 to $900k for the cloud's $840,960.
    assert!(texts.contains(&"$0"), "{svg}");
    assert!(texts.contains(&"$800k"), "{svg}");

    // The same command writes the same bytes.
    let again = clustersim(&[
        "tco",
        &paths[0],
        &paths[1],
        "--years",
        "3",
        "--out",
        out_dir.to_str().unwrap(),
        "-q",
    ]);
    assert!(again.status.success());
    assert_eq!(fs::read_to_string(out_dir.join("tco.svg")).unwrap(), svg);
    assert_eq!(fs::read_to_string(out_dir.join("tco.csv")).unwrap(), csv);
}

#[test]
fn bad_input_is_the_usual_scenario_error_with_exit_2() {
    let (dir, paths) = write(
        "tco_bad_input",
        &[
            ("cloud.ron", CLOUD),
            (
                "broken.ron",
                "(\n    name: \"broken\",\n    seed: \"one\",\n)\n",
            ),
        ],
    );
    let out = clustersim(&["tco", &paths[0], &paths[1], "--years", "2", "-q"]);
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert!(
        message.contains(&format!("{}:3:", paths[1])),
        "file:line:column: {message}"
    );

    let missing = Path::new(&dir).join("missing.ron");
    let out = clustersim(&["tco", &paths[0], missing.to_str().unwrap(), "--years", "2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing.ron"), "{}", stderr(&out));

    // One option, no --years, or zero years: refused by the arguments.
    for args in [
        vec!["tco", paths[0].as_str(), "--years", "2"],
        vec!["tco", paths[0].as_str(), paths[0].as_str()],
        vec!["tco", paths[0].as_str(), paths[0].as_str(), "--years", "0"],
    ] {
        let out = clustersim(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
}
