//! Multi-objective neural architecture search with random-weight evaluation.
//!
//! This crate joins the rwenas crates into one search: a [`SearchSpace`](rwenas_space::SearchSpace) decodes genomes into
//! networks, an [`Estimator`] scores their accuracy (by default [`RweEstimator`], the
//! random-weight evaluation), [`rwenas_flops`] counts their cost, and NSGA-II
//! ([`rwenas_nsga2`]) searches the trade-off, one generation per [`Search::step`].
//!
//! The member crates are re-exported: [`genome`], [`space`], [`flops`], [`nsga2`], [`nn`],
//! [`rwe`], [`proxies`] and [`train`], and so is [`burn`] (0.22), whose
//! [`Device`](burn::tensor::Device) the estimators run on: `rwenas::burn::tensor::Device::flex()`
//! is the CPU. Using this re-export instead of a direct `burn` dependency avoids building
//! Burn twice with different features. Besides RWE, zero-cost proxies ([`ProxyEstimator`])
//! and short training ([`TrainingEstimator`]) implement [`Estimator`], and a [`study::Study`]
//! measures how well each ranks sampled architectures.
#![warn(missing_docs)]

pub mod correlation;
mod estimator;
mod problem;
mod proxy_estimator;
mod record;
mod rwe_estimator;
mod search;
pub mod study;

pub use estimator::{Estimator, Score};
pub use problem::{NasProblem, ProgressCallback, network_seed};
pub use proxy_estimator::{ProxyEstimator, TrainingEstimator};
pub use record::EvaluationRecord;
pub use rwe_estimator::RweEstimator;
pub use search::{GenerationSummary, Search, SearchConfig};

pub use burn;
pub use rwenas_flops as flops;
pub use rwenas_genome as genome;
pub use rwenas_nn as nn;
pub use rwenas_nsga2 as nsga2;
pub use rwenas_proxies as proxies;
pub use rwenas_rwe as rwe;
pub use rwenas_space as space;
pub use rwenas_train as train;
