//! Random-weight evaluation as an [`Estimator`].

use burn::tensor::{Device, Tensor};
use rwenas_nn::{BuildConfig, Initializer, NetworkModule, NormMode};
use rwenas_rwe::{FeatureExtractor, RweConfig, RweData, RweError};
use rwenas_space::network::Network;

use crate::{Estimator, Score};

/// Scores a network by random-weight evaluation: the backbone is built with random, frozen
/// weights, the features of the train and validation splits are extracted once, and the
/// validation error of a linear classifier ensemble trained on them is the score.
pub struct RweEstimator {
    data: RweData,
    config: RweConfig,
    initializer: Initializer,
    norm: NormMode,
    devices: Vec<Device>,
}

impl RweEstimator {
    /// Creates the estimator for one data split, evaluating on `devices` (one network per
    /// device at a time). Batch norm uses batch statistics and weights PyTorch's default
    /// initialisation unless changed with [`RweEstimator::with_initializer`] and
    /// [`RweEstimator::with_norm`].
    ///
    /// # Panics
    ///
    /// Panics when `devices` is empty.
    pub fn new(data: RweData, config: RweConfig, devices: Vec<Device>) -> Self {
        assert!(
            !devices.is_empty(),
            "RweEstimator needs at least one device"
        );
        RweEstimator {
            data,
            config,
            initializer: Initializer::PytorchDefault,
            norm: NormMode::BatchStatistics,
            devices,
        }
    }

    /// Returns the estimator with another weight initialiser.
    pub fn with_initializer(mut self, initializer: Initializer) -> Self {
        self.initializer = initializer;
        self
    }

    /// Returns the estimator with another batch norm behaviour during feature extraction.
    pub fn with_norm(mut self, norm: NormMode) -> Self {
        self.norm = norm;
        self
    }

    /// Returns the data the estimator scores on.
    pub fn data(&self) -> &RweData {
        &self.data
    }

    /// Evaluates `network` on `device` and returns the full RWE score.
    ///
    /// # Errors
    ///
    /// [`RweError`] when the network does not build, its input shape differs from the
    /// images' ([`RweError::Shape`]), or a classifier diverges.
    pub fn evaluate_on(
        &self,
        network: &Network,
        seed: u64,
        device: &Device,
    ) -> Result<rwenas_rwe::RweScore, RweError> {
        let dataset = &self.data.dataset;
        crate::estimator::check_input(network, [dataset.channels, dataset.height, dataset.width])
            .map_err(RweError::Shape)?;
        let build = BuildConfig {
            initializer: self.initializer,
            norm: self.norm,
            seed,
        };
        let model = NetworkModule::init(network, build, device)
            .map_err(|error| RweError::InvalidConfig(error.to_string()))?;
        let config = RweConfig {
            seed,
            ..self.config.clone()
        };
        rwenas_rwe::evaluate(&Backbone(&model), &self.data, &config, device)
    }
}

impl Estimator for RweEstimator {
    fn name(&self) -> &str {
        "rwe"
    }

    fn score(&self, network: &Network, seed: u64) -> Result<Score, String> {
        score_on(self, network, seed, &self.devices[0])
    }

    fn parallelism(&self) -> usize {
        self.devices.len()
    }

    fn score_batch(&self, batch: &[(Network, u64)]) -> Vec<Result<Score, String>> {
        if self.devices.len() == 1 {
            return batch
                .iter()
                .map(|(network, seed)| self.score(network, *seed))
                .collect();
        }

        // One thread per device; network i runs on device i modulo the device count.
        let mut results: Vec<Option<Result<Score, String>>> = vec![None; batch.len()];
        std::thread::scope(|scope| {
            let handles: Vec<_> = self
                .devices
                .iter()
                .enumerate()
                .map(|(lane, device)| {
                    scope.spawn(move || {
                        batch
                            .iter()
                            .enumerate()
                            .skip(lane)
                            .step_by(self.devices.len())
                            .map(|(index, (network, seed))| {
                                (index, score_on(self, network, *seed, device))
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for handle in handles {
                let scored = handle.join().unwrap_or_else(|_| vec![]);
                for (index, score) in scored {
                    results[index] = Some(score);
                }
            }
        });
        results
            .into_iter()
            .map(|result| result.unwrap_or_else(|| Err("evaluation thread panicked".to_string())))
            .collect()
    }
}

fn score_on(
    estimator: &RweEstimator,
    network: &Network,
    seed: u64,
    device: &Device,
) -> Result<Score, String> {
    estimator
        .evaluate_on(network, seed, device)
        .map(|score| Score {
            error: score.error,
            feature_seconds: score.feature_seconds,
            classifier_seconds: score.classifier_seconds,
        })
        .map_err(|error| error.to_string())
}

/// The frozen backbone of a network as a feature extractor.
struct Backbone<'a>(&'a NetworkModule);

impl FeatureExtractor for Backbone<'_> {
    fn feature_dim(&self) -> usize {
        self.0.feature_dim()
    }

    fn extract(&self, images: Tensor<4>) -> Tensor<2> {
        self.0.features(images)
    }
}
