//! A study's SVG plots (`study::plot`), read back from the SVG text: the
//! document is well formed, every finite point has its error bar, the y
//! axis covers every interval, categories keep their order, NaN and
//! infinities are skipped, and the same figure gives the same bytes.

use sim_core::study::plot::{Axis, Figure, Point, Series, TickFormat, svg};

/// One element of the SVG: its name, attributes and text content.
#[derive(Debug)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    text: String,
}

impl Element {
    fn get(&self, key: &str) -> &str {
        let found = self.attributes.iter().find(|(k, _)| k == key);
        found.map_or("", |(_, v)| v.as_str())
    }

    /// The points of a polyline.
    fn points(&self) -> Vec<(i32, i32)> {
        let pairs = self.get("points").split_whitespace();
        let parse = |pair: &str| {
            let (x, y) = pair.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        };
        pairs.map(parse).collect()
    }
}

/// Reads the SVG's elements in document order, checking on the way that
/// every tag closes in order and that attribute values are quoted.
fn parse(svg: &str) -> Vec<Element> {
    assert!(svg.starts_with("<svg "), "{}", &svg[..40]);
    assert!(svg.ends_with("</svg>\n"));
    let mut open: Vec<String> = Vec::new();
    let mut elements: Vec<Element> = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let text = rest[..start].trim();
        if let (Some(name), false) = (open.last(), text.is_empty()) {
            assert_eq!(name, "text", "text outside a <text>: {text}");
            elements.last_mut().unwrap().text = text.to_owned();
        }
        let end = start + rest[start..].find('>').unwrap();
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop().as_deref(), Some(name), "unbalanced </{name}>");
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let (name, mut attrs) = tag.split_once(' ').unwrap_or((tag, ""));
        let mut attributes = Vec::new();
        while let Some((key, after)) = attrs.split_once("=\"") {
            let (value, after) = after.split_once('"').expect("an unclosed attribute value");
            attributes.push((key.trim().to_owned(), value.to_owned()));
            attrs = after;
        }
        assert!(attrs.trim().is_empty(), "stray text in <{tag}>");
        if !self_closing {
            open.push(name.to_owned());
        }
        let name = name.to_owned();
        elements.push(Element {
            name,
            attributes,
            text: String::new(),
        });
    }
    assert!(open.is_empty(), "unclosed: {open:?}");
    assert!(rest.trim().is_empty());
    elements
}

fn texts(elements: &[Element]) -> impl Iterator<Item = &Element> {
    elements.iter().filter(|e| e.name == "text")
}

/// The tick labels under the x axis (14 px, centred), left to right.
fn x_tick_labels(elements: &[Element]) -> Vec<(i32, String)> {
    let ticks =
        texts(elements).filter(|e| e.get("font-size") == "14" && e.get("text-anchor") == "middle");
    ticks
        .map(|e| (e.get("x").parse().unwrap(), e.text.clone()))
        .collect()
}

/// The y axis's tick labels as (pixel y, value).
fn y_ticks(elements: &[Element]) -> Vec<(i32, f64)> {
    let ticks = texts(elements).filter(|e| e.get("text-anchor") == "end");
    ticks
        .map(|e| (e.get("y").parse().unwrap(), e.text.parse().unwrap()))
        .collect()
}

/// Error bars: vertical two-point lines in a series' colour (the first
/// three colours of the palette; their caps are horizontal).
fn error_bars(elements: &[Element]) -> Vec<(i32, i32, i32)> {
    let colours = ["#0072B2", "#D55E00", "#009E73"];
    let lines = elements
        .iter()
        .filter(|e| e.name == "polyline" && colours.contains(&e.get("stroke")));
    let vertical = lines
        .map(Element::points)
        .filter(|p| p.len() == 2 && p[0].0 == p[1].0 && p[0].1 != p[1].1);
    vertical
        .map(|p| (p[0].0, p[0].1.min(p[1].1), p[0].1.max(p[1].1)))
        .collect()
}

fn point(x: f64, mean: f64, half_width: f64) -> Point {
    Point {
        x,
        mean,
        ci95_low: mean - half_width,
        ci95_high: mean + half_width,
    }
}

