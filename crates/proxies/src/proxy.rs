//! The proxies and their minibatch.

use std::fmt;
use std::str::FromStr;

use burn::tensor::activation::log_softmax;
use burn::tensor::{DType, FloatDType, Tensor, TensorData};
use rwenas_nn::{LayerHook, LayerModule, NetworkModule};

use crate::ProxyError;
use crate::linalg::{correlation_matrix, log_abs_determinant, symmetric_eigenvalues};
use crate::weights::{
    Role, ToDouble, Transform, Weight, WeightDelta, host, map_parameters, weights,
};

/// A zero-cost proxy. Every score is "higher is better"; the crate documentation gives the
/// definitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Proxy {
    /// Synaptic flow of the all-ones input through the absolute-valued network.
    Synflow,
    /// Connection sensitivity: `|theta * dL/dtheta|`.
    Snip,
    /// Gradient signal preservation: `-theta * H g`.
    Grasp,
    /// Fisher information of the channels of every convolution and linear output.
    Fisher,
    /// Norms of the weight gradients.
    GradNorm,
    /// Correlation of the per-image input Jacobians.
    JacobCov,
    /// Neural architecture search without training: agreement of ReLU activation codes.
    Naswot,
}

impl Proxy {
    /// Every proxy, in the order of the crate documentation.
    pub const ALL: [Proxy; 7] = [
        Proxy::Synflow,
        Proxy::Snip,
        Proxy::Grasp,
        Proxy::Fisher,
        Proxy::GradNorm,
        Proxy::JacobCov,
        Proxy::Naswot,
    ];

    /// Returns the proxy's name, as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Proxy::Synflow => "synflow",
            Proxy::Snip => "snip",
            Proxy::Grasp => "grasp",
            Proxy::Fisher => "fisher",
            Proxy::GradNorm => "grad_norm",
            Proxy::JacobCov => "jacob_cov",
            Proxy::Naswot => "naswot",
        }
    }

    /// Returns whether the proxy needs the network on an autodiff device (all but NASWOT).
    pub fn needs_gradients(self) -> bool {
        self != Proxy::Naswot
    }

    /// Scores `model` on `batch`.
    ///
    /// `model` must be on an autodiff device for every proxy but [`Proxy::Naswot`] (build it
    /// on `device.autodiff()`), and `batch` on the same device or its inner device. The model
    /// is not changed.
    ///
    /// # Errors
    ///
    /// - [`ProxyError::NoAutodiff`] when gradients are needed and the model has none.
    /// - [`ProxyError::InvalidBatch`] when the batch does not fit the model.
    /// - [`ProxyError::NotFinite`] when the score is not a finite number. For NASWOT, two
    ///   images with identical activation codes make the kernel singular.
    pub fn score(self, model: &NetworkModule, batch: &ProxyBatch) -> Result<f64, ProxyError> {
        let device = model.classifier.weight.device();
        if self.needs_gradients() && !device.is_autodiff() {
            return Err(ProxyError::NoAutodiff { proxy: self.name() });
        }
        batch.check(model)?;
        let value = match self {
            Proxy::Synflow => synflow(model, batch),
            Proxy::Snip => snip(model, batch),
            Proxy::Grasp => grasp(model, batch),
            Proxy::Fisher => fisher(model, batch),
            Proxy::GradNorm => grad_norm(model, batch),
            Proxy::JacobCov => jacob_cov(model, batch)?,
            Proxy::Naswot => naswot(model, batch)?,
        };
        if value.is_finite() {
            Ok(value)
        } else {
            Err(ProxyError::NotFinite {
                proxy: self.name(),
                value,
                reason: "the sum overflowed or a gradient is not a number".to_string(),
            })
        }
    }
}

impl fmt::Display for Proxy {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

impl FromStr for Proxy {
    type Err = ProxyError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Proxy::ALL
            .into_iter()
            .find(|proxy| proxy.name() == name)
            .ok_or_else(|| ProxyError::UnknownProxy(name.to_string()))
    }
}

/// One minibatch of normalised images with their labels.
#[derive(Clone, Debug)]
pub struct ProxyBatch {
    images: Tensor<4>,
    labels: Vec<usize>,
    classes: usize,
}

