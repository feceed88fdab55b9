//! ZDT1, ZDT2 and ZDT3 (Zitzler, Deb and Thiele 2000): two objectives, variables in [0, 1].

use std::f64::consts::PI;

use crate::error::EvaluationError;
use crate::problem::{Evaluation, Problem};

fn zdt_g(x: &[f64]) -> f64 {
    let tail: f64 = x[1..].iter().sum();
    1.0 + 9.0 * tail / (x.len() - 1) as f64
}

fn linspace(start: f64, end: f64, n: usize) -> impl Iterator<Item = f64> {
    let step = if n > 1 {
        (end - start) / (n - 1) as f64
    } else {
        0.0
    };
    (0..n).map(move |i| {
        if i + 1 == n {
            end
        } else {
            start + step * i as f64
        }
    })
}

macro_rules! zdt_problem {
    ($name:ident, $doc:literal, $h:expr) => {
        #[doc = $doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name {
            /// Number of variables, at least 2 (30 in the standard setting).
            pub n_var: usize,
        }

        impl Default for $name {
            fn default() -> Self {
                Self { n_var: 30 }
            }
        }

        impl $name {
            /// Creates the problem with `n_var` variables (at least 2).
            pub fn new(n_var: usize) -> Self {
                Self { n_var }
            }
        }

        impl Problem for $name {
            fn n_var(&self) -> usize {
                self.n_var
            }
            fn n_obj(&self) -> usize {
                2
            }
            fn bounds(&self) -> Vec<(f64, f64)> {
                vec![(0.0, 1.0); self.n_var]
            }
            fn evaluate(&self, x: &[f64]) -> Result<Evaluation, EvaluationError> {
                if x.len() < 2 {
                    return Err(EvaluationError::new(format!(
                        "ZDT needs at least 2 variables, got {}",
                        x.len()
                    )));
                }
                let f1 = x[0];
                let g = zdt_g(x);
                let h: fn(f64, f64) -> f64 = $h;
                Ok(Evaluation::new(vec![f1, g * h(f1, g)]))
            }
        }
    };
}

zdt_problem!(Zdt1, "ZDT1: convex front `f2 = 1 - sqrt(f1)`.", |f1, g| 1.0
    - (f1 / g).sqrt());
zdt_problem!(Zdt2, "ZDT2: concave front `f2 = 1 - f1^2`.", |f1, g| 1.0
    - (f1 / g).powi(2));
zdt_problem!(
    Zdt3,
    "ZDT3: disconnected front `f2 = 1 - sqrt(f1) - f1 sin(10 pi f1)`.",
    |f1, g| 1.0 - (f1 / g).sqrt() - (f1 / g) * (10.0 * PI * f1).sin()
);

impl Zdt1 {
    /// Samples the Pareto front at `n_points` evenly spaced `f1` values in [0, 1], as
    /// pymoo 0.6.2 does (100 points by default there).
    pub fn pareto_front(n_points: usize) -> Vec<Vec<f64>> {
        linspace(0.0, 1.0, n_points)
            .map(|f1| vec![f1, 1.0 - f1.sqrt()])
            .collect()
    }
}

impl Zdt2 {
    /// Samples the Pareto front at `n_points` evenly spaced `f1` values in [0, 1], as
    /// pymoo 0.6.2 does.
    pub fn pareto_front(n_points: usize) -> Vec<Vec<f64>> {
        linspace(0.0, 1.0, n_points)
            .map(|f1| vec![f1, 1.0 - f1 * f1])
            .collect()
    }
}

/// The `f1` intervals of ZDT3's disconnected Pareto front (pymoo 0.6.2).
pub const ZDT3_FRONT_REGIONS: [(f64, f64); 5] = [
    (0.0, 0.083_001_534_9),
    (0.182_228_780, 0.257_762_363_4),
    (0.409_313_674_8, 0.453_882_104_1),
    (0.618_396_794_4, 0.652_511_703_8),
    (0.823_331_798_3, 0.851_832_865_4),
];

impl Zdt3 {
    /// Samples the Pareto front with `n_points / 5` evenly spaced points in each of the five
    /// regions of [`ZDT3_FRONT_REGIONS`], as pymoo 0.6.2 does.
    pub fn pareto_front(n_points: usize) -> Vec<Vec<f64>> {
        let per_region = n_points / ZDT3_FRONT_REGIONS.len();
        ZDT3_FRONT_REGIONS
            .iter()
            .flat_map(|&(start, end)| linspace(start, end, per_region))
            .map(|f1| vec![f1, 1.0 - f1.sqrt() - f1 * (10.0 * PI * f1).sin()])
            .collect()
    }
}
