//! Supervised training of rwenas networks on image classification.
//!
//! [`Trainer`] trains a [`Network`](rwenas_space::network::Network) with the CIFAR-10
//! recipe of DARTS and NSGA-Net ([`TrainConfig`]'s defaults): SGD with momentum, a cosine
//! learning rate schedule, random crop, flip and cutout, an optional auxiliary loss and
//! gradient norm clipping. Every epoch draws its randomness from a generator derived from
//! the seed and the epoch, and [`Trainer::save_checkpoint`] / [`Trainer::resume`] store
//! and restore weights, optimiser state and epoch count, so a resumed run gives the same
//! weights as an uninterrupted one. [`MetricsCsv`] records the per-epoch metrics.
//!
//! Drop path ([`DropPath`]) zeroes the outputs of the layers marked in the backbone's
//! `Graph::drop_path` for whole samples, at a rate that grows linearly over the epochs.
//! [`TrainConfig::imagenet`] is DARTS' ImageNet recipe (label smoothing, exponential
//! learning-rate decay), and [`TrainData::from_image_folder`] its input pipeline of random
//! resized crops and colour jitter on full-size images ([`imagenet`]).
#![warn(missing_docs)]

pub mod augment;
mod checkpoint;
mod config;
mod drop_path;
mod error;
pub mod imagenet;
mod metrics;
mod model;
mod recalibrate;
mod trainer;

pub use config::{LearningRateSchedule, TrainConfig, cosine_learning_rate};
pub use drop_path::DropPath;
pub use error::TrainError;
pub use metrics::{CSV_HEADER, MetricsCsv, csv_line};
pub use model::{load_model, save_model, test_error};
pub use trainer::{
    EpochMetrics, EpochStats, Phase, Progress, TrainData, Trainer, batch_loss, epoch_rng,
    training_loss,
};
