//! Inverted generational distance.

/// Panics unless every point of both sets has the same number of objectives, which is taken
/// from the first reference point, or from the first approximation point when the
/// reference set is empty.
fn check_dimensions<P: AsRef<[f64]>, Q: AsRef<[f64]>>(
    indicator: &str,
    approximation: &[P],
    reference: &[Q],
) {
    let (expected, source) = match (reference.first(), approximation.first()) {
        (Some(point), _) => (point.as_ref().len(), "reference point 0"),
        (None, Some(point)) => (point.as_ref().len(), "approximation point 0"),
        (None, None) => return,
    };
    let check = |set: &str, index: usize, point: &[f64]| {
        assert!(
            point.len() == expected,
            "{indicator}: {set} point {index} has {} objectives but {source} has {expected}",
            point.len()
        );
    };
    for (index, point) in reference.iter().enumerate() {
        check("reference", index, point.as_ref());
    }
    for (index, point) in approximation.iter().enumerate() {
        check("approximation", index, point.as_ref());
    }
}

fn mean_min_distance<P: AsRef<[f64]>, Q: AsRef<[f64]>>(
    indicator: &str,
    approximation: &[P],
    reference: &[Q],
    distance: impl Fn(&[f64], &[f64]) -> f64,
) -> f64 {
    check_dimensions(indicator, approximation, reference);
    if reference.is_empty() || approximation.is_empty() {
        return f64::INFINITY;
    }
    let total: f64 = reference
        .iter()
        .map(|z| {
            approximation
                .iter()
                .map(|a| distance(a.as_ref(), z.as_ref()))
                .fold(f64::INFINITY, f64::min)
        })
        .sum();
    total / reference.len() as f64
}

/// Computes IGD: the mean, over the reference points, of the Euclidean distance to the
/// nearest point of the approximation set. Returns `+inf` when either set is empty.
///
/// # Panics
///
/// Panics when the points of the two sets do not all have the same number of objectives.
/// The message names the first mismatched point and both lengths.
pub fn igd<P: AsRef<[f64]>, Q: AsRef<[f64]>>(approximation: &[P], reference: &[Q]) -> f64 {
    mean_min_distance("igd", approximation, reference, |a, z| {
        a.iter()
            .zip(z)
            .map(|(x, y)| (x - y).powi(2))
            .sum::<f64>()
            .sqrt()
    })
}

/// Computes IGD+ (Ishibuchi et al. 2015): like IGD with the distance
/// `sqrt(sum(max(a_i - z_i, 0)^2))`, which counts only the objectives where the
/// approximation point is worse than the reference point. Returns `+inf` when either set
/// is empty.
///
/// # Panics
///
/// Panics when the points of the two sets do not all have the same number of objectives.
/// The message names the first mismatched point and both lengths.
pub fn igd_plus<P: AsRef<[f64]>, Q: AsRef<[f64]>>(approximation: &[P], reference: &[Q]) -> f64 {
    mean_min_distance("igd_plus", approximation, reference, |a, z| {
        a.iter()
            .zip(z)
            .map(|(x, y)| (x - y).max(0.0).powi(2))
            .sum::<f64>()
            .sqrt()
    })
}
