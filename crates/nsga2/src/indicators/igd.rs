//! Inverted generational distance.

fn mean_min_distance<P: AsRef<[f64]>, Q: AsRef<[f64]>>(
    approximation: &[P],
    reference: &[Q],
    distance: impl Fn(&[f64], &[f64]) -> f64,
) -> f64 {
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
pub fn igd<P: AsRef<[f64]>, Q: AsRef<[f64]>>(approximation: &[P], reference: &[Q]) -> f64 {
    mean_min_distance(approximation, reference, |a, z| {
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
pub fn igd_plus<P: AsRef<[f64]>, Q: AsRef<[f64]>>(approximation: &[P], reference: &[Q]) -> f64 {
    mean_min_distance(approximation, reference, |a, z| {
        a.iter()
            .zip(z)
            .map(|(x, y)| (x - y).max(0.0).powi(2))
            .sum::<f64>()
            .sqrt()
    })
}
