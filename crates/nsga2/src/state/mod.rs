//! Serialisable run state.

pub mod cache;
pub mod checkpoint;
pub(crate) mod float_serde;
mod huge_pages;

use serde::{Deserialize, Serialize};

use crate::config::Nsga2Config;
use crate::individual::Individual;
pub use cache::{CacheEntry, CachedEvaluation, EvaluationCache};

/// Version of the serialised state layout, checked on resume.
pub const STATE_FORMAT_VERSION: u32 = 1;

/// Everything needed to continue a run: resuming from a state gives bit-identical results to
/// the uninterrupted run with the same problem and configuration.
///
/// The random number generator of generation `g` is derived from `(seed, g)`, so the state
/// stores no generator state. Of the configuration, the state records only the seed, the
/// population size and the offspring size, which [`Nsga2::resume`](crate::Nsga2::resume)
/// checks. The operators, `eliminate_duplicates`, `max_mating_rounds` and `front_pruning`
/// are not recorded: a run resumed with other values continues without an error, but not as
/// the uninterrupted run would have.
///
/// The cache contains every genome evaluated so far with its objectives and constraints, so the
/// state grows with the number of evaluations. See [`checkpoint::save_checkpoint`] for what
/// that costs on disk.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Nsga2State {
    /// Layout version, [`STATE_FORMAT_VERSION`] when written by this crate.
    pub format_version: u32,
    /// Seed of the run.
    pub seed: u64,
    /// `population_size` of the configuration that created the state. `None` in a state
    /// written before this field existed, and then not checked on resume.
    #[serde(default)]
    pub population_size: Option<usize>,
    /// Offspring per generation of the configuration that created the state, after the
    /// default of `population_size` is applied. `None` in a state written before this field
    /// existed, and then not checked on resume.
    #[serde(default)]
    pub offspring_size: Option<usize>,
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
    pub(crate) fn new(config: &Nsga2Config) -> Self {
        Self {
            format_version: STATE_FORMAT_VERSION,
            seed: config.seed,
            population_size: Some(config.population_size),
            offspring_size: Some(config.effective_offspring_size()),
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
