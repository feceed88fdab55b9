//! Ensemble of linear softmax classifiers trained on fixed features.
//!
//! The features are split by a seeded permutation into `folds` parts. Classifier `k` trains on
//! every part except part `k`, with mini-batch SGD on the mean cross-entropy. The ensemble
//! averages the logits of its classifiers on the validation features, and its error is the
//! fraction of validation images whose arg-max class differs from the label.
//!
//! The SGD step is written out on tensors, without autodiff. For logits `Z = X W + b` of a
//! batch of `B` rows with one-hot labels `Y`, the gradient of the mean cross-entropy is
//! `G = (softmax(Z) - Y) / B`, so `dW = X^T G` and `db` is the column sum of `G`. The update
//! follows PyTorch's `torch.optim.SGD` with dampening 0 and without Nesterov momentum:
//! `g += weight_decay * p; buf = momentum * buf + g; p -= lr * buf`, with `buf` starting at 0.

use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::RweError;

/// Settings of the classifier ensemble.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearEnsembleConfig {
    /// Number of parts of the training features and of classifiers. With 1, a single
    /// classifier trains on all training features.
    pub folds: usize,
    /// Passes over the training features per classifier.
    pub epochs: usize,
    /// Learning rate of epoch 0, before the cosine decay.
    pub learning_rate: f64,
    /// SGD momentum factor, with dampening 0.
    pub momentum: f64,
    /// L2 penalty added to the gradient of the weights and the bias.
    pub weight_decay: f64,
    /// Rows per mini-batch; the last batch of an epoch has the remainder.
    pub batch_size: usize,
    /// Seed of the fold permutation, the initial weights and the per-epoch shuffles.
    pub seed: u64,
}

impl Default for LinearEnsembleConfig {
    fn default() -> Self {
        LinearEnsembleConfig {
            folds: 5,
            epochs: 30,
            learning_rate: 0.25,
            momentum: 0.9,
            weight_decay: 0.0,
            batch_size: 512,
            seed: 0,
        }
    }
}

impl LinearEnsembleConfig {
    /// Returns the learning rate of `epoch` (from 0) under cosine decay to zero:
    /// `0.5 * learning_rate * (1 + cos(pi * epoch / epochs))`.
    pub fn learning_rate_at(&self, epoch: usize) -> f64 {
        let progress = epoch as f64 / self.epochs.max(1) as f64;
        0.5 * self.learning_rate * (1.0 + (std::f64::consts::PI * progress).cos())
    }

    /// Checks that every field is in range.
    ///
    /// # Errors
    ///
    /// [`RweError::InvalidConfig`] naming the first invalid field.
    pub fn validate(&self) -> Result<(), RweError> {
        let invalid = |message: String| Err(RweError::InvalidConfig(message));
        if self.folds == 0 || self.epochs == 0 || self.batch_size == 0 {
            return invalid(format!(
                "folds ({}), epochs ({}) and batch_size ({}) must all be at least 1",
                self.folds, self.epochs, self.batch_size
            ));
        }
        for (name, value) in [
            ("learning_rate", self.learning_rate),
            ("momentum", self.momentum),
            ("weight_decay", self.weight_decay),
        ] {
            if !value.is_finite() || value < 0.0 {
                return invalid(format!("{name} is {value}; use a finite value >= 0"));
            }
        }
        Ok(())
    }
}

/// Result of training and validating an ensemble.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnsembleReport {
    /// Validation error of the averaged logits, in `[0, 1]`.
    pub error: f64,
    /// Validation error of each classifier alone.
    pub classifier_errors: Vec<f64>,
    /// Mean cross-entropy of each classifier over the batches of its last epoch.
    pub final_losses: Vec<f64>,
}

/// Weights `[in, classes]` and bias `[1, classes]` of one linear classifier.
struct Linear {
    weight: Tensor<2>,
    bias: Tensor<2>,
}

impl Linear {
    fn logits(&self, features: Tensor<2>) -> Tensor<2> {
        features.matmul(self.weight.clone()) + self.bias.clone()
    }
}

/// Derives the seed of stream `stream` from `seed` with the SplitMix64 finaliser.
fn derive_seed(seed: u64, stream: u64) -> u64 {
    let mut z = seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Splits a seeded permutation of `0..n` into `folds` parts; the first `n % folds` parts
/// have one element more than the others.
pub fn fold_partition(n: usize, folds: usize, seed: u64) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut StdRng::seed_from_u64(derive_seed(seed, 0)));
    let folds = folds.max(1);
    let mut parts = Vec::with_capacity(folds);
    let mut rest = order.as_slice();
    for k in 0..folds {
        let len = n / folds + usize::from(k < n % folds);
        let (part, tail) = rest.split_at(len);
        parts.push(part.to_vec());
        rest = tail;
    }
    parts
}

