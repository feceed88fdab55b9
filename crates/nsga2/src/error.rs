//! Error types of the engine.

use thiserror::Error;

/// Failure to evaluate one individual, returned by [`crate::Problem::evaluate`].
///
/// A failed evaluation never aborts a run: the individual is stored with its message in
/// [`crate::Individual::failure`] and ranked below every successful one.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct EvaluationError(pub String);

impl EvaluationError {
    /// Creates an evaluation error from a message.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// Errors raised by configuration checks, problem checks and state checks.
#[non_exhaustive]
#[derive(Debug, Error)]
pub enum Nsga2Error {
    /// A configuration or operator parameter is outside its valid range.
    #[error("{name} is {value} but must be {requirement}")]
    InvalidParameter {
        /// Name of the parameter, e.g. `population_size`.
        name: &'static str,
        /// The rejected value, formatted.
        value: String,
        /// The valid range, e.g. `at least 2`.
        requirement: String,
    },
    /// The problem's bounds do not describe a valid box.
    #[error("bounds of variable {index} are invalid: {reason}")]
    InvalidBounds {
        /// Index of the variable.
        index: usize,
        /// Description of the problem, naming the values.
        reason: String,
    },
    /// The problem's declared sizes are inconsistent.
    #[error("invalid problem: {0}")]
    InvalidProblem(String),
    /// An evaluation returned a different number of objectives than `Problem::n_obj`.
    #[error(
        "evaluation of individual {index} returned {actual} objectives but the problem declares n_obj = {expected}"
    )]
    ObjectiveCount {
        /// Index of the individual in the evaluated batch.
        index: usize,
        /// `Problem::n_obj`.
        expected: usize,
        /// Length of the returned objective vector.
        actual: usize,
    },
    /// An evaluation returned a different number of constraints than `Problem::n_constr`.
    #[error(
        "evaluation of individual {index} returned {actual} constraint values but the problem declares n_constr = {expected}"
    )]
    ConstraintCount {
        /// Index of the individual in the evaluated batch.
        index: usize,
        /// `Problem::n_constr`.
        expected: usize,
        /// Length of the returned constraint vector.
        actual: usize,
    },
    /// `Problem::evaluate_batch` returned a different number of results than genomes.
    #[error("evaluate_batch returned {actual} results for a batch of {expected} genomes")]
    BatchSize {
        /// Number of genomes in the batch.
        expected: usize,
        /// Number of results returned.
        actual: usize,
    },
    /// A saved state does not fit the problem or configuration it is resumed with.
    #[error("state cannot be resumed: {0}")]
    StateMismatch(String),
}

impl Nsga2Error {
    pub(crate) fn invalid(
        name: &'static str,
        value: impl std::fmt::Display,
        requirement: impl Into<String>,
    ) -> Self {
        Self::InvalidParameter {
            name,
            value: value.to_string(),
            requirement: requirement.into(),
        }
    }
}
