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
//! Drop path is not implemented, because the network graph does not mark the outputs of
//! cell operations; a non-zero [`TrainConfig::drop_path_rate`] is rejected.
#![warn(missing_docs)]

pub mod augment;
mod checkpoint;
mod config;
mod error;
mod metrics;
mod trainer;

pub use config::{TrainConfig, cosine_learning_rate};
pub use error::TrainError;
pub use metrics::{CSV_HEADER, MetricsCsv, csv_line};
pub use trainer::{EpochMetrics, EpochStats, TrainData, Trainer, batch_loss, epoch_rng};