/// Trains the ensemble on `train_features` and measures it on `valid_features`.
///
/// Both feature tensors live on the device that runs the training. Labels must be below
/// `num_classes`.
///
/// # Errors
///
/// [`RweError::Diverged`] when a classifier's epoch loss is NaN or infinite,
/// [`RweError::InvalidConfig`], [`RweError::Shape`] when features and labels disagree, and
/// [`RweError::TensorRead`].
pub fn train_ensemble(
    train_features: &Tensor<2>,
    train_labels: &[u16],
    valid_features: &Tensor<2>,
    valid_labels: &[u16],
    num_classes: usize,
    config: &LinearEnsembleConfig,
) -> Result<EnsembleReport, RweError> {
    config.validate()?;
    check_inputs(
        train_features,
        train_labels,
        valid_features,
        valid_labels,
        num_classes,
    )?;
    if config.folds > train_labels.len() {
        return Err(RweError::InvalidConfig(format!(
            "{} folds for {} training rows; use at most one fold per row",
            config.folds,
            train_labels.len()
        )));
    }

    let onehot = one_hot(train_labels, num_classes, &train_features.device());
    let parts = fold_partition(train_labels.len(), config.folds, config.seed);
    let mut summed_logits: Option<Tensor<2>> = None;
    let mut classifier_errors = Vec::with_capacity(config.folds);
    let mut final_losses = Vec::with_capacity(config.folds);

    for k in 0..config.folds {
        let rows = training_rows(&parts, k);
        let mut rng = StdRng::seed_from_u64(derive_seed(config.seed, k as u64 + 1));
        let data = TrainData {
            features: train_features,
            onehot: &onehot,
            rows: &rows,
        };
        let (linear, loss) = train_classifier(&data, config, k, &mut rng)?;
        let logits = linear.logits(valid_features.clone());
        classifier_errors.push(error_of(logits.clone(), valid_labels)?);
        final_losses.push(loss);
        summed_logits = Some(match summed_logits {
            None => logits,
            Some(sum) => sum + logits,
        });
    }

    // Summing instead of averaging leaves the arg-max unchanged.
    let error = match summed_logits {
        Some(sum) => error_of(sum, valid_labels)?,
        None => 1.0,
    };
    Ok(EnsembleReport {
        error,
        classifier_errors,
        final_losses,
    })
}

fn check_inputs(
    train_features: &Tensor<2>,
    train_labels: &[u16],
    valid_features: &Tensor<2>,
    valid_labels: &[u16],
    num_classes: usize,
) -> Result<(), RweError> {
    let [train_rows, train_dim] = train_features.dims();
    let [valid_rows, valid_dim] = valid_features.dims();
    if train_rows != train_labels.len() || valid_rows != valid_labels.len() {
        return Err(RweError::Shape(format!(
            "{train_rows} training and {valid_rows} validation feature rows for {} and {} labels",
            train_labels.len(),
            valid_labels.len()
        )));
    }
    if train_dim != valid_dim || train_rows == 0 || valid_rows == 0 {
        return Err(RweError::Shape(format!(
            "training features [{train_rows}, {train_dim}] and validation features \
             [{valid_rows}, {valid_dim}] need the same, nonzero width and at least one row each"
        )));
    }
    let max_label = train_labels.iter().chain(valid_labels).max().copied();
    if num_classes == 0 || max_label.is_some_and(|label| usize::from(label) >= num_classes) {
        return Err(RweError::Shape(format!(
            "label {max_label:?} does not fit {num_classes} classes"
        )));
    }
    Ok(())
}

fn one_hot(labels: &[u16], num_classes: usize, device: &burn::tensor::Device) -> Tensor<2> {
    let mut values = vec![0.0f32; labels.len() * num_classes];
    for (row, &label) in labels.iter().enumerate() {
        values[row * num_classes + usize::from(label)] = 1.0;
    }
    Tensor::from_data(TensorData::new(values, [labels.len(), num_classes]), device)
}

/// Rows of every part except `held_out`; all rows when there is a single part.
fn training_rows(parts: &[Vec<usize>], held_out: usize) -> Vec<usize> {
    if parts.len() == 1 {
        return parts[0].clone();
    }
    let mut rows: Vec<usize> = parts
        .iter()
        .enumerate()
        .filter(|&(k, _)| k != held_out)
        .flat_map(|(_, part)| part.iter().copied())
        .collect();
    rows.sort_unstable();
    rows
}

struct TrainData<'a> {
    features: &'a Tensor<2>,
    onehot: &'a Tensor<2>,
    rows: &'a [usize],
}

/// Initialises a classifier as PyTorch's `nn.Linear` does: weight and bias uniform in
/// `[-1/sqrt(in), 1/sqrt(in)]`.
fn init_linear(
    in_dim: usize,
    classes: usize,
    rng: &mut StdRng,
    device: &burn::tensor::Device,
) -> Linear {
    let bound = 1.0 / (in_dim as f32).sqrt();
    let mut uniform =
        |len: usize| -> Vec<f32> { (0..len).map(|_| rng.random_range(-bound..=bound)).collect() };
    let weight = uniform(in_dim * classes);
    let bias = uniform(classes);
    Linear {
        weight: Tensor::from_data(TensorData::new(weight, [in_dim, classes]), device),
        bias: Tensor::from_data(TensorData::new(bias, [1, classes]), device),
    }
}

