//! The training loop.

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::{Module, ModuleVisitor, Param};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{GradientsParams, ModuleOptimizer, SgdConfig};
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rwenas_nn::{BuildConfig, LayerHook, NetworkModule, NormMode};
use rwenas_rwe::{DataError, FullSizeDataset, ImageDataset, Normalization, Split};
use rwenas_space::network::Network;

use crate::augment::Augmentation;
use crate::checkpoint::{Checkpoint, read_checkpoint, write_checkpoint};
use crate::drop_path::DropPath;
use crate::error::counted;
use crate::imagenet;
use crate::model::{save_model, test_error};
use crate::recalibrate;
use crate::{TrainConfig, TrainError};

/// Images of a training run: the images trained on, the images the test error is measured
/// on, and the normalisation of both.
#[derive(Clone, Debug)]
pub struct TrainData {
    /// Training images.
    pub train: ImageDataset,
    /// Test (or validation) images.
    pub test: ImageDataset,
    /// Per-channel normalisation, by default the statistics of `train`.
    pub normalization: Normalization,
    /// Full-size training images, in the order of `train`, when training batches are
    /// random resized crops of them (see [`TrainData::from_image_folder`]); `None` when
    /// they are augmented from `train` by crop, flip and cutout.
    pub full_size_train: Option<FullSizeDataset>,
}

impl TrainData {
    /// Pairs training and test images, normalising with the statistics of `train`.
    ///
    /// # Errors
    ///
    /// [`TrainError::Data`] for an empty or inconsistent dataset, or test images of another
    /// size than the training images.
    pub fn new(train: ImageDataset, test: ImageDataset) -> Result<Self, TrainError> {
        train.validate()?;
        test.validate()?;
        if (train.channels, train.height, train.width) != (test.channels, test.height, test.width) {
            return Err(DataError::Inconsistent(format!(
                "training images are {}x{}x{} but test images are {}x{}x{}",
                train.channels, train.height, train.width, test.channels, test.height, test.width
            ))
            .into());
        }
        if test.is_empty() {
            return Err(DataError::Empty.into());
        }
        let all: Vec<usize> = (0..train.len()).collect();
        let normalization = Normalization::from_dataset(&train, &all)?;
        Ok(TrainData {
            train,
            test,
            normalization,
            full_size_train: None,
        })
    }

    /// Trains on the train split of `dataset` and tests on its validation split.
    ///
    /// # Errors
    ///
    /// As [`TrainData::new`], and [`TrainError::Data`] for an index past the end.
    pub fn from_split(dataset: &ImageDataset, split: &Split) -> Result<Self, TrainError> {
        TrainData::new(dataset.subset(&split.train)?, dataset.subset(&split.valid)?)
    }

    /// Returns the data with another normalisation.
    pub fn with_normalization(mut self, normalization: Normalization) -> Self {
        self.normalization = normalization;
        self
    }

    /// Appends the augmented, normalised training images at `indices` to `out`,
    /// `N x C x H x W` at the size of `train`: random resized crops of `full_size_train`
    /// when it is set ([`imagenet::augmented_batch_into`]), otherwise crop, flip and cutout
    /// of `train` ([`Augmentation::batch_into`]).
    ///
    /// # Errors
    ///
    /// [`DataError`] for an index past the end or a normalisation that does not fit.
    pub fn augmented_batch_into(
        &self,
        config: &TrainConfig,
        indices: &[usize],
        rng: &mut impl Rng,
        out: &mut Vec<f32>,
    ) -> Result<(), DataError> {
        match &self.full_size_train {
            Some(full_size) => {
                // `from_image_folder` makes `train` square and of a size that fits in u32.
                let size = self.train.height as u32;
                imagenet::augmented_batch_into(
                    full_size,
                    indices,
                    size,
                    config,
                    &self.normalization,
                    rng,
                    out,
                )
            }
            None => Augmentation {
                crop_padding: config.crop_padding,
                horizontal_flip: config.horizontal_flip,
                cutout_length: config.cutout_length,
            }
            .batch_into(&self.train, indices, &self.normalization, rng, out),
        }
    }
}

