//! Image datasets: loaders, the download of the CIFAR archives, the train/validation split and
//! per-channel normalisation.

mod cifar;
mod download;
mod error;
mod folder;
mod normalize;
mod source;
mod split;

pub use cifar::{load_cifar10_binary, load_cifar100_binary};
pub use download::{
    CIFAR10_BINARY, CIFAR100_BINARY, Checksum, DownloadOptions, DownloadProgress, DownloadSpec,
    ProgressCallback, ensure_downloaded,
};
pub use error::DataError;
pub use folder::{
    FullSizeDataset, FullSizeSets, load_full_size_image_folder, load_full_size_image_tar_gz,
    load_image_folder, load_image_tar_gz,
};
pub use normalize::Normalization;
pub use source::DataSource;
pub use split::Split;

/// Images and labels of one dataset split, all of one size.
///
/// Each image is stored channel-planar, as in the CIFAR binary layout: all pixels of channel 0
/// row by row, then channel 1, and so on, so `images` has `len() * channels * height * width`
/// bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageDataset {
    /// Pixel bytes, `N x C x H x W`.
    pub images: Vec<u8>,
    /// Class index of each image.
    pub labels: Vec<u16>,
    /// Class names in label order.
    pub class_names: Vec<String>,
    /// Channels per image.
    pub channels: usize,
    /// Image height in pixels.
    pub height: usize,
    /// Image width in pixels.
    pub width: usize,
}

/// Training and test sets of one dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainTestSets {
    /// Training images, which the train/validation split divides.
    pub train: ImageDataset,
    /// Test images.
    pub test: ImageDataset,
}

impl ImageDataset {
    /// Returns the number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Returns whether the dataset has no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Returns the number of classes.
    pub fn num_classes(&self) -> usize {
        self.class_names.len()
    }

    /// Returns the bytes per image, `channels * height * width`.
    pub fn image_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Returns the pixel bytes of image `index`, or `None` when it is out of range.
    pub fn image(&self, index: usize) -> Option<&[u8]> {
        let len = self.image_len();
        self.images.get(index * len..(index + 1) * len)
    }

    /// Returns the number of images of each class, in label order.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.num_classes()];
        for &label in &self.labels {
            if let Some(count) = counts.get_mut(usize::from(label)) {
                *count += 1;
            }
        }
        counts
    }

    /// Checks that pixel bytes, labels and class names agree.
    ///
    /// # Errors
    ///
    /// [`DataError::Inconsistent`] naming the first disagreement.
    pub fn validate(&self) -> Result<(), DataError> {
        let expected = self.len() * self.image_len();
        if self.images.len() != expected {
            return Err(DataError::Inconsistent(format!(
                "{} pixel bytes for {} of {}x{}x{} (expected {expected})",
                self.images.len(),
                error::counted(self.len(), "image", "images"),
                self.channels,
                self.height,
                self.width
            )));
        }
        if let Some(&label) = self
            .labels
            .iter()
            .find(|&&label| usize::from(label) >= self.num_classes())
        {
            return Err(DataError::Inconsistent(format!(
                "label {label} but only {}",
                error::counted(self.num_classes(), "class name", "class names")
            )));
        }
        Ok(())
    }

    /// Returns a dataset with only the images at `indices`, in that order.
    ///
    /// # Errors
    ///
    /// [`DataError::IndexOutOfRange`] for an index past the end.
    pub fn subset(&self, indices: &[usize]) -> Result<ImageDataset, DataError> {
        let mut images = Vec::with_capacity(indices.len() * self.image_len());
        let mut labels = Vec::with_capacity(indices.len());
        for &index in indices {
            let image = self.image(index).ok_or(DataError::IndexOutOfRange {
                index,
                len: self.len(),
            })?;
            images.extend_from_slice(image);
            labels.push(self.labels[index]);
        }
        Ok(ImageDataset {
            images,
            labels,
            class_names: self.class_names.clone(),
            channels: self.channels,
            height: self.height,
            width: self.width,
        })
    }
}
