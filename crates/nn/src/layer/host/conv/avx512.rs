//! Matrix product of the host convolution with AVX-512 registers.
//!
//! The gemm crate (0.19, as built for Burn's flex backend, without its `x86-v4` feature)
//! multiplies with 256-bit AVX2 registers only. This kernel accumulates a tile of 12 output
//! channels by 32 output positions in 24 512-bit registers. It reads the patches of an
//! image from panels of 32 output positions that [`pack_image`] writes directly from the
//! image, so no `[depth, positions]` im2col matrix is built and copied again.

use std::arch::x86_64::{
    __m512, __mmask16, _mm512_add_ps, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_mask_loadu_ps,
    _mm512_mask_storeu_ps, _mm512_maskz_loadu_ps, _mm512_set1_ps, _mm512_setzero_ps,
    _mm512_storeu_ps,
};

use super::Geometry;

/// Output channels per tile.
const ROWS: usize = 12;
/// Values per 512-bit register.
const LANES: usize = 16;
/// Output positions per tile and per panel.
pub(super) const COLUMNS: usize = 2 * LANES;

/// Returns whether the CPU supports AVX-512F.
pub(super) fn is_available() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
}

/// Convolution weights `[rows, depth]` regrouped for the kernel: blocks of [`ROWS`] rows,
/// each stored depth-major (`[depth][ROWS]`) and padded with zero rows.
pub(super) struct PackedWeights {
    values: Vec<f32>,
    rows: usize,
    depth: usize,
}

impl PackedWeights {
    /// Packs the row-major `weight` `[rows, depth]`.
    pub(super) fn new(weight: &[f32], rows: usize, depth: usize) -> Self {
        assert_eq!(weight.len(), rows * depth);
        let mut values = vec![0f32; rows.div_ceil(ROWS) * depth * ROWS];
        for (row, source) in weight.chunks_exact(depth.max(1)).enumerate() {
            let block = &mut values[row / ROWS * depth * ROWS..][..depth * ROWS];
            for (k, &value) in source.iter().enumerate() {
                block[k * ROWS + row % ROWS] = value;
            }
        }
        Self {
            values,
            rows,
            depth,
        }
    }
}

/// A run of consecutive output positions of one output row inside a panel.
#[derive(Clone, Copy, Default)]
struct Segment {
    /// First lane of the run in the panel.
    lane: usize,
    /// Number of positions.
    len: usize,
    /// Output row.
    row: usize,
    /// Output column of the first position.
    column: usize,
}

/// Writes the patches of `image` `[channels, H, W]` as panels: panel `p` holds output
/// positions `32p` to `32p + 31` as a `[depth][32]` block, where row
/// `(c * K_h + i) * K_w + j` is input channel `c` at kernel offset `(i, j)`, as in
/// im2col. Positions in the padding, and lanes past the last position, are 0.
///
/// # Panics
/// If the CPU lacks AVX-512F ([`is_available`]) or `image` has another size.
pub(super) fn pack_image(
    image: &[f32],
    geometry: &Geometry,
    channels: usize,
    panels: &mut Vec<f32>,
) {
    assert!(is_available(), "the AVX-512 packing needs AVX-512F");
    assert_eq!(image.len(), channels * geometry.height * geometry.width);
    let positions = geometry.out_height * geometry.out_width;
    let depth = channels * geometry.kernel[0] * geometry.kernel[1];
    // Every value is written below, so stale values of a longer buffer do no harm.
    panels.resize(positions.div_ceil(COLUMNS) * depth * COLUMNS, 0.0);
    let mut segments = [Segment::default(); COLUMNS];
    for (index, panel) in panels.chunks_exact_mut(depth * COLUMNS).enumerate() {
        let start = index * COLUMNS;
        let count = panel_segments(
            start,
            positions.min(start + COLUMNS),
            geometry,
            &mut segments,
        );
        // SAFETY: `is_available` checked AVX-512F above.
        unsafe { pack_panel(image, geometry, channels, &segments[..count], panel) };
    }
}

/// Splits the output positions `start..end` (at most [`COLUMNS`]) into runs along output
/// rows and returns how many it wrote to `segments`.
fn panel_segments(
    start: usize,
    end: usize,
    geometry: &Geometry,
    segments: &mut [Segment; COLUMNS],
) -> usize {
    let mut count = 0;
    let mut position = start;
    while position < end {
        let (row, column) = (position / geometry.out_width, position % geometry.out_width);
        let len = (geometry.out_width - column).min(end - position);
        segments[count] = Segment {
            lane: position - start,
            len,
            row,
            column,
        };
        count += 1;
        position += len;
    }
    count
}

