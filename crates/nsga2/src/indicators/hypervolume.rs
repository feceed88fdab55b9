//! Exact hypervolume.

use std::cmp::Ordering;

/// Computes the exact hypervolume dominated by `points` and bounded by `reference`
/// (minimisation).
///
/// Points that do not strictly dominate the reference point in every objective add nothing.
/// Two objectives use a sweep in `O(n log n)`; more objectives slice along the last
/// objective and recurse, which is `O(n^2 log n)` for three objectives and grows by a
/// factor of `n` for each further objective.
///
/// # Panics
///
/// Panics when a point has another number of objectives than the reference point. The
/// message names the point's index and both lengths.
pub fn hypervolume<P: AsRef<[f64]>>(points: &[P], reference: &[f64]) -> f64 {
    for (index, point) in points.iter().enumerate() {
        let length = point.as_ref().len();
        assert!(
            length == reference.len(),
            "hypervolume: point {index} has {length} objectives but the reference point has {}",
            reference.len()
        );
    }
    let inside: Vec<&[f64]> = points
        .iter()
        .map(|p| p.as_ref())
        .filter(|p| p.iter().zip(reference).all(|(x, r)| x < r))
        .collect();
    match reference.len() {
        0 => 0.0,
        1 => inside
            .iter()
            .map(|p| reference[0] - p[0])
            .fold(0.0, f64::max),
        _ => recursive(inside, reference),
    }
}

fn two_dimensional(mut points: Vec<&[f64]>, reference: &[f64]) -> f64 {
    points.sort_unstable_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    let mut volume = 0.0;
    let mut previous_y = reference[1];
    for p in points {
        if p[1] < previous_y {
            volume += (reference[0] - p[0]) * (previous_y - p[1]);
            previous_y = p[1];
        }
    }
    volume
}

/// Slices along the last objective: between consecutive values of it, the dominated
/// region's cross-section is the hypervolume of the points below the slice in the
/// remaining objectives.
fn recursive(mut points: Vec<&[f64]>, reference: &[f64]) -> f64 {
    let d = reference.len();
    if d == 2 {
        return two_dimensional(points, reference);
    }
    let last = d - 1;
    points.sort_unstable_by(|a, b| a[last].partial_cmp(&b[last]).unwrap_or(Ordering::Equal));
    let mut volume = 0.0;
    for k in 0..points.len() {
        let upper = if k + 1 < points.len() {
            points[k + 1][last]
        } else {
            reference[last]
        };
        let depth = upper - points[k][last];
        if depth <= 0.0 {
            continue;
        }
        let slice: Vec<&[f64]> = points[..=k].iter().map(|p| &p[..last]).collect();
        volume += depth * recursive(slice, &reference[..last]);
    }
    volume
}
