//! The ImageNet input pipeline of DARTS' `train_imagenet.py`, for image folders whose images
//! have any size.
//!
//! Training images get a random resized crop to the network's input size, a horizontal flip
//! and colour jitter, then normalisation and, if set, cutout. Test images, and the training
//! images in [`TrainData::train`] used where no augmentation is wanted, are resized so that
//! their shorter side has `resize` pixels and then cropped to the centre square of the
//! network's input size (torchvision's `Resize` and `CenterCrop`).
//!
//! Decoded full-size images stay in memory as bytes, about 3 bytes per pixel (some 110 KiB
//! per typical ImageNet image), next to their centre crops.
//!
//! NOTE: resizing uses the `image` crate's triangle filter, which widens with the scale
//! factor when shrinking as PIL's bilinear filter does, but its values can differ from
//! PIL's by a rounding step.

use image::RgbImage;
use image::imageops::{self, FilterType};
use rand::seq::SliceRandom;
use rand::{Rng, RngExt};
use rwenas_rwe::{DataError, FullSizeDataset, FullSizeSets, ImageDataset, Normalization};
use serde::{Deserialize, Serialize};

use crate::augment::{ImageShape, cutout, flip_horizontal};
use crate::config::invalid_setting;
use crate::error::counted;
use crate::{TrainConfig, TrainData, TrainError};

/// Per-channel mean of ImageNet in `[0, 1]` units, as DARTS and torchvision normalise.
pub const IMAGENET_MEAN: [f32; 3] = [0.485, 0.456, 0.406];
/// Per-channel standard deviation of ImageNet in `[0, 1]` units.
pub const IMAGENET_STD: [f32; 3] = [0.229, 0.224, 0.225];

/// Returns the normalisation by [`IMAGENET_MEAN`] and [`IMAGENET_STD`].
pub fn imagenet_normalization() -> Normalization {
    Normalization {
        mean: IMAGENET_MEAN.to_vec(),
        std: IMAGENET_STD.to_vec(),
    }
}

/// Settings of torchvision's `RandomResizedCrop`: a crop whose area is a random fraction
/// of the image's (`scale`) and whose width-to-height ratio is log-uniform in `ratio`,
/// resized to the network's input size.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResizedCrop {
    /// Range of the crop area as a fraction of the image area.
    pub scale: [f64; 2],
    /// Range of the crop's width-to-height ratio.
    pub ratio: [f64; 2],
}

impl Default for ResizedCrop {
    /// Returns torchvision's defaults: scale 0.08 to 1, ratio 3/4 to 4/3.
    fn default() -> Self {
        ResizedCrop {
            scale: [0.08, 1.0],
            ratio: [3.0 / 4.0, 4.0 / 3.0],
        }
    }
}

/// A crop window in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CropBox {
    /// Left column.
    pub left: u32,
    /// Top row.
    pub top: u32,
    /// Width in pixels, at least 1.
    pub width: u32,
    /// Height in pixels, at least 1.
    pub height: u32,
}

impl ResizedCrop {
    /// Checks that both ranges are ordered, the scale lies in `(0, 1]` and the ratio is
    /// positive.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidSetting`] naming the range.
    pub fn validate(&self) -> Result<(), TrainError> {
        let [low, high] = self.scale;
        if !(low > 0.0 && low <= high && high <= 1.0) {
            return Err(invalid_setting(
                "resized_crop.scale",
                format!("{:?}", self.scale),
                "[low, high] with 0 < low <= high <= 1",
            ));
        }
        let [low, high] = self.ratio;
        if !(low > 0.0 && low <= high && high.is_finite()) {
            return Err(invalid_setting(
                "resized_crop.ratio",
                format!("{:?}", self.ratio),
                "[low, high] with 0 < low <= high",
            ));
        }
        Ok(())
    }

