//! Serialisable run state.

pub mod cache;
pub mod checkpoint;
pub(crate) mod float_serde;
mod huge_pages;

use serde::{Deserialize, Serialize};

use crate::individual::Individual;
pub use cache::{CacheEntry, CachedEvaluation, EvaluationCache};

/// Version of the serialised state layout, checked on resume.
pub const STATE_FORMAT_VERSION: u32 = 1;

/// Everything needed to continue a run: resuming from a state gives bit-identical results to
/// the uninterrupted run with the same problem and configuration.
///
/// The random number generator of generation `g` is derived from `(seed, g)`, so the state
/// stores no generator state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Nsga2State {
    /// Layout version, [`STATE_FORMAT_VERSION`] when written by this crate.
    pub format_version: u32,
    /// Seed of the run.
    pub seed: u64,
    /// Number of completed generations; generation 0 is the initial population, so the
    /// value is 0 before the first step.
    pub generations_completed: usize,
    /// Number of calls into the problem's evaluation (cache hits excluded).
    pub evaluations: usize,
    /// Current population after survival, with ranks and crowding distances.
    pub population: Vec<Individual>,
    /// Every genome evaluated so far with its result.
    pub cache: EvaluationCache,
}

impl Nsga2State {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            format_version: STATE_FORMAT_VERSION,
            seed,
            generations_completed: 0,
            evaluations: 0,
            population: Vec::new(),
            cache: EvaluationCache::new(),
        }
    }

    /// Members of the first front that are feasible.
    pub fn pareto_front(&self) -> Vec<&Individual> {
        self.population
            .iter()
            .filter(|individual| individual.rank == 0 && individual.is_feasible())
            .collect()
    }
}
