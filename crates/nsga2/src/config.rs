//! Run configuration.

use std::sync::Arc;

use crate::error::Nsga2Error;
use crate::operators::{
    BinaryTournament, Crossover, Mutation, PolynomialMutation, Selection, SimulatedBinaryCrossover,
};
use crate::survival::FrontPruning;

/// Maximum mating rounds per generation when duplicates are eliminated (pymoo 0.6.2 uses
/// 100).
pub const DEFAULT_MAX_MATING_ROUNDS: usize = 100;

/// Configuration of an NSGA-II run.
///
/// The defaults follow pymoo 0.6.2's NSGA-II: binary tournament, SBX (probability 0.9,
/// eta 15, per-variable probability 0.5), polynomial mutation (probability 0.9, eta 20,
/// per-variable probability 1/n) and duplicate elimination. Survival differs from pymoo's
/// in one respect: the splitting front is pruned one member at a time
/// ([`FrontPruning::Iterative`]); set [`FrontPruning::OneShot`] for Deb et al. (2002).
#[derive(Debug, Clone)]
pub struct Nsga2Config {
    /// Number of individuals kept after survival; at least 2.
    ///
    /// With duplicate elimination the population contains distinct genomes only. A problem
    /// with fewer distinct genomes than `population_size`, such as 3 binary variables with a
    /// population of 20, therefore gets a smaller population. It has at most as many members
    /// as there are distinct genomes (8 in the example), and only as many as sampling and
    /// mating find within `max_mating_rounds` rounds per generation. The run continues with
    /// the smaller population and raises no error.
    /// [`GenerationReport::offspring`](crate::GenerationReport::offspring) shows the
    /// shortfall, and `state.population.len()` the population size.
    pub population_size: usize,
    /// Offspring per generation; `None` means `population_size`. Must be even because the
    /// crossover produces children in pairs.
    pub offspring_size: Option<usize>,
    /// Seed of every random choice in the run.
    pub seed: u64,
    /// Re-draws initial individuals identical to an earlier one, and offspring identical to
    /// a population member or to another offspring.
    ///
    /// Re-drawing stops after `max_mating_rounds` rounds, so a generation can end with fewer
    /// offspring than requested and the population can stay below `population_size` (see
    /// there). Without duplicate elimination every generation creates the requested number
    /// of individuals, and the population may contain a genome several times.
    pub eliminate_duplicates: bool,
    /// Maximum rounds per generation of sampling the initial population, or of selection,
    /// crossover and mutation, before the engine accepts fewer individuals than requested,
    /// when duplicates are eliminated.
    ///
    /// A round creates one child for each missing offspring (one genome for each missing
    /// initial individual), so every generation in which too few distinct genomes exist
    /// makes `max_mating_rounds` rounds before it goes on.
    pub max_mating_rounds: usize,
    /// Parent selection.
    pub selection: Arc<dyn Selection>,
    /// Crossover.
    pub crossover: Arc<dyn Crossover>,
    /// Mutation.
    pub mutation: Arc<dyn Mutation>,
    /// Truncation of the front that does not fit whole into the next population.
    pub front_pruning: FrontPruning,
}

impl Default for Nsga2Config {
    fn default() -> Self {
        Self::new(100)
    }
}

impl Nsga2Config {
    /// Creates the default configuration with the given population size and seed 0.
    pub fn new(population_size: usize) -> Self {
        Self {
            population_size,
            offspring_size: None,
            seed: 0,
            eliminate_duplicates: true,
            max_mating_rounds: DEFAULT_MAX_MATING_ROUNDS,
            selection: Arc::new(BinaryTournament),
            crossover: Arc::new(SimulatedBinaryCrossover::default()),
            mutation: Arc::new(PolynomialMutation::default()),
            front_pruning: FrontPruning::default(),
        }
    }

    /// Sets the seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the number of offspring per generation.
    pub fn with_offspring_size(mut self, offspring_size: usize) -> Self {
        self.offspring_size = Some(offspring_size);
        self
    }

    /// Enables or disables duplicate elimination.
    pub fn with_eliminate_duplicates(mut self, eliminate_duplicates: bool) -> Self {
        self.eliminate_duplicates = eliminate_duplicates;
        self
    }

    /// Sets the crossover operator.
    pub fn with_crossover(mut self, crossover: impl Crossover + 'static) -> Self {
        self.crossover = Arc::new(crossover);
        self
    }

    /// Sets the mutation operator.
    pub fn with_mutation(mut self, mutation: impl Mutation + 'static) -> Self {
        self.mutation = Arc::new(mutation);
        self
    }

    /// Sets how survival truncates the front that does not fit whole.
    pub fn with_front_pruning(mut self, front_pruning: FrontPruning) -> Self {
        self.front_pruning = front_pruning;
        self
    }

    /// Sets the selection operator.
    pub fn with_selection(mut self, selection: impl Selection + 'static) -> Self {
        self.selection = Arc::new(selection);
        self
    }

    /// Number of offspring per generation after applying the default.
    pub fn effective_offspring_size(&self) -> usize {
        self.offspring_size.unwrap_or(self.population_size)
    }

    /// Checks every parameter and returns an error naming the first invalid one.
    pub fn validate(&self) -> Result<(), Nsga2Error> {
        if self.population_size < 2 {
            return Err(Nsga2Error::invalid(
                "population_size",
                self.population_size,
                "at least 2",
            ));
        }
        let offspring_size = self.effective_offspring_size();
        if offspring_size < 2 {
            return Err(Nsga2Error::invalid(
                "offspring_size",
                offspring_size,
                "at least 2",
            ));
        }
        if !offspring_size.is_multiple_of(2) {
            // The odd value is at least 3 here, so both neighbours are valid sizes.
            let (below, above) = (offspring_size - 1, offspring_size + 1);
            let requirement = if self.offspring_size.is_none() {
                format!(
                    "even because the crossover produces children in pairs (it defaults to \
                     the odd population_size, so set offspring_size explicitly, e.g. to \
                     {below} or {above})"
                )
            } else {
                format!(
                    "even because the crossover produces children in pairs, so choose an \
                     even offspring_size such as {below} or {above}"
                )
            };
            return Err(Nsga2Error::invalid(
                "offspring_size",
                offspring_size,
                requirement,
            ));
        }
        if self.max_mating_rounds == 0 {
            return Err(Nsga2Error::invalid(
                "max_mating_rounds",
                self.max_mating_rounds,
                "at least 1",
            ));
        }
        self.selection.validate()?;
        self.crossover.validate()?;
        self.mutation.validate()
    }
}
