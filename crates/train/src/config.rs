//! Training settings and the learning rate schedule.

use rwenas_nn::Initializer;
use serde::{Deserialize, Serialize};

use crate::TrainError;
use crate::error::counted;
use crate::imagenet::{ColorJitter, ResizedCrop};

/// Settings of one training run.
///
/// The defaults are the CIFAR-10 recipe of DARTS (Liu et al. 2019, `train.py`) that
/// NSGA-Net also uses: SGD with momentum 0.9 (dampening 0) and weight decay 3e-4, learning
/// rate 0.025 decayed per epoch by a cosine to 0 over 600 epochs, batch 96, gradient norm
/// clipped at 5, random crop with 4-pixel zero padding, horizontal flip, cutout of length
/// 16, an auxiliary head weight of 0.4 and a drop path rate of 0.2. [`TrainConfig::imagenet`]
/// returns DARTS' ImageNet recipe.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Passes over the training images.
    pub epochs: usize,
    /// Images per optimiser step. The last batch of an epoch may be smaller.
    pub batch_size: usize,
    /// Images per batch when computing the test error.
    pub eval_batch_size: usize,
    /// Learning rate of the first epoch.
    pub learning_rate: f64,
    /// Learning rate the cosine schedule reaches after the last epoch.
    pub min_learning_rate: f64,
    /// SGD momentum factor.
    pub momentum: f64,
    /// SGD momentum dampening.
    pub dampening: f64,
    /// Whether to use Nesterov momentum.
    pub nesterov: bool,
    /// L2 penalty added to the gradient (coupled weight decay, as PyTorch's SGD).
    pub weight_decay: f64,
    /// Maximum L2 norm of all gradients together; `None` disables clipping.
    pub gradient_clip_norm: Option<f64>,
    /// Zero padding in pixels of the random crop; 0 disables the crop.
    pub crop_padding: usize,
    /// Whether to flip each training image horizontally with probability 0.5.
    pub horizontal_flip: bool,
    /// Side length in pixels of the cutout square; `None` disables cutout.
    pub cutout_length: Option<usize>,
    /// Weight of the auxiliary head's loss in the total loss. Ignored without a head.
    pub auxiliary_weight: f64,
    /// Drop path probability reached after the last epoch: epoch `e` of `E` drops with
    /// probability `drop_path_rate * e / E` ([`TrainConfig::drop_path_at`]). Must be in
    /// `[0, 1)`. Only layers marked in the backbone's `Graph::drop_path` are dropped.
    pub drop_path_rate: f64,
    /// Label smoothing `a` of the cross-entropy: the target of the true class is
    /// `1 - a + a / classes` and that of every other class `a / classes`. 0 disables it.
    #[serde(default)]
    pub label_smoothing: f64,
    /// Epochs of linear learning-rate warm-up: epoch `e < warmup_epochs` uses
    /// `learning_rate * (e + 1) / warmup_epochs` in place of the schedule. 0 disables it.
    #[serde(default)]
    pub warmup_epochs: usize,
    /// Decay of the learning rate over the epochs.
    #[serde(default)]
    pub schedule: LearningRateSchedule,
    /// Random resized crop of full-size training images (image-folder data, see
    /// [`TrainData::from_image_folder`](crate::TrainData::from_image_folder)). Images of the
    /// network's input size use `crop_padding` instead.
    #[serde(default)]
    pub resized_crop: ResizedCrop,
    /// Colour jitter of full-size training images; `None` disables it. Images of the
    /// network's input size are not jittered.
    #[serde(default)]
    pub color_jitter: Option<ColorJitter>,
    /// Weight initialiser of the network.
    pub initializer: Initializer,
    /// Seed of the weight initialisation, the shuffles and the augmentation.
    pub seed: u64,
    /// Training images (the first ones, without augmentation) whose batch statistics
    /// replace the batch norm running statistics after every epoch; 0 keeps the running
    /// averages of the training steps. See [`Trainer::train_epoch`](crate::Trainer::train_epoch).
    #[serde(default = "default_bn_recalibration_images")]
    pub bn_recalibration_images: usize,
}