impl ProxyBatch {
    /// Pairs `images` `[batch, channels, height, width]` with their class labels.
    ///
    /// # Errors
    ///
    /// [`ProxyError::InvalidBatch`] when the batch has fewer than 2 images, the label count
    /// differs from the image count, or a label is not below `classes`.
    pub fn new(images: Tensor<4>, labels: Vec<usize>, classes: usize) -> Result<Self, ProxyError> {
        let [count, ..] = images.dims();
        if count < 2 {
            return Err(ProxyError::InvalidBatch(format!(
                "the batch has {count} images; the proxies need at least 2"
            )));
        }
        if labels.len() != count {
            return Err(ProxyError::InvalidBatch(format!(
                "{} labels for {count} images",
                labels.len()
            )));
        }
        if let Some(&label) = labels.iter().find(|&&label| label >= classes) {
            return Err(ProxyError::InvalidBatch(format!(
                "label {label} is not below the class count {classes}"
            )));
        }
        let images = images.inner();
        Ok(ProxyBatch {
            images,
            labels,
            classes,
        })
    }

    /// Returns the number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Returns whether the batch is empty (never: a batch has at least 2 images).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Returns the images, on the device they were given on, without autodiff.
    pub fn images(&self) -> &Tensor<4> {
        &self.images
    }

    /// Returns the labels.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    fn check(&self, model: &NetworkModule) -> Result<(), ProxyError> {
        let classes = model.classifier.weight.dims()[1];
        if classes != self.classes {
            return Err(ProxyError::InvalidBatch(format!(
                "the batch has {} classes but the network's classifier has {classes}",
                self.classes
            )));
        }
        let input_channels = model.backbone.layers.iter().find_map(|layer| match layer {
            LayerModule::Conv2d(conv) => Some(conv.weight.dims()[1] * conv.groups),
            _ => None,
        });
        let [_, channels, _, _] = self.images.dims();
        if let Some(expected) = input_channels
            && expected != channels
        {
            return Err(ProxyError::InvalidBatch(format!(
                "the images have {channels} channels but the network's first convolution reads {expected}"
            )));
        }
        Ok(())
    }

    /// Returns the images on the model's device in the model's float type.
    fn images_for(&self, model: &NetworkModule) -> Tensor<4> {
        let device = model.classifier.weight.device();
        let dtype = model.classifier.weight.val().dtype();
        let images = self.images.clone().to_device(&device.clone().inner());
        let images = match dtype {
            DType::F64 => images.cast(FloatDType::F64),
            _ => images,
        };
        if device.is_autodiff() {
            images.autodiff()
        } else {
            images
        }
    }

    /// Returns the mean cross-entropy of `logits` against the labels.
    fn cross_entropy(&self, logits: Tensor<2>) -> Tensor<1> {
        let [count, classes] = logits.dims();
        let mut one_hot = vec![0f64; count * classes];
        for (row, &label) in self.labels.iter().enumerate() {
            one_hot[row * classes + label] = 1.0;
        }
        let device = logits.device();
        let one_hot = Tensor::<2>::from_data(
            TensorData::new(one_hot, [count, classes]),
            (&device, logits.dtype()),
        );
        (log_softmax(logits, 1) * one_hot)
            .sum()
            .mul_scalar(-1.0 / count as f64)
    }
}

/// Returns the scored weights of `model` and their cross-entropy gradients on `batch`.
fn loss_gradients(model: &NetworkModule, batch: &ProxyBatch) -> (Vec<Weight>, Vec<Vec<f64>>) {
    let weights = weights(model);
    let loss = batch.cross_entropy(model.forward(batch.images_for(model)));
    let grads = loss.backward();
    let gradients = weights
        .iter()
        .map(|weight| weight.gradient(&grads))
        .collect();
    (weights, gradients)
}

fn snip(model: &NetworkModule, batch: &ProxyBatch) -> f64 {
    let (weights, gradients) = loss_gradients(model, batch);
    weights
        .iter()
        .zip(&gradients)
        .map(|(weight, gradient)| {
            weight
                .values()
                .iter()
                .zip(gradient)
                .map(|(theta, g)| (theta * g).abs())
                .sum::<f64>()
        })
        .sum()
}

fn grad_norm(model: &NetworkModule, batch: &ProxyBatch) -> f64 {
    let (_, gradients) = loss_gradients(model, batch);
    gradients
        .iter()
        .map(|gradient| gradient.iter().map(|g| g * g).sum::<f64>().sqrt())
        .sum()
}