/// A masked load of one half of a panel row: lanes of `mask` read the input channel's
/// values from `offset` (relative to the start of the channel's plane) on.
#[derive(Clone, Copy)]
struct Load {
    offset: isize,
    mask: __mmask16,
}

/// Writes one panel `[depth][COLUMNS]` for the output positions of `segments`.
#[target_feature(enable = "avx512f")]
fn pack_panel(
    image: &[f32],
    geometry: &Geometry,
    channels: usize,
    segments: &[Segment],
    panel: &mut [f32],
) {
    let Geometry {
        height,
        width,
        kernel,
        stride,
        dilation,
        padding_start,
        ..
    } = *geometry;
    let plane = height * width;
    assert!(image.len() >= channels * plane);
    assert!(panel.len() >= channels * kernel[0] * kernel[1] * COLUMNS);
    // The loads of each half depend on the kernel offset only, not on the channel.
    let mut loads = [[Load { offset: 0, mask: 0 }; COLUMNS]; 2];
    for i in 0..kernel[0] {
        for j in 0..kernel[1] {
            let mut counts = [0usize; 2];
            let column_shift = (j * dilation[1]) as isize - padding_start[1] as isize;
            for segment in segments {
                let row = (segment.row * stride[0] + i * dilation[0]) as isize
                    - padding_start[0] as isize;
                if !(0..height as isize).contains(&row) {
                    continue;
                }
                let row_start = row * width as isize;
                if stride[1] != 1 {
                    // One single-lane load per position: strided columns are not adjacent.
                    for offset in 0..segment.len {
                        let column =
                            ((segment.column + offset) * stride[1]) as isize + column_shift;
                        if !(0..width as isize).contains(&column) {
                            continue;
                        }
                        let lane = segment.lane + offset;
                        let base = (lane / LANES * LANES) as isize;
                        let half = lane / LANES;
                        loads[half][counts[half]] = Load {
                            offset: row_start + column - (lane as isize - base),
                            mask: 1 << (lane % LANES),
                        };
                        counts[half] += 1;
                    }
                    continue;
                }
                // Lane l of the segment reads input column l + shift.
                let shift = segment.column as isize + column_shift - segment.lane as isize;
                let first = (segment.lane as isize).max(-shift);
                let end = ((segment.lane + segment.len) as isize).min(width as isize - shift);
                for half in 0..2 {
                    let base = (half * LANES) as isize;
                    let low = first.max(base);
                    let high = end.min(base + LANES as isize);
                    if low >= high {
                        continue;
                    }
                    loads[half][counts[half]] = Load {
                        offset: row_start + base + shift,
                        mask: lane_mask((high - base) as usize) & !lane_mask((low - base) as usize),
                    };
                    counts[half] += 1;
                }
            }

            for channel in 0..channels {
                let source = image[channel * plane..].as_ptr();
                let mut halves = [_mm512_setzero_ps(); 2];
                for (value, (loads, &count)) in halves.iter_mut().zip(loads.iter().zip(&counts)) {
                    for load in &loads[..count] {
                        // SAFETY: lane q of the load reads plane value offset + q, and its mask
                        // keeps only lanes whose value lies in the row the offset was computed
                        // from, inside this channel's plane. Masked-off lanes are not read and
                        // cannot fault, so the pointer may lie outside the plane
                        // (`wrapping_offset` computes it without assuming otherwise).
                        *value = unsafe {
                            _mm512_mask_loadu_ps(
                                *value,
                                load.mask,
                                source.wrapping_offset(load.offset),
                            )
                        };
                    }
                }
                let row = ((channel * kernel[0] + i) * kernel[1] + j) * COLUMNS;
                // SAFETY: the assert on `panel.len()` keeps row + COLUMNS inside `panel`.
                unsafe {
                    let destination = panel.as_mut_ptr().add(row);
                    _mm512_storeu_ps(destination, halves[0]);
                    _mm512_storeu_ps(destination.add(LANES), halves[1]);
                }
            }
        }
    }
}

