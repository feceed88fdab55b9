//! Search spaces for neural architecture search and the network description they decode to.
//!
//! A [`SearchSpace`] maps integer genomes ([`rwenas_genome::Genome`]) within bounds to a
//! backend-free [`Network`]. Two spaces are provided:
//!
//! - [`micro::MicroSpace`]: NSGA-Net's cell-based space (ianwhale/nsga-net), 40 genes, with
//!   DARTS genotypes (quark0/darts), a catalogue of published cells and the NAS-Bench-301
//!   subset;
//! - [`macro_space::MacroSpace`]: NSGA-Net's Genetic-CNN-style space of 3 phases, 48 bits
//!   at 6 nodes per phase.
//!
//! ```
//! use rwenas_space::SearchSpace;
//! use rwenas_space::micro::{MicroScale, MicroSpace, catalogue};
//!
//! let space = MicroSpace::nsga_net(MicroScale::search())?;
//! let genome = space.genome(&catalogue::genotype("nsganet")?)?;
//! assert_eq!(genome.len(), 40);
//!
//! let network = space.decode(&genome)?;
//! network.validate()?;
//! let dynamic: &dyn SearchSpace = &space;
//! assert_eq!(dynamic.name(), "micro");
//! # Ok::<(), rwenas_space::SpaceError>(())
//! ```

#![warn(missing_docs)]

/// The `rand` crate (0.10) whose `Rng` [`SearchSpace::sample`] and [`SearchSpace::repair`]
/// take; implementations of the trait can use this re-export to match its version.
pub use rand;

pub mod dot;
mod error;
pub mod macro_space;
pub mod micro;
pub mod network;
mod search_space;

/// The genome types of [`SearchSpace`]'s methods, so that a space can be written with this
/// crate alone.
pub use rwenas_genome::{GeneBounds, Genome, GenomeError};

pub use error::SpaceError;
pub use network::{AuxiliaryHead, Classifier, Graph, Layer, Network, Node, NodeId, Shape};
pub use search_space::SearchSpace;
