//! Stopping criteria.

use std::time::Duration;

/// When a run stops. Criteria are checked between generations, so a run may exceed an
/// evaluation or time budget by up to one generation.
#[derive(Debug, Clone, PartialEq)]
pub enum Termination {
    /// Stop after this many generations, counting the initial population as the first (as
    /// pymoo's `n_gen` does): `Generations(250)` with population 100 makes 25,000
    /// evaluations when every offspring is new.
    Generations(usize),
    /// Stop once at least this many evaluations have been made.
    Evaluations(usize),
    /// Stop once this much wall time has passed since `run` was called.
    WallTime(Duration),
    /// Stop as soon as any of the criteria is met.
    Any(Vec<Termination>),
}

impl Termination {
    /// Returns true when the criterion is met.
    pub fn is_met(
        &self,
        generations_completed: usize,
        evaluations: usize,
        elapsed: Duration,
    ) -> bool {
        match self {
            Termination::Generations(limit) => generations_completed >= *limit,
            Termination::Evaluations(limit) => evaluations >= *limit,
            Termination::WallTime(limit) => elapsed >= *limit,
            Termination::Any(criteria) => criteria
                .iter()
                .any(|criterion| criterion.is_met(generations_completed, evaluations, elapsed)),
        }
    }
}
