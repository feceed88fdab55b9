//! Training settings and the learning rate schedule.

use rwenas_nn::Initializer;
use serde::{Deserialize, Serialize};

use crate::TrainError;

/// Settings of one training run.
///
/// The defaults are the CIFAR-10 recipe of DARTS (Liu et al. 2019, `train.py`) that
/// NSGA-Net also uses: SGD with momentum 0.9 (dampening 0) and weight decay 3e-4, learning
/// rate 0.025 decayed per epoch by a cosine to 0 over 600 epochs, batch 96, gradient norm
/// clipped at 5, random crop with 4-pixel zero padding, horizontal flip, cutout of length
/// 16 and an auxiliary head weight of 0.4.
///
/// NOTE: the recipe's drop path rate is 0.2, but the default here is 0.0 because the
/// network graph does not mark cell-operation outputs, so [`Trainer::new`](crate::Trainer::new)
/// rejects any non-zero rate.
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
    /// Final drop path probability, reached linearly over the epochs. Must be 0, see the
    /// type's note.
    pub drop_path_rate: f64,
    /// Weight initialiser of the network.
    pub initializer: Initializer,
    /// Seed of the weight initialisation, the shuffles and the augmentation.
    pub seed: u64,
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
            drop_path_rate: 0.0,
            initializer: Initializer::PytorchDefault,
            seed: 0,
        }
    }
}

impl TrainConfig {
    /// Returns the learning rate of `epoch` (counted from 0).
    pub fn learning_rate_at(&self, epoch: usize) -> f64 {
        cosine_learning_rate(
            self.learning_rate,
            self.min_learning_rate,
            epoch,
            self.epochs,
        )
    }

    /// Returns the drop path probability of `epoch` (counted from 0):
    /// `drop_path_rate * epoch / epochs`, as DARTS schedules it.
    pub fn drop_path_at(&self, epoch: usize) -> f64 {
        if self.epochs == 0 {
            return 0.0;
        }
        self.drop_path_rate * epoch as f64 / self.epochs as f64
    }

    /// Checks every value.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidConfig`] naming the first invalid value.
    pub fn validate(&self) -> Result<(), TrainError> {
        let invalid = |message: String| Err(TrainError::InvalidConfig(message));
        if self.epochs == 0 {
            return invalid("epochs is 0; expected at least 1".into());
        }
        if self.batch_size == 0 || self.eval_batch_size == 0 {
            return invalid(format!(
                "batch_size {} and eval_batch_size {} must both be at least 1",
                self.batch_size, self.eval_batch_size
            ));
        }
        let rates = [
            ("learning_rate", self.learning_rate),
            ("min_learning_rate", self.min_learning_rate),
            ("weight_decay", self.weight_decay),
            ("auxiliary_weight", self.auxiliary_weight),
        ];
        for (name, value) in rates {
            if !(value.is_finite() && value >= 0.0) {
                return invalid(format!("{name} is {value}; expected a finite value >= 0"));
            }
        }
        for (name, value) in [("momentum", self.momentum), ("dampening", self.dampening)] {
            if !(0.0..=1.0).contains(&value) {
                return invalid(format!("{name} is {value}; expected a value in [0, 1]"));
            }
        }
        if let Some(norm) = self.gradient_clip_norm
            && !(norm.is_finite() && norm > 0.0)
        {
            return invalid(format!(
                "gradient_clip_norm is {norm}; expected a finite value > 0 or none"
            ));
        }
        if self.cutout_length == Some(0) {
            return invalid("cutout_length is 0; expected at least 1 or none".into());
        }
        if self.drop_path_rate != 0.0 {
            return invalid(format!(
                "drop_path_rate is {}, but drop path is not implemented: the network graph does \
                 not mark cell-operation outputs; set drop_path_rate to 0",
                self.drop_path_rate
            ));
        }
        Ok(())
    }
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