/// Computes `out = weights * columns` (plus `out` when `accumulate`), with the columns
/// `[depth, n]` given as the panels of [`pack_image`] and `out` `[rows, n]` row-major.
///
/// # Panics
/// If the CPU lacks AVX-512F ([`is_available`]) or the sizes do not match.
pub(super) fn multiply_panels(
    weights: &PackedWeights,
    panels: &[f32],
    out: &mut [f32],
    accumulate: bool,
) {
    assert!(is_available(), "the AVX-512 matrix product needs AVX-512F");
    let PackedWeights { rows, depth, .. } = *weights;
    let n = out.len() / rows.max(1);
    assert_eq!(out.len(), rows * n);
    assert_eq!(panels.len(), n.div_ceil(COLUMNS) * depth * COLUMNS);
    if depth == 0 {
        if !accumulate {
            out.fill(0.0);
        }
        return;
    }
    for (index, panel) in panels.chunks_exact(depth * COLUMNS).enumerate() {
        let start = index * COLUMNS;
        let width = (n - start).min(COLUMNS);
        for (block, weights) in weights.values.chunks_exact(depth * ROWS).enumerate() {
            let tile = Tile {
                first_row: block * ROWS,
                rows: (rows - block * ROWS).min(ROWS),
                start,
                width,
                n,
            };
            // SAFETY: `is_available` checked AVX-512F above.
            unsafe { multiply_tile(weights, panel, depth, out, tile, accumulate) };
        }
    }
}

/// Computes `out = weights * columns` (plus `out` when `accumulate`) for a row-major
/// `columns` `[depth, n]`, by packing it as the im2col matrix of a 1x1 convolution.
#[cfg(test)]
pub(super) fn matmul(weights: &PackedWeights, columns: &[f32], out: &mut [f32], accumulate: bool) {
    let n = out.len() / weights.rows.max(1);
    let geometry = Geometry {
        height: 1,
        width: n,
        kernel: [1, 1],
        stride: [1, 1],
        dilation: [1, 1],
        padding_start: [0, 0],
        out_height: 1,
        out_width: n,
    };
    let mut panels = Vec::new();
    pack_image(columns, &geometry, weights.depth, &mut panels);
    multiply_panels(weights, &panels, out, accumulate);
}
/// Position of one output tile in `out` `[rows, n]`.
#[derive(Clone, Copy)]
struct Tile {
    first_row: usize,
    /// Valid rows, at most [`ROWS`].
    rows: usize,
    /// First output position.
    start: usize,
    /// Valid output positions, 1 to [`COLUMNS`].
    width: usize,
    n: usize,
}

/// Accumulates one tile over `depth` from a weight block `[depth][ROWS]` and a panel
/// `[depth][COLUMNS]`, then stores its valid part.
#[target_feature(enable = "avx512f")]
fn multiply_tile(
    weights: &[f32],
    panel: &[f32],
    depth: usize,
    out: &mut [f32],
    tile: Tile,
    accumulate: bool,
) {
    assert!(weights.len() >= depth * ROWS);
    assert!(panel.len() >= depth * COLUMNS);
    assert!((1..=ROWS).contains(&tile.rows));
    assert!((1..=COLUMNS).contains(&tile.width));
    assert!((tile.first_row + tile.rows - 1) * tile.n + tile.start + tile.width <= out.len());
    let mut sums: [__m512; 2 * ROWS] = [_mm512_setzero_ps(); 2 * ROWS];
    for k in 0..depth {
        // SAFETY: k < depth, and the asserts above bound both slices by depth.
        let (low, high) = unsafe {
            let column = panel.as_ptr().add(k * COLUMNS);
            (_mm512_loadu_ps(column), _mm512_loadu_ps(column.add(LANES)))
        };
        let row_weights = &weights[k * ROWS..(k + 1) * ROWS];
        for (row, &weight) in row_weights.iter().enumerate() {
            let weight = _mm512_set1_ps(weight);
            sums[2 * row] = _mm512_fmadd_ps(weight, low, sums[2 * row]);
            sums[2 * row + 1] = _mm512_fmadd_ps(weight, high, sums[2 * row + 1]);
        }
    }

    let masks = [
        lane_mask(tile.width.min(LANES)),
        lane_mask(tile.width.saturating_sub(LANES)),
    ];
    for row in 0..tile.rows {
        let offset = (tile.first_row + row) * tile.n + tile.start;
        for (half, &mask) in masks.iter().enumerate() {
            if mask == 0 {
                continue;
            }
            // SAFETY: the masks cover only positions below `tile.width`, which the assert on
            // `out.len()` keeps inside `out`. Masked-off lanes are neither read nor written.
            unsafe {
                let target = out.as_mut_ptr().add(offset + half * LANES);
                let mut value = sums[2 * row + half];
                if accumulate {
                    value = _mm512_add_ps(value, _mm512_maskz_loadu_ps(mask, target));
                }
                _mm512_mask_storeu_ps(target, mask, value);
            }
        }
    }
}

/// Returns a mask of the lowest `count` (at most [`LANES`]) lanes.
fn lane_mask(count: usize) -> __mmask16 {
    ((1u32 << count) - 1) as __mmask16
}
