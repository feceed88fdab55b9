//! Dense convolution, batch norm and max pooling on host memory, for the flex CPU backend.
//!
//! Burn 0.22.1 composes batch norm with batch statistics from about ten tensor operations
//! (two transposed copies among them), and flex's max pooling computes an index for every
//! output. These kernels make one pass for the statistics and one for the output, and split
//! the work over the available cores. The `conv` module describes the convolution.

use burn::nn::BatchNorm;
use burn::tensor::{Tensor, TensorData};

#[cfg(feature = "flex")]
mod conv;

#[cfg(feature = "flex")]
pub(super) use conv::{conv2d, explicit_padding};

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
fn for_each_plane_chunk(data: &mut [f32], plane: usize, work: impl Fn(usize, &mut [f32]) + Sync) {
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