    /// Draws a crop window of a `width x height` image as torchvision's
    /// `RandomResizedCrop.get_params` does: up to 10 tries of a random area and ratio, then
    /// the largest centred window whose ratio is within the range.
    pub fn sample(&self, width: u32, height: u32, rng: &mut impl Rng) -> CropBox {
        let area = f64::from(width) * f64::from(height);
        let log_ratio = [self.ratio[0].ln(), self.ratio[1].ln()];
        for _ in 0..10 {
            let target_area = area * uniform(rng, self.scale);
            let aspect = uniform(rng, log_ratio).exp();
            let crop_width = (target_area * aspect).sqrt().round() as u32;
            let crop_height = (target_area / aspect).sqrt().round() as u32;
            if (1..=width).contains(&crop_width) && (1..=height).contains(&crop_height) {
                return CropBox {
                    left: rng.random_range(0..=width - crop_width),
                    top: rng.random_range(0..=height - crop_height),
                    width: crop_width,
                    height: crop_height,
                };
            }
        }
        let image_ratio = f64::from(width) / f64::from(height);
        let (crop_width, crop_height) = if image_ratio < self.ratio[0] {
            (width, (f64::from(width) / self.ratio[0]).round() as u32)
        } else if image_ratio > self.ratio[1] {
            ((f64::from(height) * self.ratio[1]).round() as u32, height)
        } else {
            (width, height)
        };
        let crop_width = crop_width.clamp(1, width);
        let crop_height = crop_height.clamp(1, height);
        CropBox {
            left: (width - crop_width) / 2,
            top: (height - crop_height) / 2,
            width: crop_width,
            height: crop_height,
        }
    }
}

/// Draws from the uniform distribution on `[low, high)`, or returns `low` when the range is
/// empty.
fn uniform(rng: &mut impl Rng, [low, high]: [f64; 2]) -> f64 {
    if high > low {
        rng.random_range(low..high)
    } else {
        low
    }
}

/// Settings of torchvision's `ColorJitter`. Each of brightness, contrast and saturation
/// blends the image with a reference by a factor drawn from `[max(0, 1 - x), 1 + x]`, and
/// hue shifts the HSV hue by a fraction of a turn drawn from `[-hue, hue]`. The four run in
/// a random order; a value of 0 skips that step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColorJitter {
    /// Brightness: blends with black.
    pub brightness: f64,
    /// Contrast: blends with the mean grey level of the image.
    pub contrast: f64,
    /// Saturation: blends with the grey version of the image.
    pub saturation: f64,
    /// Hue shift in turns, at most 0.5.
    pub hue: f64,
}

impl ColorJitter {
    /// Returns the jitter of DARTS' `train_imagenet.py`: brightness, contrast and saturation
    /// 0.4, hue 0.2.
    pub fn darts_imagenet() -> Self {
        ColorJitter {
            brightness: 0.4,
            contrast: 0.4,
            saturation: 0.4,
            hue: 0.2,
        }
    }

    /// Checks that every value is finite and non-negative and the hue at most 0.5.
    ///
    /// # Errors
    ///
    /// [`TrainError::InvalidSetting`] naming the value.
    pub fn validate(&self) -> Result<(), TrainError> {
        let values = [
            ("color_jitter.brightness", self.brightness),
            ("color_jitter.contrast", self.contrast),
            ("color_jitter.saturation", self.saturation),
        ];
        for (setting, value) in values {
            if !(value.is_finite() && value >= 0.0) {
                return Err(invalid_setting(setting, value, "a finite value >= 0"));
            }
        }
        if !(0.0..=0.5).contains(&self.hue) {
            return Err(invalid_setting("color_jitter.hue", self.hue, "in [0, 0.5]"));
        }
        Ok(())
    }

    /// Jitters a channel-planar RGB image of values in `[0, 1]` in place, keeping the values
    /// in `[0, 1]`, as torchvision's tensor implementation does. Draws the order and then
    /// each factor from `rng`.
    ///
    /// # Panics
    ///
    /// When `image` does not hold three planes of `plane` values.
    pub fn apply(&self, image: &mut [f32], plane: usize, rng: &mut impl Rng) {
        assert_eq!(
            image.len(),
            3 * plane,
            "expected 3 planes of {plane} values"
        );
        let mut order = [0, 1, 2, 3];
        order.shuffle(rng);
        for step in order {
            match step {
                0 if self.brightness > 0.0 => {
                    let factor = jitter_factor(rng, self.brightness) as f32;
                    for value in image.iter_mut() {
                        *value = (*value * factor).clamp(0.0, 1.0);
                    }
                }
                1 if self.contrast > 0.0 => {
                    let factor = jitter_factor(rng, self.contrast) as f32;
                    let mean =
                        (0..plane).map(|i| grey(image, plane, i)).sum::<f32>() / plane as f32;
                    blend(image, factor, |_| mean);
                }
                2 if self.saturation > 0.0 => {
                    let factor = jitter_factor(rng, self.saturation) as f32;
                    let greys: Vec<f32> = (0..plane).map(|i| grey(image, plane, i)).collect();
                    blend(image, factor, |i| greys[i % plane]);
                }
                3 if self.hue > 0.0 => {
                    let shift = rng.random_range(-self.hue..=self.hue) as f32;
                    for i in 0..plane {
                        shift_hue(image, plane, i, shift);
                    }
                }
                _ => {}
            }
        }
    }
}