/// Measurements of one training epoch.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpochStats {
    /// Epoch, counted from 0.
    pub epoch: usize,
    /// Learning rate of the epoch.
    pub learning_rate: f64,
    /// Mean total loss (auxiliary term included) over the epoch's images.
    pub train_loss: f64,
    /// Fraction of training images the main classifier got wrong, under augmentation.
    pub train_error: f64,
    /// Wall-clock seconds of the epoch's optimisation, without the test pass.
    pub seconds: f64,
    /// Training images per second.
    pub images_per_second: f64,
    /// Wall-clock seconds of the batch norm recalibration after the epoch.
    #[serde(default)]
    pub recalibration_seconds: f64,
}

/// Measurements of one epoch of [`Trainer::run`], the test error included.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpochMetrics {
    /// The training measurements.
    #[serde(flatten)]
    pub train: EpochStats,
    /// Fraction of test images misclassified after the epoch.
    pub test_error: f64,
    /// Seconds of the test pass.
    pub test_seconds: f64,
}

/// Trains one network with SGD, with a checkpoint after every epoch when a checkpoint
/// path is set.
///
/// Every random choice of epoch `e` (shuffle, augmentation, drop path) comes from a generator
/// seeded from `(config.seed, e)`, so an epoch depends only on the weights and optimiser
/// state it starts from, which is what makes resuming reproduce an uninterrupted run.
pub struct Trainer {
    model: NetworkModule,
    optimizer: ModuleOptimizer,
    config: TrainConfig,
    data: TrainData,
    device: Device,
    epoch: usize,
    checkpoint_path: Option<PathBuf>,
    progress: Option<ProgressFn>,
}

/// A progress callback of a [`Trainer`].
type ProgressFn = Box<dyn Fn(&Progress) + Send + Sync>;

/// Stage of an epoch that a [`Progress`] report comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Optimisation steps over the training images.
    Training,
    /// The test pass.
    Testing,
}

/// Progress within one epoch, reported after every batch (see [`Trainer::with_progress`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Epoch, counted from 0.
    pub epoch: usize,
    /// Stage of the epoch.
    pub phase: Phase,
    /// Images of the stage done so far.
    pub done: usize,
    /// Images of the stage in all.
    pub total: usize,
}

impl std::fmt::Debug for Trainer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Trainer")
            .field("config", &self.config)
            .field("epoch", &self.epoch)
            .field("checkpoint_path", &self.checkpoint_path)
            .finish_non_exhaustive()
    }
}

impl Trainer {
    /// Builds `network` with weights seeded by `config.seed` on the autodiff version of
    /// `device`.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidSetting`] from [`TrainConfig::validate_for_image_size`] at the
    /// size of the training images, [`TrainError::Network`]
    /// when the network does not build, and [`TrainError::Data`] when the images do not fit
    /// the network's input or its classes.
    pub fn new(
        network: &Network,
        data: TrainData,
        config: TrainConfig,
        device: &Device,
    ) -> Result<Self, TrainError> {
        config.validate_for_image_size(data.train.height, data.train.width)?;
        check_data(network, &data)?;
        let device = device.clone().autodiff();
        let build = BuildConfig {
            initializer: config.initializer,
            norm: NormMode::Training,
            seed: config.seed,
        };
        let model = NetworkModule::init(network, build, &device)?;
        let optimizer = optimizer_config(&config).init();
        Ok(Trainer {
            model,
            optimizer,
            config,
            data,
            device,
            epoch: 0,
            checkpoint_path: None,
            progress: None,
        })
    }

