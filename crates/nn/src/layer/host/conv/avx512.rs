//! Matrix product of the host convolution with AVX-512 registers.
//!
//! The gemm crate (0.19, as built for Burn's flex backend, without its `x86-v4` feature)
//! multiplies with 256-bit AVX2 registers only. This kernel accumulates a tile of 12 output
//! channels by 32 output positions in 24 512-bit registers.

use std::arch::x86_64::{
    __m512, __mmask16, _mm512_add_ps, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_mask_storeu_ps,
    _mm512_maskz_loadu_ps, _mm512_set1_ps, _mm512_setzero_ps,
};

/// Output channels per tile.
const ROWS: usize = 12;
/// Values per 512-bit register.
const LANES: usize = 16;
/// Output positions per tile.
const COLUMNS: usize = 2 * LANES;

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

/// Computes `out = weights * columns` (plus `out` when `accumulate`), with `columns`
/// `[depth, n]` and `out` `[rows, n]` row-major. `panel` is scratch space that keeps its
/// allocation between calls.
///
/// # Panics
/// If the CPU lacks AVX-512F ([`is_available`]) or the sizes do not match.
pub(super) fn matmul(
    weights: &PackedWeights,
    columns: &[f32],
    out: &mut [f32],
    panel: &mut Vec<f32>,
    accumulate: bool,
) {
    assert!(is_available(), "the AVX-512 matrix product needs AVX-512F");
    let PackedWeights { rows, depth, .. } = *weights;
    let n = out.len() / rows.max(1);
    assert_eq!(columns.len(), depth * n);
    assert_eq!(out.len(), rows * n);
    panel.resize(depth * COLUMNS, 0.0);
    for start in (0..n).step_by(COLUMNS) {
        let width = (n - start).min(COLUMNS);
        // Copy the tile's columns into a contiguous [depth][COLUMNS] panel (zero beyond
        // `width`), which the kernel then reads once per block of rows.
        for (k, destination) in panel.chunks_exact_mut(COLUMNS).enumerate() {
            let source = &columns[k * n + start..][..width];
            if let (Ok(source), Ok(destination)) = (
                <&[f32; COLUMNS]>::try_from(source),
                <&mut [f32; COLUMNS]>::try_from(&mut *destination),
            ) {
                // A fixed-size copy compiles to register moves instead of a memcpy call.
                *destination = *source;
            } else {
                destination[..width].copy_from_slice(source);
                destination[width..].fill(0.0);
            }
        }
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