fn figure<'a>(axis: Axis, series: &'a [Series]) -> Figure<'a> {
    let title = "wait_s.mean against scheduler.backfill";
    Figure {
        title,
        x_label: "scheduler.backfill",
        y_label: "wait_s.mean",
        axis,
        y_format: TickFormat::Plain,
        mark_every: 1,
        series,
    }
}

fn backfill_by_load() -> (Axis, Vec<Series>) {
    let categories = ["None", "Easy", "Conservative", "Slurm"]
        .map(String::from)
        .to_vec();
    let series = [0.6, 1.2]
        .iter()
        .map(|scale| Series {
            label: format!("workload.trace.interarrival_scale={scale}"),
            points: (0..4)
                .map(|c| point(f64::from(c), 3000.0 / scale + 100.0 * f64::from(c), 250.0))
                .collect(),
        })
        .collect();
    (Axis::Categories(categories), series)
}

#[test]
fn a_categorical_figure_is_well_formed_with_its_labels_in_order_and_a_legend() {
    let (axis, series) = backfill_by_load();
    let elements = parse(&svg(&figure(axis, &series)));
    let ticks = x_tick_labels(&elements);
    let names: Vec<&str> = ticks.iter().map(|(_, name)| name.as_str()).collect();
    assert_eq!(
        names,
        ["None", "Easy", "Conservative", "Slurm"],
        "one label per category, in the given order"
    );
    assert!(
        ticks.windows(2).all(|w| w[0].0 < w[1].0),
        "left to right: {ticks:?}"
    );
    let all_text: Vec<&str> = texts(&elements).map(|e| e.text.as_str()).collect();
    // Both labels set the same path: it is the legend's title, the values its entries.
    for expected in [
        "workload.trace.interarrival_scale",
        "0.6",
        "1.2",
        "scheduler.backfill",
        "wait_s.mean",
    ] {
        assert!(
            all_text.contains(&expected),
            "{expected} missing from {all_text:?}"
        );
    }
    // Each series' markers sit at the categories' x, spread a few pixels apart.
    let bars = error_bars(&elements);
    assert_eq!(bars.len(), 8);
    for (i, (x_px, _)) in ticks.iter().enumerate() {
        let near = bars.iter().filter(|b| (b.0 - x_px).abs() <= 8).count();
        assert_eq!(near, 2, "category {i} at x={x_px}: {bars:?}");
    }
}

#[test]
fn labels_that_set_different_paths_are_shown_whole() {
    let series = ["scheduler.backfill=Easy", "seed=3"].map(|label| Series {
        label: label.to_owned(),
        points: vec![point(1.0, 1.0, 0.1)],
    });
    let elements = parse(&svg(&figure(Axis::Numeric, &series)));
    let all_text: Vec<&str> = texts(&elements).map(|e| e.text.as_str()).collect();
    assert!(
        all_text.contains(&"scheduler.backfill=Easy") && all_text.contains(&"seed=3"),
        "{all_text:?}"
    );
    // One series: no legend at all.
    let one = &series[..1];
    let elements = parse(&svg(&figure(Axis::Numeric, one)));
    assert!(texts(&elements).all(|e| !e.text.contains("Easy")));
}

#[test]
fn the_same_figure_gives_the_same_bytes() {
    let (axis, series) = backfill_by_load();
    let first = svg(&figure(axis.clone(), &series));
    let again = svg(&figure(axis, &series.clone()));
    assert_eq!(first, again);
}

