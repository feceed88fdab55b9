//! Burn modules for the layers of a network description.

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{AvgPool2d, AvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d, Relu};
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Slice, Tensor, TensorData};
use rand::Rng;
use rwenas_space::network::Layer;
use serde::{Deserialize, Serialize};

use crate::Initializer;

/// Batch norm behaviour while a network runs.
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
        if is_host_device(&input.device()) {
            match (self, norm) {
                #[cfg(feature = "flex")]
                (LayerModule::Conv2d(conv), _) if uses_host_conv(conv) => {
                    if let Some(padding) = host::explicit_padding(&conv.padding) {
                        return host::conv2d(input, conv, padding);
                    }
                }
                (LayerModule::BatchNorm(bn), NormMode::BatchStatistics) => {
                    return host::batch_norm(input, bn, None);
                }
                (LayerModule::BatchNorm(bn), NormMode::RunningStatistics) => {
                    let mean = host::values(bn.running_mean.value());
                    let variance = host::values(bn.running_var.value());
                    return host::batch_norm(input, bn, Some((&mean, &variance)));
                }
                (LayerModule::MaxPool(pool), _) => {
                    return host::max_pool(
                        input,
                        pool.kernel_size,
                        pool.stride,
                        pool.padding.clone(),
                    );
                }
                _ => {}
            }
        }
        match self {
            LayerModule::Conv2d(conv) => conv_forward(conv, input),
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

/// Applies `conv`. A strided 1x1 convolution without padding reads only every
/// `stride`-th row and column, so the input is subsampled first (a strided view) and the
/// convolution runs with stride 1, which skips the generic im2col path of the flex backend.
fn conv_forward(conv: &Conv2d, input: Tensor<4>) -> Tensor<4> {
    let strided_pointwise = conv.kernel_size == [1, 1]
        && conv.stride != [1, 1]
        && matches!(
            &conv.padding,
            PaddingConfig2d::Explicit(0, 0, 0, 0) | PaddingConfig2d::Valid
        );
    if !strided_pointwise {
        return conv.forward(input);
    }
    let [batch, channels, height, width] = input.dims();
    let [stride_h, stride_w] = conv.stride;
    let sampled = input.slice([
        Slice::from(0..batch),
        Slice::from(0..channels),
        Slice::from_range_stepped(0..height, stride_h as isize),
        Slice::from_range_stepped(0..width, stride_w as isize),
    ]);
    let options = ConvOptions::new([1, 1], [0, 0], [1, 1], conv.groups);
    burn::tensor::module::conv2d(
        sampled,
        conv.weight.val(),
        conv.bias.as_ref().map(Param::val),
        options,
    )
}

/// Returns whether `conv` runs with [`host::conv2d`]: dense convolutions other than 1x1,
/// which flex already multiplies in place and [`conv_forward`] handles when strided.
#[cfg(feature = "flex")]
fn uses_host_conv(conv: &Conv2d) -> bool {
    conv.groups == 1 && conv.kernel_size != [1, 1]
}

/// Returns whether layers run with the host kernels of [`host`], which is on the flex CPU
/// backend without autodiff, where tensors are plain host memory.
#[cfg(feature = "flex")]
fn is_host_device(device: &Device) -> bool {
    !device.is_autodiff() && *device == Device::flex()
}

#[cfg(not(feature = "flex"))]
fn is_host_device(_device: &Device) -> bool {
    false
}

fn explicit(padding: [usize; 2]) -> PaddingConfig2d {
    PaddingConfig2d::Explicit(padding[0], padding[1], padding[0], padding[1])
}

mod host;

#[cfg(all(test, feature = "flex"))]
mod tests {
    use super::*;
    use burn::tensor::Distribution;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn max_difference(first: Tensor<4>, second: Tensor<4>) -> f32 {
        assert_eq!(first.dims(), second.dims());
        let first = host::values(first);
        let second = host::values(second);
        // A NaN on one side only counts as an infinite difference; `f32::max` would drop it.
        first
            .iter()
            .zip(&second)
            .map(|(a, b)| match (a.is_nan(), b.is_nan()) {
                (true, true) => 0.0,
                (false, false) => (a - b).abs(),
                _ => f32::INFINITY,
            })
            .fold(0.0, f32::max)
    }

    fn random(shape: [usize; 4], device: &Device) -> Tensor<4> {
        Tensor::random(shape, Distribution::Normal(0.5, 2.0), device)
    }

    #[test]
    fn host_batch_norm_matches_burn() {
        let device = Device::flex();
        let mut rng = StdRng::seed_from_u64(3);
        let layer = LayerModule::init(
            &Layer::BatchNorm2d { channels: 6 },
            Initializer::PytorchDefault,
            &mut rng,
            &device,
        );
        let LayerModule::BatchNorm(bn) = &layer else {
            unreachable!("a batch norm layer builds a batch norm module")
        };
        // 8 x 6 x 40 x 40 is above the parallel threshold, 2 x 6 x 5 x 5 below it.
        for shape in [[8, 6, 40, 40], [2, 6, 5, 5]] {
            let input = random(shape, &device);
            let expected = burn::tensor::module::batch_norm_train(
                input.clone(),
                bn.gamma.val(),
                bn.beta.val(),
                bn.epsilon,
            )
            .output;
            let actual = layer.forward(input.clone(), NormMode::BatchStatistics);
            assert!(
                max_difference(actual, expected) < 1e-4,
                "batch statistics {shape:?}"
            );

            let expected = burn::tensor::module::batch_norm(
                input.clone(),
                bn.gamma.val(),
                bn.beta.val(),
                bn.running_mean.value(),
                bn.running_var.value(),
                bn.epsilon,
            );
            let actual = layer.forward(input, NormMode::RunningStatistics);
            assert!(
                max_difference(actual, expected) < 1e-5,
                "running statistics {shape:?}"
            );
        }
    }

    #[test]
    fn host_max_pool_matches_burn() {
        let device = Device::flex();
        let mut rng = StdRng::seed_from_u64(4);
        let shapes = [[4, 5, 32, 32], [1, 2, 7, 9]];
        // Windows wider than the input plus one side's padding, where some taps read only
        // padding along a whole row.
        let narrow = [[2, 3, 1, 1], [1, 2, 3, 1], [2, 1, 1, 4]];
        let cases = [
            ([3, 3], [1, 1], [1, 1], &shapes[..]),
            ([3, 3], [2, 2], [1, 1], &shapes[..]),
            ([2, 2], [2, 2], [0, 0], &shapes[..]),
            ([5, 5], [1, 1], [2, 2], &narrow[..]),
            ([3, 5], [1, 2], [1, 2], &narrow[..]),
        ];
        for (kernel, stride, padding, shapes) in cases {
            let layer = Layer::MaxPool2d {
                kernel,
                stride,
                padding,
            };
            let module = LayerModule::init(&layer, Initializer::PytorchDefault, &mut rng, &device);
            for &shape in shapes {
                let input = random(shape, &device);
                let expected = MaxPool2dConfig::new(kernel)
                    .with_strides(stride)
                    .with_padding(explicit(padding))
                    .init()
                    .forward(input.clone());
                let actual = module.forward(input, NormMode::BatchStatistics);
                assert_eq!(
                    max_difference(actual, expected),
                    0.0,
                    "{layer:?} on {shape:?}"
                );
            }
        }
    }

    #[test]
    fn host_max_pool_propagates_nan() {
        let device = Device::flex();
        let mut rng = StdRng::seed_from_u64(9);
        let layer = Layer::MaxPool2d {
            kernel: [3, 3],
            stride: [2, 2],
            padding: [1, 1],
        };
        let module = LayerModule::init(&layer, Initializer::PytorchDefault, &mut rng, &device);
        let mut values = vec![-1.0f32; 6 * 6];
        // Row 2, column 3: inside the windows of outputs (1, 1) and (1, 2) only.
        values[2 * 6 + 3] = f32::NAN;
        let input = Tensor::<4>::from_data(TensorData::new(values, [1, 1, 6, 6]), &device);
        let output = host::values(module.forward(input, NormMode::BatchStatistics));
        assert_eq!(output.len(), 9);
        for (index, value) in output.iter().enumerate() {
            if [4, 5].contains(&index) {
                assert!(value.is_nan(), "output {index} is {value}, expected NaN");
            } else {
                assert_eq!(*value, -1.0, "output {index}");
            }
        }
    }

    #[test]
    fn host_conv_matches_burn() {
        let device = Device::flex();
        let mut rng = StdRng::seed_from_u64(6);
        // (channels in, out, kernel, stride, padding, dilation, bias, input height, width)
        let cases = [
            (3, 32, [3, 3], [1, 1], [1, 1], [1, 1], false, 32, 32),
            (32, 64, [3, 3], [1, 1], [1, 1], [1, 1], false, 16, 16),
            (5, 7, [3, 3], [2, 2], [1, 1], [1, 1], true, 11, 9),
            (4, 6, [3, 3], [1, 1], [2, 2], [2, 2], true, 10, 12),
            (4, 3, [5, 5], [1, 1], [2, 2], [1, 1], false, 8, 8),
            (2, 5, [3, 5], [2, 1], [0, 2], [1, 1], true, 9, 7),
            (3, 4, [2, 2], [3, 2], [0, 0], [1, 1], false, 7, 8),
            (6, 8, [7, 7], [2, 2], [3, 3], [1, 1], true, 13, 13),
            (2, 3, [3, 3], [1, 1], [3, 3], [1, 1], true, 2, 3),
        ];
        for (channels_in, channels_out, kernel, stride, padding, dilation, bias, h, w) in cases {
            let layer = Layer::Conv2d {
                in_channels: channels_in,
                out_channels: channels_out,
                kernel,
                stride,
                padding,
                dilation,
                groups: 1,
                bias,
            };
            let module = LayerModule::init(&layer, Initializer::PytorchDefault, &mut rng, &device);
            let LayerModule::Conv2d(conv) = &module else {
                unreachable!("a convolution layer builds a convolution module")
            };
            // Above the parallel threshold, 3 images split unevenly over two threads and 8
            // evenly. The smallest cases run on the calling thread.
            for batch in [3, 8] {
                let input = random([batch, channels_in, h, w], &device);
                let expected = conv.forward(input.clone());
                let actual = module.forward(input, NormMode::BatchStatistics);
                let difference = max_difference(actual, expected);
                assert!(difference < 1e-4, "{layer:?} on {h}x{w}: {difference}");
            }
        }
    }

    #[test]
    fn host_conv_matches_burn_on_asymmetric_padding() {
        let device = Device::flex();
        let mut rng = StdRng::seed_from_u64(7);
        let layer = Layer::Conv2d {
            in_channels: 3,
            out_channels: 4,
            kernel: [3, 3],
            stride: [1, 2],
            padding: [0, 0],
            dilation: [1, 1],
            groups: 1,
            bias: true,
        };
        let LayerModule::Conv2d(mut conv) =
            LayerModule::init(&layer, Initializer::PytorchDefault, &mut rng, &device)
        else {
            unreachable!("a convolution layer builds a convolution module")
        };
        // Explicit(top, left, bottom, right).
        conv.padding = PaddingConfig2d::Explicit(0, 2, 1, 0);
        let input = random([2, 3, 6, 7], &device);
        let expected = conv.forward(input.clone());
        let module = LayerModule::Conv2d(conv);
        let actual = module.forward(input, NormMode::BatchStatistics);
        assert!(max_difference(actual, expected) < 1e-4);
    }

    #[test]
    fn strided_pointwise_conv_matches_burn() {
        let device = Device::flex();
        let mut rng = StdRng::seed_from_u64(5);
        let layer = Layer::Conv2d {
            in_channels: 4,
            out_channels: 6,
            kernel: [1, 1],
            stride: [2, 2],
            padding: [0, 0],
            dilation: [1, 1],
            groups: 1,
            bias: true,
        };
        let module = LayerModule::init(&layer, Initializer::PytorchDefault, &mut rng, &device);
        let LayerModule::Conv2d(conv) = &module else {
            unreachable!("a convolution layer builds a convolution module")
        };
        // Odd sizes check the last row and column; the narrowed input is a cropped view.
        for input in [
            random([3, 4, 9, 11], &device),
            random([3, 4, 10, 10], &device)
                .narrow(2, 1, 9)
                .narrow(3, 1, 9),
        ] {
            let expected = conv.forward(input.clone());
            let actual = module.forward(input, NormMode::BatchStatistics);
            assert!(max_difference(actual, expected) < 1e-5);
        }
    }
}
