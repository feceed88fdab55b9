//! Crossover operators.

use rand::RngExt;

use crate::GenerationRng;
use crate::error::Nsga2Error;
use crate::operators::{Crossover, check_distribution_index, check_probability};

/// Simulated binary crossover (SBX, Deb and Agrawal 1995) with pymoo 0.6.2's formulation.
///
/// With probability `probability` a mating recombines; then each variable recombines with
/// probability `variable_probability`, unless the parents differ by at most 1e-14 or the
/// variable's bounds are equal. The spread factor uses the bounded form, and the two
/// children swap the recombined value with probability `swap_probability`.
///
/// Defaults (pymoo 0.6.2 NSGA-II): `probability` 0.9, `eta` 15, `variable_probability` 0.5,
/// `swap_probability` 0.5.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimulatedBinaryCrossover {
    /// Probability that a mating recombines at all.
    pub probability: f64,
    /// Distribution index; larger values keep children closer to their parents.
    pub eta: f64,
    /// Probability that each variable recombines within a recombining mating.
    pub variable_probability: f64,
    /// Probability that the two children exchange a recombined variable.
    pub swap_probability: f64,
}

impl Default for SimulatedBinaryCrossover {
    fn default() -> Self {
        Self {
            probability: 0.9,
            eta: 15.0,
            variable_probability: 0.5,
            swap_probability: 0.5,
        }
    }
}

const SBX_EPSILON: f64 = 1.0e-14;

/// `base^exponent`, by binary powering when the exponent is a small integer (the default
/// eta of 15 gives exponent -16), which is several times faster than `powf`.
#[inline]
pub(crate) fn power(base: f64, exponent: f64) -> f64 {
    if exponent.fract() == 0.0 && exponent.abs() <= 64.0 {
        integer_power(base, exponent as i32)
    } else {
        base.powf(exponent)
    }
}

/// `base^exponent` by binary powering, inlined where `f64::powi` with an exponent unknown
/// at compile time calls a runtime function. The unit test checks that both agree bit for
/// bit on sample values.
#[inline]
fn integer_power(mut base: f64, exponent: i32) -> f64 {
    let mut remaining = exponent.unsigned_abs();
    let mut result = 1.0;
    loop {
        if remaining & 1 != 0 {
            result *= base;
        }
        remaining >>= 1;
        if remaining == 0 {
            break;
        }
        base *= base;
    }
    if exponent < 0 { 1.0 / result } else { result }
}

/// `base^(1 / (eta + 1))`, the root that SBX takes of its spread factor.
#[derive(Clone, Copy)]
enum SpreadRoot {
    /// `eta + 1` is `2^k` for `k` in `1..=6` (the default eta of 15 gives `k = 4`), so the root
    /// is `k` square roots, inline instructions instead of a call to `powf`.
    Sqrt(u32),
    /// Any other eta: `powf` with this exponent.
    Power(f64),
}

impl SpreadRoot {
    fn new(eta: f64) -> Self {
        let order = eta + 1.0;
        for k in 1..=6 {
            if order == f64::from(1u32 << k) {
                return Self::Sqrt(k);
            }
        }
        Self::Power(1.0 / order)
    }

    #[inline]
    fn apply(self, base: f64) -> f64 {
        match self {
            Self::Sqrt(k) => {
                let mut value = base;
                for _ in 0..k {
                    value = value.sqrt();
                }
                value
            }
            Self::Power(exponent) => base.powf(exponent),
        }
    }
}

#[inline]
fn sbx_betaq(beta: f64, eta: f64, root: SpreadRoot, u: f64) -> f64 {
    let alpha = 2.0 - power(beta, -(eta + 1.0));
    if u <= 1.0 / alpha {
        root.apply(u * alpha)
    } else {
        root.apply(1.0 / (2.0 - u * alpha))
    }
}

impl Crossover for SimulatedBinaryCrossover {
    fn crossover(
        &self,
        child1: &mut [f64],
        child2: &mut [f64],
        bounds: &[(f64, f64)],
        rng: &mut GenerationRng,
    ) {
        if !rng.random_bool(self.probability) {
            return;
        }
        let root = SpreadRoot::new(self.eta);
        for (i, &(lower, upper)) in bounds.iter().enumerate() {
            if rng.random::<f64>() >= self.variable_probability {
                continue;
            }
            let (x1, x2) = (child1[i], child2[i]);
            if (x1 - x2).abs() <= SBX_EPSILON || lower == upper {
                continue;
            }
            let y1 = x1.min(x2);
            let y2 = x1.max(x2);
            let delta = y2 - y1;
            let u: f64 = rng.random();

            let beta = 1.0 + 2.0 * (y1 - lower) / delta;
            let c1 = 0.5 * ((y1 + y2) - sbx_betaq(beta, self.eta, root, u) * delta);
            let beta = 1.0 + 2.0 * (upper - y2) / delta;
            let c2 = 0.5 * ((y1 + y2) + sbx_betaq(beta, self.eta, root, u) * delta);

            let swap = rng.random::<f64>() < self.swap_probability;
            let (c1, c2) = if swap { (c2, c1) } else { (c1, c2) };
            child1[i] = c1.clamp(lower, upper);
            child2[i] = c2.clamp(lower, upper);
        }
    }

