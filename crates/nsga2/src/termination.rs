//! Stopping criteria.

use std::time::Duration;

/// When a run stops. Criteria are checked between generations, so a run may exceed an
/// evaluation or time budget by up to one generation.
///
/// Generation and evaluation counts belong to the run, not to one `Nsga2::run` call: they
/// include what was completed before a resume and in earlier `run` or `step` calls on the
/// same runner. Wall time counts from the current `run` call only.
#[derive(Debug, Clone, PartialEq)]
pub enum Termination {
    /// Stop once [`Nsga2State::generations_completed`] reaches this many generations,
    /// counting the initial population as the first (as pymoo's `n_gen` does):
    /// `Generations(250)` with population 100 makes 25,000 evaluations when every offspring
    /// is new.
    ///
    /// The count includes the generations completed before a resume, so a run resumed after
    /// 100 generations with `Generations(250)` runs 150 more, and one resumed after 250 or
    /// more runs none.
    ///
    /// [`Nsga2State::generations_completed`]: crate::Nsga2State::generations_completed
    Generations(usize),
    /// Stop once [`Nsga2State::evaluations`] reaches this many evaluations. It counts the
    /// genomes that the problem evaluated, cache hits excluded, including those evaluated
    /// before a resume.
    ///
    /// [`Nsga2State::evaluations`]: crate::Nsga2State::evaluations
    Evaluations(usize),
    /// Stop once this much wall time has passed since the current `run` call started. Time
    /// spent before a resume or in earlier `run` calls is not counted, because the state
    /// does not record it.
    WallTime(Duration),
    /// Stop as soon as any of the criteria is met.
    Any(Vec<Termination>),
}

impl Termination {
    /// Returns true when the criterion is met, given the generations and evaluations of the
    /// whole run and the wall time of the current `run` call.
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
