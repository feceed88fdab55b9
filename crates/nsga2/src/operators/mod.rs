//! Variation and selection operators.
//!
//! Operators receive the generation's random number generator, a [`GenerationRng`] derived
//! from the run seed and the generation index, so runs are reproducible and resumable.

pub mod crossover;
pub mod mutation;
pub mod selection;

use std::fmt::Debug;

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
