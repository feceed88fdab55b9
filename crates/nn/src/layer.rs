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

/// Batch norm and max pooling on host memory, for the flex CPU backend.
///
/// Burn 0.22.1 composes batch norm with batch statistics from about ten tensor operations
/// (two transposed copies among them), and flex's max pooling computes an index for every
/// output. These kernels make one pass for the statistics and one for the output, and split
/// the work over the available cores.
mod host {
    use burn::nn::BatchNorm;
    use burn::tensor::{Tensor, TensorData};

    /// Tensors smaller than this run on the calling thread.
    const PARALLEL_ELEMENTS: usize = 1 << 15;

    /// Returns the values of a float tensor.
    pub(super) fn values<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
        tensor
            .into_data()
            .try_into_vec::<f32>()
            .expect("network tensors are f32")
    }

    /// Normalises `input` `[N, C, H, W]` per channel with `statistics` (mean, variance), or
    /// with the batch's own mean and population variance when `None`, then scales and shifts
    /// by the batch norm's gamma and beta.
    pub(super) fn batch_norm(
        input: Tensor<4>,
        bn: &BatchNorm,
        statistics: Option<(&[f32], &[f32])>,
    ) -> Tensor<4> {
        let device = input.device();
        let shape = input.dims();
        let [batch, channels, height, width] = shape;
        let plane = height * width;
        let mut data = values(input);
        let gamma = values(bn.gamma.val());
        let beta = values(bn.beta.val());
        let (mean, variance): (Vec<f64>, Vec<f64>) = match statistics {
            Some((mean, variance)) => (
                mean.iter().map(|&m| f64::from(m)).collect(),
                variance.iter().map(|&v| f64::from(v)).collect(),
            ),
            None => batch_moments(&data, batch, channels, plane),
        };
        // y = x * scale + shift with scale = gamma / sqrt(var + eps), shift = beta - mean * scale.
        let (scale, shift): (Vec<f32>, Vec<f32>) = (0..channels)
            .map(|c| {
                let scale = f64::from(gamma[c]) / (variance[c] + bn.epsilon).sqrt();
                (scale as f32, (f64::from(beta[c]) - mean[c] * scale) as f32)
            })
            .unzip();
        for_each_plane_chunk(&mut data, plane, |first_plane, planes| {
            for (offset, values) in planes.chunks_exact_mut(plane).enumerate() {
                let channel = (first_plane + offset) % channels;
                let (a, b) = (scale[channel], shift[channel]);
                values.iter_mut().for_each(|x| *x = *x * a + b);
            }
        });
        Tensor::from_data(TensorData::new(data, shape), &device)
    }

    /// Returns the mean and population variance of every channel, accumulated in f64 so that
    /// `E[x^2] - E[x]^2` keeps about 10 significant digits for a batch of 2^24 values.
    fn batch_moments(
        data: &[f32],
        batch: usize,
        channels: usize,
        plane: usize,
    ) -> (Vec<f64>, Vec<f64>) {
        let moments_of = |channel: usize| {
            let (mut sum, mut squares) = (0f64, 0f64);
            for image in 0..batch {
                let start = (image * channels + channel) * plane;
                let (s, q) = plane_sums(&data[start..start + plane]);
                sum += s;
                squares += q;
            }
            let count = (batch * plane) as f64;
            let mean = sum / count;
            (mean, (squares / count - mean * mean).max(0.0))
        };
        let threads = threads_for(data.len()).min(channels.max(1));
        if threads <= 1 {
            return (0..channels).map(moments_of).unzip();
        }
        let per_thread = channels.div_ceil(threads);
        let mut moments = vec![(0f64, 0f64); channels];
        std::thread::scope(|scope| {
            for (part, slots) in moments.chunks_mut(per_thread).enumerate() {
                let moments_of = &moments_of;
                scope.spawn(move || {
                    for (offset, slot) in slots.iter_mut().enumerate() {
                        *slot = moments_of(part * per_thread + offset);
                    }
                });
            }
        });
        moments.into_iter().unzip()
    }

    /// Returns the sum and the sum of squares of `values`. Eight independent f32 lanes let
    /// the compiler vectorise the loop. The lanes of one plane (at most 1,024 values per
    /// lane for a 32x32 input) are then added in f64.
    fn plane_sums(values: &[f32]) -> (f64, f64) {
        const LANES: usize = 8;
        let (mut sums, mut squares) = ([0f32; LANES], [0f32; LANES]);
        let chunks = values.chunks_exact(LANES);
        let rest = chunks.remainder();
        for chunk in chunks {
            for lane in 0..LANES {
                sums[lane] += chunk[lane];
                squares[lane] += chunk[lane] * chunk[lane];
            }
        }
        let mut sum: f64 = sums.iter().map(|&s| f64::from(s)).sum();
        let mut square: f64 = squares.iter().map(|&q| f64::from(q)).sum();
        for &x in rest {
            sum += f64::from(x);
            square += f64::from(x) * f64::from(x);
        }
        (sum, square)
    }

    /// Max-pools `input` `[N, C, H, W]`. Padded positions never win, and a NaN in a window
    /// wins, as in PyTorch.
    pub(super) fn max_pool(
        input: Tensor<4>,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: burn::nn::PaddingConfig2d,
    ) -> Tensor<4> {
        let device = input.device();
        let [batch, channels, height, width] = input.dims();
        let [pad_h, pad_w] = match padding {
            burn::nn::PaddingConfig2d::Explicit(top, left, _, _) => [top, left],
            _ => [0, 0],
        };
        let out_h = (height + 2 * pad_h - kernel[0]) / stride[0] + 1;
        let out_w = (width + 2 * pad_w - kernel[1]) / stride[1] + 1;
        let data = values(input);
        let mut output = vec![0f32; batch * channels * out_h * out_w];
        let (in_plane, out_plane) = (height * width, out_h * out_w);
        for_each_plane_chunk(&mut output, out_plane, |first_plane, planes| {
            for (offset, out) in planes.chunks_exact_mut(out_plane).enumerate() {
                let start = (first_plane + offset) * in_plane;
                let plane = &data[start..start + in_plane];
                for oh in 0..out_h {
                    let top = (oh * stride[0]).saturating_sub(pad_h);
                    let bottom = (oh * stride[0] + kernel[0])
                        .saturating_sub(pad_h)
                        .min(height);
                    for ow in 0..out_w {
                        let left = (ow * stride[1]).saturating_sub(pad_w);
                        let right = (ow * stride[1] + kernel[1])
                            .saturating_sub(pad_w)
                            .min(width);
                        let mut max = f32::NEG_INFINITY;
                        for row in plane[top * width..bottom * width].chunks_exact(width) {
                            for &x in &row[left..right] {
                                if x > max || x.is_nan() {
                                    max = x;
                                }
                            }
                        }
                        out[oh * out_w + ow] = max;
                    }
                }
            }
        });
        Tensor::from_data(
            TensorData::new(output, [batch, channels, out_h, out_w]),
            &device,
        )
    }

    /// Calls `work(first_plane, planes)` on consecutive runs of whole planes of `data`, one
    /// run per thread.
    fn for_each_plane_chunk(
        data: &mut [f32],
        plane: usize,
        work: impl Fn(usize, &mut [f32]) + Sync,
    ) {
        let plane = plane.max(1);
        let planes = data.len() / plane;
        let threads = threads_for(data.len()).min(planes.max(1));
        if threads <= 1 {
            work(0, data);
            return;
        }
        let per_thread = planes.div_ceil(threads);
        std::thread::scope(|scope| {
            for (part, chunk) in data.chunks_mut(per_thread * plane).enumerate() {
                let work = &work;
                scope.spawn(move || work(part * per_thread, chunk));
            }
        });
    }

    fn threads_for(elements: usize) -> usize {
        if elements < PARALLEL_ELEMENTS {
            1
        } else {
            std::thread::available_parallelism().map_or(1, usize::from)
        }
    }
}

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
        first
            .iter()
            .zip(&second)
            .map(|(a, b)| (a - b).abs())
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
        let cases = [
            ([3, 3], [1, 1], [1, 1]),
            ([3, 3], [2, 2], [1, 1]),
            ([2, 2], [2, 2], [0, 0]),
        ];
        for (kernel, stride, padding) in cases {
            let layer = Layer::MaxPool2d {
                kernel,
                stride,
                padding,
            };
            let module = LayerModule::init(&layer, Initializer::PytorchDefault, &mut rng, &device);
            for shape in [[4, 5, 32, 32], [1, 2, 7, 9]] {
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