/// Trains classifier `index`; returns it and the mean loss of its last epoch.
fn train_classifier(
    data: &TrainData<'_>,
    config: &LinearEnsembleConfig,
    index: usize,
    rng: &mut StdRng,
) -> Result<(Linear, f64), RweError> {
    let device = data.features.device();
    let [_, in_dim] = data.features.dims();
    let [_, classes] = data.onehot.dims();
    let mut linear = init_linear(in_dim, classes, rng, &device);
    let mut velocity = Linear {
        weight: Tensor::zeros([in_dim, classes], &device),
        bias: Tensor::zeros([1, classes], &device),
    };
    let mut order = data.rows.to_vec();
    let mut loss = f64::NAN;
    for epoch in 0..config.epochs {
        order.shuffle(rng);
        let lr = config.learning_rate_at(epoch);
        let loss_sum = run_epoch(data, &order, &mut linear, &mut velocity, config, lr);
        loss = read_scalar(loss_sum)? / order.len() as f64;
        if !loss.is_finite() {
            return Err(RweError::Diverged {
                classifier: index,
                epoch,
            });
        }
    }
    Ok((linear, loss))
}

/// Runs one epoch over the rows in `order`; returns the summed per-row loss.
fn run_epoch(
    data: &TrainData<'_>,
    order: &[usize],
    linear: &mut Linear,
    velocity: &mut Linear,
    config: &LinearEnsembleConfig,
    lr: f64,
) -> Tensor<1> {
    let device = data.features.device();
    let rows: Vec<i64> = order.iter().map(|&row| row as i64).collect();
    let rows = Tensor::<1, Int>::from_data(TensorData::new(rows, [order.len()]), &device);
    let features = data.features.clone().select(0, rows.clone());
    let onehot = data.onehot.clone().select(0, rows);
    let mut loss_sum = Tensor::<1>::zeros([1], &device);
    for start in (0..order.len()).step_by(config.batch_size) {
        let len = config.batch_size.min(order.len() - start);
        let x = features.clone().narrow(0, start, len);
        let y = onehot.clone().narrow(0, start, len);
        let log_p = log_softmax(linear.logits(x.clone()), 1);
        loss_sum = loss_sum - (log_p.clone() * y.clone()).sum();
        let grad = (log_p.exp() - y).div_scalar(len as f32);
        let grad_weight = x.transpose().matmul(grad.clone());
        let grad_bias = grad.sum_dim(0);
        sgd_step(linear, velocity, grad_weight, grad_bias, config, lr);
    }
    loss_sum
}

fn sgd_step(
    linear: &mut Linear,
    velocity: &mut Linear,
    mut grad_weight: Tensor<2>,
    mut grad_bias: Tensor<2>,
    config: &LinearEnsembleConfig,
    lr: f64,
) {
    if config.weight_decay != 0.0 {
        grad_weight = grad_weight + linear.weight.clone().mul_scalar(config.weight_decay);
        grad_bias = grad_bias + linear.bias.clone().mul_scalar(config.weight_decay);
    }
    velocity.weight = velocity.weight.clone().mul_scalar(config.momentum) + grad_weight;
    velocity.bias = velocity.bias.clone().mul_scalar(config.momentum) + grad_bias;
    linear.weight = linear.weight.clone() - velocity.weight.clone().mul_scalar(lr);
    linear.bias = linear.bias.clone() - velocity.bias.clone().mul_scalar(lr);
}

fn read_scalar(tensor: Tensor<1>) -> Result<f64, RweError> {
    let data = tensor
        .try_into_data()
        .map_err(|e| RweError::TensorRead(format!("{e:?}")))?;
    let values = data
        .try_into_vec_as::<f64>()
        .map_err(|e| RweError::TensorRead(format!("{e:?}")))?;
    values
        .first()
        .copied()
        .ok_or_else(|| RweError::TensorRead("empty loss tensor".to_string()))
}

/// Fraction of rows whose arg-max logit differs from the label.
fn error_of(logits: Tensor<2>, labels: &[u16]) -> Result<f64, RweError> {
    let predicted = logits
        .argmax(1)
        .try_into_data()
        .map_err(|e| RweError::TensorRead(format!("{e:?}")))?
        .try_into_vec_as::<i64>()
        .map_err(|e| RweError::TensorRead(format!("{e:?}")))?;
    let wrong = predicted
        .iter()
        .zip(labels)
        .filter(|&(&p, &label)| p != i64::from(label))
        .count();
    Ok(wrong as f64 / labels.len() as f64)
}
