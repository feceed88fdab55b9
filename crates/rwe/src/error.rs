//! The error type of the RWE procedure.

use crate::data::DataError;

/// Error raised by feature extraction, the classifier ensemble or the evaluator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RweError {
    /// Loading, splitting or normalising the data failed.
    #[error(transparent)]
    Data(#[from] DataError),
    /// A classifier's training loss became NaN or infinite, for example from non-finite
    /// features or a learning rate that is too large. A search ranks such an architecture worst.
    #[error("classifier {classifier} diverged in epoch {epoch}: its training loss is not finite")]
    Diverged {
        /// Index of the classifier in the ensemble.
        classifier: usize,
        /// Epoch, counted from 0, whose loss was not finite.
        epoch: usize,
    },
    /// A configuration value outside its valid range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// A tensor or label list with a shape that does not fit the others.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// Reading a tensor back from the device failed.
    #[error("failed to read a tensor from the device: {0}")]
    TensorRead(String),
}
