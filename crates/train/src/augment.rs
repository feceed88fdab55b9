//! Training augmentation of channel-planar images: random crop with zero padding,
//! horizontal flip and cutout, as in DARTS' CIFAR-10 pipeline.
//!
//! Crop and flip act on pixel bytes before normalisation, so the padding is black (byte 0).
//! Cutout acts on the normalised values and sets them to 0, as DARTS' `Cutout` does after
//! `Normalize`.

use rand::{Rng, RngExt};
use rwenas_rwe::{DataError, ImageDataset, Normalization};

/// Size of a channel-planar image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageShape {
    /// Channels.
    pub channels: usize,
    /// Height in pixels.
    pub height: usize,
    /// Width in pixels.
    pub width: usize,
}

impl ImageShape {
    /// Returns the shape of the images of `dataset`.
    pub fn of(dataset: &ImageDataset) -> Self {
        ImageShape {
            channels: dataset.channels,
            height: dataset.height,
            width: dataset.width,
        }
    }

    /// Returns the number of values, `channels * height * width`.
    pub fn len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Returns whether the image has no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Crops `image` to its own size from the image padded by `padding` zero pixels on every
/// side, taking the window whose top-left corner is at (`top`, `left`) of the padded image.
///
/// `top` and `left` range over `0..=2 * padding`; `(padding, padding)` returns the image
/// unchanged. Values beyond that range are clamped to it.
pub fn crop_padded(
    image: &[u8],
    shape: ImageShape,
    padding: usize,
    top: usize,
    left: usize,
) -> Vec<u8> {
    let ImageShape {
        channels,
        height,
        width,
    } = shape;
    let top = top.min(2 * padding);
    let left = left.min(2 * padding);
    let mut out = vec![0u8; shape.len()];
    for channel in 0..channels {
        let plane = channel * height * width;
        for row in 0..height {
            // Row of the padded image is `row + top`, so of the source image `row + top - padding`.
            let Some(source_row) = (row + top).checked_sub(padding).filter(|&r| r < height) else {
                continue;
            };
            for column in 0..width {
                let Some(source_column) =
                    (column + left).checked_sub(padding).filter(|&c| c < width)
                else {
                    continue;
                };
                out[plane + row * width + column] =
                    image[plane + source_row * width + source_column];
            }
        }
    }
    out
}

/// Mirrors every channel of `image` left to right in place.
pub fn flip_horizontal<T>(image: &mut [T], shape: ImageShape) {
    if shape.width == 0 {
        return;
    }
    for row in image.chunks_exact_mut(shape.width) {
        row.reverse();
    }
}

/// Sets to 0 every channel of the `length x length` square centred at (`center_row`,
/// `center_column`), clipped at the image borders.
///
/// As DARTS' `Cutout`, the square spans rows `clip(center_row - length / 2, 0, height)` to
/// `clip(center_row + length / 2, 0, height)` (end exclusive), and columns likewise, so an
/// odd length masks `length - 1` rows and columns.
pub fn cutout(
    image: &mut [f32],
    shape: ImageShape,
    length: usize,
    center_row: usize,
    center_column: usize,
) {
    let half = length / 2;
    let rows = center_row.saturating_sub(half)..(center_row + half).min(shape.height);
    let columns = center_column.saturating_sub(half)..(center_column + half).min(shape.width);
    for channel in 0..shape.channels {
        let plane = channel * shape.height * shape.width;
        for row in rows.clone() {
            let start = plane + row * shape.width;
            image[start + columns.start..start + columns.end].fill(0.0);
        }
    }
}

/// The random augmentation of training images.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Augmentation {
    /// Zero padding of the random crop; 0 disables the crop.
    pub crop_padding: usize,
    /// Whether to flip with probability 0.5.
    pub horizontal_flip: bool,
    /// Side of the cutout square; `None` disables cutout.
    pub cutout_length: Option<usize>,
}

