//! Dense convolution (groups = 1) as im2col and one matrix product per image.
//!
//! Burn 0.22.1's flex backend converts the whole batch to NHWC on one thread, multiplies
//! tiles of 512 output positions, and scatters every product back to NCHW one value at a
//! time. This kernel keeps NCHW throughout: the patches of one image form a
//! `[C_in * K_h * K_w, H_out * W_out]` matrix, and the product with the weights
//! `[C_out, C_in * K_h * K_w]` is already the image's `[C_out, H_out * W_out]` output.
//! On CPUs with AVX-512F the patches go straight into the panels that the matrix product
//! reads (`avx512::pack_image`). Elsewhere they form the row-major matrix that the gemm
//! crate multiplies.

use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::tensor::{Tensor, TensorData};

use super::{for_each_plane_chunk, recycle, take_buffer, valid_range, values};

#[cfg(target_arch = "x86_64")]
mod avx512;

/// Geometry of a 2D convolution over one image.
#[derive(Clone, Copy, Debug)]
struct Geometry {
    height: usize,
    width: usize,
    kernel: [usize; 2],
    stride: [usize; 2],
    dilation: [usize; 2],
    /// Zero rows above and zero columns left of the input.
    padding_start: [usize; 2],
    out_height: usize,
    out_width: usize,
}

/// Returns the padding before and after each spatial axis, `[[top, bottom], [left, right]]`,
/// or `None` for `Same`, which this kernel leaves to Burn.
pub(in crate::layer) fn explicit_padding(padding: &PaddingConfig2d) -> Option<[[usize; 2]; 2]> {
    match *padding {
        PaddingConfig2d::Valid => Some([[0, 0], [0, 0]]),
        PaddingConfig2d::Explicit(top, left, bottom, right) => Some([[top, bottom], [left, right]]),
        PaddingConfig2d::Same => None,
    }
}

/// Applies the dense convolution `conv` (groups = 1) to `input` `[N, C_in, H, W]` with
/// `padding` `[[top, bottom], [left, right]]`, splitting the images over the available
/// cores.
pub(in crate::layer) fn conv2d(
    input: Tensor<4>,
    conv: &Conv2d,
    padding: [[usize; 2]; 2],
) -> Tensor<4> {
    debug_assert_eq!(conv.groups, 1, "the host convolution is for groups = 1");
    let device = input.device();
    let [batch, channels_in, height, width] = input.dims();
    let [channels_out, _, kernel_h, kernel_w] = conv.weight.dims();
    let out_size = |size: usize, axis: usize, kernel: usize| {
        let padded = size + padding[axis][0] + padding[axis][1];
        let span = conv.dilation[axis] * (kernel - 1) + 1;
        assert!(
            padded >= span,
            "convolution input {size} (padded {padded}) is smaller than its kernel span {span}"
        );
        (padded - span) / conv.stride[axis] + 1
    };
    let geometry = Geometry {
        height,
        width,
        kernel: [kernel_h, kernel_w],
        stride: conv.stride,
        dilation: conv.dilation,
        padding_start: [padding[0][0], padding[1][0]],
        out_height: out_size(height, 0, kernel_h),
        out_width: out_size(width, 1, kernel_w),
    };

    let data = values(input);
    let weight = values(conv.weight.val());
    let bias = conv.bias.as_ref().map(|bias| values(bias.val()));
    let depth = channels_in * kernel_h * kernel_w;
    let out_plane = geometry.out_height * geometry.out_width;
    let in_image = channels_in * height * width;
    let out_image = channels_out * out_plane;
    let weights = Weights::new(weight, channels_out, depth);
    let mut output = take_buffer(batch * out_image);
    for_each_plane_chunk(&mut output, out_image, |first_image, images| {
        let mut columns = Vec::new();
        for (offset, out) in images.chunks_exact_mut(out_image).enumerate() {
            let start = (first_image + offset) * in_image;
            let image = &data[start..start + in_image];
            if let Some(bias) = &bias {
                for (row, &b) in out.chunks_exact_mut(out_plane).zip(bias) {
                    row.fill(b);
                }
            }
            weights.multiply(
                image,
                &geometry,
                channels_in,
                &mut columns,
                out,
                bias.is_some(),
            );
        }
    });
    recycle(data);
    Tensor::from_data(
        TensorData::new(
            output,
            [batch, channels_out, geometry.out_height, geometry.out_width],
        ),
        &device,
    )
}