    /// Builds the trainer as [`Trainer::new`] and restores the weights, the optimiser state
    /// and the epoch count from the checkpoint at `path`.
    ///
    /// # Errors
    ///
    /// As [`Trainer::new`], [`TrainError::Io`] when the file cannot be read and
    /// [`TrainError::Checkpoint`] when it is malformed or was written with another
    /// configuration.
    pub fn resume(
        network: &Network,
        data: TrainData,
        config: TrainConfig,
        device: &Device,
        path: &Path,
    ) -> Result<Self, TrainError> {
        let mut trainer = Trainer::new(network, data, config, device)?;
        let checkpoint = read_checkpoint(path)?;
        let invalid = |message: String| TrainError::Checkpoint {
            path: path.to_path_buf(),
            message,
        };
        if checkpoint.config != trainer.config {
            return Err(invalid(
                "it was written with another training configuration".into(),
            ));
        }
        let model = trainer
            .model
            .clone()
            .try_load_record(checkpoint.model)
            .map_err(|error| invalid(format!("model record does not fit the network: {error}")))?;
        trainer.model = model;
        trainer.optimizer = optimizer_config(&trainer.config)
            .init()
            .load_record(checkpoint.optimizer);
        trainer.epoch = checkpoint.epoch;
        Ok(trainer)
    }

    /// Returns the trainer that writes a checkpoint to `path` after every epoch of
    /// [`Trainer::run`].
    pub fn with_checkpoint(mut self, path: impl Into<PathBuf>) -> Self {
        self.checkpoint_path = Some(path.into());
        self
    }

