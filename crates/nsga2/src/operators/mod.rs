//! Variation and selection operators.
//!
//! Operators receive the generation's random number generator, a [`GenerationRng`] derived
//! from the run seed and the generation index, so runs are reproducible and resumable.

pub mod crossover;
pub mod mutation;
pub mod selection;

use std::fmt::Debug;

use rand::Rng;

use crate::GenerationRng;
use crate::error::Nsga2Error;
use crate::individual::Individual;

pub use crossover::{SimulatedBinaryCrossover, TwoPointCrossover, UniformCrossover};
pub use mutation::{BitFlipMutation, PolynomialMutation};
pub use selection::BinaryTournament;

/// Parent selection.
pub trait Selection: Debug + Send + Sync {
    /// Appends `n_parents` indices into `population` to `parents`.
    fn select(
        &self,
        population: &[Individual],
        n_parents: usize,
        rng: &mut GenerationRng,
        parents: &mut Vec<usize>,
    );

    /// Checks the operator's parameters.
    fn validate(&self) -> Result<(), Nsga2Error> {
        Ok(())
    }
}

/// Recombination of two parents into two children.
pub trait Crossover: Debug + Send + Sync {
    /// Recombines two parents in place.
    ///
    /// `child1` and `child2` arrive as copies of the first and second parent. Values may leave
    /// `bounds`; the engine clamps (and rounds integer genes) afterwards.
    fn crossover(
        &self,
        child1: &mut [f64],
        child2: &mut [f64],
        bounds: &[(f64, f64)],
        rng: &mut GenerationRng,
    );

    /// Checks the operator's parameters.
    fn validate(&self) -> Result<(), Nsga2Error> {
        Ok(())
    }
}

/// Mutation of one child.
pub trait Mutation: Debug + Send + Sync {
    /// Mutates a genome in place. Values may leave `bounds`; the engine clamps (and rounds
    /// integer genes) afterwards.
    fn mutate(&self, x: &mut [f64], bounds: &[(f64, f64)], rng: &mut GenerationRng);

    /// Checks the operator's parameters.
    fn validate(&self) -> Result<(), Nsga2Error> {
        Ok(())
    }
}

/// Draws independent Bernoulli trials with one probability, several per 64-bit random word.
///
/// Each trial compares a `k`-bit slice of the word with `probability * 2^k`, where `k` is the
/// smallest of 1, 2, 4, 8, 16 and 32 for which that product is an integer, else 32. Trials
/// are therefore exact for probabilities such as 0.5 (one bit each), and otherwise off by
/// less than `2^-32`. A probability of 1 always succeeds and 0 never does.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BernoulliMask {
    bits: u32,
    threshold: u64,
}

impl BernoulliMask {
    pub(crate) fn new(probability: f64) -> Self {
        let probability = probability.clamp(0.0, 1.0);
        let bits = slice_bits(probability);
        // `probability * 2^bits` lies in [0, 2^32], where the conversion truncates exactly.
        let threshold = (probability * (1u64 << bits) as f64) as u64;
        Self { bits, threshold }
    }

    /// Returns a mask whose bit `i` (for `i < count`, at most 64) is set with the
    /// probability; higher bits are clear.
    #[inline]
    pub(crate) fn draw(&self, count: usize, rng: &mut GenerationRng) -> u64 {
        debug_assert!(count <= 64);
        let valid = if count == 64 {
            u64::MAX
        } else {
            (1u64 << count) - 1
        };
        if self.bits == 1 {
            // Thresholds 0, 1 and 2: a trial succeeds never, when its bit is 0, or always.
            let mask = match self.threshold {
                0 => 0,
                1 => !rng.next_u64(),
                _ => u64::MAX,
            };
            return mask & valid;
        }
        let mask = match self.bits {
            2 => self.draw_slices::<2>(count, rng),
            4 => self.draw_slices::<4>(count, rng),
            8 => self.draw_slices::<8>(count, rng),
            16 => self.draw_slices::<16>(count, rng),
            _ => self.draw_slices::<32>(count, rng),
        };
        mask & valid
    }

