//! Crossover operators.

use rand::RngExt;

use crate::GenerationRng;
use crate::error::Nsga2Error;
use crate::operators::{BernoulliMask, Crossover, check_distribution_index, check_probability};

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

/// Spread factor of SBX's bounded form for one child: with `alpha = 2 - beta^-(eta + 1)`,
/// `(u alpha)^(1 / (eta + 1))` when `u alpha <= 1`, else `(1 / (2 - u alpha))^(1 / (eta + 1))`.
///
/// `power` computes `beta^(eta + 1)` and `root` computes `base^(1 / (eta + 1))`. The body
/// has no branches, so a loop over several variables vectorises when both are inline
/// arithmetic.
#[inline(always)]
fn spread_factor(beta: f64, u: f64, power: impl Fn(f64) -> f64, root: impl Fn(f64) -> f64) -> f64 {
    let alpha = 2.0 - 1.0 / power(beta);
    let scaled = u * alpha;
    let base = if scaled <= 1.0 {
        scaled
    } else {
        1.0 / (2.0 - scaled)
    };
    root(base)
}

/// [`spread_factor`] for `eta + 1 = 2^K`: `beta^(eta + 1)` is `K` squarings and the root is
/// `K` square roots, inline instructions instead of calls to `powf`.
#[inline(always)]
fn spread_factor_power_of_two<const K: u32>(beta: f64, u: f64) -> f64 {
    let power = |mut value: f64| {
        for _ in 0..K {
            value *= value;
        }
        value
    };
    let root = |mut value: f64| {
        for _ in 0..K {
            value = value.sqrt();
        }
        value
    };
    spread_factor(beta, u, power, root)
}

/// Maximum number of variables recombined together by [`RecombinationBatch`], also the
/// number of variables whose recombination trials come from one mask.
const BATCH_SIZE: usize = 32;

/// Variables of one block of a mating that recombine, with their random draws, gathered so
/// that the spread factors (square roots and divisions, most of SBX's time) are computed in
/// one loop over independent variables instead of one dependent chain at a time.
struct RecombinationBatch {
    len: usize,
    index: [usize; BATCH_SIZE],
    lower: [f64; BATCH_SIZE],
    upper: [f64; BATCH_SIZE],
    /// Smaller and larger parent value.
    y1: [f64; BATCH_SIZE],
    y2: [f64; BATCH_SIZE],
    u: [f64; BATCH_SIZE],
}

impl RecombinationBatch {
    fn new() -> Self {
        Self {
            len: 0,
            index: [0; BATCH_SIZE],
            lower: [0.0; BATCH_SIZE],
            upper: [0.0; BATCH_SIZE],
            y1: [0.0; BATCH_SIZE],
            y2: [0.0; BATCH_SIZE],
            u: [0.0; BATCH_SIZE],
        }
    }

    /// Gathers the variables of `selected` (bit `k` is variable `start + k`) that can
    /// recombine: parents more than [`SBX_EPSILON`] apart and unequal bounds.
    ///
    /// Each variable is written to the next slot and the length grows only when it
    /// qualifies, so the loop has no data-dependent branch.
    fn gather(
        &mut self,
        start: usize,
        mut selected: u64,
        bounds: &[(f64, f64)],
        child1: &[f64],
        child2: &[f64],
    ) {
        self.len = 0;
        while selected != 0 {
            let i = start + selected.trailing_zeros() as usize;
            selected &= selected - 1;
            let (x1, x2) = (child1[i], child2[i]);
            let (lower, upper) = bounds[i];
            let j = self.len;
            self.index[j] = i;
            self.lower[j] = lower;
            self.upper[j] = upper;
            self.y1[j] = x1.min(x2);
            self.y2[j] = x1.max(x2);
            // Parents with a NaN difference recombine.
            let too_close = (x1 - x2).abs() <= SBX_EPSILON;
            let recombines = !too_close && lower != upper;
            self.len += usize::from(recombines);
        }
    }

