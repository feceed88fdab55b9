//! Burn modules for the layers of a network description.

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{AvgPool2d, AvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d, Relu};
use burn::tensor::{Device, Tensor, TensorData};
use rand::Rng;
use rwenas_space::network::Layer;
use serde::{Deserialize, Serialize};

use crate::Initializer;

/// How batch norm normalises while a network runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NormMode {
    /// Normalise with the mean and variance of the current batch, and leave the running
    /// statistics untouched. Random-weight evaluation uses this: with the initial running
    /// statistics (mean 0, variance 1) the features of a random network shrink towards zero.
    #[default]
    BatchStatistics,
    /// Normalise with the running statistics, as a trained network does at inference.
    RunningStatistics,
    /// Burn's training behaviour: batch statistics, updating the running statistics, on an
    /// autodiff device; running statistics elsewhere.
    Training,
}

/// Removes the first rows and columns of a feature map.
#[derive(Module, Debug)]
pub struct Crop {
    /// Rows removed at the top.
    pub top: usize,
    /// Columns removed at the left.
    pub left: usize,
}

/// Global average pooling to `[B, C, 1, 1]`.
#[derive(Module, Debug, Default)]
pub struct GlobalAvgPool;

/// One layer of a network, as a Burn module.
#[derive(Module, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum LayerModule {
    /// A convolution.
    Conv2d(Conv2d),
    /// A batch norm.
    BatchNorm(BatchNorm),
    /// A ReLU.
    Relu(Relu),
    /// A max pooling.
    MaxPool(MaxPool2d),
    /// An average pooling.
    AvgPool(AvgPool2d),
    /// A crop.
    Crop(Crop),
    /// A global average pooling.
    GlobalAvgPool(GlobalAvgPool),
}

impl LayerModule {
    /// Builds the module for `layer` on `device`, drawing weights with `init` from `rng`.
    pub fn init(layer: &Layer, init: Initializer, rng: &mut impl Rng, device: &Device) -> Self {
        match *layer {
            Layer::Conv2d {
                in_channels,
                out_channels,
                kernel,
                stride,
                padding,
                dilation,
                groups,
                bias,
            } => {
                let mut conv = Conv2dConfig::new([in_channels, out_channels], kernel)
                    .with_stride(stride)
                    .with_dilation(dilation)
                    .with_groups(groups)
                    .with_padding(PaddingConfig2d::Explicit(
                        padding[0], padding[1], padding[0], padding[1],
                    ))
                    .with_bias(bias)
                    .init(device);
                let receptive = kernel[0] * kernel[1];
                let fan_in = in_channels / groups * receptive;
                let fan_out = out_channels * receptive;
                let shape = conv.weight.dims();
                let count = shape.iter().product();
                let weights = init.weights(count, fan_in, fan_out, rng);
                conv.weight =
                    Param::from_tensor(Tensor::from_data(TensorData::new(weights, shape), device));
                if bias {
                    let biases = init.biases(out_channels, fan_in, rng);
                    conv.bias = Some(Param::from_tensor(Tensor::from_data(
                        TensorData::new(biases, [out_channels]),
                        device,
                    )));
                }
                LayerModule::Conv2d(conv)
            }
            Layer::BatchNorm2d { channels } => {
                LayerModule::BatchNorm(BatchNormConfig::new(channels).init(device))
            }
            Layer::Relu => LayerModule::Relu(Relu::new()),
            Layer::MaxPool2d {
                kernel,
                stride,
                padding,
            } => LayerModule::MaxPool(
                MaxPool2dConfig::new(kernel)
                    .with_strides(stride)
                    .with_padding(explicit(padding))
                    .init(),
            ),
            Layer::AvgPool2d {
                kernel,
                stride,
                padding,
                count_include_pad,
            } => LayerModule::AvgPool(
                AvgPool2dConfig::new(kernel)
                    .with_strides(stride)
                    .with_padding(explicit(padding))
                    .with_count_include_pad(count_include_pad)
                    .init(),
            ),
            Layer::Crop { top, left } => LayerModule::Crop(Crop { top, left }),
            Layer::GlobalAvgPool => LayerModule::GlobalAvgPool(GlobalAvgPool),
        }
    }

    /// Applies the layer.
    ///
    /// # Shapes
    /// - `input`: `[batch, channels, height, width]`
    /// - output: `[batch, channels_out, height_out, width_out]`
    pub fn forward(&self, input: Tensor<4>, norm: NormMode) -> Tensor<4> {
        match self {
            LayerModule::Conv2d(conv) => conv.forward(input),
            LayerModule::BatchNorm(bn) => match norm {
                NormMode::BatchStatistics => {
                    burn::tensor::module::batch_norm_train(
                        input,
                        bn.gamma.val(),
                        bn.beta.val(),
                        bn.epsilon,
                    )
                    .output
                }
                NormMode::RunningStatistics => burn::tensor::module::batch_norm(
                    input,
                    bn.gamma.val(),
                    bn.beta.val(),
                    bn.running_mean.value(),
                    bn.running_var.value(),
                    bn.epsilon,
                ),
                NormMode::Training => bn.forward(input),
            },
            LayerModule::Relu(relu) => relu.forward(input),
            LayerModule::MaxPool(pool) => pool.forward(input),
            LayerModule::AvgPool(pool) => pool.forward(input),
            LayerModule::Crop(crop) => {
                let [_, _, height, width] = input.dims();
                input
                    .narrow(2, crop.top, height - crop.top)
                    .narrow(3, crop.left, width - crop.left)
            }
            LayerModule::GlobalAvgPool(_) => input.mean_dims(&[2, 3]),
        }
    }
}

impl LayerModule {
    /// Returns the number of trainable scalars of the layer's tensors: convolution weights
    /// and biases, batch norm scales and shifts. Running statistics are not trainable.
    pub fn trainable_parameters(&self) -> u64 {
        let count = match self {
            LayerModule::Conv2d(conv) => {
                conv.weight.shape().num_elements()
                    + conv
                        .bias
                        .as_ref()
                        .map_or(0, |bias| bias.shape().num_elements())
            }
            LayerModule::BatchNorm(bn) => {
                bn.gamma.shape().num_elements() + bn.beta.shape().num_elements()
            }
            _ => 0,
        };
        count as u64
    }
}

fn explicit(padding: [usize; 2]) -> PaddingConfig2d {
    PaddingConfig2d::Explicit(padding[0], padding[1], padding[0], padding[1])
}
