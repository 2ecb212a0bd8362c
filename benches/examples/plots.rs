//! Draws the report's growth curves as SVG from the last criterion run: the median of each
//! `growth/<curve>/<n>` (criterion's `<target>/criterion/growth/<curve>/<n>/new/
//! estimates.json`) with its 95 % confidence interval as an error bar. Writes
//! `benches/plots/<curve>.svg`; `report.sh` runs it and links the files from `RESULTS.md`.
//!
//! `cargo run --release -p ordergate-benches --example plots`

use std::path::{Path, PathBuf};

use ordergate_benches::growth::{NOTIFICATION_COUNTS, PLUGIN_COUNTS, VALIDATION_LINES};
use plotters::prelude::*;
use serde_json::Value;

/// One curve: its bench ids' middle part, its sizes, and how its axes read.
struct Curve {
    id: &'static str,
    sizes: &'static [usize],
    title: &'static str,
    x: &'static str,
}

const CURVES: [Curve; 3] = [
    Curve {
        id: "validation",
        sizes: &VALIDATION_LINES,
        title: "One validation all-in (max-quantity) by cart lines",
        x: "cart lines",
    },
    Curve {
        id: "notifications",
        sizes: &NOTIFICATION_COUNTS,
        title: "SetCart mutation (20 lines, no plugins) by notifications",
        x: "notifications on the order",
    },
    Curve {
        id: "plugins",
        sizes: &PLUGIN_COUNTS,
        title: "SetCart mutation (20 lines, no notifications) by validation plugins",
        x: "validation plugins",
    },
];

/// A point: size, median, 95 % interval, in µs.
type Point = (f64, f64, f64, f64);

fn points(criterion: &Path, curve: &Curve) -> Vec<Point> {
    curve
        .sizes
        .iter()
        .filter_map(|&n| {
            let path = criterion
                .join("growth")
                .join(curve.id)
                .join(n.to_string())
                .join("new/estimates.json");
            let text = std::fs::read_to_string(path).ok()?;
            let e: Value = serde_json::from_str(&text).ok()?;
            let m = &e["median"];
            let us = |v: &Value| v.as_f64().map(|ns| ns / 1e3);
            Some((
                n as f64,
                us(&m["point_estimate"])?,
                us(&m["confidence_interval"]["lower_bound"])?,
                us(&m["confidence_interval"]["upper_bound"])?,
            ))
        })
        .collect()
}

fn draw(path: &Path, curve: &Curve, points: &[Point]) -> Result<(), Box<dyn std::error::Error>> {
    let x_max = points.iter().map(|p| p.0).fold(1.0, f64::max);
    let y_max = points.iter().map(|p| p.3).fold(1.0, f64::max);
    let root = SVGBackend::new(path, (720, 420)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(curve.title, ("sans-serif", 18))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..x_max * 1.05, 0.0..y_max * 1.1)?;
    chart
        .configure_mesh()
        .x_desc(curve.x)
        .y_desc("median, µs")
        .draw()?;
    let colour = RGBColor(31, 119, 180);
    chart.draw_series(
        LineSeries::new(points.iter().map(|p| (p.0, p.1)), colour.stroke_width(2)).point_size(3),
    )?;
    chart.draw_series(
        points
            .iter()
            .map(|p| ErrorBar::new_vertical(p.0, p.2, p.1, p.3, colour.filled(), 6)),
    )?;
    root.present()?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")));
    let criterion = target.join("criterion");
    let out = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/plots"));
    std::fs::create_dir_all(&out)?;
    for curve in &CURVES {
        let points = points(&criterion, curve);
        if points.is_empty() {
            // No run of this curve: the plot of the last run that had one stays.
            eprintln!("no estimates for growth/{}: plot left as it was", curve.id);
            continue;
        }
        let path = out.join(format!("{}.svg", curve.id));
        draw(&path, curve, &points)?;
        eprintln!("wrote {} ({} points)", path.display(), points.len());
    }
    Ok(())
}
