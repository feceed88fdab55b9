//! A member of the population.

use serde::{Deserialize, Serialize};

use crate::state::float_serde;

/// An evaluated genome with its ranking attributes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Individual {
    /// Decision variables.
    pub x: Vec<f64>,
    /// Objective values; every entry is `+inf` when the evaluation failed.
    #[serde(with = "float_serde::vec")]
    pub objectives: Vec<f64>,
    /// Constraint values as returned by the problem (empty for failed evaluations).
    #[serde(with = "float_serde::vec")]
    pub constraints: Vec<f64>,
    /// Total constraint violation `sum(max(g_i, 0))`; 0 is feasible, `+inf` marks a failed
    /// evaluation.
    #[serde(with = "float_serde::scalar")]
    pub constraint_violation: f64,
    /// Index of the non-dominated front (0 is best) from the last survival step.
    pub rank: usize,
    /// Crowding distance within the front from the last survival step (`+inf` at boundaries).
    #[serde(with = "float_serde::scalar")]
    pub crowding_distance: f64,
    /// Message of a failed evaluation, `None` when the evaluation succeeded.
    pub failure: Option<String>,
}

impl Individual {
    /// Returns true when the evaluation succeeded and no constraint is violated.
    pub fn is_feasible(&self) -> bool {
        self.failure.is_none() && self.constraint_violation <= 0.0
    }
}