#[test]
fn every_finite_point_has_an_error_bar_and_the_y_axis_covers_every_bound() {
    let series = vec![
        Series {
            label: "a".into(),
            points: vec![
                point(64.0, 900.0, 300.0),
                point(128.0, 400.0, 50.0),
                point(256.0, 100.0, 180.0),
            ],
        },
        Series {
            label: "b".into(),
            points: vec![
                point(64.0, 700.0, 10.0),
                point(f64::NAN, 5.0, 1.0),        // skipped: no x
                point(128.0, f64::INFINITY, 1.0), // skipped: no mean
                Point {
                    x: 192.0,
                    mean: 350.0,
                    ci95_low: f64::NAN,
                    ci95_high: f64::NAN,
                }, // a marker, no bar
            ],
        },
    ];
    let text = svg(&figure(Axis::Numeric, &series));
    assert!(!text.contains("NaN") && !text.contains("inf"));
    let elements = parse(&text);
    let bars = error_bars(&elements);
    assert_eq!(bars.len(), 4, "{bars:?}");
    let ticks = y_ticks(&elements);
    let (lowest, highest) = (
        ticks.iter().map(|t| t.1).fold(f64::INFINITY, f64::min),
        ticks.iter().map(|t| t.1).fold(f64::NEG_INFINITY, f64::max),
    );
    assert!(
        lowest <= -80.0 && highest >= 1200.0,
        "ticks {ticks:?} must cover [-80, 1200]"
    );
    let (top_px, bottom_px) = (
        ticks.iter().map(|t| t.0).min().unwrap(),
        ticks.iter().map(|t| t.0).max().unwrap(),
    );
    assert!(
        bars.iter().all(|b| top_px <= b.1 && b.2 <= bottom_px),
        "bars {bars:?} inside [{top_px}, {bottom_px}]"
    );
    // Few x values: the ticks are the values themselves.
    let x_labels: Vec<String> = x_tick_labels(&elements).into_iter().map(|t| t.1).collect();
    assert_eq!(x_labels, ["64", "128", "192", "256"]);
}

#[test]
fn a_single_point_is_drawn_inside_padded_axes() {
    let series = vec![Series {
        label: "only".into(),
        points: vec![point(0.5, 0.25, 0.0)],
    }];
    let elements = parse(&svg(&figure(Axis::Numeric, &series)));
    assert_eq!(elements.iter().filter(|e| e.name == "circle").count(), 1);
    assert_eq!(
        error_bars(&elements).len(),
        0,
        "a zero-width interval draws no bar"
    );
    let ticks = y_ticks(&elements);
    assert!(
        ticks.iter().any(|t| t.1 < 0.25) && ticks.iter().any(|t| t.1 > 0.25),
        "{ticks:?}"
    );
    let circle = elements.iter().find(|e| e.name == "circle").unwrap();
    let x_ticks = x_tick_labels(&elements);
    assert_eq!(x_ticks.len(), 1);
    assert_eq!(
        circle.get("cx").parse::<i32>().unwrap(),
        x_ticks[0].0,
        "the point sits at its tick"
    );
}

#[test]
fn nothing_finite_says_so_instead_of_drawing() {
    let series = vec![Series {
        label: "a".into(),
        points: vec![point(f64::NAN, 1.0, 0.5), point(1.0, f64::NAN, 0.5)],
    }];
    let elements = parse(&svg(&figure(Axis::Numeric, &series)));
    assert!(texts(&elements).any(|e| e.text == "no finite values to plot"));
    assert!(error_bars(&elements).is_empty());
    let empty = parse(&svg(&figure(Axis::Categories(vec!["x".into()]), &[])));
    assert!(texts(&empty).any(|e| e.text == "no finite values to plot"));
    // A categorical point off the list of categories is not drawn either.
    let off = vec![Series {
        label: "a".into(),
        points: vec![point(1.0, 1.0, 0.5), point(0.5, 1.0, 0.5)],
    }];
    let elements = parse(&svg(&figure(Axis::Categories(vec!["x".into()]), &off)));
    assert!(texts(&elements).any(|e| e.text == "no finite values to plot"));
}

#[test]
fn round_ticks_are_labelled_with_the_decimals_their_step_needs() {
    let series = vec![Series {
        label: "a".into(),
        points: (1..=30)
            .map(|k| point(f64::from(k), 0.9 + 0.001 * f64::from(k), 0.002))
            .collect(),
    }];
    let elements = parse(&svg(&figure(Axis::Numeric, &series)));
    let y_labels: Vec<String> = texts(&elements)
        .filter(|e| e.get("text-anchor") == "end")
        .map(|e| e.text.clone())
        .collect();
    // Means 0.901..0.930 ± 0.002, padded by 5% of the span: [0.89735, 0.93365];
    // a sixth of it is 0.006, rounded to a step of 0.005, three decimals.
    let expected = [
        "0.895", "0.900", "0.905", "0.910", "0.915", "0.920", "0.925", "0.930", "0.935",
    ];
    assert_eq!(y_labels, expected);
    // Thirty x values: round ticks, not one per value; 1..30 padded by 6%
    // is [-0.74, 31.74], a sixth of it 5.4, rounded to a step of 5.
    let x_labels: Vec<String> = x_tick_labels(&elements).into_iter().map(|t| t.1).collect();
    assert_eq!(x_labels, ["0", "5", "10", "15", "20", "25", "30"]);
}