fn default_bn_recalibration_images() -> usize {
    TrainConfig::default().bn_recalibration_images
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 600,
            batch_size: 96,
            eval_batch_size: 256,
            learning_rate: 0.025,
            min_learning_rate: 0.0,
            momentum: 0.9,
            dampening: 0.0,
            nesterov: false,
            weight_decay: 3e-4,
            gradient_clip_norm: Some(5.0),
            crop_padding: 4,
            horizontal_flip: true,
            cutout_length: Some(16),
            auxiliary_weight: 0.4,
            drop_path_rate: 0.2,
            label_smoothing: 0.0,
            warmup_epochs: 0,
            schedule: LearningRateSchedule::Cosine,
            resized_crop: ResizedCrop::default(),
            color_jitter: None,
            initializer: Initializer::PytorchDefault,
            seed: 0,
            bn_recalibration_images: 2000,
        }
    }
}

impl TrainConfig {
    /// Returns DARTS' ImageNet recipe (quark0/darts, `train_imagenet.py`). It trains for
    /// 250 epochs (the count the DARTS authors report; the script's default is 1,000) with
    /// batch 128, SGD with momentum 0.9 and weight decay 3e-5, and learning rate 0.1
    /// multiplied by 0.97 after every epoch. Gradients are clipped at norm 5, labels smoothed
    /// by 0.1 and the auxiliary weight is 0.4. There is no drop path (the script's default
    /// rate is 0). The learning rate warms up linearly over the first 5 epochs, which the
    /// method's ImageNet settings call for and DARTS' script does not have (set
    /// `warmup_epochs` to 0 for the script's schedule). Training images get a random resized crop (scale 0.08 to 1,
    /// aspect ratio 3/4 to 4/3), a horizontal flip and colour jitter (brightness, contrast
    /// and saturation 0.4, hue 0.2), and no cutout.
    pub fn imagenet() -> Self {
        TrainConfig {
            epochs: 250,
            batch_size: 128,
            learning_rate: 0.1,
            weight_decay: 3e-5,
            crop_padding: 0,
            cutout_length: None,
            drop_path_rate: 0.0,
            label_smoothing: 0.1,
            warmup_epochs: 5,
            schedule: LearningRateSchedule::Exponential { gamma: 0.97 },
            color_jitter: Some(ColorJitter::darts_imagenet()),
            ..TrainConfig::default()
        }
    }

    /// Returns the learning rate of `epoch` (counted from 0): the warm-up rate during the
    /// first `warmup_epochs`, the schedule's rate afterwards.
    pub fn learning_rate_at(&self, epoch: usize) -> f64 {
        if epoch < self.warmup_epochs {
            return self.learning_rate * (epoch + 1) as f64 / self.warmup_epochs as f64;
        }
        match self.schedule {
            LearningRateSchedule::Cosine => cosine_learning_rate(
                self.learning_rate,
                self.min_learning_rate,
                epoch,
                self.epochs,
            ),
            LearningRateSchedule::Exponential { gamma } => {
                let exponent = i32::try_from(epoch).unwrap_or(i32::MAX);
                (self.learning_rate * gamma.powi(exponent)).max(self.min_learning_rate)
            }
        }
    }

    /// Returns the drop path probability of `epoch` (counted from 0):
    /// `drop_path_rate * epoch / epochs`, as DARTS schedules it.
    pub fn drop_path_at(&self, epoch: usize) -> f64 {
        if self.epochs == 0 {
            return 0.0;
        }
        self.drop_path_rate * epoch as f64 / self.epochs as f64
    }

