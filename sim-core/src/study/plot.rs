//! A study's plots: the mean of one metric against one parameter, with its
//! 95% confidence interval as error bars, one series per combination of the
//! other parameters, as a standalone SVG document (`plotters`).
//!
//! Input-neutral: it knows nothing of CSV files or the runner, only
//! [`Figure`]s. Invariants:
//! - Deterministic: the same figure gives the same bytes (plotters writes
//!   pixel coordinates as integers; tick labels are formatted here with a
//!   fixed number of decimals; nothing depends on time or locale).
//! - Never panics on numbers: a point whose x or mean is NaN or infinite
//!   is skipped, an interval that is not finite draws no error bar, a
//!   categorical point off the list of categories is skipped, and a figure
//!   with nothing left says so in the plot instead of drawing empty axes
//!   silently.
//! - The y axis covers every plotted mean and interval bound, with a
//!   margin; the x axis is padded so that end points are not on the frame.
//! - Text fits: a title too long for the width is set smaller; categories
//!   that all share a wrapper (`Every("15m")`, `Every("2h")`) are labelled
//!   by what differs (`15m`, `2h`) with the wrapper in the axis title, and
//!   labels too wide for their slot are shown for every k-th category only.
//! - Text is SVG `<text>` in the browser's sans-serif: no font files.
//!   Series differ in colour (Okabe-Ito, safe for colour-blind readers) and
//!   marker shape, so they stay apart in greyscale too.

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The x axis: numbers (placed to scale) or categories (evenly spaced, in
/// the given order).
#[derive(Clone, Debug, PartialEq)]
pub enum Axis {
    Numeric,
    Categories(Vec<String>),
}

/// One point of a series: its x (the parameter's value, or the index of its
/// category), the mean and the bounds of its 95% confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub x: f64,
    pub mean: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
}

/// A line of points, named in the legend (e.g. `scheduler.backfill=Easy`).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<Point>,
}

/// What one plot shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub axis: Axis,
    /// How the y axis's tick labels read.
    pub y_format: TickFormat,
    /// A marker on every k-th point of a series (its first included): 1
    /// marks every point; a long series (months) reads better marked per
    /// year (12).
    pub mark_every: usize,
    pub series: &'a [Series],
}

/// How an axis's tick labels read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TickFormat {
    /// Numbers with exactly the decimals the step needs: `0.25`, `0.50`.
    #[default]
    Plain,
    /// Dollars, in thousands (`k`) or millions (`M`) once the ticks reach
    /// them, with the decimals the step needs in that unit: `$0`,
    /// `$250k`, `$1.5M`, `-$20k`.
    Dollars,
}

/// The plot's size in pixels; a legend, when there is one, is added on the
/// right (and the height grows if its rows need it).
const WIDTH_PX: u32 = 800;
const HEIGHT_PX: u32 = 500;
/// Okabe & Ito's palette ("Color Universal Design", 2008), yellow last: it
/// is the hardest to see on white.
const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x00, 0x00, 0x00), // black
    RGBColor(0xF0, 0xE4, 0x42), // yellow
];
const FONT: &str = "sans-serif";
const TICK_FONT_PX: u32 = 14;
const LEGEND_ROW_PX: i32 = 22;
/// A generous width of one character of sans-serif text, as a fraction of
/// the font size (SVG text is measured by the browser, not here).
const CHAR_WIDTH_EM: f64 = 0.6;
const MARKER_PX: i32 = 5;
const CAP_HALF_WIDTH_PX: i32 = 5;

