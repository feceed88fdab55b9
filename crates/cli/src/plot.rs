//! An SVG plot of the Pareto fronts of a search, RWE error against FLOPs.

use std::fmt::Write;

use rwenas::EvaluationRecord;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 480.0;
const MARGIN_LEFT: f64 = 70.0;
const MARGIN_RIGHT: f64 = 150.0;
const MARGIN_TOP: f64 = 30.0;
const MARGIN_BOTTOM: f64 = 55.0;

/// Renders every evaluation as a grey dot and the front of each generation as a step line
/// coloured from light (first generation) to dark (last), with the final front's points
/// drawn on top.
pub fn fronts_svg(
    evaluations: &[EvaluationRecord],
    fronts: &[Vec<EvaluationRecord>],
    label: &str,
) -> String {
    let points: Vec<(f64, f64)> = evaluations.iter().filter_map(point).collect();
    let (x_min, x_max) = padded_range(points.iter().map(|p| p.0));
    let (y_min, y_max) = padded_range(points.iter().map(|p| p.1));
    let x = |value: f64| MARGIN_LEFT + (value - x_min) / (x_max - x_min) * plot_width();
    let y = |value: f64| MARGIN_TOP + (y_max - value) / (y_max - y_min) * plot_height();

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" font-family=\"sans-serif\" font-size=\"12\">"
    );
    let _ = writeln!(svg, "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
    axes(&mut svg, (x_min, x_max), (y_min, y_max), label);

    for &(flops, error) in &points {
        let _ = writeln!(
            svg,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"#bbbbbb\"/>",
            x(flops),
            y(error)
        );
    }

    let count = fronts.len().max(1);
    for (index, front) in fronts.iter().enumerate() {
        let colour = shade(index, count);
        let mut front_points: Vec<(f64, f64)> = front.iter().filter_map(point).collect();
        front_points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let path = step_path(&front_points, &x, &y);
        let _ = writeln!(
            svg,
            "<path d=\"{path}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\"/>"
        );
        if index + 1 == fronts.len() {
            for &(flops, error) in &front_points {
                let _ = writeln!(
                    svg,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"{colour}\"/>",
                    x(flops),
                    y(error)
                );
            }
        }
    }
    legend(&mut svg, fronts.len());
    svg.push_str("</svg>\n");
    svg
}

fn point(record: &EvaluationRecord) -> Option<(f64, f64)> {
    record
        .objective
        .map(|objective| (record.flops as f64 / 1e6, objective))
}

fn plot_width() -> f64 {
    WIDTH - MARGIN_LEFT - MARGIN_RIGHT
}

fn plot_height() -> f64 {
    HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
}

/// Returns the range of `values` widened by 5% on each side, and never empty.
fn padded_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (low, high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), v| {
        (low.min(v), high.max(v))
    });
    if !low.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((high - low) * 0.05).max(1e-3);
    (low - pad, high + pad)
}

/// A staircase through the front: each point keeps its error until the next point's FLOPs.
fn step_path(points: &[(f64, f64)], x: &impl Fn(f64) -> f64, y: &impl Fn(f64) -> f64) -> String {
    let mut path = String::new();
    for (index, &(flops, error)) in points.iter().enumerate() {
        if index == 0 {
            let _ = write!(path, "M{:.1},{:.1}", x(flops), y(error));
        } else {
            let _ = write!(path, " H{:.1} V{:.1}", x(flops), y(error));
        }
    }
    path
}

/// Blue shades from light to dark as `index` goes from 0 to `count - 1`.
fn shade(index: usize, count: usize) -> String {
    let t = if count > 1 {
        index as f64 / (count - 1) as f64
    } else {
        1.0
    };
    let channel = |light: f64, dark: f64| (light + (dark - light) * t).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        channel(158.0, 8.0),
        channel(202.0, 48.0),
        channel(225.0, 107.0)
    )
}

fn axes(svg: &mut String, (x_min, x_max): (f64, f64), (y_min, y_max): (f64, f64), label: &str) {
    let (left, top) = (MARGIN_LEFT, MARGIN_TOP);
    let (right, bottom) = (MARGIN_LEFT + plot_width(), MARGIN_TOP + plot_height());
    let _ = writeln!(
        svg,
        "<path d=\"M{left},{top} V{bottom} H{right}\" fill=\"none\" stroke=\"black\"/>"
    );
    for tick in 0..=4 {
        let t = f64::from(tick) / 4.0;
        let (x_value, y_value) = (x_min + t * (x_max - x_min), y_min + t * (y_max - y_min));
        let x_pixel = left + t * plot_width();
        let y_pixel = bottom - t * plot_height();
        let _ = writeln!(
            svg,
            "<text x=\"{x_pixel:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{x_value:.1}</text>",
            bottom + 18.0
        );
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left - 6.0,
            y_pixel + 4.0,
            crate::estimators::format_number(y_value, 3)
        );
    }
    let _ = writeln!(
        svg,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">MFLOPs (multiply-accumulates)</text>",
        left + plot_width() / 2.0,
        HEIGHT - 12.0
    );
    let _ = writeln!(
        svg,
        "<text transform=\"translate(16,{:.1}) rotate(-90)\" text-anchor=\"middle\">{label}</text>",
        top + plot_height() / 2.0
    );
}

fn legend(svg: &mut String, generations: usize) {
    let x = WIDTH - MARGIN_RIGHT + 20.0;
    let _ = writeln!(svg, "<text x=\"{x}\" y=\"{MARGIN_TOP}\">front after</text>");
    let step = (generations / 8).max(1);
    let shown: Vec<usize> = (0..generations)
        .filter(|index| index % step == 0 || index + 1 == generations)
        .collect();
    for (row, &index) in shown.iter().enumerate() {
        let y = MARGIN_TOP + 18.0 * (row as f64 + 1.0);
        let _ = writeln!(
            svg,
            "<path d=\"M{x},{:.1} h20\" stroke=\"{}\" stroke-width=\"2\"/>\
             <text x=\"{:.1}\" y=\"{y:.1}\">generation {}</text>",
            y - 4.0,
            shade(index, generations),
            x + 26.0,
            index + 1
        );
    }
    let y = MARGIN_TOP + 18.0 * (shown.len() as f64 + 1.0);
    let _ = writeln!(
        svg,
        "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"#bbbbbb\"/>\
         <text x=\"{:.1}\" y=\"{y:.1}\">any evaluation</text>",
        x + 10.0,
        y - 4.0,
        x + 26.0
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(flops: u64, error: f64) -> EvaluationRecord {
        EvaluationRecord {
            flops,
            params: 1,
            generation: Some(0),
            ..EvaluationRecord::new(vec![0], "rwe", Some(error))
        }
    }

    #[test]
    fn plot_has_one_path_per_generation() {
        let evaluations = vec![record(1_000_000, 0.7), record(2_000_000, 0.6)];
        let fronts = vec![vec![evaluations[0].clone()], evaluations.clone()];
        let svg = fronts_svg(&evaluations, &fronts, "RWE error");
        assert!(svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<path d=\"M").count(), 1 + 2 + 2);
        assert!(svg.contains("generation 2"));
    }

    #[test]
    fn plot_of_no_evaluations_is_valid() {
        let svg = fronts_svg(&[], &[], "RWE error");
        assert!(svg.contains("RWE error"));
    }

    #[test]
    fn shades_go_from_light_to_dark() {
        assert_eq!(shade(0, 3), "#9ecae1");
        assert_eq!(shade(2, 3), "#08306b");
    }
}
