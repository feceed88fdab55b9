//! Per-channel normalisation of image bytes into batch tensors.

use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::error::counted;
use super::{DataError, ImageDataset};

/// Per-channel mean and standard deviation of pixels scaled to `[0, 1]`.
///
/// A normalised pixel is `(byte / 255 - mean[c]) / std[c]`. The statistics are the population
/// mean and standard deviation (divisor `N`) over every pixel of the images they are computed
/// from, which for RWE is the train split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Normalization {
    /// Mean of each channel.
    pub mean: Vec<f32>,
    /// Standard deviation of each channel; a constant channel gets 1 so that it maps to 0.
    pub std: Vec<f32>,
}

impl Normalization {
    /// Computes the statistics of the images at `indices`.
    ///
    /// # Errors
    ///
    /// [`DataError::Empty`] for no indices, [`DataError::IndexOutOfRange`] and the errors of
    /// [`ImageDataset::validate`].
    pub fn from_dataset(dataset: &ImageDataset, indices: &[usize]) -> Result<Self, DataError> {
        dataset.validate()?;
        if indices.is_empty() {
            return Err(DataError::Empty);
        }
        let plane = dataset.height * dataset.width;
        // Integer sums are exact: 255^2 * 2^40 pixels still fit in a u64.
        let mut sums = vec![(0u64, 0u64); dataset.channels];
        for &index in indices {
            let image = image_at(dataset, index)?;
            for (channel, pixels) in image.chunks_exact(plane.max(1)).enumerate() {
                let (sum, squares) = &mut sums[channel];
                for &p in pixels {
                    *sum += u64::from(p);
                    *squares += u64::from(p) * u64::from(p);
                }
            }
        }
        let count = (indices.len() * plane) as f64;
        let (mean, std) = sums
            .iter()
            .map(|&(sum, squares)| {
                let mean = sum as f64 / count;
                let variance = (squares as f64 / count - mean * mean).max(0.0);
                let std = variance.sqrt() / 255.0;
                (
                    (mean / 255.0) as f32,
                    if std > 0.0 { std as f32 } else { 1.0 },
                )
            })
            .unzip();
        Ok(Normalization { mean, std })
    }

    /// Appends the normalised pixels of the images at `indices` to `out`, `N x C x H x W`.
    ///
    /// # Errors
    ///
    /// [`DataError::IndexOutOfRange`], and [`DataError::Inconsistent`] when the channel count
    /// differs from the statistics.
    pub fn normalize_into(
        &self,
        dataset: &ImageDataset,
        indices: &[usize],
        out: &mut Vec<f32>,
    ) -> Result<(), DataError> {
        if self.mean.len() != dataset.channels || self.std.len() != dataset.channels {
            return Err(DataError::Inconsistent(format!(
                "normalisation has {} but the images have {}",
                counted(self.mean.len(), "channel", "channels"),
                dataset.channels
            )));
        }
        let plane = (dataset.height * dataset.width).max(1);
        out.reserve(indices.len() * dataset.image_len());
        for &index in indices {
            let image = image_at(dataset, index)?;
            for (channel, pixels) in image.chunks_exact(plane).enumerate() {
                let scale = 1.0 / (255.0 * self.std[channel]);
                let shift = self.mean[channel] / self.std[channel];
                out.extend(pixels.iter().map(|&p| f32::from(p) * scale - shift));
            }
        }
        Ok(())
    }

    /// Makes the normalised batch tensor `[B, C, H, W]` of the images at `indices` on `device`.
    ///
    /// # Errors
    ///
    /// As [`Normalization::normalize_into`].
    pub fn batch(
        &self,
        dataset: &ImageDataset,
        indices: &[usize],
        device: &Device,
    ) -> Result<Tensor<4>, DataError> {
        let mut values = Vec::new();
        self.normalize_into(dataset, indices, &mut values)?;
        let shape = [
            indices.len(),
            dataset.channels,
            dataset.height,
            dataset.width,
        ];
        Ok(Tensor::from_data(TensorData::new(values, shape), device))
    }
}

fn image_at(dataset: &ImageDataset, index: usize) -> Result<&[u8], DataError> {
    dataset.image(index).ok_or(DataError::IndexOutOfRange {
        index,
        len: dataset.len(),
    })
}
