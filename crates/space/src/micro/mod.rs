//! NSGA-Net's micro (cell-based) search space and DARTS genotypes.
//!
//! Operations by gene value: 0 `max_pool_3x3`, 1 `avg_pool_3x3`, 2 `skip_connect`,
//! 3 `sep_conv_3x3`, 4 `sep_conv_5x5`, 5 `dil_conv_3x3`, 6 `dil_conv_5x5`,
//! 7 `sep_conv_7x7`, 8 `conv_7x1_1x7` (ianwhale/nsga-net, `search/micro_encoding.py`).

pub mod catalogue;
mod describe;
mod genome;
mod genotype;
pub mod network;
mod operation;
mod parse;
mod space;

pub use genome::{ConcatRule, GENES_PER_BLOCK, MicroEncoding, genomes_equal, loose_ends};
pub use genotype::DartsGenotype;
pub use network::{MicroLayout, MicroScale, build_network};
pub use operation::Operation;
pub(crate) use operation::conv;
pub use space::MicroSpace;