fn jitter_factor(rng: &mut impl Rng, amount: f64) -> f64 {
    rng.random_range((1.0 - amount).max(0.0)..=1.0 + amount)
}

/// Returns the ITU-R 601 luma of pixel `i`, as torchvision's `rgb_to_grayscale`.
fn grey(image: &[f32], plane: usize, i: usize) -> f32 {
    0.299 * image[i] + 0.587 * image[plane + i] + 0.114 * image[2 * plane + i]
}

/// Replaces every value `v` at index `i` by `factor * v + (1 - factor) * reference(i)`,
/// clamped to `[0, 1]`.
fn blend(image: &mut [f32], factor: f32, reference: impl Fn(usize) -> f32) {
    for (i, value) in image.iter_mut().enumerate() {
        *value = (factor * *value + (1.0 - factor) * reference(i)).clamp(0.0, 1.0);
    }
}

/// Adds `shift` turns to the HSV hue of pixel `i`.
fn shift_hue(image: &mut [f32], plane: usize, i: usize, shift: f32) {
    let (red, green, blue) = (image[i], image[plane + i], image[2 * plane + i]);
    let max = red.max(green).max(blue);
    let min = red.min(green).min(blue);
    let chroma = max - min;
    if chroma <= 0.0 {
        return;
    }
    let hue = if max == red {
        ((green - blue) / chroma).rem_euclid(6.0)
    } else if max == green {
        (blue - red) / chroma + 2.0
    } else {
        (red - green) / chroma + 4.0
    } / 6.0;
    let hue = (hue + shift).rem_euclid(1.0) * 6.0;
    let second = chroma * (1.0 - (hue.rem_euclid(2.0) - 1.0).abs());
    let (r, g, b) = match hue as u32 {
        0 => (chroma, second, 0.0),
        1 => (second, chroma, 0.0),
        2 => (0.0, chroma, second),
        3 => (0.0, second, chroma),
        4 => (second, 0.0, chroma),
        _ => (chroma, 0.0, second),
    };
    image[i] = r + min;
    image[plane + i] = g + min;
    image[2 * plane + i] = b + min;
}

/// Appends the bytes of `image` channel-planar to `out`.
fn push_planar(image: &RgbImage, out: &mut Vec<u8>) {
    let raw = image.as_raw();
    for channel in 0..3 {
        out.extend(raw.iter().skip(channel).step_by(3));
    }
}

/// Resizes `image` so that its shorter side has `resize` pixels (the longer side scaled and
/// truncated, as torchvision's `Resize(int)`), then crops the centred `size x size` square
/// (torchvision's `CenterCrop`, zero-padded where the resized image is smaller).
pub fn resize_center_crop(image: &RgbImage, resize: u32, size: u32) -> RgbImage {
    let (width, height) = image.dimensions();
    let (new_width, new_height) = if width <= height {
        let long = (u64::from(resize) * u64::from(height) / u64::from(width.max(1))) as u32;
        (resize, long.max(1))
    } else {
        let long = (u64::from(resize) * u64::from(width) / u64::from(height.max(1))) as u32;
        (long.max(1), resize)
    };
    let resized = imageops::resize(image, new_width, new_height, FilterType::Triangle);
    let mut out = RgbImage::new(size, size);
    let offset = |full: u32| ((f64::from(full) - f64::from(size)) / 2.0).round() as i64;
    imageops::overlay(&mut out, &resized, -offset(new_width), -offset(new_height));
    out
}

/// Returns the `size x size` resize-and-centre-crop of every image, channel-planar.
pub fn center_crops(dataset: &FullSizeDataset, resize: u32, size: u32) -> ImageDataset {
    let mut images = Vec::with_capacity(dataset.len() * 3 * (size as usize).pow(2));
    for image in &dataset.images {
        push_planar(&resize_center_crop(image, resize, size), &mut images);
    }
    ImageDataset {
        images,
        labels: dataset.labels.clone(),
        class_names: dataset.class_names.clone(),
        channels: 3,
        height: size as usize,
        width: size as usize,
    }
}