/// Adds `scale` times a delta to every scored weight.
struct Perturb<'a> {
    deltas: &'a [WeightDelta],
    scale: f64,
}

impl Transform for Perturb<'_> {
    fn apply<const D: usize>(&mut self, role: Role, tensor: Tensor<D>) -> Tensor<D> {
        let Role::Weight(index) = role else {
            return tensor;
        };
        let shape = tensor.shape();
        let delta: Tensor<D> = match &self.deltas[index] {
            WeightDelta::Conv(delta) => delta.clone().reshape(shape),
            WeightDelta::Linear(delta) => delta.clone().reshape(shape),
        };
        tensor + delta.mul_scalar(self.scale)
    }
}

fn grasp(model: &NetworkModule, batch: &ProxyBatch) -> f64 {
    // The loss gradient g at theta, in double precision.
    let model = map_parameters(model.clone(), &mut ToDouble);
    let weights = weights(&model);
    let loss = batch.cross_entropy(model.forward(batch.images_for(&model)));
    let grads = loss.backward();
    let deltas: Vec<WeightDelta> = weights
        .iter()
        .map(|weight| weight.gradient_tensor(&grads))
        .collect();
    let gradient_norm = deltas
        .iter()
        .map(WeightDelta::squared_norm)
        .sum::<f64>()
        .sqrt();

    let values: Vec<Vec<f64>> = weights.iter().map(Weight::values).collect();
    let weight_norm = values
        .iter()
        .flatten()
        .map(|theta| theta * theta)
        .sum::<f64>()
        .sqrt();
    if gradient_norm == 0.0 || weight_norm == 0.0 {
        // A zero gradient gives a zero Hessian-gradient product.
        return 0.0;
    }

    // H g by central differences of the gradient along g.
    let step = 1e-5 * weight_norm / gradient_norm;
    let shifted = |scale: f64| {
        let model = map_parameters(
            model.clone(),
            &mut Perturb {
                deltas: &deltas,
                scale,
            },
        );
        loss_gradients(&model, batch).1
    };
    let plus = shifted(step);
    let minus = shifted(-step);

    values
        .iter()
        .zip(plus.iter().zip(&minus))
        .map(|(theta, (plus, minus))| {
            theta
                .iter()
                .zip(plus.iter().zip(minus))
                .map(|(theta, (p, m))| -theta * (p - m) / (2.0 * step))
                .sum::<f64>()
        })
        .sum()
}

/// Multiplies every convolution output and the logits by a per-image, per-channel scale of
/// ones whose gradient is the spatial sum of activation times gradient.
#[derive(Default)]
struct FisherProbe {
    conv_scales: Vec<Tensor<4>>,
    logit_scale: Option<Tensor<2>>,
}

impl LayerHook for FisherProbe {
    fn after(&mut self, _layer: usize, module: &LayerModule, output: Tensor<4>) -> Tensor<4> {
        if !matches!(module, LayerModule::Conv2d(_)) {
            return output;
        }
        let [count, channels, _, _] = output.dims();
        let scale = Tensor::<4>::ones([count, channels, 1, 1], (&output.device(), output.dtype()))
            .require_grad();
        self.conv_scales.push(scale.clone());
        output * scale
    }

    fn after_classifier(&mut self, logits: Tensor<2>) -> Tensor<2> {
        let scale =
            Tensor::<2>::ones(logits.dims(), (&logits.device(), logits.dtype())).require_grad();
        self.logit_scale = Some(scale.clone());
        logits * scale
    }
}

fn fisher(model: &NetworkModule, batch: &ProxyBatch) -> f64 {
    let mut probe = FisherProbe::default();
    let logits = model.forward_hooked(batch.images_for(model), &mut probe);
    let grads = batch.cross_entropy(logits).backward();
    // Each probe's gradient is `[count, channels]` of spatial sums; the channel's Fisher
    // term is half the batch mean of their squares.
    let channel_terms = |sums: Vec<f64>, count: usize| -> f64 {
        0.5 * sums.iter().map(|s| s * s).sum::<f64>() / count as f64
    };
    let count = batch.len();
    let conv: f64 = probe
        .conv_scales
        .iter()
        .map(|scale| {
            scale
                .grad(&grads)
                .map_or(0.0, |g| channel_terms(host(g), count))
        })
        .sum();
    let logits = probe
        .logit_scale
        .as_ref()
        .and_then(|scale| scale.grad(&grads))
        .map_or(0.0, |g| channel_terms(host(g), count));
    conv + logits
}

