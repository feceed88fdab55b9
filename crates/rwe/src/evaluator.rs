//! The RWE evaluation of one architecture.

use std::time::Instant;

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::RweError;
use crate::classifier::{LinearEnsembleConfig, train_ensemble};
use crate::data::{DataError, ImageDataset, Normalization, Split};
use crate::features::{DEFAULT_FEATURE_BATCH_SIZE, FeatureExtractor, extract_features};

/// Settings of an RWE evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RweConfig {
    /// Classifier ensemble settings, whose `seed` is replaced by [`RweConfig::seed`].
    pub ensemble: LinearEnsembleConfig,
    /// Images per feature-extraction batch.
    pub feature_batch_size: usize,
    /// Seed of the classifier ensemble.
    pub seed: u64,
}

impl Default for RweConfig {
    fn default() -> Self {
        RweConfig {
            ensemble: LinearEnsembleConfig::default(),
            feature_batch_size: DEFAULT_FEATURE_BATCH_SIZE,
            seed: 0,
        }
    }
}

/// A training set with its train/validation split and the normalisation of the train split.
#[derive(Debug, Clone, PartialEq)]
pub struct RweData {
    /// Training images that the split indexes.
    pub dataset: ImageDataset,
    /// Train and validation indices into `dataset`.
    pub split: Split,
    /// Per-channel statistics of the train split.
    pub normalization: Normalization,
    /// Labels of the train split, in split order.
    pub train_labels: Vec<u16>,
    /// Labels of the validation split, in split order.
    pub valid_labels: Vec<u16>,
}

impl RweData {
    /// Prepares `dataset` and `split`, computing the normalisation from the train split.
    ///
    /// # Errors
    ///
    /// [`DataError::IndexOutOfRange`] for a split index past the dataset, [`DataError::Empty`]
    /// for an empty train split, and the errors of [`ImageDataset::validate`].
    pub fn new(dataset: ImageDataset, split: Split) -> Result<Self, DataError> {
        let normalization = Normalization::from_dataset(&dataset, &split.train)?;
        let labels_of = |indices: &[usize]| -> Result<Vec<u16>, DataError> {
            indices
                .iter()
                .map(|&index| {
                    dataset
                        .labels
                        .get(index)
                        .copied()
                        .ok_or(DataError::IndexOutOfRange {
                            index,
                            len: dataset.len(),
                        })
                })
                .collect()
        };
        let train_labels = labels_of(&split.train)?;
        let valid_labels = labels_of(&split.valid)?;
        Ok(RweData {
            dataset,
            split,
            normalization,
            train_labels,
            valid_labels,
        })
    }
}

/// Outcome of an RWE evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RweScore {
    /// Validation error of the classifier ensemble, in `[0, 1]`.
    pub error: f64,
    /// Wall time of extracting the train and validation features, in seconds.
    pub feature_seconds: f64,
    /// Wall time of training and validating the ensemble, in seconds.
    pub classifier_seconds: f64,
    /// Length of one feature vector.
    pub feature_dim: usize,
}

/// Scores `extractor` with RWE: extracts the train and validation features once on `device`
/// and trains the classifier ensemble on them.
///
/// # Errors
///
/// [`RweError::Diverged`] when a classifier's loss is not finite, and the errors of
/// [`extract_features`] and [`train_ensemble`].
pub fn evaluate<E: FeatureExtractor + ?Sized>(
    extractor: &E,
    data: &RweData,
    config: &RweConfig,
    device: &Device,
) -> Result<RweScore, RweError> {
    let ensemble = LinearEnsembleConfig {
        seed: config.seed,
        ..config.ensemble.clone()
    };
    ensemble.validate()?;
    let start = Instant::now();
    let extract = |indices: &[usize]| {
        extract_features(
            extractor,
            &data.dataset,
            indices,
            &data.normalization,
            config.feature_batch_size,
            device,
        )
    };
    let train_features = extract(&data.split.train)?;
    let valid_features = extract(&data.split.valid)?;
    device
        .sync()
        .map_err(|e| RweError::TensorRead(format!("{e:?}")))?;
    let feature_seconds = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let report = train_ensemble(
        &train_features,
        &data.train_labels,
        &valid_features,
        &data.valid_labels,
        data.dataset.num_classes(),
        &ensemble,
    )?;
    Ok(RweScore {
        error: report.error,
        feature_seconds,
        classifier_seconds: start.elapsed().as_secs_f64(),
        feature_dim: extractor.feature_dim(),
    })
}