    /// Draws `count` trials from `BITS`-bit slices of random words; bits above `count` may
    /// be set.
    #[inline(always)]
    fn draw_slices<const BITS: u32>(&self, count: usize, rng: &mut GenerationRng) -> u64 {
        let per_word = (64 / BITS) as usize;
        let slice_mask = (1u64 << BITS) - 1;
        let mut mask = 0u64;
        for word_index in 0..count.div_ceil(per_word) {
            let word = rng.next_u64();
            for slice in 0..per_word {
                let hit = (word >> (slice as u32 * BITS) & slice_mask) < self.threshold;
                mask |= u64::from(hit) << (word_index * per_word + slice);
            }
        }
        mask
    }
}

/// Returns the smallest `k` of 1, 2, 4, 8, 16 and 32 for which `probability * 2^k` is an
/// integer, or 32 when there is none. Reads the bits of `probability` (in [0, 1]) instead of
/// testing each `k` with `fract`, which is a library call on x86-64 without SSE4.1.
fn slice_bits(probability: f64) -> u32 {
    if probability == 0.0 || probability == 1.0 {
        return 1;
    }
    let bits = probability.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i64;
    if exponent == 0 {
        // Subnormal probabilities need more than 32 bits.
        return 32;
    }
    // `probability` is `mantissa * 2^(exponent - 1075)`, so `probability * 2^k` is an
    // integer exactly when `k` reaches `needed`.
    let mantissa = (bits & ((1 << 52) - 1)) | (1 << 52);
    let needed = 1075 - exponent - i64::from(mantissa.trailing_zeros());
    [1, 2, 4, 8, 16, 32]
        .into_iter()
        .find(|&k| i64::from(k) >= needed)
        .unwrap_or(32)
}

pub(crate) fn check_probability(name: &'static str, value: f64) -> Result<(), Nsga2Error> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(Nsga2Error::invalid(name, value, "in [0, 1]"))
    }
}

pub(crate) fn check_distribution_index(name: &'static str, value: f64) -> Result<(), Nsga2Error> {
    if value >= 0.0 && value.is_finite() {
        Ok(())
    } else {
        Err(Nsga2Error::invalid(
            name,
            value,
            "a finite, non-negative number",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generation_rng;

    fn success_rate(probability: f64, count: usize) -> f64 {
        let trials = BernoulliMask::new(probability);
        let mut rng = generation_rng(3, 0);
        let rounds = 20_000;
        let mut successes = 0;
        for _ in 0..rounds {
            let mask = trials.draw(count, &mut rng);
            if count < 64 {
                assert_eq!(mask >> count, 0, "bits above {count}");
            }
            successes += mask.count_ones();
        }
        f64::from(successes) / (rounds * count) as f64
    }

    #[test]
    fn bernoulli_mask_picks_slice_width() {
        assert_eq!(BernoulliMask::new(0.5).bits, 1);
        assert_eq!(BernoulliMask::new(0.25).bits, 2);
        assert_eq!(BernoulliMask::new(0.75).bits, 2);
        assert_eq!(BernoulliMask::new(1.0).bits, 1);
        assert_eq!(BernoulliMask::new(0.0).bits, 1);
        assert_eq!(BernoulliMask::new(0.9).bits, 32);
        assert_eq!(BernoulliMask::new(1.0 / 30.0).bits, 32);
        assert_eq!(BernoulliMask::new(3.0 / 16.0).bits, 4);
        assert_eq!(BernoulliMask::new(1.0 / 65_536.0).bits, 16);
        assert_eq!(BernoulliMask::new(f64::MIN_POSITIVE).bits, 32);
        assert_eq!(BernoulliMask::new(0.9).threshold, 3_865_470_566);
        assert_eq!(BernoulliMask::new(0.75).threshold, 3);
    }

    #[test]
    fn bernoulli_mask_matches_probability() {
        for (probability, count) in [(0.5, 30), (0.5, 64), (0.9, 17), (1.0 / 30.0, 30), (0.25, 5)] {
            let rate = success_rate(probability, count);
            assert!(
                (rate - probability).abs() < 0.01,
                "probability {probability}, count {count}: rate {rate}"
            );
        }
        assert_eq!(success_rate(1.0, 64), 1.0);
        assert_eq!(success_rate(1.0, 13), 1.0);
        assert_eq!(success_rate(0.0, 64), 0.0);
    }
}
