//! Errors of search spaces and network descriptions.

use rwenas_genome::GenomeError;

/// Error of an invalid genome, genotype, scale or network description.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpaceError {
    /// The genome does not fit the space's bounds (length or a gene out of range).
    #[error(transparent)]
    Genome(#[from] GenomeError),
    /// A gene lies within its bounds but breaks a rule of the encoding.
    #[error("gene {position} is {value} but {reason}")]
    InvalidGene {
        /// Position of the gene, from 0.
        position: usize,
        /// Value of the gene.
        value: i64,
        /// The rule it breaks, including the allowed range.
        reason: String,
    },
    /// A genotype (a list of cells) is malformed.
    #[error("invalid genotype: {0}")]
    InvalidGenotype(String),
    /// A genotype cannot become a genome of this space.
    #[error("genotype does not fit the space: {0}")]
    Incompatible(String),
    /// An operation name is not one of the known operations.
    #[error("unknown operation '{name}'; expected one of {expected}")]
    UnknownOperation {
        /// The name given.
        name: String,
        /// The known names, comma separated.
        expected: String,
    },
    /// A catalogue cell name is not known.
    #[error("unknown cell '{name}'; expected one of {expected}")]
    UnknownCell {
        /// The name given.
        name: String,
        /// The known names, comma separated.
        expected: String,
    },
    /// The text form of a genotype could not be parsed.
    #[error("cannot parse genotype at byte {offset}: {message}")]
    Parse {
        /// Byte offset in the text.
        offset: usize,
        /// Description of the expected input.
        message: String,
    },
    /// The scale (channels, layers, input size, classes) is unusable.
    #[error("invalid scale: {0}")]
    InvalidScale(String),
    /// The decoded network description is inconsistent (shapes or references).
    #[error("invalid network: {0}")]
    InvalidNetwork(String),
}
