//! Feature extraction with a frozen backbone.

use std::sync::atomic::{AtomicUsize, Ordering};

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
/// Images are normalised and sent to `device` in batches of `batch_size`, one batch at a
/// time. Each batch output is detached, so no autodiff graph outlives its batch.
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
    check_request(indices, batch_size)?;
    let batches = indices
        .chunks(batch_size)
        .map(|chunk| extract_batch(extractor, dataset, chunk, normalization, device))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Tensor::cat(batches, 0))
}

/// Extracts the same features as [`extract_features`], running `workers` batches at the
/// same time on `device`, each on its own thread.
///
/// The batches and their contents are those of [`extract_features`], so with batch
/// statistics the features are the same up to float rounding. On a CPU backend whose
/// kernels leave cores idle (small tensors, single-threaded element-wise operations) this
/// keeps every core busy. Each worker keeps the activations of one batch, so memory grows
/// with `workers`.
///
/// # Errors
///
/// As [`extract_features`], and [`RweError::InvalidConfig`] for 0 workers.
pub fn extract_features_parallel<E: FeatureExtractor + Sync + ?Sized>(
    extractor: &E,
    dataset: &ImageDataset,
    indices: &[usize],
    normalization: &Normalization,
    batch_size: usize,
    workers: usize,
    device: &Device,
) -> Result<Tensor<2>, RweError> {
    check_request(indices, batch_size)?;
    if workers == 0 {
        return Err(RweError::InvalidConfig(
            "0 feature-extraction workers; use at least 1".to_string(),
        ));
    }
    let chunks: Vec<&[usize]> = indices.chunks(batch_size).collect();
    let workers = workers.min(chunks.len());
    if workers == 1 {
        return extract_features(
            extractor,
            dataset,
            indices,
            normalization,
            batch_size,
            device,
        );
    }

    // Workers take the next unclaimed batch, so a slow batch does not hold up the others.
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<Result<Tensor<2>, RweError>>> = Vec::new();
    slots.resize_with(chunks.len(), || None);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(chunk) = chunks.get(index) else {
                            break;
                        };
                        let result =
                            extract_batch(extractor, dataset, chunk, normalization, device);
                        let failed = result.is_err();
                        done.push((index, result));
                        if failed {
                            // Stop the other workers early: the call fails anyway.
                            next.store(chunks.len(), Ordering::Relaxed);
                            break;
                        }
                    }
                    done
                })
            })
            .collect();
        for handle in handles {
            match handle.join() {
                Ok(done) => {
                    for (index, result) in done {
                        slots[index] = Some(result);
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    let mut batches = Vec::with_capacity(slots.len());
    for slot in slots {
        match slot {
            Some(result) => batches.push(result?),
            // A batch is skipped only after another batch failed; that error is returned
            // first, because slots are read in batch order and the failed batch was
            // claimed earlier.
            None => continue,
        }
    }
    Ok(Tensor::cat(batches, 0))
}

fn check_request(indices: &[usize], batch_size: usize) -> Result<(), RweError> {
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
    Ok(())
}

fn extract_batch<E: FeatureExtractor + ?Sized>(
    extractor: &E,
    dataset: &ImageDataset,
    chunk: &[usize],
    normalization: &Normalization,
    device: &Device,
) -> Result<Tensor<2>, RweError> {
    let dim = extractor.feature_dim();
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
    Ok(features)
}