/// Appends the augmented, normalised `size x size` crop of every image at `indices` to
/// `out`, `N x 3 x size x size`: random resized crop, horizontal flip with probability 0.5
/// (when `config.horizontal_flip`), colour jitter (when `config.color_jitter` is set),
/// normalisation and cutout (when `config.cutout_length` is set). The random choices are
/// drawn from `rng` image by image, in that order.
///
/// # Errors
///
/// [`DataError::IndexOutOfRange`] for an index past the end, and [`DataError::Inconsistent`]
/// for a normalisation without 3 channels.
pub fn augmented_batch_into(
    dataset: &FullSizeDataset,
    indices: &[usize],
    size: u32,
    config: &TrainConfig,
    normalization: &Normalization,
    rng: &mut impl Rng,
    out: &mut Vec<f32>,
) -> Result<(), DataError> {
    if normalization.mean.len() != 3 || normalization.std.len() != 3 {
        return Err(DataError::Inconsistent(format!(
            "normalisation has {} channels but the images are RGB",
            normalization.mean.len()
        )));
    }
    let shape = ImageShape {
        channels: 3,
        height: size as usize,
        width: size as usize,
    };
    let plane = shape.height * shape.width;
    for &index in indices {
        let image = dataset
            .images
            .get(index)
            .ok_or(DataError::IndexOutOfRange {
                index,
                len: dataset.len(),
            })?;
        let window = config
            .resized_crop
            .sample(image.width(), image.height(), rng);
        let cropped =
            imageops::crop_imm(image, window.left, window.top, window.width, window.height)
                .to_image();
        let resized = imageops::resize(&cropped, size, size, FilterType::Triangle);
        let mut bytes = Vec::with_capacity(shape.len());
        push_planar(&resized, &mut bytes);
        if config.horizontal_flip && rng.random_bool(0.5) {
            flip_horizontal(&mut bytes, shape);
        }
        let mut values: Vec<f32> = bytes.iter().map(|&byte| f32::from(byte) / 255.0).collect();
        if let Some(jitter) = &config.color_jitter {
            jitter.apply(&mut values, plane, rng);
        }
        for (channel, pixels) in values.chunks_exact_mut(plane).enumerate() {
            let (mean, std) = (normalization.mean[channel], normalization.std[channel]);
            for value in pixels {
                *value = (*value - mean) / std;
            }
        }
        if let Some(length) = config.cutout_length {
            let center_row = rng.random_range(0..shape.height);
            let center_column = rng.random_range(0..shape.width);
            cutout(&mut values, shape, length, center_row, center_column);
        }
        out.extend_from_slice(&values);
    }
    Ok(())
}

impl TrainData {
    /// Pairs full-size training and test images for a network with `size x size` inputs,
    /// normalised by the ImageNet statistics ([`imagenet_normalization`]).
    ///
    /// Training batches are random resized crops of `sets.train`
    /// ([`augmented_batch_into`]). [`TrainData::train`] holds the resize-and-centre-crop
    /// of the training images, [`TrainData::test`] that of the test images, both to a
    /// shorter side of `resize` and then `size x size` (DARTS: 256 and 224).
    ///
    /// # Errors
    ///
    /// [`TrainError::Data`] for an empty split or labels without a class name, and
    /// [`TrainError::InvalidConfig`] for a zero size or a `resize` below `size`.
    pub fn from_image_folder(
        sets: FullSizeSets,
        size: usize,
        resize: usize,
    ) -> Result<Self, TrainError> {
        if size == 0 || resize < size {
            return Err(TrainError::InvalidConfig(format!(
                "image-folder crop size {size} and resize {resize}; expected 0 < size <= resize"
            )));
        }
        let (size, resize) = (
            u32::try_from(size).map_err(|_| too_large(size))?,
            u32::try_from(resize).map_err(|_| too_large(resize))?,
        );
        for split in [&sets.train, &sets.test] {
            if split.is_empty() {
                return Err(DataError::Empty.into());
            }
            if split.images.len() != split.labels.len() {
                return Err(DataError::Inconsistent(format!(
                    "{} but {}",
                    counted(split.images.len(), "image", "images"),
                    counted(split.labels.len(), "label", "labels")
                ))
                .into());
            }
        }
        let train = center_crops(&sets.train, resize, size);
        let test = center_crops(&sets.test, resize, size);
        let mut data = TrainData::new(train, test)?.with_normalization(imagenet_normalization());
        data.full_size_train = Some(sets.train);
        Ok(data)
    }
}

fn too_large(value: usize) -> TrainError {
    TrainError::InvalidConfig(format!("image size {value} is too large"))
}
