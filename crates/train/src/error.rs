//! The error type of the training crate.

use std::path::PathBuf;

use rwenas_nn::NnError;
use rwenas_rwe::DataError;

/// Errors of configuring, running, checkpointing and resuming a training run.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A configuration value is out of range.
    #[error("invalid training configuration: {0}")]
    InvalidConfig(String),
    /// The network description does not build.
    #[error("the network does not build: {0}")]
    Network(#[from] NnError),
    /// The images or labels are unusable.
    #[error("invalid training data: {0}")]
    Data(#[from] DataError),
    /// The loss became NaN or infinite.
    #[error("the training loss is {loss} at epoch {epoch}, batch {batch}; lower the learning rate")]
    Diverged {
        /// Epoch, counted from 0.
        epoch: usize,
        /// Batch within the epoch, counted from 0.
        batch: usize,
        /// The loss value.
        loss: f64,
    },
    /// Reading or writing a file failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A saved model is malformed or does not fit the network it is loaded into.
    #[error("cannot load the model {path}: {message}")]
    Model {
        /// The model file.
        path: PathBuf,
        /// Description of the problem.
        message: String,
    },
    /// A checkpoint is malformed or belongs to another run.
    #[error("invalid checkpoint {path}: {message}")]
    Checkpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// Description of the problem.
        message: String,
    },
}
