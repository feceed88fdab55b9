//! Dense convolution, batch norm and max pooling on host memory, for the flex CPU backend.
//!
//! Burn 0.22.1 composes batch norm with batch statistics from about ten tensor operations
//! (two transposed copies among them), and flex's max pooling computes an index for every
//! output. These kernels make one pass for the statistics and one for the output, and split
//! the work over the available cores. Batch norm works in place on a tensor that no other
//! tensor shares. The `conv` module describes the convolution.
//!
//! The buffers of the inputs that the convolution and max pooling consume are kept in a
//! small pool and reused for later outputs. A fresh buffer of tens of megabytes comes from
//! `mmap`, and the operating system then zeroes every page on its first write. In `perf`
//! profiles of feature extraction with a small CNN, those page faults took about a tenth
//! of the time.

use std::sync::{Mutex, PoisonError};

use burn::nn::BatchNorm;
use burn::tensor::{Tensor, TensorData};

#[cfg(feature = "flex")]
mod conv;

#[cfg(feature = "flex")]
pub(super) use conv::{conv2d, explicit_padding};

/// Tensors smaller than this run on the calling thread, and their buffers are not pooled.
const PARALLEL_ELEMENTS: usize = 1 << 15;

/// Maximum number of buffers in the pool.
const POOL_BUFFERS: usize = 6;

/// Maximum number of bytes in the pool.
const POOL_BYTES: usize = 512 << 20;

/// Buffers of consumed host-kernel inputs, reused for later outputs.
static POOL: Mutex<Vec<Vec<f32>>> = Mutex::new(Vec::new());

/// Returns a buffer of `len` values for a kernel's output: the smallest pooled buffer that
/// is large enough, or a new one. A pooled buffer keeps its earlier values, so the caller
/// must write every element before the buffer leaves the kernel.
fn take_buffer(len: usize) -> Vec<f32> {
    let pooled = {
        let mut pool = POOL.lock().unwrap_or_else(PoisonError::into_inner);
        let best = pool
            .iter()
            .enumerate()
            .filter(|(_, buffer)| buffer.capacity() >= len)
            .min_by_key(|(_, buffer)| buffer.capacity())
            .map(|(index, _)| index);
        best.map(|index| pool.swap_remove(index))
    };
    match pooled {
        Some(mut buffer) => {
            buffer.truncate(len);
            buffer.resize(len, 0.0);
            buffer
        }
        None => vec![0.0; len],
    }
}

/// Keeps `buffer` for [`take_buffer`] unless it is small or the pool is full, in which case
/// the pool's smallest buffer is freed.
fn recycle(buffer: Vec<f32>) {
    if buffer.capacity() < PARALLEL_ELEMENTS {
        return;
    }
    let mut pool = POOL.lock().unwrap_or_else(PoisonError::into_inner);
    pool.push(buffer);
    let bytes = |pool: &Vec<Vec<f32>>| -> usize {
        pool.iter()
            .map(|buffer| buffer.capacity() * size_of::<f32>())
            .sum()
    };
    while pool.len() > POOL_BUFFERS || bytes(&pool) > POOL_BYTES {
        let smallest = (0..pool.len())
            .min_by_key(|&index| pool[index].capacity())
            .expect("the pool is not empty");
        pool.swap_remove(smallest);
    }
}

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
    let mut output = take_buffer(batch * channels * out_h * out_w);
    let (in_plane, out_plane) = (height * width, out_h * out_w);
    let window = Window {
        kernel,
        stride,
        padding: [pad_h, pad_w],
    };
    for_each_plane_chunk(&mut output, out_plane, |first_plane, planes| {
        let mut scratch = Vec::new();
        for (offset, out) in planes.chunks_exact_mut(out_plane).enumerate() {
            let start = (first_plane + offset) * in_plane;
            window.pool(
                &data[start..start + in_plane],
                width,
                out_w,
                &mut scratch,
                out,
            );
        }
    });
    recycle(data);
    Tensor::from_data(
        TensorData::new(output, [batch, channels, out_h, out_w]),
        &device,
    )
}

/// A max-pooling window. The two passes of [`Window::pool`] each take the maximum over
/// the valid positions of one axis, which gives the maximum of the 2D window without its
/// padding.
struct Window {
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
}

impl Window {
    /// Max-pools one `plane` `[height, width]` into `out` `[out_h, out_w]`.
    ///
    /// The first pass takes the maximum over the window's rows for every input column,
    /// `[out_h, width]`. The second takes the maximum over the window's columns at every
    /// stride-1 position of each such row and keeps every `stride`-th. Both passes run
    /// along contiguous rows, so they vectorise for any stride.
    fn pool(
        &self,
        plane: &[f32],
        width: usize,
        out_w: usize,
        scratch: &mut Vec<f32>,
        out: &mut [f32],
    ) {
        let height = plane.len() / width;
        let out_h = out.len() / out_w;
        // Stride-1 window positions along the width.
        let dense = (width + 2 * self.padding[1]).saturating_sub(self.kernel[1]) + 1;
        scratch.clear();
        scratch.resize(out_h * width + dense, f32::NEG_INFINITY);
        let (columns, line) = scratch.split_at_mut(out_h * width);

        for tap in 0..self.kernel[0] {
            // Output row `o` reads input row `o * stride + tap - padding`.
            let shift = tap as isize - self.padding[0] as isize;
            let [first, end] = valid_range(shift, self.stride[0], height, out_h);
            for o in first..end {
                let row = ((o * self.stride[0]) as isize + shift) as usize;
                let source = &plane[row * width..(row + 1) * width];
                for (maximum, &x) in columns[o * width..(o + 1) * width].iter_mut().zip(source) {
                    raise(maximum, x);
                }
            }
        }

        for (maxima, out) in columns.chunks_exact(width).zip(out.chunks_exact_mut(out_w)) {
            line.fill(f32::NEG_INFINITY);
            for tap in 0..self.kernel[1] {
                let shift = tap as isize - self.padding[1] as isize;
                let [first, end] = valid_range(shift, 1, width, dense);
                if first == end {
                    // The tap reads only padding, and `first + shift` may be negative.
                    continue;
                }
                let start = (first as isize + shift) as usize;
                for (maximum, &x) in line[first..end].iter_mut().zip(&maxima[start..]) {
                    raise(maximum, x);
                }
            }
            for (o, value) in out.iter_mut().enumerate() {
                *value = line[o * self.stride[1]];
            }
        }
    }
}

/// Raises `maximum` to `x`. A NaN wins, as in PyTorch. The select, instead of a
/// conditional store, lets the loops around it vectorise.
#[inline]
fn raise(maximum: &mut f32, x: f32) {
    // `|` rather than `||` keeps both comparisons unconditional, so there is no branch.
    *maximum = if (x > *maximum) | x.is_nan() {
        x
    } else {
        *maximum
    };
}

/// Returns `[first, end]`, the outputs `o` in `0..outputs` whose input position
/// `o * stride + shift` lies in `0..size`.
fn valid_range(shift: isize, stride: usize, size: usize, outputs: usize) -> [usize; 2] {
    let first = if shift >= 0 {
        0
    } else {
        shift.unsigned_abs().div_ceil(stride)
    };
    let limit = size as isize - shift;
    let end = if limit <= 0 {
        0
    } else {
        (limit as usize).div_ceil(stride)
    };
    let first = first.min(outputs);
    [first, end.clamp(first, outputs)]
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
