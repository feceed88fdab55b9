//! Errors of genome validation.

/// Why a genome or a set of bounds is invalid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GenomeError {
    /// The genome has a different number of genes than the bounds describe.
    #[error("genome has {actual} genes but the space expects {expected}")]
    LengthMismatch {
        /// Genes the bounds describe.
        expected: usize,
        /// Genes the genome has.
        actual: usize,
    },
    /// A gene is smaller than its lower bound.
    #[error("gene {position} is {value} but its lower bound is {lower}")]
    BelowLowerBound {
        /// Position of the gene, from 0.
        position: usize,
        /// Value of the gene.
        value: i64,
        /// Smallest allowed value.
        lower: i64,
    },
    /// A gene is greater than its upper bound.
    #[error("gene {position} is {value} but its upper bound is {upper}")]
    AboveUpperBound {
        /// Position of the gene, from 0.
        position: usize,
        /// Value of the gene.
        value: i64,
        /// Greatest allowed value.
        upper: i64,
    },
    /// The lower and upper bound lists differ in length.
    #[error("bounds have {lower} lower and {upper} upper values; give one of each per gene")]
    BoundsLengthMismatch {
        /// Number of lower bounds.
        lower: usize,
        /// Number of upper bounds.
        upper: usize,
    },
    /// A lower bound is greater than its upper bound, so no value fits.
    #[error("gene {position} has lower bound {lower} above its upper bound {upper}")]
    EmptyRange {
        /// Position of the gene, from 0.
        position: usize,
        /// Lower bound.
        lower: i64,
        /// Upper bound.
        upper: i64,
    },
    /// A gene of a bit string is neither 0 nor 1.
    #[error("gene {position} is {value} but a bit string holds only 0 and 1")]
    NotABit {
        /// Position of the gene, from 0.
        position: usize,
        /// Value of the gene.
        value: i64,
    },
}
