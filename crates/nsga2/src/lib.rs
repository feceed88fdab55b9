//! A generic NSGA-II engine (Deb, Pratap, Agarwal and Meyarivan 2002).
//!
//! - [`Problem`] is evaluated on whole batches: every generation passes all offspring that
//!   are not in the evaluation cache to one [`Problem::evaluate_batch`] call.
//! - Operators are traits ([`operators::Selection`], [`operators::Crossover`],
//!   [`operators::Mutation`]) with the standard implementations. They draw random numbers
//!   from a [`GenerationRng`], the xoshiro256++ generator of rand 0.10, so a custom
//!   operator must use rand 0.10's traits. Import them through this crate's [`rand`]
//!   re-export, as the example below does. The defaults follow pymoo
//!   0.6.2's NSGA-II: binary tournament, SBX (probability 0.9, eta 15, per-variable
//!   probability 0.5) and polynomial mutation (probability 0.9, eta 20, per-variable
//!   probability 1/n). Survival prunes the splitting front one member at a time
//!   (Kukkonen and Deb 2006) unless [`FrontPruning::OneShot`] is set.
//! - Non-dominated sorting runs in `O(N log N)` for two objectives ([`sorting`]).
//! - Duplicate offspring are re-drawn, and an evaluation cache keyed by a stable FNV-1a
//!   genome hash means no genome is evaluated twice in a run.
//! - Failed evaluations are ranked below every successful one and never abort a run.
//! - The [`Nsga2State`] is serialisable; a run resumed from a checkpoint gives the same
//!   result as an uninterrupted one, because each generation's random number generator is
//!   derived from the seed and the generation index.
//! - Quality indicators: exact [`indicators::hypervolume()`], [`indicators::igd()`] and
//!   [`indicators::igd_plus()`]. Test problems: ZDT1, ZDT2, ZDT3 and DTLZ2.
//!
//! ```
//! use rwenas_nsga2::indicators::{hypervolume, igd};
//! use rwenas_nsga2::problems::Zdt1;
//! use rwenas_nsga2::{Nsga2, Nsga2Config, Termination};
//!
//! let config = Nsga2Config::new(40).with_seed(7);
//! let mut nsga2 = Nsga2::new(Zdt1::default(), config)?;
//! let result = nsga2.run(&Termination::Generations(20), &mut [])?;
//! assert_eq!(result.evaluations, 40 * 20);
//!
//! let front: Vec<&[f64]> = result.front.iter().map(|ind| ind.objectives.as_slice()).collect();
//! assert!(hypervolume(&front, &[1.1, 1.1]) > 0.0);
//! assert!(igd(&front, &Zdt1::pareto_front(100)).is_finite());
//! # Ok::<(), rwenas_nsga2::Nsga2Error>(())
//! ```
//!
//! A custom mutation that resets one random gene to a random value within its bounds:
//!
//! ```
//! use rwenas_nsga2::operators::Mutation;
//! use rwenas_nsga2::problems::Zdt1;
//! use rwenas_nsga2::rand::RngExt;
//! use rwenas_nsga2::{GenerationRng, Nsga2, Nsga2Config, Termination};
//!
//! #[derive(Debug)]
//! struct ResetOneGene;
//!
//! impl Mutation for ResetOneGene {
//!     fn mutate(&self, x: &mut [f64], bounds: &[(f64, f64)], rng: &mut GenerationRng) {
//!         let gene = rng.random_range(0..x.len());
//!         let (lower, upper) = bounds[gene];
//!         x[gene] = lower + rng.random::<f64>() * (upper - lower);
//!     }
//! }
//!
//! let config = Nsga2Config::new(20).with_mutation(ResetOneGene);
//! let result = Nsga2::new(Zdt1::new(5), config)?.run(&Termination::Generations(5), &mut [])?;
//! assert_eq!(result.generations, 5);
//! # Ok::<(), rwenas_nsga2::Nsga2Error>(())
//! ```
//!
#![cfg_attr(
    feature = "parallel",
    doc = "Enable the `parallel` feature for [`ParallelProblem`], which evaluates batches of a"
)]
#![cfg_attr(
    not(feature = "parallel"),
    doc = "Enable the `parallel` feature for `ParallelProblem`, which evaluates batches of a"
)]
//! thread-safe CPU problem on the rayon thread pool.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

/// The rand crate (version 0.10) that [`GenerationRng`] and the operator traits use.
///
/// Custom operators should import rand's traits (`Rng`, `RngExt`, `seq::SliceRandom`)
/// through this re-export. The traits of another rand version are not implemented for
/// [`GenerationRng`], so their methods are missing on it.
pub use rand;

pub mod algorithm;
pub mod config;
pub mod crowding;
pub mod error;
pub mod hash;
pub mod indicators;
pub mod individual;
pub mod observer;
pub mod operators;
pub mod problem;
pub mod problems;
pub mod sorting;
pub mod state;
pub mod survival;
pub mod termination;

pub use algorithm::{GenerationRng, Nsga2, Nsga2Result, generation_rng};
pub use config::Nsga2Config;
pub use error::{EvaluationError, Nsga2Error};
pub use individual::Individual;
pub use observer::{GenerationReport, Observer};
#[cfg(feature = "parallel")]
pub use problem::ParallelProblem;
pub use problem::{Evaluation, Problem, VariableKind};
pub use state::checkpoint::{CheckpointObserver, load_checkpoint, save_checkpoint};
pub use state::{EvaluationCache, Nsga2State};
pub use survival::FrontPruning;
pub use termination::Termination;