/// The figure as a standalone SVG document (same input, same bytes).
pub fn svg(figure: &Figure) -> String {
    let plotted: Vec<Vec<Point>> = figure
        .series
        .iter()
        .map(|series| plottable(&figure.axis, &series.points))
        .collect();
    let legend = Legend::of(figure.series);
    let legend_width_px = match &legend {
        Some(legend) => 70 + text_width_px(legend.widest_chars(), TICK_FONT_PX),
        None => 0,
    };
    let legend_height_px = 100 + LEGEND_ROW_PX * figure.series.len() as i32;
    let size = (
        WIDTH_PX + legend_width_px as u32,
        HEIGHT_PX.max(legend_height_px as u32),
    );
    let x = x_axis(&figure.axis, &plotted);
    let y = y_axis(&plotted, figure.y_format);
    let y_tick_chars = y.ticks.iter().map(|(_, label)| label.chars().count());
    let y_label_area_px = 44 + text_width_px(y_tick_chars.max().unwrap_or(1), TICK_FONT_PX);

    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        let drawn = draw(figure, &root, &plotted, (&x, &y), y_label_area_px);
        let legend_drawn = legend.map_or(Ok(()), |legend| legend.draw(&root));
        drawn
            .and(legend_drawn)
            .and_then(|()| root.present())
            .expect("an SVG written into a String cannot fail");
    }
    out
}

type Root<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;
type DrawResult = Result<(), DrawingAreaErrorKind<std::io::Error>>;

fn draw(
    figure: &Figure,
    root: &Root,
    plotted: &[Vec<Point>],
    (x, y): (&Scale, &Scale),
    y_label_area_px: i32,
) -> DrawResult {
    root.fill(&WHITE)?;
    let (plot_area, _) = root.split_horizontally(WIDTH_PX);
    let x_label = |v: &f64| x.label_at(*v);
    let y_label = |v: &f64| y.label_at(*v);
    let x_desc = match &figure.axis {
        Axis::Categories(names) => match shared_wrapper(names) {
            Some((prefix, suffix)) => format!("{} ({prefix}…{suffix})", figure.x_label),
            None => figure.x_label.to_string(),
        },
        Axis::Numeric => figure.x_label.to_string(),
    };
    let mut chart = ChartBuilder::on(&plot_area)
        .caption(figure.title, text_style(title_font_px(figure.title)))
        .margin(14)
        .x_label_area_size(60)
        .y_label_area_size(y_label_area_px)
        .build_cartesian_2d(x.clone(), y.clone())?;
    chart
        .configure_mesh()
        .bold_line_style(RGBColor(0xDD, 0xDD, 0xDD))
        .axis_style(BLACK)
        .label_style(text_style(TICK_FONT_PX))
        .axis_desc_style(text_style(16))
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .x_desc(x_desc)
        .y_desc(figure.y_label)
        .draw()?;

    if plotted.iter().all(Vec::is_empty) {
        let ((left, top), (right, bottom)) = (
            chart.backend_coord(&(x.range.0, y.range.1)),
            chart.backend_coord(&(x.range.1, y.range.0)),
        );
        let centre = ((left + right) / 2, (top + bottom) / 2);
        let style = text_style(16).pos(Pos::new(HPos::Center, VPos::Center));
        root.draw(&Text::new("no finite values to plot", centre, style))?;
        return Ok(());
    }
    // Series at the same x are spread a few pixels apart, so that their
    // error bars do not hide each other.
    let mut xs_px: Vec<i32> = plotted
        .iter()
        .flatten()
        .map(|p| chart.backend_coord(&(p.x, 0.0)).0)
        .collect();
    xs_px.sort_unstable();
    xs_px.dedup();
    let min_gap_px = xs_px
        .windows(2)
        .map(|w| w[1] - w[0])
        .min()
        .unwrap_or(WIDTH_PX as i32);
    let n = plotted.len() as i32;
    let spread_px = (min_gap_px / 2 / n).clamp(0, 8);
    let offset_px = |series: usize| (2 * series as i32 - (n - 1)) * spread_px / 2;

    for (i, points) in plotted.iter().enumerate() {
        let colour = colour(i);
        let offset_px = offset_px(i);
        let at = |p: &Point, value: f64| {
            let (px, py) = chart.backend_coord(&(p.x, value));
            (px + offset_px, py)
        };
        let line: Vec<(i32, i32)> = points.iter().map(|p| at(p, p.mean)).collect();
        root.draw(&PathElement::new(line, colour.stroke_width(2)))?;
        for p in points.iter().filter(|p| has_interval(p)) {
            let ((px, low), (_, high)) = (at(p, p.ci95_low), at(p, p.ci95_high));
            let bar = colour.stroke_width(2);
            root.draw(&PathElement::new(vec![(px, low), (px, high)], bar))?;
            for end in [low, high] {
                let cap = vec![(px - CAP_HALF_WIDTH_PX, end), (px + CAP_HALF_WIDTH_PX, end)];
                root.draw(&PathElement::new(cap, bar))?;
            }
        }
    }
    for (i, points) in plotted.iter().enumerate() {
        for p in points.iter().step_by(figure.mark_every.max(1)) {
            let (px, py) = chart.backend_coord(&(p.x, p.mean));
            draw_marker(root, i, (px + offset_px(i), py))?;
        }
    }
    Ok(())
}

