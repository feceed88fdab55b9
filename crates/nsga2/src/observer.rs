//! Per-generation callbacks.

use crate::individual::Individual;
use crate::state::Nsga2State;

/// Summary of one generation, passed to observers and returned by `Nsga2::step`.
#[derive(Debug, Clone, Default)]
pub struct GenerationReport {
    /// Generation index; 0 is the initial population.
    pub generation: usize,
    /// Offspring created in this generation (initial individuals in generation 0), cache
    /// hits included.
    ///
    /// It is below the configured offspring size (`population_size` in generation 0) only
    /// when duplicate elimination used up `max_mating_rounds` before it found enough genomes
    /// that differ from the population and from each other. This happens when the problem
    /// has fewer distinct genomes than the population needs, and the population then has
    /// fewer than `population_size` members.
    pub offspring: usize,
    /// Individuals whose genomes were evaluated in this generation (cache hits excluded), in
    /// evaluation order.
    pub evaluated: Vec<Individual>,
    /// Offspring taken from the evaluation cache instead of being evaluated.
    pub cache_hits: usize,
    /// Evaluations that failed in this generation.
    pub failures: usize,
    /// Indices into the state's population of its feasible first-front members.
    pub front: Vec<usize>,
    /// Total evaluations so far.
    pub evaluations: usize,
}

/// Callbacks run by `Nsga2::run` after every generation and when the run returns. The
/// library itself never prints.
pub trait Observer {
    /// Called after each generation with the state after survival.
    fn on_generation(&mut self, state: &Nsga2State, report: &GenerationReport) {
        let _ = (state, report);
    }

    /// Called once when `Nsga2::run` returns, with the state after the last completed
    /// generation. `run` also calls it when a generation fails with an error, which leaves
    /// the state as the previous generation left it. Code that drives `Nsga2::step` itself
    /// should call it when it stops.
    fn on_run_end(&mut self, state: &Nsga2State) {
        let _ = state;
    }
}

impl<F: FnMut(&Nsga2State, &GenerationReport)> Observer for F {
    fn on_generation(&mut self, state: &Nsga2State, report: &GenerationReport) {
        self(state, report);
    }
}
