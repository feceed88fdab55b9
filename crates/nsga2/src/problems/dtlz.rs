//! DTLZ2 (Deb, Thiele, Laumanns and Zitzler 2002): spherical front, variables in [0, 1].

use std::f64::consts::FRAC_PI_2;

use crate::error::EvaluationError;
use crate::problem::{Evaluation, Problem};

/// DTLZ2 with `n_obj` objectives and `n_var = n_obj + k - 1` variables; the standard
/// setting is 3 objectives and 12 variables (k = 10). The front is the unit sphere's
/// positive orthant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dtlz2 {
    /// Number of variables, greater than `n_obj`.
    pub n_var: usize,
    /// Number of objectives, at least 2.
    pub n_obj: usize,
}

impl Default for Dtlz2 {
    fn default() -> Self {
        Self {
            n_var: 12,
            n_obj: 3,
        }
    }
}

impl Dtlz2 {
    /// Creates DTLZ2 with `n_var` variables and `n_obj` objectives.
    pub fn new(n_var: usize, n_obj: usize) -> Self {
        Self { n_var, n_obj }
    }

    /// Samples the front as pymoo 0.6.2 does: Das-Dennis reference directions with
    /// `n_partitions` partitions (15 for 3 objectives, giving 136 points) projected onto the
    /// unit sphere.
    pub fn pareto_front(n_obj: usize, n_partitions: usize) -> Vec<Vec<f64>> {
        das_dennis(n_obj, n_partitions)
            .into_iter()
            .map(|direction| {
                let norm = direction.iter().map(|v| v * v).sum::<f64>().sqrt();
                direction.into_iter().map(|v| v / norm).collect()
            })
            .collect()
    }
}

/// Generates the Das-Dennis simplex lattice: every vector of `n_dim` non-negative multiples
/// of `1 / n_partitions` summing to 1.
pub fn das_dennis(n_dim: usize, n_partitions: usize) -> Vec<Vec<f64>> {
    fn recurse(
        prefix: &mut Vec<usize>,
        remaining: usize,
        n_dim: usize,
        n_partitions: usize,
        out: &mut Vec<Vec<f64>>,
    ) {
        if prefix.len() + 1 == n_dim {
            prefix.push(remaining);
            out.push(
                prefix
                    .iter()
                    .map(|&count| count as f64 / n_partitions as f64)
                    .collect(),
            );
            prefix.pop();
            return;
        }
        for count in 0..=remaining {
            prefix.push(count);
            recurse(prefix, remaining - count, n_dim, n_partitions, out);
            prefix.pop();
        }
    }
    let mut out = Vec::new();
    if n_dim == 0 || n_partitions == 0 {
        return out;
    }
    recurse(&mut Vec::new(), n_partitions, n_dim, n_partitions, &mut out);
    out
}

impl Problem for Dtlz2 {
    fn n_var(&self) -> usize {
        self.n_var
    }
    fn n_obj(&self) -> usize {
        self.n_obj
    }
    fn bounds(&self) -> Vec<(f64, f64)> {
        vec![(0.0, 1.0); self.n_var]
    }
    fn evaluate(&self, x: &[f64]) -> Result<Evaluation, EvaluationError> {
        let m = self.n_obj;
        if m < 2 || x.len() < m {
            return Err(EvaluationError::new(format!(
                "DTLZ2 needs at least 2 objectives and n_var >= n_obj, got n_obj {m} and {} variables",
                x.len()
            )));
        }
        let g: f64 = x[m - 1..].iter().map(|v| (v - 0.5).powi(2)).sum();
        let mut objectives = vec![1.0 + g; m];
        for (i, objective) in objectives.iter_mut().enumerate() {
            let n_cos = m - 1 - i;
            for &v in &x[..n_cos] {
                *objective *= (v * FRAC_PI_2).cos();
            }
            if i > 0 {
                *objective *= (x[n_cos] * FRAC_PI_2).sin();
            }
        }
        Ok(Evaluation::new(objectives))
    }
}