/// Writes the patches of `image` `[C_in, H, W]` into `columns`, row
/// `(c * K_h + i) * K_w + j` holding input channel `c` at kernel offset `(i, j)` for every
/// output position. Positions in the padding are 0.
fn im2col(image: &[f32], geometry: &Geometry, columns: &mut [f32]) {
    let Geometry {
        height,
        width,
        kernel,
        stride,
        dilation,
        padding_start,
        out_height,
        out_width,
        ..
    } = *geometry;
    let out_plane = out_height * out_width;
    let mut rows = columns.chunks_exact_mut(out_plane.max(1));
    for plane in image.chunks_exact(height * width) {
        for i in 0..kernel[0] {
            for j in 0..kernel[1] {
                let row = rows.next().expect("columns has C_in * K_h * K_w rows");
                // Output column ow reads input column ow * stride + shift.
                let shift = (j * dilation[1]) as isize - padding_start[1] as isize;
                let [first, end] = valid_range(shift, stride[1], width, out_width);
                for (oh, out) in row.chunks_exact_mut(out_width).enumerate() {
                    let ih =
                        (oh * stride[0] + i * dilation[0]) as isize - padding_start[0] as isize;
                    if ih < 0 || ih >= height as isize {
                        out.fill(0.0);
                        continue;
                    }
                    let source = &plane[ih as usize * width..(ih as usize + 1) * width];
                    out[..first].fill(0.0);
                    out[end..].fill(0.0);
                    if first == end {
                        // The tap reads only padding, and `base` below may be negative.
                        continue;
                    }
                    // first >= 0 and ow * stride + shift >= 0 for ow >= first.
                    let base = (first * stride[1]) as isize + shift;
                    if stride[1] == 1 {
                        let base = base as usize;
                        out[first..end].copy_from_slice(&source[base..base + end - first]);
                    } else {
                        for (k, value) in out[first..end].iter_mut().enumerate() {
                            *value = source[base as usize + k * stride[1]];
                        }
                    }
                }
            }
        }
    }
}

/// Convolution weights `[C_out, C_in * K_h * K_w]`, in the layout of the matrix product
/// that the CPU runs fastest.
enum Weights {
    /// Row-major, for the gemm crate.
    RowMajor {
        values: Vec<f32>,
        rows: usize,
        depth: usize,
    },
    /// Packed for the AVX-512 kernel, on CPUs with AVX-512F.
    #[cfg(target_arch = "x86_64")]
    Avx512(avx512::PackedWeights),
}

impl Weights {
    fn new(values: Vec<f32>, rows: usize, depth: usize) -> Self {
        #[cfg(target_arch = "x86_64")]
        if avx512::is_available() {
            return Weights::Avx512(avx512::PackedWeights::new(&values, rows, depth));
        }
        Weights::RowMajor {
            values,
            rows,
            depth,
        }
    }

    /// Computes `out = weights * im2col(image)` (plus `out` when `accumulate`) on the
    /// calling thread, for `image` `[channels, H, W]`. `columns` is scratch space for the
    /// patches that keeps its allocation between calls.
    fn multiply(
        &self,
        image: &[f32],
        geometry: &Geometry,
        channels: usize,
        columns: &mut Vec<f32>,
        out: &mut [f32],
        accumulate: bool,
    ) {
        match self {
            Weights::RowMajor {
                values,
                rows,
                depth,
            } => {
                debug_assert_eq!(*depth, channels * geometry.kernel[0] * geometry.kernel[1]);
                columns.resize(depth * geometry.out_height * geometry.out_width, 0.0);
                im2col(image, geometry, columns);
                matmul(values, columns, out, *rows, *depth, accumulate);
            }
            #[cfg(target_arch = "x86_64")]
            Weights::Avx512(packed) => {
                avx512::pack_image(image, geometry, channels, columns);
                avx512::multiply_panels(packed, columns, out, accumulate);
            }
        }
    }
}