/// The legend, right of the plot, when there is more than one series: a
/// sample of each series' line and marker, and its label. Labels that all
/// set the same path (`scheduler.backfill=Easy`, `scheduler.backfill=None`)
/// show the path once, as the legend's title, and only their values.
struct Legend {
    title: Option<String>,
    entries: Vec<String>,
}

impl Legend {
    fn of(series: &[Series]) -> Option<Legend> {
        if series.len() < 2 {
            return None;
        }
        let path_of = |label: &str| label.split_once('=').map(|(path, _)| path.to_owned());
        let first_path = path_of(&series[0].label);
        let shared = first_path.filter(|path| {
            let prefix = format!("{path}=");
            series.iter().all(|s| s.label.starts_with(&prefix))
        });
        let entries = series.iter().map(|s| match &shared {
            Some(path) => s.label[path.len() + 1..].to_owned(),
            None => s.label.clone(),
        });
        let entries = entries.collect();
        Some(Legend {
            title: shared,
            entries,
        })
    }

    fn widest_chars(&self) -> usize {
        let entries = self.entries.iter().map(|e| e.chars().count());
        let title = self.title.iter().map(|t| t.chars().count());
        entries.chain(title).max().unwrap_or(0)
    }

    fn draw(&self, root: &Root) -> DrawResult {
        let left = WIDTH_PX as i32 + 4;
        let style = text_style(TICK_FONT_PX).pos(Pos::new(HPos::Left, VPos::Center));
        let mut y = 60;
        if let Some(title) = &self.title {
            let bold = TextStyle {
                font: style.font.style(FontStyle::Bold),
                ..style.clone()
            };
            root.draw(&Text::new(title.as_str(), (left, y), bold))?;
            y += LEGEND_ROW_PX;
        }
        for (i, entry) in self.entries.iter().enumerate() {
            let sample = vec![(left, y), (left + 36, y)];
            root.draw(&PathElement::new(sample, colour(i).stroke_width(2)))?;
            draw_marker(root, i, (left + 18, y))?;
            root.draw(&Text::new(entry.as_str(), (left + 46, y), style.clone()))?;
            y += LEGEND_ROW_PX;
        }
        Ok(())
    }
}

/// A series' marker: seven shapes against eight colours, so 56 series
/// pass before a pair repeats.
fn draw_marker(root: &Root, series: usize, (x, y): (i32, i32)) -> DrawResult {
    let (r, s) = (MARKER_PX, MARKER_PX + 2);
    let at = |corners: &[(i32, i32)]| -> Vec<_> {
        corners.iter().map(|(dx, dy)| (x + dx, y + dy)).collect()
    };
    let bars = |bars: [[(i32, i32); 2]; 2]| -> DrawResult {
        for bar in bars {
            root.draw(&PathElement::new(at(&bar), colour(series).stroke_width(3)))?;
        }
        Ok(())
    };
    let corners: &[(i32, i32)] = match series % 7 {
        0 => return root.draw(&Circle::new((x, y), r, colour(series).filled())),
        1 => &[(-r, -r), (r, -r), (r, r), (-r, r)],
        2 => &[(0, -s), (-s, r), (s, r)],
        3 => &[(0, -s), (s, 0), (0, s), (-s, 0)],
        4 => &[(0, s), (-s, -r), (s, -r)],
        5 => return bars([[(-s, 0), (s, 0)], [(0, -s), (0, s)]]),
        _ => return bars([[(-r, -r), (r, r)], [(-r, r), (r, -r)]]),
    };
    root.draw(&Polygon::new(at(corners), colour(series).filled()))
}