    /// Returns the trainer that calls `progress` after every training and test batch.
    pub fn with_progress(mut self, progress: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    fn report(&self, phase: Phase, done: usize, total: usize) {
        if let Some(progress) = &self.progress {
            progress(&Progress {
                epoch: self.epoch,
                phase,
                done,
                total,
            });
        }
    }

    /// Returns the number of completed epochs.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// Returns the configuration.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Returns the network being trained, on the autodiff device.
    ///
    /// NOTE: module visitors may see batch norm running statistics one update old. Call
    /// [`Module::valid`](burn::module::Module::valid) on the result for current values.
    pub fn model(&self) -> &NetworkModule {
        &self.model
    }

    /// Writes the weights, optimiser state and epoch count to `path` atomically: the file
    /// is written beside `path` and then renamed over it.
    ///
    /// # Errors
    ///
    /// [`TrainError::Io`] when writing fails and [`TrainError::Checkpoint`] when a record
    /// cannot be serialised.
    pub fn save_checkpoint(&self, path: &Path) -> Result<(), TrainError> {
        // Burn 0.22.1 keeps the latest batch norm running statistics as a pending update
        // that module visitors, `into_record` among them, do not see. `valid` merges the
        // pending update into the stored value as a side effect.
        let _ = self.model.valid();
        let checkpoint = Checkpoint {
            epoch: self.epoch,
            config: self.config.clone(),
            model: self.model.clone().into_record(),
            optimizer: self.optimizer.to_record(),
        };
        write_checkpoint(path, checkpoint)
    }

    /// Trains one epoch over the shuffled training images, then recalibrates the batch norm
    /// running statistics.
    ///
    /// Recalibration replaces the running mean and variance of every batch norm of the
    /// backbone with the averages of its batch statistics over the first
    /// `bn_recalibration_images` training images, without augmentation, in batches of
    /// `batch_size`. The running averages of the training steps (momentum 0.1, starting
    /// from mean 0 and variance 1) still weigh the initial values by 0.9^steps: after the
    /// 22 steps of 2 epochs on 1,000 images the initial variance of 1 outweighs batch
    /// variances of about 0.03, and the test error stays at chance. Running statistics do
    /// not enter the training steps, so recalibration changes the test error and the saved
    /// statistics, never the weights.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidConfig`] when all epochs are done, [`TrainError::Diverged`] for
    /// a non-finite loss and [`TrainError::Data`] from batching.
    pub fn train_epoch(&mut self) -> Result<EpochStats, TrainError> {
        let epoch = self.epoch;
        if epoch >= self.config.epochs {
            return Err(TrainError::InvalidConfig(format!(
                "all {} are done; raise epochs to train further",
                counted(self.config.epochs, "epoch", "epochs")
            )));
        }
        let start = Instant::now();
        let learning_rate = self.config.learning_rate_at(epoch);
        let drop_path = self.config.drop_path_at(epoch);
        let mut rng = epoch_rng(self.config.seed, epoch);
        let mut order: Vec<usize> = (0..self.data.train.len()).collect();
        order.shuffle(&mut rng);

        let mut loss_sum = 0.0;
        let mut wrong = 0usize;
        let mut values = Vec::new();
        for (batch, indices) in order.chunks(self.config.batch_size).enumerate() {
            values.clear();
            self.data
                .augmented_batch_into(&self.config, indices, &mut rng, &mut values)?;
            let images = self.images(std::mem::take(&mut values), indices.len());
            let targets = labels_tensor(&self.data.train, indices, &self.device);
            // Drop path draws its masks from the epoch's generator after the batch's
            // augmentation, so a resumed epoch draws the same masks.
            let mut hook = DropPath::new(drop_path, &self.model.backbone, &mut rng);
            let (loss, logits) = training_loss(
                &self.model,
                images,
                targets.clone(),
                &self.config,
                &mut hook,
            );
            let loss_value = f64::from(loss.clone().into_scalar::<f32>());
            if !loss_value.is_finite() {
                return Err(TrainError::Diverged {
                    epoch,
                    batch,
                    loss: loss_value,
                });
            }
            loss_sum += loss_value * indices.len() as f64;
            wrong += count_wrong(logits, targets);

            let mut grads = GradientsParams::from_grads(loss.backward(), &self.model);
            if let Some(max_norm) = self.config.gradient_clip_norm {
                clip_global_norm(&self.model, &mut grads, max_norm);
            }
            self.model = self
                .optimizer
                .step(learning_rate, self.model.clone(), grads);
            let done = batch * self.config.batch_size + indices.len();
            self.report(Phase::Training, done, order.len());
        }
        let seconds = start.elapsed().as_secs_f64();
        let recalibration_start = Instant::now();
        self.recalibrate_batch_norm()?;
        self.epoch += 1;
        let images = self.data.train.len();
        Ok(EpochStats {
            epoch,
            learning_rate,
            train_loss: loss_sum / images.max(1) as f64,
            train_error: wrong as f64 / images.max(1) as f64,
            seconds,
            images_per_second: images as f64 / seconds,
            recalibration_seconds: recalibration_start.elapsed().as_secs_f64(),
        })
    }

    /// Replaces the backbone's batch norm running statistics with the mean batch
    /// statistics of the first `bn_recalibration_images` training images (see
    /// [`Trainer::train_epoch`]).
    fn recalibrate_batch_norm(&mut self) -> Result<(), TrainError> {
        self.model = recalibrate::recalibrate(&self.model, &self.data, &self.config, &self.device)?;
        Ok(())
    }

    /// Returns the fraction of test images that the network, normalising with its running
    /// batch norm statistics, misclassifies.
    ///
    /// # Errors
    ///
    /// [`TrainError::Data`] from batching.
    pub fn evaluate_test(&self) -> Result<f64, TrainError> {
        let model = self.model.valid().with_norm(NormMode::RunningStatistics);
        let test = &self.data.test;
        let progress = |done| self.report(Phase::Testing, done, test.len());
        test_error(
            &model,
            test,
            &self.data.normalization,
            self.config.eval_batch_size,
            &self.device.clone().inner(),
            progress,
        )
    }

    /// Writes the trained weights and batch norm running statistics to `path` with
    /// [`save_model`](crate::save_model).
    ///
    /// # Errors
    ///
    /// As [`save_model`](crate::save_model).
    pub fn save_model(&self, path: &Path) -> Result<(), TrainError> {
        save_model(&self.model, path)
    }

    /// Trains the remaining epochs, measuring the test error and writing the checkpoint (if
    /// set) after each, and calls `observer` with each epoch's metrics.
    ///
    /// # Errors
    ///
    /// The errors of [`Trainer::train_epoch`], [`Trainer::evaluate_test`] and
    /// [`Trainer::save_checkpoint`].
    pub fn run(
        &mut self,
        observer: impl FnMut(&EpochMetrics),
    ) -> Result<Vec<EpochMetrics>, TrainError> {
        self.run_epochs(usize::MAX, observer)
    }

    /// Trains like [`Trainer::run`], but at most `count` more epochs.
    ///
    /// # Errors
    ///
    /// As [`Trainer::run`].
    pub fn run_epochs(
        &mut self,
        count: usize,
        mut observer: impl FnMut(&EpochMetrics),
    ) -> Result<Vec<EpochMetrics>, TrainError> {
        let mut history = Vec::new();
        while self.epoch < self.config.epochs && history.len() < count {
            let train = self.train_epoch()?;
            let test_start = Instant::now();
            let test_error = self.evaluate_test()?;
            let metrics = EpochMetrics {
                train,
                test_error,
                test_seconds: test_start.elapsed().as_secs_f64(),
            };
            if let Some(path) = &self.checkpoint_path {
                self.save_checkpoint(path)?;
            }
            observer(&metrics);
            history.push(metrics);
        }
        Ok(history)
    }

    fn images(&self, values: Vec<f32>, batch: usize) -> Tensor<4> {
        let train = &self.data.train;
        let shape = [batch, train.channels, train.height, train.width];
        Tensor::from_data(TensorData::new(values, shape), &self.device)
    }
}

/// Computes the training loss of one batch: the cross-entropy of the main logits plus
/// `auxiliary_weight` times the cross-entropy of the auxiliary logits when the network has
/// an auxiliary head. Returns the loss and the main logits.
///
/// # Shapes
/// - `images`: `[batch, channels, height, width]`
/// - `targets`: `[batch]`
pub fn batch_loss(
    model: &NetworkModule,
    images: Tensor<4>,
    targets: Tensor<1, Int>,
    auxiliary_weight: f64,
) -> (Tensor<1>, Tensor<2>) {
    let config = TrainConfig {
        auxiliary_weight,
        label_smoothing: 0.0,
        ..TrainConfig::default()
    };
    training_loss(model, images, targets, &config, &mut NoHook)
}

/// A hook that changes nothing.
struct NoHook;

impl LayerHook for NoHook {}

/// Computes the training loss of one batch as [`batch_loss`] does, with
/// `config.auxiliary_weight` and cross-entropies smoothed by `config.label_smoothing`, and
/// with `hook` (such as [`DropPath`]) around the backbone layers. Returns the loss and the
/// main logits.
///
/// # Shapes
/// - `images`: `[batch, channels, height, width]`
/// - `targets`: `[batch]`
pub fn training_loss(
    model: &NetworkModule,
    images: Tensor<4>,
    targets: Tensor<1, Int>,
    config: &TrainConfig,
    hook: &mut dyn LayerHook,
) -> (Tensor<1>, Tensor<2>) {
    let device = images.device();
    let smoothing = (config.label_smoothing > 0.0).then_some(config.label_smoothing as f32);
    let criterion = CrossEntropyLossConfig::new()
        .with_smoothing(smoothing)
        .init(&device);
    let auxiliary_weight = config.auxiliary_weight;
    let (logits, auxiliary) = model.forward_with_auxiliary_hooked(images, hook);
    let mut loss = criterion.forward(logits.clone(), targets.clone());
    if let Some(auxiliary) = auxiliary {
        loss = loss
            + criterion
                .forward(auxiliary, targets)
                .mul_scalar(auxiliary_weight);
    }
    (loss, logits)
}

/// Derives the generator of one epoch from the run seed with SplitMix64, so any epoch can
/// be replayed without the generator state of the previous ones.
pub fn epoch_rng(seed: u64, epoch: usize) -> StdRng {
    fn splitmix64(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    let mut state = seed;
    let mut mixed = splitmix64(&mut state) ^ (epoch as u64).wrapping_mul(0xd605_bbb5_8c8a_bbfd);
    let mut seed_bytes = [0u8; 32];
    for chunk in seed_bytes.chunks_exact_mut(8) {
        chunk.copy_from_slice(&splitmix64(&mut mixed).to_le_bytes());
    }
    StdRng::from_seed(seed_bytes)
}

fn optimizer_config(config: &TrainConfig) -> SgdConfig {
    SgdConfig::new()
        .with_momentum(Some(MomentumConfig {
            momentum: config.momentum,
            dampening: config.dampening,
            nesterov: config.nesterov,
        }))
        .with_weight_decay((config.weight_decay > 0.0).then_some(WeightDecayConfig {
            penalty: config.weight_decay as f32,
        }))
}

fn check_data(network: &Network, data: &TrainData) -> Result<(), TrainError> {
    let train = &data.train;
    if train.is_empty() {
        return Err(DataError::Empty.into());
    }
    if [train.channels, train.height, train.width] != network.input {
        return Err(DataError::Inconsistent(format!(
            "images are {}x{}x{} but the network expects {}x{}x{}",
            train.channels,
            train.height,
            train.width,
            network.input[0],
            network.input[1],
            network.input[2]
        ))
        .into());
    }
    let classes = network.classifier.classes;
    if train.num_classes() > classes || data.test.num_classes() > classes {
        return Err(DataError::Inconsistent(format!(
            "the data has {} but the network classifies {classes}",
            counted(
                train.num_classes().max(data.test.num_classes()),
                "class",
                "classes"
            )
        ))
        .into());
    }
    Ok(())
}

pub(crate) fn labels_tensor(
    dataset: &ImageDataset,
    indices: &[usize],
    device: &Device,
) -> Tensor<1, Int> {
    let labels: Vec<i64> = indices
        .iter()
        .map(|&index| i64::from(dataset.labels[index]))
        .collect();
    Tensor::from_data(TensorData::new(labels, [indices.len()]), device)
}

pub(crate) fn count_wrong(logits: Tensor<2>, targets: Tensor<1, Int>) -> usize {
    let [batch, _] = logits.dims();
    let predictions = logits.argmax(1).reshape([batch]);
    let correct = predictions.equal(targets).int().sum().into_scalar::<i64>();
    batch - correct as usize
}

/// Scales all gradients by `min(1, max_norm / (norm + 1e-6))`, where `norm` is the L2 norm
/// of all gradients together, as PyTorch's `clip_grad_norm_` does. Burn's own
/// `GradientClipping::Norm` clips each parameter's gradient separately instead.
fn clip_global_norm(model: &NetworkModule, grads: &mut GradientsParams, max_norm: f64) {
    struct SquaredNorm<'a> {
        grads: &'a GradientsParams,
        sum: f64,
    }
    impl ModuleVisitor for SquaredNorm<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(grad) = self.grads.get::<D>(param.id) {
                self.sum += f64::from(grad.square().sum().into_scalar::<f32>());
            }
        }
    }
    struct Rescale<'a> {
        grads: &'a mut GradientsParams,
        scale: f64,
    }
    impl ModuleVisitor for Rescale<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(grad) = self.grads.remove::<D>(param.id) {
                self.grads.register(param.id, grad.mul_scalar(self.scale));
            }
        }
    }

    let mut norm = SquaredNorm { grads, sum: 0.0 };
    model.visit(&mut norm);
    let scale = max_norm / (norm.sum.sqrt() + 1e-6);
    if scale < 1.0 {
        model.visit(&mut Rescale { grads, scale });
    }
}