#[test]
fn wrapped_categories_are_labelled_by_what_differs_and_thinned_when_crowded() {
    // Thirteen checkpoint intervals, as scenarios/studies/checkpoint-interval.ron.
    let values = [
        "15m", "21m", "30m", "42m", "1h", "1h25m", "2h", "2h50m", "4h", "5h40m", "8h", "11h20m",
        "16h",
    ];
    let categories: Vec<String> = values.iter().map(|v| format!("Every(\"{v}\")")).collect();
    let series = [Series {
        label: "checkpoint-interval".into(),
        points: (0..13).map(|c| point(f64::from(c), 0.9, 0.01)).collect(),
    }];
    let fig = Figure {
        x_label: "workload.training[0].checkpoint.interval",
        ..figure(Axis::Categories(categories), &series)
    };
    let elements = parse(&svg(&fig));
    let names: Vec<String> = x_tick_labels(&elements)
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    // Too many for 640 pixels at 6 characters each (about 62 px): every
    // other one, the first included.
    let every_other: Vec<&str> = values.iter().copied().step_by(2).collect();
    assert_eq!(names, every_other);
    let all_text: Vec<&str> = texts(&elements).map(|e| e.text.as_str()).collect();
    assert!(
        all_text.contains(&"workload.training[0].checkpoint.interval (Every(&quot;…&quot;))"),
        "{all_text:?}"
    );
    // Categories that share no wrapper keep their names whole.
    let (axis, series) = backfill_by_load();
    let elements = parse(&svg(&figure(axis, &series)));
    let names: Vec<String> = x_tick_labels(&elements)
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    assert_eq!(names, ["None", "Easy", "Conservative", "Slurm"]);
}

/// `tco.svg`'s axis: dollars in k or M with the decimals the step needs,
/// and a marker every twelfth month.
#[test]
fn dollar_ticks_read_in_thousands_or_millions_and_markers_can_be_thinned() {
    let line = |slope: f64, start: f64| Series {
        label: "cash".into(),
        points: (0..=60)
            .map(|m| Point {
                x: f64::from(m),
                mean: start + slope * f64::from(m),
                ci95_low: f64::NAN,
                ci95_high: f64::NAN,
            })
            .collect(),
    };
    let y_labels = |series: &[Series], mark_every: usize| {
        let fig = Figure {
            y_format: TickFormat::Dollars,
            mark_every,
            ..figure(Axis::Numeric, series)
        };
        let elements = parse(&svg(&fig));
        let labels: Vec<String> = texts(&elements)
            .filter(|e| e.get("text-anchor") == "end")
            .map(|e| e.text.clone())
            .collect();
        let markers = elements.iter().filter(|e| e.name == "circle").count();
        (labels, markers)
    };
    // $270,000 to $390,000, padded by 5%: [$264k, $396k], a step of $20k.
    let (labels, markers) = y_labels(&[line(2_000.0, 270_000.0)], 12);
    let expected = [
        "$260k", "$280k", "$300k", "$320k", "$340k", "$360k", "$380k", "$400k",
    ];
    assert_eq!(labels, expected);
    assert_eq!(markers, 6, "months 0, 12, 24, 36, 48 and 60");
    // $0 to $1,401,600: the axis stays at zero, a step of $0.2M.
    let (labels, markers) = y_labels(&[line(23_360.0, 0.0)], 1);
    let expected = [
        "$0", "$0.2M", "$0.4M", "$0.6M", "$0.8M", "$1.0M", "$1.2M", "$1.4M", "$1.6M",
    ];
    assert_eq!(labels, expected);
    assert_eq!(markers, 61);
}
