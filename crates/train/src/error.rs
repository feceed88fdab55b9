//! The error type of the training crate.

use std::path::PathBuf;

use rwenas_nn::NnError;
use rwenas_rwe::DataError;

/// Returns `count` followed by `singular`, or by `plural` unless `count` is 1.
pub(crate) fn counted(count: usize, singular: &str, plural: &str) -> String {
    let noun = if count == 1 { singular } else { plural };
    format!("{count} {noun}")
}

/// Errors of configuring, running, checkpointing and resuming a training run.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A configuration that cannot be used, other than one setting out of range.
    #[error("invalid training configuration: {0}")]
    InvalidConfig(String),
    /// A setting of [`TrainConfig`](crate::TrainConfig) is out of range.
    #[error("invalid training configuration: {setting} is {value} but must be {expected}")]
    InvalidSetting {
        /// The setting's key in the serialised configuration, such as `learning_rate`, or
        /// the path of a nested field, such as `schedule.gamma`.
        setting: &'static str,
        /// The value.
        value: String,
        /// The allowed values.
        expected: String,
    },
    /// The network description does not build.
    #[error("the network does not build: {0}")]
    Network(#[from] NnError),
    /// The images or labels are unusable.
    #[error("invalid training data: {0}")]
    Data(#[from] DataError),
    /// The loss became NaN or infinite.
    #[error(
        "the training loss is {loss} in epoch {} (counted from 1), batch {}; lower the \
         learning rate",
        .epoch + 1,
        .batch + 1
    )]
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
    /// A file that is not a model record as [`save_model`](crate::save_model) writes one.
    #[error("{path} is not a saved model: {message}")]
    NotAModel {
        /// The file.
        path: PathBuf,
        /// The error of the record reader.
        message: String,
    },
    /// A saved model does not serialise or does not fit the network it is loaded into.
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
