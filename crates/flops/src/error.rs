//! Errors of counting.

use rwenas_space::SpaceError;

/// Error of counting a network.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FlopsError {
    /// The network description is inconsistent, so shapes cannot be inferred.
    #[error(transparent)]
    Space(#[from] SpaceError),
    /// A count does not fit in 64 bits.
    #[error("the count of {what} exceeds 2^64 - 1")]
    Overflow {
        /// Quantity whose count overflowed.
        what: &'static str,
    },
}