    fn validate(&self) -> Result<(), Nsga2Error> {
        check_probability("crossover probability", self.probability)?;
        check_probability("crossover variable_probability", self.variable_probability)?;
        check_probability("crossover swap_probability", self.swap_probability)?;
        check_distribution_index("crossover eta", self.eta)
    }
}

/// Two-point crossover: the genes between two distinct cut points swap between the parents.
///
/// Cut points are drawn from `1..n_var` as in pymoo 0.6.2's `TwoPointCrossover`, so both
/// ends of the genome can move. Default `probability` 0.9.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TwoPointCrossover {
    /// Probability that a mating recombines at all.
    pub probability: f64,
}

impl Default for TwoPointCrossover {
    fn default() -> Self {
        Self { probability: 0.9 }
    }
}

impl Crossover for TwoPointCrossover {
    fn crossover(
        &self,
        child1: &mut [f64],
        child2: &mut [f64],
        _bounds: &[(f64, f64)],
        rng: &mut GenerationRng,
    ) {
        let n = child1.len();
        if n < 2 || !rng.random_bool(self.probability) {
            return;
        }
        let (start, end) = if n == 2 {
            (1, 2)
        } else {
            let a = rng.random_range(1..n);
            let mut b = rng.random_range(1..n - 1);
            if b >= a {
                b += 1;
            }
            (a.min(b), a.max(b))
        };
        child1[start..end].swap_with_slice(&mut child2[start..end]);
    }

    fn validate(&self) -> Result<(), Nsga2Error> {
        check_probability("crossover probability", self.probability)
    }
}

/// Uniform crossover: each gene swaps between the parents with probability
/// `swap_probability`. Defaults `probability` 0.9, `swap_probability` 0.5.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UniformCrossover {
    /// Probability that a mating recombines at all.
    pub probability: f64,
    /// Probability that each gene swaps.
    pub swap_probability: f64,
}

impl Default for UniformCrossover {
    fn default() -> Self {
        Self {
            probability: 0.9,
            swap_probability: 0.5,
        }
    }
}

impl Crossover for UniformCrossover {
    fn crossover(
        &self,
        child1: &mut [f64],
        child2: &mut [f64],
        _bounds: &[(f64, f64)],
        rng: &mut GenerationRng,
    ) {
        if !rng.random_bool(self.probability) {
            return;
        }
        for (a, b) in child1.iter_mut().zip(child2.iter_mut()) {
            if rng.random::<f64>() < self.swap_probability {
                std::mem::swap(a, b);
            }
        }
    }

    fn validate(&self) -> Result<(), Nsga2Error> {
        check_probability("crossover probability", self.probability)?;
        check_probability("crossover swap_probability", self.swap_probability)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_root_is_close_to_powf() {
        for eta in [0.0, 1.0, 3.0, 15.0, 20.0, 63.0] {
            let root = SpreadRoot::new(eta);
            let exponent = 1.0 / (eta + 1.0);
            assert_eq!(root.apply(0.0), 0.0);
            for step in 1..=2000 {
                let base = f64::from(step) * 1.0e-3;
                let expected = base.powf(exponent);
                let relative_error = (root.apply(base) - expected).abs() / expected;
                assert!(
                    relative_error <= 1.0e-15,
                    "eta {eta}, base {base}: {relative_error:e}"
                );
            }
        }
    }

    #[test]
    fn integer_power_matches_powi() {
        for base in [0.0_f64, 0.3, 1.0, 1.7, 2.0, 123.456] {
            for exponent in [-21, -16, -1, 0, 1, 2, 16, 21] {
                let expected = std::hint::black_box(base).powi(std::hint::black_box(exponent));
                assert_eq!(
                    integer_power(base, exponent).to_bits(),
                    expected.to_bits(),
                    "{base}^{exponent}"
                );
            }
        }
    }
}