/// Computes `out = weight * columns` (plus `out` when `accumulate`), with `weight`
/// `[rows, depth]`, `columns` `[depth, n]` and `out` `[rows, n]`, all row-major, on the
/// calling thread.
fn matmul(
    weight: &[f32],
    columns: &[f32],
    out: &mut [f32],
    rows: usize,
    depth: usize,
    accumulate: bool,
) {
    let n = out.len() / rows.max(1);
    assert_eq!(weight.len(), rows * depth);
    assert_eq!(columns.len(), depth * n);
    assert_eq!(out.len(), rows * n);
    // SAFETY: the asserts above keep every index that gemm computes from the sizes and
    // strides inside `weight`, `columns` and `out`, and `out` does not alias the inputs.
    unsafe {
        gemm::gemm(
            rows,
            n,
            depth,
            out.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            weight.as_ptr(),
            1,
            depth as isize,
            columns.as_ptr(),
            1,
            n as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    fn random_values(count: usize, rng: &mut StdRng) -> Vec<f32> {
        (0..count).map(|_| rng.random_range(-1.0..1.0)).collect()
    }

    /// Computes the convolution as a direct sum over channels and taps, output
    /// `[rows, out_height * out_width]`.
    fn direct_convolution(
        image: &[f32],
        weight: &[f32],
        geometry: &Geometry,
        channels: usize,
        rows: usize,
    ) -> Vec<f32> {
        let g = geometry;
        let mut out = vec![0.0; rows * g.out_height * g.out_width];
        for r in 0..rows {
            for oh in 0..g.out_height {
                for ow in 0..g.out_width {
                    let mut sum = 0.0;
                    for c in 0..channels {
                        for i in 0..g.kernel[0] {
                            for j in 0..g.kernel[1] {
                                let ih = (oh * g.stride[0] + i * g.dilation[0]) as isize
                                    - g.padding_start[0] as isize;
                                let iw = (ow * g.stride[1] + j * g.dilation[1]) as isize
                                    - g.padding_start[1] as isize;
                                if ih < 0
                                    || iw < 0
                                    || ih >= g.height as isize
                                    || iw >= g.width as isize
                                {
                                    continue;
                                }
                                let x = image[(c * g.height + ih as usize) * g.width + iw as usize];
                                let w = weight
                                    [((r * channels + c) * g.kernel[0] + i) * g.kernel[1] + j];
                                sum += x * w;
                            }
                        }
                    }
                    out[(r * g.out_height + oh) * g.out_width + ow] = sum;
                }
            }
        }
        out
    }

    /// Compares both weight layouts with the direct sum on inputs narrower than the
    /// kernel's padding, where some taps read only padding along a whole output row.
    #[test]
    fn narrow_inputs_match_direct_convolution() {
        let mut rng = StdRng::seed_from_u64(10);
        // (channels, height, width, kernel, padding start, out height, out width)
        let cases = [
            (2, 3, 2, [1, 7], [0, 3], 3, 2),
            (3, 2, 1, [7, 1], [3, 0], 2, 1),
            (1, 1, 1, [5, 5], [2, 2], 1, 1),
        ];
        for (channels, height, width, kernel, padding_start, out_height, out_width) in cases {
            let geometry = Geometry {
                height,
                width,
                kernel,
                stride: [1, 1],
                dilation: [1, 1],
                padding_start,
                out_height,
                out_width,
            };
            let rows = 5;
            let depth = channels * kernel[0] * kernel[1];
            let image = random_values(channels * height * width, &mut rng);
            let weight = random_values(rows * depth, &mut rng);
            let expected = direct_convolution(&image, &weight, &geometry, channels, rows);
            let layouts = [
                Weights::RowMajor {
                    values: weight.clone(),
                    rows,
                    depth,
                },
                Weights::new(weight, rows, depth),
            ];
            for layout in layouts {
                let mut actual = vec![f32::NAN; expected.len()];
                layout.multiply(
                    &image,
                    &geometry,
                    channels,
                    &mut Vec::new(),
                    &mut actual,
                    false,
                );
                let difference = expected
                    .iter()
                    .zip(&actual)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f32::max);
                assert!(difference < 1e-5, "{geometry:?}: {difference}");
            }
        }
    }

    /// The AVX-512 kernel, where the CPU has it, against the gemm crate on sizes that leave
    /// partial tiles of rows (12) and columns (32).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx512_matmul_matches_gemm() {
        if !avx512::is_available() {
            // NOTE: without AVX-512F only the gemm path runs, so nothing here is compared.
            return;
        }
        let mut rng = StdRng::seed_from_u64(8);
        for (rows, depth, n) in [(1, 1, 1), (13, 5, 37), (32, 288, 1024), (24, 27, 64)] {
            let weight = random_values(rows * depth, &mut rng);
            let columns = random_values(depth * n, &mut rng);
            let packed = avx512::PackedWeights::new(&weight, rows, depth);
            for accumulate in [false, true] {
                let initial = random_values(rows * n, &mut rng);
                let mut expected = initial.clone();
                matmul(&weight, &columns, &mut expected, rows, depth, accumulate);
                let mut actual = initial;
                avx512::matmul(&packed, &columns, &mut actual, accumulate);
                let difference = expected
                    .iter()
                    .zip(&actual)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f32::max);
                assert!(
                    difference < 1e-4,
                    "{rows}x{depth}x{n}, accumulate {accumulate}: {difference}"
                );
            }
        }
    }

    /// The packed patches of the AVX-512 path, where the CPU has it, against im2col and the
    /// gemm crate, on geometries whose output rows straddle panels of 32 positions.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn packed_patches_match_im2col() {
        if !avx512::is_available() {
            // NOTE: without AVX-512F only the im2col path runs, so nothing here is compared.
            return;
        }
        let mut rng = StdRng::seed_from_u64(9);
        // (channels, height, width, kernel, stride, dilation, padding start, padding end)
        let cases = [
            (3, 32, 32, [3, 3], [1, 1], [1, 1], [1, 1], [1, 1]),
            (4, 10, 12, [3, 3], [1, 1], [2, 2], [2, 2], [2, 2]),
            (2, 7, 5, [5, 5], [1, 1], [1, 1], [2, 2], [2, 2]),
            (3, 11, 9, [3, 3], [2, 2], [1, 1], [1, 1], [1, 1]),
            (2, 13, 13, [7, 7], [2, 3], [1, 1], [3, 3], [3, 3]),
            (1, 3, 40, [1, 3], [1, 1], [1, 1], [0, 4], [0, 0]),
        ];
        for (channels, height, width, kernel, stride, dilation, start, end) in cases {
            let out_size = |size: usize, axis: usize| {
                let span = dilation[axis] * (kernel[axis] - 1) + 1;
                (size + start[axis] + end[axis] - span) / stride[axis] + 1
            };
            let geometry = Geometry {
                height,
                width,
                kernel,
                stride,
                dilation,
                padding_start: start,
                out_height: out_size(height, 0),
                out_width: out_size(width, 1),
            };
            let rows = 13;
            let depth = channels * kernel[0] * kernel[1];
            let positions = geometry.out_height * geometry.out_width;
            let image = random_values(channels * height * width, &mut rng);
            let weight = random_values(rows * depth, &mut rng);
            let row_major = Weights::RowMajor {
                values: weight.clone(),
                rows,
                depth,
            };
            let packed = Weights::new(weight, rows, depth);
            // Both outputs start with stale values, as a pooled buffer does.
            let mut expected = vec![f32::NAN; rows * positions];
            row_major.multiply(
                &image,
                &geometry,
                channels,
                &mut Vec::new(),
                &mut expected,
                false,
            );
            assert!(
                expected.iter().all(|value| value.is_finite()),
                "{geometry:?}"
            );
            // Nor may stale values in the scratch buffer leak into the result.
            let mut scratch = vec![f32::NAN; 3 * depth * 32];
            let mut actual = vec![f32::NAN; rows * positions];
            packed.multiply(
                &image,
                &geometry,
                channels,
                &mut scratch,
                &mut actual,
                false,
            );
            assert!(actual.iter().all(|value| value.is_finite()), "{geometry:?}");
            let difference = expected
                .iter()
                .zip(&actual)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(difference < 1e-4, "{geometry:?}: {difference}");
        }
    }
}
