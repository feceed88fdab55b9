//! Random-weight evaluation (RWE) of CNN architectures, and the image datasets it runs on.
//!
//! RWE scores an architecture without training its backbone. The backbone keeps random,
//! frozen weights and maps every image of the train and validation splits to a feature vector
//! once ([`features`]). An ensemble of linear softmax classifiers then trains on the train
//! features, and its validation error is the score ([`classifier`], [`evaluator`]).
//!
//! The [`data`] module loads CIFAR-10 and CIFAR-100 in their binary versions, image folders
//! and `.tar.gz` archives of image folders. It splits the training set 80/20 per class into
//! train and validation, and normalises images per channel with the statistics of the train
//! split.
//!
//! ```
//! use burn::tensor::{Device, Tensor};
//! use rwenas_rwe::classifier::{LinearEnsembleConfig, train_ensemble};
//!
//! // Two classes separated by the sign of the first feature.
//! let rows = [[1.0f32, 0.2], [0.8, -0.5], [-1.0, 0.3], [-0.7, -0.1]];
//! let labels = [0u16, 0, 1, 1];
//! let device = Device::flex();
//! let features = Tensor::<2>::from_data(rows, &device);
//! let config = LinearEnsembleConfig { folds: 2, epochs: 20, batch_size: 2, ..Default::default() };
//! let report = train_ensemble(&features, &labels, &features, &labels, 2, &config)?;
//! assert_eq!(report.error, 0.0);
//! # Ok::<(), rwenas_rwe::RweError>(())
//! ```
#![warn(missing_docs)]

pub mod classifier;
pub mod data;
mod error;
pub mod evaluator;
pub mod features;

pub use classifier::{EnsembleReport, LinearEnsembleConfig, fold_partition, train_ensemble};
pub use data::{
    DataError, DataSource, FullSizeDataset, FullSizeSets, ImageDataset, Normalization, Split,
    TrainTestSets,
};
pub use error::RweError;
pub use evaluator::{RweConfig, RweData, RweScore, evaluate};
pub use features::{DEFAULT_FEATURE_BATCH_SIZE, FeatureExtractor, extract_features};