fn colour(series: usize) -> RGBColor {
    PALETTE[series % PALETTE.len()]
}

/// Text `size_px` high in the SVG (plotters writes a font's size divided
/// by 1.24, its ratio of line height to font size).
fn text_style(size_px: u32) -> TextStyle<'static> {
    (FONT, f64::from(size_px) * 1.24).into_font().color(&BLACK)
}

/// The pixels `chars` characters take at most, for laying out margins.
/// The title's font size: 20 px, smaller (down to 12) when the title
/// would not fit the plot's width.
fn title_font_px(title: &str) -> u32 {
    let room_px = f64::from(WIDTH_PX) - 40.0;
    let chars = title.chars().count().max(1) as f64;
    let fitting = (room_px / (chars * CHAR_WIDTH_EM)).floor() as u32;
    fitting.clamp(12, 20)
}

/// The text every category starts and ends with, when they all wrap their
/// value alike: a prefix ending in `(` or `"` and a suffix starting with
/// `)` or `"`, around a non-empty value in every category (`Every("15m")`,
/// `Every("2h")` give `Every("` and `")`). `None` for fewer than two
/// categories or none shared.
fn shared_wrapper(names: &[String]) -> Option<(String, String)> {
    let (first, rest) = names.split_first()?;
    if rest.is_empty() {
        return None;
    }
    let mut prefix = first.len();
    let mut suffix = first.len();
    for name in rest {
        let common = |a: &mut dyn Iterator<Item = (u8, u8)>| a.take_while(|(x, y)| x == y).count();
        prefix = prefix.min(common(&mut first.bytes().zip(name.bytes())));
        suffix = suffix.min(common(&mut first.bytes().rev().zip(name.bytes().rev())));
    }
    while !first.is_char_boundary(prefix) {
        prefix -= 1;
    }
    while !first.is_char_boundary(first.len() - suffix) {
        suffix -= 1;
    }
    // Cut back to the wrapper's own delimiters.
    let prefix = first[..prefix].rfind(['(', '"']).map_or(0, |i| i + 1);
    let tail = &first[first.len() - suffix..];
    let suffix = tail.find([')', '"']).map_or(0, |i| tail.len() - i);
    let wrapped = (prefix > 0 || suffix > 0) && names.iter().all(|n| n.len() > prefix + suffix);
    wrapped.then(|| {
        (
            first[..prefix].to_string(),
            first[first.len() - suffix..].to_string(),
        )
    })
}

fn text_width_px(chars: usize, size_px: u32) -> i32 {
    (chars as f64 * size_px as f64 * CHAR_WIDTH_EM).ceil() as i32
}

/// The points of a series that can be drawn, in x order: finite x and
/// mean, and for categories an index into the list.
fn plottable(axis: &Axis, points: &[Point]) -> Vec<Point> {
    let on_axis = |x: f64| match axis {
        Axis::Numeric => x.is_finite(),
        Axis::Categories(names) => x >= 0.0 && x.fract() == 0.0 && x < names.len() as f64,
    };
    let mut kept: Vec<Point> = points
        .iter()
        .filter(|p| on_axis(p.x) && p.mean.is_finite())
        .copied()
        .collect();
    kept.sort_by(|a, b| a.x.total_cmp(&b.x));
    kept
}

/// Whether a point's interval is drawn: both bounds finite.
fn has_interval(p: &Point) -> bool {
    p.ci95_low.is_finite() && p.ci95_high.is_finite()
}