    /// Writes the children's values of every gathered variable; bit `j` of `swap` set
    /// exchanges the two children's values of the `j`-th variable.
    fn recombine(
        &self,
        root: SpreadRoot,
        eta: f64,
        swap: u64,
        child1: &mut [f64],
        child2: &mut [f64],
    ) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked on the line above.
            unsafe { self.recombine_avx2(root, eta, swap, child1, child2) };
            return;
        }
        self.recombine_portable(root, eta, swap, child1, child2);
    }

    /// [`RecombinationBatch::recombine_portable`] compiled for AVX2, which computes four
    /// square roots and divisions per instruction instead of two. No operation is fused, so
    /// the results are bit-identical to the portable version.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn recombine_avx2(
        &self,
        root: SpreadRoot,
        eta: f64,
        swap: u64,
        child1: &mut [f64],
        child2: &mut [f64],
    ) {
        self.recombine_portable(root, eta, swap, child1, child2);
    }

    #[inline(always)]
    fn recombine_portable(
        &self,
        root: SpreadRoot,
        eta: f64,
        swap: u64,
        child1: &mut [f64],
        child2: &mut [f64],
    ) {
        match root {
            SpreadRoot::Sqrt(1) => {
                self.recombine_with(spread_factor_power_of_two::<1>, swap, child1, child2)
            }
            SpreadRoot::Sqrt(2) => {
                self.recombine_with(spread_factor_power_of_two::<2>, swap, child1, child2)
            }
            SpreadRoot::Sqrt(3) => {
                self.recombine_with(spread_factor_power_of_two::<3>, swap, child1, child2)
            }
            SpreadRoot::Sqrt(4) => {
                self.recombine_with(spread_factor_power_of_two::<4>, swap, child1, child2)
            }
            SpreadRoot::Sqrt(5) => {
                self.recombine_with(spread_factor_power_of_two::<5>, swap, child1, child2)
            }
            SpreadRoot::Sqrt(6) => {
                self.recombine_with(spread_factor_power_of_two::<6>, swap, child1, child2)
            }
            _ => {
                let spread = |beta, u| {
                    spread_factor(
                        beta,
                        u,
                        |value| power(value, eta + 1.0),
                        |value| root.apply(value),
                    )
                };
                self.recombine_with(spread, swap, child1, child2);
            }
        }
    }

    #[inline(always)]
    fn recombine_with(
        &self,
        spread: impl Fn(f64, f64) -> f64,
        swap: u64,
        child1: &mut [f64],
        child2: &mut [f64],
    ) {
        let n = self.len;
        let mut c1 = [0.0; BATCH_SIZE];
        let mut c2 = [0.0; BATCH_SIZE];
        for j in 0..n {
            let (y1, y2, u) = (self.y1[j], self.y2[j], self.u[j]);
            let delta = y2 - y1;
            let inverse_delta = 1.0 / delta;
            let beta = 1.0 + 2.0 * (y1 - self.lower[j]) * inverse_delta;
            c1[j] = 0.5 * ((y1 + y2) - spread(beta, u) * delta);
            let beta = 1.0 + 2.0 * (self.upper[j] - y2) * inverse_delta;
            c2[j] = 0.5 * ((y1 + y2) + spread(beta, u) * delta);
        }
        for j in 0..n {
            let (c1, c2) = if swap >> j & 1 != 0 {
                (c2[j], c1[j])
            } else {
                (c1[j], c2[j])
            };
            let (lower, upper) = (self.lower[j], self.upper[j]);
            child1[self.index[j]] = c1.clamp(lower, upper);
            child2[self.index[j]] = c2.clamp(lower, upper);
        }
    }
}

impl Crossover for SimulatedBinaryCrossover {
    /// Recombines in blocks of 32 variables: one random word (two for a
    /// `variable_probability` other than a multiple of 1/2^k, for k up to 16) picks a block's
    /// recombining variables, each qualifying variable then draws its `u`, and the swaps
    /// come from one more word in the same way.
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
        let variable_trials = BernoulliMask::new(self.variable_probability);
        let swap_trials = BernoulliMask::new(self.swap_probability);
        let mut batch = RecombinationBatch::new();
        for start in (0..bounds.len()).step_by(BATCH_SIZE) {
            let count = (bounds.len() - start).min(BATCH_SIZE);
            let selected = variable_trials.draw(count, rng);
            batch.gather(start, selected, bounds, child1, child2);
            for u in &mut batch.u[..batch.len] {
                *u = rng.random();
            }
            let swap = swap_trials.draw(batch.len, rng);
            batch.recombine(root, self.eta, swap, child1, child2);
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

    /// The textbook form of the spread factor, with `powf`.
    fn reference_spread_factor(beta: f64, eta: f64, u: f64) -> f64 {
        let alpha = 2.0 - beta.powf(-(eta + 1.0));
        if u <= 1.0 / alpha {
            (u * alpha).powf(1.0 / (eta + 1.0))
        } else {
            (1.0 / (2.0 - u * alpha)).powf(1.0 / (eta + 1.0))
        }
    }

    fn check_power_of_two_spread_factor<const K: u32>() {
        let eta = f64::from((1u32 << K) - 1);
        let root = SpreadRoot::new(eta);
        for beta_step in 0..=400 {
            let beta = 1.0 + f64::from(beta_step) * 0.137;
            for u_step in 0..100 {
                let u = f64::from(u_step) * 0.01;
                let fast = spread_factor_power_of_two::<K>(beta, u);
                let general = spread_factor(
                    beta,
                    u,
                    |value| power(value, eta + 1.0),
                    |value| root.apply(value),
                );
                assert_eq!(
                    fast.to_bits(),
                    general.to_bits(),
                    "eta {eta}, beta {beta}, u {u}"
                );
                let expected = reference_spread_factor(beta, eta, u);
                assert!(
                    (fast - expected).abs() <= 1.0e-13 * expected,
                    "eta {eta}, beta {beta}, u {u}: {fast} against {expected}"
                );
            }
        }
    }

    #[test]
    fn power_of_two_spread_factor_matches_general() {
        check_power_of_two_spread_factor::<1>();
        check_power_of_two_spread_factor::<2>();
        check_power_of_two_spread_factor::<3>();
        check_power_of_two_spread_factor::<4>();
        check_power_of_two_spread_factor::<5>();
        check_power_of_two_spread_factor::<6>();
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
