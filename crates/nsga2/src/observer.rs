//! Per-generation callbacks.

use crate::individual::Individual;
use crate::state::Nsga2State;

/// Summary of one generation, passed to observers and returned by `Nsga2::step`.
#[derive(Debug, Clone, Default)]
pub struct GenerationReport {
    /// Generation index; 0 is the initial population.
    pub generation: usize,
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

/// Callback run after every generation. The library itself never prints.
pub trait Observer {
    /// Called after each generation with the state after survival.
    fn on_generation(&mut self, state: &Nsga2State, report: &GenerationReport) {
        let _ = (state, report);
    }
}

impl<F: FnMut(&Nsga2State, &GenerationReport)> Observer for F {
    fn on_generation(&mut self, state: &Nsga2State, report: &GenerationReport) {
        self(state, report);
    }
}