/// One axis: its range and its ticks with their labels.
#[derive(Clone)]
struct Scale {
    range: (f64, f64),
    ticks: Vec<(f64, String)>,
}

impl Scale {
    /// The label of a tick (plotters hands back the key points it was given).
    fn label_at(&self, value: f64) -> String {
        let tick = self.ticks.iter().find(|(at, _)| *at == value);
        tick.map(|(_, label)| label.clone()).unwrap_or_default()
    }
}

/// A linear axis whose ticks are exactly the scale's (plotters' own f64
/// axis picks its ticks itself and cannot take a label formatter).
impl Ranged for Scale {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, (from_px, to_px): (i32, i32)) -> i32 {
        let fraction = (value - self.range.0) / (self.range.1 - self.range.0);
        from_px + (f64::from(to_px - from_px) * fraction).round() as i32
    }

    /// The ticks as bold lines; no light lines between them.
    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        match hint.weight().allow_light_points() {
            true => Vec::new(),
            false => self.ticks.iter().map(|(at, _)| *at).collect(),
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.0..self.range.1
    }
}

/// Categories sit at 0, 1, … with half a slot either side; numbers get
/// 6% padding, ticks at the values themselves when there are few and
/// their labels fit between them, round ticks otherwise.
fn x_axis(axis: &Axis, plotted: &[Vec<Point>]) -> Scale {
    if let Axis::Categories(names) = axis {
        let shown: Vec<String> = match shared_wrapper(names) {
            Some((prefix, suffix)) => (names.iter())
                .map(|n| n[prefix.len()..n.len() - suffix.len()].to_string())
                .collect(),
            None => names.clone(),
        };
        // Every k-th label, so that each has the width of k slots.
        let slot_px = (f64::from(WIDTH_PX) - 160.0) / names.len().max(1) as f64;
        let widest_px = (shown.iter())
            .map(|l| text_width_px(l.chars().count(), TICK_FONT_PX))
            .max()
            .unwrap_or(0);
        let every = ((f64::from(widest_px + 12) / slot_px).ceil() as usize).max(1);
        let ticks = (shown.into_iter().enumerate())
            .filter(|(i, _)| i % every == 0)
            .map(|(i, name)| (i as f64, name));
        let last = names.len().max(1) as f64 - 0.5;
        return Scale {
            range: (-0.5, last),
            ticks: ticks.collect(),
        };
    }
    let mut xs: Vec<f64> = plotted.iter().flatten().map(|p| p.x).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let (lo, hi) = padded(&xs, 0.06);
    let labels: Vec<String> = xs.iter().map(|x| format!("{x}")).collect();
    let widest_px = labels
        .iter()
        .map(|l| text_width_px(l.chars().count(), TICK_FONT_PX))
        .max();
    let plot_width_px = f64::from(WIDTH_PX) - 160.0;
    let min_gap_px = xs
        .windows(2)
        .map(|w| (w[1] - w[0]) / (hi - lo) * plot_width_px)
        .fold(f64::INFINITY, f64::min);
    if !xs.is_empty() && xs.len() <= 12 && min_gap_px >= f64::from(widest_px.unwrap_or(0) + 12) {
        return Scale {
            range: (lo, hi),
            ticks: xs.into_iter().zip(labels).collect(),
        };
    }
    Scale {
        range: (lo, hi),
        ticks: round_ticks(lo, hi)
            .into_iter()
            .filter(|(t, _)| (lo..=hi).contains(t))
            .collect(),
    }
}

