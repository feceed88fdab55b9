//! Bounded integer genomes for neural architecture search.
//!
//! A [`Genome`] is a plain vector of integers. A search space describes which values each
//! position may take with [`GeneBounds`] (inclusive lower and upper bounds per gene), which
//! validates genomes with errors that name the position and the range, and samples random
//! genomes uniformly within the bounds. [`Genome::stable_hash`] gives a hash for
//! de-duplication that does not change across platforms or versions.
//!
//! ```
//! use rand::SeedableRng;
//! use rwenas_genome::{GeneBounds, Genome};
//!
//! let bounds = GeneBounds::new(vec![0, 0, 0], vec![8, 1, 2])?;
//! let mut rng = rand::rngs::StdRng::seed_from_u64(7);
//! let genome = bounds.sample(&mut rng);
//! bounds.validate(&genome)?;
//!
//! let error = bounds.validate(&Genome::new(vec![3, 2, 0])).unwrap_err();
//! assert_eq!(error.to_string(), "gene 1 is 2 but its upper bound is 1");
//!
//! let json = serde_json::to_string(&Genome::new(vec![3, 1, 0]))?;
//! assert_eq!(json, "[3,1,0]");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

mod bounds;
mod error;
mod genome;

pub use bounds::GeneBounds;
pub use error::GenomeError;
pub use genome::Genome;
