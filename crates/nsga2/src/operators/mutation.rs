//! Mutation operators.

use rand::RngExt;

use crate::GenerationRng;
use crate::error::Nsga2Error;
use crate::operators::crossover::power;
use crate::operators::{BernoulliMask, Mutation, check_distribution_index, check_probability};

/// Polynomial mutation (Deb and Goyal 1996) with pymoo 0.6.2's formulation (`mut_pm`).
///
/// With probability `probability` a child mutates; then each variable mutates with
/// probability `variable_probability`, or `min(0.5, 1 / n_var)` when `None`. Variables with
/// equal bounds never mutate. Integer genes mutate as reals and the engine rounds them.
///
/// Defaults (pymoo 0.6.2 NSGA-II): `probability` 0.9, `eta` 20, `variable_probability`
/// `None` (that is, 1/n for n >= 2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PolynomialMutation {
    /// Probability that a child mutates at all.
    pub probability: f64,
    /// Distribution index; larger values give smaller steps.
    pub eta: f64,
    /// Per-variable mutation probability; `None` means `min(0.5, 1 / n_var)`.
    pub variable_probability: Option<f64>,
}

impl Default for PolynomialMutation {
    fn default() -> Self {
        Self {
            probability: 0.9,
            eta: 20.0,
            variable_probability: None,
        }
    }
}

impl Mutation for PolynomialMutation {
    fn mutate(&self, x: &mut [f64], bounds: &[(f64, f64)], rng: &mut GenerationRng) {
        if x.is_empty() || !rng.random_bool(self.probability) {
            return;
        }
        let variable_probability = self
            .variable_probability
            .unwrap_or_else(|| (1.0 / x.len() as f64).min(0.5));
        let exponent = 1.0 / (self.eta + 1.0);
        let trials = BernoulliMask::new(variable_probability);
        for start in (0..x.len()).step_by(64) {
            let count = (x.len() - start).min(64);
            let mut selected = trials.draw(count, rng);
            while selected != 0 {
                let i = start + selected.trailing_zeros() as usize;
                selected &= selected - 1;
                let (lower, upper) = bounds[i];
                if lower == upper {
                    continue;
                }
                let gene = &mut x[i];
                let range = upper - lower;
                let delta1 = (*gene - lower) / range;
                let delta2 = (upper - *gene) / range;
                let u: f64 = rng.random();
                let deltaq = if u <= 0.5 {
                    let xy = 1.0 - delta1;
                    let value = 2.0 * u + (1.0 - 2.0 * u) * power(xy, self.eta + 1.0);
                    value.powf(exponent) - 1.0
                } else {
                    let xy = 1.0 - delta2;
                    let value = 2.0 * (1.0 - u) + 2.0 * (u - 0.5) * power(xy, self.eta + 1.0);
                    1.0 - value.powf(exponent)
                };
                *gene = (*gene + deltaq * range).clamp(lower, upper);
            }
        }
    }

    fn validate(&self) -> Result<(), Nsga2Error> {
        check_probability("mutation probability", self.probability)?;
        if let Some(value) = self.variable_probability {
            check_probability("mutation variable_probability", value)?;
        }
        check_distribution_index("mutation eta", self.eta)
    }
}

/// Bit-flip mutation for binary genes: each gene flips with probability
/// `variable_probability`, or `1 / n_var` when `None`.
///
/// A flip maps `x` to `lower + upper - x`, which swaps 0 and 1 for bounds `(0, 1)`. Default
/// `probability` 1.0 per child.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BitFlipMutation {
    /// Probability that a child mutates at all.
    pub probability: f64,
    /// Per-gene flip probability; `None` means `1 / n_var`.
    pub variable_probability: Option<f64>,
}

impl Default for BitFlipMutation {
    fn default() -> Self {
        Self {
            probability: 1.0,
            variable_probability: None,
        }
    }
}

impl Mutation for BitFlipMutation {
    fn mutate(&self, x: &mut [f64], bounds: &[(f64, f64)], rng: &mut GenerationRng) {
        if x.is_empty() || !rng.random_bool(self.probability) {
            return;
        }
        let variable_probability = self.variable_probability.unwrap_or(1.0 / x.len() as f64);
        for (gene, &(lower, upper)) in x.iter_mut().zip(bounds) {
            if rng.random::<f64>() < variable_probability {
                *gene = lower + upper - *gene;
            }
        }
    }

    fn validate(&self) -> Result<(), Nsga2Error> {
        check_probability("mutation probability", self.probability)?;
        if let Some(value) = self.variable_probability {
            check_probability("mutation variable_probability", value)?;
        }
        Ok(())
    }
}
