//! The RWE evaluation of one architecture.

use std::time::Instant;

use burn::tensor::{Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::RweError;
use crate::classifier::{LinearEnsembleConfig, train_ensemble};
use crate::data::{DataError, ImageDataset, Normalization, Split};
use crate::features::{DEFAULT_FEATURE_BATCH_SIZE, FeatureExtractor, extract_features_parallel};

/// Settings of an RWE evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RweConfig {
    /// Classifier ensemble settings, whose `seed` is replaced by [`RweConfig::seed`].
    pub ensemble: LinearEnsembleConfig,
    /// Images per feature-extraction batch.
    pub feature_batch_size: usize,
    /// Feature-extraction batches that run at the same time, each on its own thread. 0
    /// picks one per available CPU core on the flex CPU backend and 1 on other devices.
    #[serde(default)]
    pub feature_workers: usize,
    /// Seed of the classifier ensemble.
    pub seed: u64,
}

impl Default for RweConfig {
    fn default() -> Self {
        RweConfig {
            ensemble: LinearEnsembleConfig::default(),
            feature_batch_size: DEFAULT_FEATURE_BATCH_SIZE,
            feature_workers: 0,
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

    /// Returns the data normalised with `normalization` in place of the statistics of the
    /// train split, for example the published CIFAR-10 mean and standard deviation.
    pub fn with_normalization(mut self, normalization: Normalization) -> Self {
        self.normalization = normalization;
        self
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
/// Images go through the extractor in class-interleaved order (see
/// [`class_interleaved_order`]), so with batch-statistics batch norm every batch is
/// class-balanced whatever the order of the dataset. Datasets stored class by class, as
/// image folders are, would otherwise give batches of one class, whose statistics remove
/// the class mean from the features.
///
/// # Errors
///
/// [`RweError::Diverged`] when a classifier's loss is not finite, and the errors of
/// [`extract_features`] and [`train_ensemble`].
pub fn evaluate<E: FeatureExtractor + Sync + ?Sized>(
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
    let extract = |indices: &[usize], labels: &[u16]| {
        extract_class_interleaved(extractor, data, indices, labels, config, device)
    };
    let train_features = extract(&data.split.train, &data.train_labels)?;
    let valid_features = extract(&data.split.valid, &data.valid_labels)?;
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

/// Extracts the features of the images at `indices` (with labels `labels`) in
/// class-interleaved order and returns them in the order of `indices`.
fn extract_class_interleaved<E: FeatureExtractor + Sync + ?Sized>(
    extractor: &E,
    data: &RweData,
    indices: &[usize],
    labels: &[u16],
    config: &RweConfig,
    device: &Device,
) -> Result<Tensor<2>, RweError> {
    let order = class_interleaved_order(labels);
    let ordered: Vec<usize> = order.iter().map(|&position| indices[position]).collect();
    let features = extract_features_parallel(
        extractor,
        &data.dataset,
        &ordered,
        &data.normalization,
        config.feature_batch_size,
        feature_workers(config.feature_workers, device),
        device,
    )?;
    // Row `order[i]` of the result is row `i` of `features`.
    let mut inverse = vec![0i64; order.len()];
    for (row, &position) in order.iter().enumerate() {
        inverse[position] = row as i64;
    }
    let inverse = Tensor::<1, Int>::from_data(TensorData::new(inverse, [order.len()]), device);
    Ok(features.select(0, inverse))
}

/// Resolves a `feature_workers` setting of 0 for `device`.
fn feature_workers(requested: usize, device: &Device) -> usize {
    if requested > 0 {
        return requested;
    }
    if is_flex(device) {
        std::thread::available_parallelism().map_or(1, usize::from)
    } else {
        1
    }
}

#[cfg(feature = "flex")]
fn is_flex(device: &Device) -> bool {
    *device == Device::flex()
}

#[cfg(not(feature = "flex"))]
fn is_flex(_device: &Device) -> bool {
    false
}

/// Returns the positions `0..labels.len()` ordered round-robin over the classes: the first
/// image of every class in class order, then the second of every class, and so on, keeping
/// the order within a class. A class that runs out is skipped.
///
/// For a split holding the first `n` images of each class this is the order `10 * j + c`
/// of a class-interleaved CIFAR-10 array.
pub fn class_interleaved_order(labels: &[u16]) -> Vec<usize> {
    let classes = labels
        .iter()
        .map(|&label| usize::from(label) + 1)
        .max()
        .unwrap_or(0);
    let mut by_class = vec![Vec::new(); classes];
    for (position, &label) in labels.iter().enumerate() {
        by_class[usize::from(label)].push(position);
    }
    let longest = by_class.iter().map(Vec::len).max().unwrap_or(0);
    let mut order = Vec::with_capacity(labels.len());
    for rank in 0..longest {
        order.extend(by_class.iter().filter_map(|positions| positions.get(rank)));
    }
    order
}

#[cfg(test)]
mod tests {
    use super::class_interleaved_order;

    #[test]
    fn interleaved_order_cycles_classes() {
        let labels = [0, 0, 0, 1, 1, 2];
        assert_eq!(class_interleaved_order(&labels), vec![0, 3, 5, 1, 4, 2]);
    }

    #[test]
    fn interleaved_order_keeps_mixed_input() {
        let labels = [1, 0, 1, 0];
        assert_eq!(class_interleaved_order(&labels), vec![1, 0, 3, 2]);
        assert!(class_interleaved_order(&[]).is_empty());
    }
}