impl Augmentation {
    /// Appends the augmented, normalised values of the images at `indices` to `out`,
    /// `N x C x H x W`, drawing crop offsets, flips and cutout centres from `rng` in image
    /// order.
    ///
    /// # Errors
    ///
    /// As [`Normalization::normalize_into`].
    pub fn batch_into(
        &self,
        dataset: &ImageDataset,
        indices: &[usize],
        normalization: &Normalization,
        rng: &mut impl Rng,
        out: &mut Vec<f32>,
    ) -> Result<(), DataError> {
        let shape = ImageShape::of(dataset);
        let mut scratch = ImageDataset {
            images: Vec::new(),
            labels: vec![0],
            class_names: dataset.class_names.clone(),
            channels: shape.channels,
            height: shape.height,
            width: shape.width,
        };
        for &index in indices {
            let image = dataset.image(index).ok_or(DataError::IndexOutOfRange {
                index,
                len: dataset.len(),
            })?;
            let mut bytes = if self.crop_padding > 0 {
                let top = rng.random_range(0..=2 * self.crop_padding);
                let left = rng.random_range(0..=2 * self.crop_padding);
                crop_padded(image, shape, self.crop_padding, top, left)
            } else {
                image.to_vec()
            };
            if self.horizontal_flip && rng.random_bool(0.5) {
                flip_horizontal(&mut bytes, shape);
            }
            scratch.images = bytes;
            let start = out.len();
            normalization.normalize_into(&scratch, &[0], out)?;
            if let Some(length) = self.cutout_length
                && shape.height > 0
                && shape.width > 0
            {
                let center_row = rng.random_range(0..shape.height);
                let center_column = rng.random_range(0..shape.width);
                cutout(&mut out[start..], shape, length, center_row, center_column);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHAPE: ImageShape = ImageShape {
        channels: 3,
        height: 32,
        width: 32,
    };

    fn ramp() -> Vec<u8> {
        (0..SHAPE.len()).map(|i| (i % 251) as u8 + 1).collect()
    }

    #[test]
    fn cutout_masks_full_square() {
        let mut image = vec![1.0f32; SHAPE.len()];
        cutout(&mut image, SHAPE, 16, 16, 16);
        let zeroed = image.iter().filter(|&&v| v == 0.0).count();
        assert_eq!(zeroed, 3 * 16 * 16);
        // The square spans rows and columns 8..24.
        assert_eq!(image[8 * 32 + 8], 0.0);
        assert_eq!(image[23 * 32 + 23], 0.0);
        assert_eq!(image[7 * 32 + 8], 1.0);
        assert_eq!(image[24 * 32 + 8], 1.0);
    }

    #[test]
    fn cutout_clips_at_corner() {
        let mut image = vec![1.0f32; SHAPE.len()];
        cutout(&mut image, SHAPE, 16, 2, 30);
        let zeroed = image.iter().filter(|&&v| v == 0.0).count();
        // Rows 0..10 and columns 22..32.
        assert_eq!(zeroed, 3 * 10 * 10);
        assert_eq!(image[0], 1.0);
        assert_eq!(image[31], 0.0);
    }

    #[test]
    fn cutout_odd_length_masks_one_less() {
        let mut image = vec![1.0f32; SHAPE.len()];
        cutout(&mut image, SHAPE, 5, 16, 16);
        let zeroed = image.iter().filter(|&&v| v == 0.0).count();
        assert_eq!(zeroed, 3 * 4 * 4);
    }

    #[test]
    fn crop_keeps_shape_and_shifts() {
        let image = ramp();
        let centred = crop_padded(&image, SHAPE, 4, 4, 4);
        assert_eq!(centred, image);

        let shifted = crop_padded(&image, SHAPE, 4, 0, 0);
        assert_eq!(shifted.len(), SHAPE.len());
        // The window starts 4 pixels above and left of the image, so the first 4 rows and
        // columns are padding.
        let zero_rows = (0..4).all(|row| shifted[row * 32..row * 32 + 32].iter().all(|&v| v == 0));
        assert!(zero_rows);
        assert_eq!(shifted[4 * 32 + 3], 0);
        assert_eq!(shifted[4 * 32 + 4], image[0]);
        assert_eq!(shifted[31 * 32 + 31], image[27 * 32 + 27]);

        let far = crop_padded(&image, SHAPE, 4, 8, 8);
        assert_eq!(far[0], image[4 * 32 + 4]);
        assert_eq!(far[31 * 32 + 31], 0);
    }

    #[test]
    fn flip_mirrors_rows() {
        let image = ramp();
        let mut flipped = image.clone();
        flip_horizontal(&mut flipped, SHAPE);
        assert_eq!(flipped.len(), image.len());
        assert_eq!(flipped[0], image[31]);
        assert_eq!(
            flipped[2 * 1024 + 5 * 32 + 1],
            image[2 * 1024 + 5 * 32 + 30]
        );
        flip_horizontal(&mut flipped, SHAPE);
        assert_eq!(flipped, image);
    }
}
