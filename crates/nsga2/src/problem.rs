//! The optimisation problem interface.

use serde::{Deserialize, Serialize};

use crate::algorithm::GenerationRng;
use crate::error::EvaluationError;

/// Domain of the decision variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum VariableKind {
    /// Continuous variables in `[lower, upper]`.
    #[default]
    Real,
    /// Integer variables: after crossover and mutation every gene is rounded to the nearest
    /// integer and clamped into `[ceil(lower), floor(upper)]`.
    Integer,
}

/// Result of evaluating one genome.
///
/// Infinite values are valid results: `+inf` is the worst value an objective can take and
/// `-inf` the best, and both are compared as numbers in dominance and ranking. A NaN value
/// cannot be compared, so the engine treats an evaluation with a NaN objective or
/// constraint as failed, with the message `objective m is NaN` or `constraint j is NaN`.
/// Like an `Err` from the problem, such an evaluation is ranked below every successful one.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Evaluation {
    /// Objective values, all minimised; the length must equal `Problem::n_obj`.
    ///
    /// An objective with an infinite value within a front has an infinite range there, and
    /// the crowding distance of that front then ignores the objective.
    pub objectives: Vec<f64>,
    /// Inequality constraint values `g(x)`; `g(x) <= 0` is feasible. The length must equal
    /// `Problem::n_constr`. A `+inf` value gives an infinite constraint violation, which
    /// ties with failed evaluations in constraint domination.
    pub constraints: Vec<f64>,
}

impl Evaluation {
    /// Creates an unconstrained evaluation.
    pub fn new(objectives: Vec<f64>) -> Self {
        Self {
            objectives,
            constraints: Vec::new(),
        }
    }

    /// Creates an evaluation with inequality constraint values (`g(x) <= 0` is feasible).
    pub fn with_constraints(objectives: Vec<f64>, constraints: Vec<f64>) -> Self {
        Self {
            objectives,
            constraints,
        }
    }
}

/// A multi-objective minimisation problem with box bounds and optional inequality constraints.
///
/// The engine calls [`Problem::evaluate_batch`] once per generation with every genome that
/// is not in the evaluation cache, so an accelerator-backed evaluator can process all
/// offspring of a generation at once. Simple problems implement [`Problem::evaluate`] only.
pub trait Problem {
    /// Number of decision variables.
    fn n_var(&self) -> usize;

    /// Number of objectives, all minimised.
    fn n_obj(&self) -> usize;

    /// Number of inequality constraints `g(x) <= 0`.
    fn n_constr(&self) -> usize {
        0
    }

    /// Lower and upper bound of each variable, with `lower <= upper`.
    fn bounds(&self) -> Vec<(f64, f64)>;

    /// Domain of the variables.
    fn variable_kind(&self) -> VariableKind {
        VariableKind::Real
    }

    /// Evaluates one genome.
    ///
    /// Return `Err` when the evaluation failed: the individual is ranked below every
    /// successful one and the run continues. Objective and constraint values may be
    /// infinite, but a NaN value makes the evaluation count as failed (see [`Evaluation`]).
    fn evaluate(&self, x: &[f64]) -> Result<Evaluation, EvaluationError>;

    /// Evaluates a batch of genomes and returns one result per genome, in order.
    ///
    /// The default calls [`Problem::evaluate`] on each genome in turn.
    fn evaluate_batch(&self, xs: &[Vec<f64>]) -> Vec<Result<Evaluation, EvaluationError>> {
        xs.iter().map(|x| self.evaluate(x)).collect()
    }

    /// Turns a candidate that breaks a rule of the problem into one that follows it, in
    /// place, as pymoo's `Repair` does. The engine calls it on every sampled genome of the
    /// initial population and on every child after crossover, mutation and the clamp to the
    /// bounds, before duplicate elimination and evaluation. The result must stay within the
    /// bounds, with integer values for [`VariableKind::Integer`].
    ///
    /// `rng` is the generation's generator, so a random repair repeats with the seed. The
    /// default leaves the genome unchanged and draws nothing.
    fn repair(&self, x: &mut [f64], rng: &mut GenerationRng) {
        let _ = (x, rng);
    }
}

impl<P: Problem + ?Sized> Problem for &P {
    fn n_var(&self) -> usize {
        (**self).n_var()
    }
    fn n_obj(&self) -> usize {
        (**self).n_obj()
    }
    fn n_constr(&self) -> usize {
        (**self).n_constr()
    }
    fn bounds(&self) -> Vec<(f64, f64)> {
        (**self).bounds()
    }
    fn variable_kind(&self) -> VariableKind {
        (**self).variable_kind()
    }
    fn evaluate(&self, x: &[f64]) -> Result<Evaluation, EvaluationError> {
        (**self).evaluate(x)
    }
    fn evaluate_batch(&self, xs: &[Vec<f64>]) -> Vec<Result<Evaluation, EvaluationError>> {
        (**self).evaluate_batch(xs)
    }
    fn repair(&self, x: &mut [f64], rng: &mut GenerationRng) {
        (**self).repair(x, rng);
    }
}

/// Wrapper that evaluates batches on the rayon thread pool, for CPU-bound problems whose
/// `evaluate` is thread-safe. Requires the `parallel` feature.
#[cfg(feature = "parallel")]
#[derive(Debug, Clone)]
pub struct ParallelProblem<P>(pub P);

#[cfg(feature = "parallel")]
impl<P: Problem + Sync> Problem for ParallelProblem<P> {
    fn n_var(&self) -> usize {
        self.0.n_var()
    }
    fn n_obj(&self) -> usize {
        self.0.n_obj()
    }
    fn n_constr(&self) -> usize {
        self.0.n_constr()
    }
    fn bounds(&self) -> Vec<(f64, f64)> {
        self.0.bounds()
    }
    fn variable_kind(&self) -> VariableKind {
        self.0.variable_kind()
    }
    fn evaluate(&self, x: &[f64]) -> Result<Evaluation, EvaluationError> {
        self.0.evaluate(x)
    }
    fn evaluate_batch(&self, xs: &[Vec<f64>]) -> Vec<Result<Evaluation, EvaluationError>> {
        use rayon::prelude::*;
        xs.par_iter().map(|x| self.0.evaluate(x)).collect()
    }
    fn repair(&self, x: &mut [f64], rng: &mut GenerationRng) {
        self.0.repair(x, rng);
    }
}