/// The y axis: every mean and interval bound plus 5% of the span (not
/// below zero when none is negative), widened to the round ticks either
/// side.
fn y_axis(plotted: &[Vec<Point>], format: TickFormat) -> Scale {
    let ys: Vec<f64> = plotted
        .iter()
        .flatten()
        .flat_map(|p| match has_interval(p) {
            true => vec![p.mean, p.ci95_low, p.ci95_high],
            false => vec![p.mean],
        })
        .collect();
    let (mut lo, hi) = padded(&ys, 0.05);
    // Quantities that are never negative (waits, utilizations) keep the
    // axis at zero rather than showing negative ticks nothing can reach.
    if lo < 0.0 && ys.iter().all(|&y| y >= 0.0) {
        lo = 0.0;
    }
    let ticks = match format {
        TickFormat::Plain => round_ticks(lo, hi),
        TickFormat::Dollars => dollar_ticks(round_ticks(lo, hi)),
    };
    let range = match (ticks.first(), ticks.last()) {
        (Some(first), Some(last)) => (first.0.min(lo), last.0.max(hi)),
        _ => (lo, hi),
    };
    Scale { range, ticks }
}

/// The extent of `values` widened by `fraction` of it either side (by 10%
/// of the value, or 1 around zero, when they are all equal); (0, 1) when
/// there are none or the extent overflows.
fn padded(values: &[f64], fraction: f64) -> (f64, f64) {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = hi - lo;
    let pad = if span > hi.abs().max(lo.abs()) * 1e-9 {
        span * fraction
    } else if lo != 0.0 {
        lo.abs() * 0.1
    } else {
        1.0
    };
    match (lo - pad, hi + pad) {
        (a, b) if a.is_finite() && b.is_finite() && a < b => (a, b),
        _ => (0.0, 1.0),
    }
}

/// Round ticks relabelled as dollars ([`TickFormat::Dollars`]): in the
/// unit (1, k or M) of the largest tick, with the decimals the step needs
/// in it.
fn dollar_ticks(ticks: Vec<(f64, String)>) -> Vec<(f64, String)> {
    let largest = ticks.iter().map(|(v, _)| v.abs()).fold(0.0, f64::max);
    let (unit, suffix) = match largest {
        x if x >= 1e6 => (1e6, "M"),
        x if x >= 1e3 => (1e3, "k"),
        _ => (1.0, ""),
    };
    let step = match ticks.as_slice() {
        [a, b, ..] => (b.0 - a.0).abs() / unit,
        _ => 1.0,
    };
    let decimals = match step {
        s if s > 0.0 && s.is_finite() => (-(s.log10() + 1e-9).floor()).max(0.0) as usize,
        _ => 0,
    };
    (ticks.into_iter())
        .map(|(value, _)| {
            if value == 0.0 {
                return (value, "$0".to_string());
            }
            let scaled = format!("{:.decimals$}", (value / unit).abs());
            let sign = if value < 0.0 && scaled.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
                "-"
            } else {
                ""
            };
            (value, format!("{sign}${scaled}{suffix}"))
        })
        .collect()
}

/// Ticks at multiples of 1, 2 or 5 × 10^k enclosing [lo, hi], about six
/// of them (the step rounded to the nearest such number, as in Heckbert's
/// "Nice numbers for graph labels", Graphics Gems, 1990), labelled with
/// exactly the decimals the step needs.
fn round_ticks(lo: f64, hi: f64) -> Vec<(f64, String)> {
    let raw_step = (hi - lo) / 6.0;
    let mut exponent = raw_step.log10().floor() as i32;
    let mantissa = match raw_step / 10f64.powi(exponent) {
        n if n < 1.5 => 1.0,
        n if n < 3.0 => 2.0,
        n if n < 7.0 => 5.0,
        _ => {
            exponent += 1;
            1.0
        }
    };
    let step = mantissa * 10f64.powi(exponent);
    let decimals = (-exponent).max(0) as usize;
    let (first, last) = ((lo / step).floor(), (hi / step).ceil());
    if !step.is_finite() || step <= 0.0 || last - first > 50.0 {
        return vec![(lo, format!("{lo}")), (hi, format!("{hi}"))];
    }
    (first as i64..=last as i64)
        .map(|k| {
            let value = k as f64 * step;
            (value, format!("{value:.decimals$}"))
        })
        .collect()
}
