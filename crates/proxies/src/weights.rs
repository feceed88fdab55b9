//! Access to the scored weights of a network, and whole-model transformations.

use burn::tensor::{DType, FloatDType, Gradients, Tensor};
use rwenas_nn::{LayerModule, NetworkModule};

/// A scored weight: a convolution kernel or the classifier's matrix.
#[derive(Clone, Debug)]
pub(crate) enum Weight {
    Conv(Tensor<4>),
    Linear(Tensor<2>),
}

impl Weight {
    /// Returns the weight's values in host memory.
    pub(crate) fn values(&self) -> Vec<f64> {
        match self {
            Weight::Conv(tensor) => host(tensor.clone()),
            Weight::Linear(tensor) => host(tensor.clone()),
        }
    }

    /// Returns the gradient of the weight, or zeros when the weight did not take part in
    /// the backward pass (a convolution whose output no path reads).
    pub(crate) fn gradient(&self, grads: &Gradients) -> Vec<f64> {
        let gradient = match self {
            Weight::Conv(tensor) => tensor.grad(grads).map(host),
            Weight::Linear(tensor) => tensor.grad(grads).map(host),
        };
        gradient.unwrap_or_else(|| vec![0.0; self.len()])
    }

    /// Returns the gradient as a tensor of the weight's shape, on the inner device.
    pub(crate) fn gradient_tensor(&self, grads: &Gradients) -> WeightDelta {
        match self {
            Weight::Conv(tensor) => WeightDelta::Conv(
                tensor
                    .grad(grads)
                    .unwrap_or_else(|| tensor.clone().inner().zeros_like()),
            ),
            Weight::Linear(tensor) => WeightDelta::Linear(
                tensor
                    .grad(grads)
                    .unwrap_or_else(|| tensor.clone().inner().zeros_like()),
            ),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Weight::Conv(tensor) => tensor.shape().num_elements(),
            Weight::Linear(tensor) => tensor.shape().num_elements(),
        }
    }
}

/// A tensor the shape of a [`Weight`], without autodiff.
#[derive(Clone, Debug)]
pub(crate) enum WeightDelta {
    Conv(Tensor<4>),
    Linear(Tensor<2>),
}

impl WeightDelta {
    pub(crate) fn squared_norm(&self) -> f64 {
        match self {
            WeightDelta::Conv(tensor) => host(tensor.clone()).iter().map(|x| x * x).sum(),
            WeightDelta::Linear(tensor) => host(tensor.clone()).iter().map(|x| x * x).sum(),
        }
    }
}

/// Returns the scored weights of `model` in a fixed order: the backbone's convolutions in
/// layer order, then the classifier.
pub(crate) fn weights(model: &NetworkModule) -> Vec<Weight> {
    let mut weights: Vec<Weight> = model
        .backbone
        .layers
        .iter()
        .filter_map(|layer| match layer {
            LayerModule::Conv2d(conv) => Some(Weight::Conv(conv.weight.val())),
            _ => None,
        })
        .collect();
    weights.push(Weight::Linear(model.classifier.weight.val()));
    weights
}

/// The kind of a parameter, for [`map_parameters`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// A scored weight ([`weights`] order).
    Weight(usize),
    /// A bias of a convolution or of the classifier.
    Bias,
    /// A batch norm scale or shift.
    Norm,
}

/// A change applied to every parameter of a model by [`map_parameters`].
pub(crate) trait Transform {
    fn apply<const D: usize>(&mut self, role: Role, tensor: Tensor<D>) -> Tensor<D>;
}

/// Applies `transform` to the parameters of the backbone and the classifier (the auxiliary
/// head is left alone: proxies do not run it). Each result becomes a new leaf that requires
/// gradients when the model is on an autodiff device.
pub(crate) fn map_parameters(
    mut model: NetworkModule,
    transform: &mut impl Transform,
) -> NetworkModule {
    let mut index = 0;
    for layer in &mut model.backbone.layers {
        match layer {
            LayerModule::Conv2d(conv) => {
                let role = Role::Weight(index);
                index += 1;
                conv.weight = conv
                    .weight
                    .clone()
                    .map(|tensor| leaf(transform.apply(role, tensor)));
                if let Some(bias) = conv.bias.take() {
                    conv.bias = Some(bias.map(|tensor| leaf(transform.apply(Role::Bias, tensor))));
                }
            }
            LayerModule::BatchNorm(bn) => {
                bn.gamma = bn
                    .gamma
                    .clone()
                    .map(|tensor| leaf(transform.apply(Role::Norm, tensor)));
                bn.beta = bn
                    .beta
                    .clone()
                    .map(|tensor| leaf(transform.apply(Role::Norm, tensor)));
            }
            _ => {}
        }
    }
    let role = Role::Weight(index);
    model.classifier.weight = model
        .classifier
        .weight
        .clone()
        .map(|tensor| leaf(transform.apply(role, tensor)));
    if let Some(bias) = model.classifier.bias.take() {
        model.classifier.bias = Some(bias.map(|tensor| leaf(transform.apply(Role::Bias, tensor))));
    }
    model
}

/// Makes `tensor` a fresh leaf that requires gradients on an autodiff device.
fn leaf<const D: usize>(tensor: Tensor<D>) -> Tensor<D> {
    let tensor = tensor.detach();
    if tensor.is_autodiff() {
        tensor.require_grad()
    } else {
        tensor
    }
}

/// Casts every parameter to double precision.
pub(crate) struct ToDouble;

impl Transform for ToDouble {
    fn apply<const D: usize>(&mut self, _role: Role, tensor: Tensor<D>) -> Tensor<D> {
        tensor.cast(FloatDType::F64)
    }
}

/// Returns the values of a float tensor in host memory, as f64.
pub(crate) fn host<const D: usize>(tensor: Tensor<D>) -> Vec<f64> {
    tensor
        .inner()
        .into_data_dtype(DType::F64)
        .try_into_vec::<f64>()
        .expect("the data was converted to f64")
}