    /// Checks every value, and that the warm-up is no longer than the run.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidSetting`] naming the first invalid setting.
    pub fn validate(&self) -> Result<(), TrainError> {
        let counts = [
            ("epochs", self.epochs),
            ("batch_size", self.batch_size),
            ("eval_batch_size", self.eval_batch_size),
        ];
        for (setting, value) in counts {
            if value == 0 {
                return Err(invalid_setting(setting, value, "at least 1"));
            }
        }
        let rates = [
            ("learning_rate", self.learning_rate),
            ("min_learning_rate", self.min_learning_rate),
            ("weight_decay", self.weight_decay),
            ("auxiliary_weight", self.auxiliary_weight),
        ];
        for (setting, value) in rates {
            if !(value.is_finite() && value >= 0.0) {
                return Err(invalid_setting(setting, value, "a finite value >= 0"));
            }
        }
        for (setting, value) in [("momentum", self.momentum), ("dampening", self.dampening)] {
            if !(0.0..=1.0).contains(&value) {
                return Err(invalid_setting(setting, value, "in [0, 1]"));
            }
        }
        if let Some(norm) = self.gradient_clip_norm
            && !(norm.is_finite() && norm > 0.0)
        {
            return Err(invalid_setting(
                "gradient_clip_norm",
                norm,
                "a finite value > 0, or none to disable clipping",
            ));
        }
        if self.cutout_length == Some(0) {
            return Err(invalid_setting(
                "cutout_length",
                0,
                "at least 1, or none to disable cutout",
            ));
        }
        let probabilities = [
            ("drop_path_rate", self.drop_path_rate),
            ("label_smoothing", self.label_smoothing),
        ];
        for (setting, value) in probabilities {
            if !(0.0..1.0).contains(&value) {
                return Err(invalid_setting(setting, value, "in [0, 1)"));
            }
        }
        if self.warmup_epochs > self.epochs {
            return Err(invalid_setting(
                "warmup_epochs",
                self.warmup_epochs,
                &format!(
                    "at most the {} of the run",
                    counted(self.epochs, "epoch", "epochs")
                ),
            ));
        }
        if let LearningRateSchedule::Exponential { gamma } = self.schedule
            && !(gamma > 0.0 && gamma <= 1.0)
        {
            return Err(invalid_setting("schedule.gamma", gamma, "in (0, 1]"));
        }
        self.resized_crop.validate()?;
        if let Some(jitter) = &self.color_jitter {
            jitter.validate()?;
        }
        Ok(())
    }

    /// Checks every value as [`TrainConfig::validate`] does, and that cutout leaves part of
    /// a `height x width` training image unmasked.
    ///
    /// The cutout square is centred on a random pixel and clipped at the borders (see
    /// [`cutout`](crate::augment::cutout)). So a length of at least twice the longer side
    /// masks the whole image wherever it is centred, and the network would train on blank
    /// images.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidSetting`] naming the first invalid setting.
    pub fn validate_for_image_size(&self, height: usize, width: usize) -> Result<(), TrainError> {
        self.validate()?;
        let side = height.max(width);
        if let Some(length) = self.cutout_length
            && length / 2 >= side
        {
            return Err(invalid_setting(
                "cutout_length",
                length,
                &format!(
                    "below {}, twice the {side}-pixel side of the images, because a longer \
                     square masks the whole image",
                    2 * side
                ),
            ));
        }
        Ok(())
    }
}

/// Returns the error of `setting` at `value`, which must be `expected`.
pub(crate) fn invalid_setting(
    setting: &'static str,
    value: impl std::fmt::Display,
    expected: &str,
) -> TrainError {
    TrainError::InvalidSetting {
        setting,
        value: value.to_string(),
        expected: expected.to_string(),
    }
}

/// Decay of the learning rate from [`TrainConfig::learning_rate`], stepped once per epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LearningRateSchedule {
    /// Cosine decay to [`TrainConfig::min_learning_rate`] over the epochs
    /// ([`cosine_learning_rate`]), as DARTS and NSGA-Net train on CIFAR-10.
    #[default]
    Cosine,
    /// Epoch `e` uses `learning_rate * gamma^e`, but no less than `min_learning_rate`:
    /// PyTorch's `StepLR` with step 1, as DARTS trains on ImageNet (gamma 0.97).
    Exponential {
        /// Factor applied after every epoch.
        gamma: f64,
    },
}

/// Returns the cosine-annealed learning rate of `epoch` out of `epochs`:
/// `min + (base - min) * (1 + cos(pi * epoch / epochs)) / 2`.
///
/// This is PyTorch's `CosineAnnealingLR` with `T_max = epochs`, stepped once per epoch, as
/// DARTS uses it. Epoch 0 gets `base`, and the rate approaches `min` at the last epoch.
pub fn cosine_learning_rate(base: f64, min: f64, epoch: usize, epochs: usize) -> f64 {
    if epochs == 0 {
        return base;
    }
    let progress = epoch.min(epochs) as f64 / epochs as f64;
    min + (base - min) * (1.0 + (std::f64::consts::PI * progress).cos()) / 2.0
}
