//! Feature extraction with a frozen backbone.

use burn::tensor::{Device, Tensor};

use crate::RweError;
use crate::data::{ImageDataset, Normalization};

/// Default number of images per feature-extraction batch.
pub const DEFAULT_FEATURE_BATCH_SIZE: usize = 256;

/// A network backbone with frozen weights that maps images to feature vectors.
pub trait FeatureExtractor {
    /// Returns the length of one feature vector.
    fn feature_dim(&self) -> usize;

    /// Maps normalised images `[B, C, H, W]` to features `[B, feature_dim]`, for example by
    /// global average pooling of the last feature map.
    fn extract(&self, images: Tensor<4>) -> Tensor<2>;
}

/// Extracts the features `[indices.len(), feature_dim]` of the images at `indices`.
///
/// Images are normalised and sent to `device` in batches of `batch_size`. Each batch output is
/// detached, so no autodiff graph outlives its batch.
///
/// # Errors
///
/// [`RweError::InvalidConfig`] for a batch size of 0 or no indices, [`RweError::Shape`] when
/// the extractor returns a shape other than `[B, feature_dim]`, and the data errors of
/// [`Normalization::batch`].
pub fn extract_features<E: FeatureExtractor + ?Sized>(
    extractor: &E,
    dataset: &ImageDataset,
    indices: &[usize],
    normalization: &Normalization,
    batch_size: usize,
    device: &Device,
) -> Result<Tensor<2>, RweError> {
    if batch_size == 0 {
        return Err(RweError::InvalidConfig(
            "feature batch size is 0; use at least 1".to_string(),
        ));
    }
    if indices.is_empty() {
        return Err(RweError::InvalidConfig(
            "no images to extract features from".to_string(),
        ));
    }
    let dim = extractor.feature_dim();
    let mut batches = Vec::with_capacity(indices.len().div_ceil(batch_size));
    for chunk in indices.chunks(batch_size) {
        let images = normalization.batch(dataset, chunk, device)?;
        let features = extractor.extract(images).detach();
        if features.dims() != [chunk.len(), dim] {
            return Err(RweError::Shape(format!(
                "feature extractor returned {:?} for a batch of {} images, expected [{}, {dim}]",
                features.dims(),
                chunk.len(),
                chunk.len()
            )));
        }
        batches.push(features);
    }
    Ok(Tensor::cat(batches, 0))
}