/// Takes every parameter's absolute value in double precision.
struct AbsoluteDouble;

impl Transform for AbsoluteDouble {
    fn apply<const D: usize>(&mut self, _role: Role, tensor: Tensor<D>) -> Tensor<D> {
        tensor.cast(FloatDType::F64).abs()
    }
}

/// Replaces every batch norm by the identity.
struct BypassNorm;

impl LayerHook for BypassNorm {
    fn before(
        &mut self,
        _layer: usize,
        module: &LayerModule,
        input: &Tensor<4>,
    ) -> Option<Tensor<4>> {
        matches!(module, LayerModule::BatchNorm(_)).then(|| input.clone())
    }
}

fn synflow(model: &NetworkModule, batch: &ProxyBatch) -> f64 {
    let model = map_parameters(model.clone(), &mut AbsoluteDouble);
    let weights = weights(&model);
    let device = model.classifier.weight.device();
    let [_, channels, height, width] = batch.images.dims();
    let ones = Tensor::<4>::ones([1, channels, height, width], (&device, DType::F64));
    let grads = model.forward_hooked(ones, &mut BypassNorm).sum().backward();
    weights
        .iter()
        .map(|weight| {
            weight
                .values()
                .iter()
                .zip(weight.gradient(&grads))
                .map(|(theta, g)| (theta * g).abs())
                .sum::<f64>()
        })
        .sum()
}

fn jacob_cov(model: &NetworkModule, batch: &ProxyBatch) -> Result<f64, ProxyError> {
    let images = batch.images_for(model).require_grad();
    let grads = model.forward(images.clone()).sum().backward();
    let [count, channels, height, width] = images.dims();
    let columns = channels * height * width;
    let jacobians = images
        .grad(&grads)
        .map(host)
        .unwrap_or_else(|| vec![0.0; count * columns]);
    let correlation = correlation_matrix(&jacobians, count, columns);
    if correlation.iter().any(|value| !value.is_finite()) {
        return Err(ProxyError::NotFinite {
            proxy: Proxy::JacobCov.name(),
            value: f64::NAN,
            reason: "an image's input Jacobian is constant, so its correlations are undefined"
                .to_string(),
        });
    }
    const K: f64 = 1e-5;
    Ok(-symmetric_eigenvalues(&correlation, count)
        .iter()
        .map(|v| (v + K).ln() + 1.0 / (v + K))
        .sum::<f64>())
}

/// Adds, for every ReLU, the number of units on which each pair of images agrees (both
/// active or both inactive) to a kernel matrix.
struct ActivationCodes {
    kernel: Vec<f64>,
}

impl LayerHook for ActivationCodes {
    fn after(&mut self, _layer: usize, module: &LayerModule, output: Tensor<4>) -> Tensor<4> {
        if matches!(module, LayerModule::Relu(_)) {
            let [count, channels, height, width] = output.dims();
            let codes = output
                .clone()
                .inner()
                .greater_elem(0.0)
                .float()
                .reshape([count, channels * height * width]);
            let inactive = codes.clone().neg().add_scalar(1.0);
            let agree = codes.clone().matmul(codes.transpose())
                + inactive.clone().matmul(inactive.transpose());
            for (sum, value) in self.kernel.iter_mut().zip(host(agree)) {
                *sum += value;
            }
        }
        output
    }
}

fn naswot(model: &NetworkModule, batch: &ProxyBatch) -> Result<f64, ProxyError> {
    let count = batch.len();
    let mut codes = ActivationCodes {
        kernel: vec![0.0; count * count],
    };
    let images = batch.images_for(model);
    let _ = model.forward_hooked(images, &mut codes);
    let value = log_abs_determinant(&codes.kernel, count);
    if value.is_finite() {
        Ok(value)
    } else {
        Err(ProxyError::NotFinite {
            proxy: Proxy::Naswot.name(),
            value,
            reason: "two images have identical ReLU activation codes, so the kernel is singular"
                .to_string(),
        })
    }
}
