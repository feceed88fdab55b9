//! Zero-cost proxies and short training as [`Estimator`]s.

use std::time::Instant;

use burn::tensor::Device;
use rwenas_nn::{BuildConfig, Initializer, NetworkModule, NormMode};
use rwenas_proxies::{Proxy, ProxyBatch, ProxyError};
use rwenas_rwe::evaluator::class_interleaved_order;
use rwenas_rwe::{ImageDataset, Normalization};
use rwenas_space::network::Network;
use rwenas_train::{TrainConfig, TrainData, Trainer};

use crate::{Estimator, Score};

/// Scores a network by a zero-cost proxy on one fixed minibatch.
///
/// Proxies are "higher is better", so [`Score::error`] is the negated proxy score: lower is
/// better, as for every estimator. The proxy's seconds are reported as feature seconds.
pub struct ProxyEstimator {
    proxy: Proxy,
    batch: ProxyBatch,
    initializer: Initializer,
    device: Device,
}

impl ProxyEstimator {
    /// Creates the estimator with a minibatch already on `device`.
    pub fn new(proxy: Proxy, batch: ProxyBatch, device: Device) -> Self {
        ProxyEstimator {
            proxy,
            batch,
            initializer: Initializer::PytorchDefault,
            device,
        }
    }

    /// Creates the estimator with the first `batch_size` images of `indices` in
    /// class-interleaved order (so a small batch contains every class), normalised with
    /// `normalization`.
    ///
    /// # Errors
    ///
    /// [`ProxyError::InvalidBatch`] when fewer than 2 images are available or an index is
    /// past the end of `dataset`.
    pub fn from_dataset(
        proxy: Proxy,
        dataset: &ImageDataset,
        indices: &[usize],
        normalization: &Normalization,
        batch_size: usize,
        device: Device,
    ) -> Result<Self, ProxyError> {
        let labels: Vec<u16> = indices
            .iter()
            .map(|&index| {
                dataset.labels.get(index).copied().ok_or_else(|| {
                    ProxyError::InvalidBatch(format!(
                        "index {index} is past the {} images of the dataset; pass indices \
                         of the dataset's images",
                        dataset.len()
                    ))
                })
            })
            .collect::<Result<_, _>>()?;
        let chosen: Vec<usize> = class_interleaved_order(&labels)
            .into_iter()
            .take(batch_size)
            .map(|position| indices[position])
            .collect();
        let images = normalization
            .batch(dataset, &chosen, &device)
            .map_err(|error| ProxyError::InvalidBatch(error.to_string()))?;
        let labels = chosen
            .iter()
            .map(|&index| usize::from(dataset.labels[index]))
            .collect();
        let batch = ProxyBatch::new(images, labels, dataset.num_classes())?;
        Ok(ProxyEstimator::new(proxy, batch, device))
    }

    /// Returns the estimator with another weight initialiser.
    pub fn with_initializer(mut self, initializer: Initializer) -> Self {
        self.initializer = initializer;
        self
    }

    /// Returns the proxy.
    pub fn proxy(&self) -> Proxy {
        self.proxy
    }
}

impl Estimator for ProxyEstimator {
    fn name(&self) -> &str {
        self.proxy.name()
    }

    fn score(&self, network: &Network, seed: u64) -> Result<Score, String> {
        let start = Instant::now();
        let [_, channels, height, width] = self.batch.images().dims();
        crate::estimator::check_input(network, [channels, height, width])?;
        let device = if self.proxy.needs_gradients() {
            self.device.clone().autodiff()
        } else {
            self.device.clone()
        };
        let build = BuildConfig {
            initializer: self.initializer,
            norm: NormMode::BatchStatistics,
            seed,
        };
        let model =
            NetworkModule::init(network, build, &device).map_err(|error| error.to_string())?;
        let value = self
            .proxy
            .score(&model, &self.batch)
            .map_err(|error| error.to_string())?;
        Ok(Score {
            error: -value,
            feature_seconds: start.elapsed().as_secs_f64(),
            classifier_seconds: 0.0,
        })
    }
}

/// Scores a network by training it: the test error after [`TrainConfig::epochs`] epochs of
/// supervised training on [`TrainData`]. The training seconds are reported as classifier
/// seconds.
pub struct TrainingEstimator {
    data: TrainData,
    config: TrainConfig,
    device: Device,
}

impl TrainingEstimator {
    /// Creates the estimator; `config.seed` is replaced by each network's seed.
    pub fn new(data: TrainData, config: TrainConfig, device: Device) -> Self {
        TrainingEstimator {
            data,
            config,
            device,
        }
    }

    /// Returns the training settings.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }
}

impl Estimator for TrainingEstimator {
    fn name(&self) -> &str {
        "train"
    }

    fn score(&self, network: &Network, seed: u64) -> Result<Score, String> {
        let start = Instant::now();
        let config = TrainConfig {
            seed,
            ..self.config.clone()
        };
        let mut trainer = Trainer::new(network, self.data.clone(), config, &self.device)
            .map_err(|error| error.to_string())?;
        let history = trainer.run(|_| {}).map_err(|error| error.to_string())?;
        let last = history
            .last()
            .ok_or_else(|| "training ran no epoch: set epochs to at least 1".to_string())?;
        Ok(Score {
            error: last.test_error,
            feature_seconds: 0.0,
            classifier_seconds: start.elapsed().as_secs_f64(),
        })
    }
}
