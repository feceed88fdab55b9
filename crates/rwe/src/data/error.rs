//! Errors of the dataset loaders, the split and the normalisation.

use std::path::PathBuf;

/// Error raised while loading, splitting or normalising a dataset.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// A file or folder could not be read.
    #[error("failed to read {path}: {source}")]
    Io {
        /// File or folder that failed.
        path: PathBuf,
        /// Underlying I/O error.
        source: std::io::Error,
    },
    /// A required file or folder does not exist.
    #[error("{path} not found: {hint}")]
    Missing {
        /// Path that was expected.
        path: PathBuf,
        /// Expected content of the path and how to provide it.
        hint: String,
    },
    /// A data path that does not exist.
    #[error("data path {path} does not exist")]
    PathNotFound {
        /// Path that was given.
        path: PathBuf,
    },
    /// No supported dataset layout was found at an existing path.
    #[error("no dataset found at {path}: looked for {looked_for}")]
    NotFound {
        /// Path that was searched.
        path: PathBuf,
        /// The layouts and file names that were checked.
        looked_for: String,
    },
    /// A CIFAR binary file whose size is not a whole number of records.
    #[error(
        "{path} is truncated or not a CIFAR binary batch: its size of {} is not a multiple of \
         the record size {record_size}; download the file again",
        counted(*.size, "byte", "bytes")
    )]
    Truncated {
        /// Binary batch file.
        path: PathBuf,
        /// File size in bytes.
        size: u64,
        /// Bytes per record (label bytes plus pixels).
        record_size: usize,
    },
    /// A label outside the list of class names.
    #[error(
        "{path}: record {record} has label {label}, but only {} listed; check that the \
         class-name file belongs to this dataset",
        counted(*.classes, "class name is", "class names are")
    )]
    InvalidLabel {
        /// Binary batch file.
        path: PathBuf,
        /// Record index within the file.
        record: usize,
        /// Label value read.
        label: u16,
        /// Number of class names.
        classes: usize,
    },
    /// An image that could not be decoded.
    #[error("failed to decode image {path}: {source}")]
    Decode {
        /// Image file, or archive member as `archive:member`.
        path: String,
        /// Decoder error.
        source: image::ImageError,
    },
    /// An image whose size differs from the first image of the dataset.
    #[error(
        "image {path} is {found_width}x{found_height} pixels, but the first image of the dataset \
         is {width}x{height}; resize all images to one size"
    )]
    ImageSize {
        /// Image file, or archive member as `archive:member`.
        path: String,
        /// Width of the first image.
        width: usize,
        /// Height of the first image.
        height: usize,
        /// Width of this image.
        found_width: usize,
        /// Height of this image.
        found_height: usize,
    },
    /// A class folder without any `.jpg`, `.jpeg` or `.png` file.
    #[error(
        "class folder {path} contains no .jpg, .jpeg or .png image; add images or remove the folder"
    )]
    EmptyClass {
        /// Class folder, or archive member as `archive:member`.
        path: String,
    },
    /// The train and test splits of an image folder list different classes.
    #[error(
        "{path}: the train split has classes {train:?} but the test split has {test:?}; \
         both splits need the same class folders"
    )]
    ClassMismatch {
        /// Dataset root or archive.
        path: PathBuf,
        /// Class names of the train split.
        train: Vec<String>,
        /// Class names of the test split.
        test: Vec<String>,
    },
    /// An archive member whose path is absolute or contains `..`.
    #[error("archive {archive} contains the unsafe member path {member:?}; rejecting the archive")]
    UnsafeArchivePath {
        /// Archive file.
        archive: PathBuf,
        /// Member path as stored.
        member: String,
    },
    /// Archive members under different top-level folders.
    #[error(
        "archive {archive}: member {member:?} does not share the top-level folder {expected:?} \
         of the earlier members; pack one `train/` and `test/` tree, optionally inside one folder"
    )]
    ArchiveLayout {
        /// Archive file.
        archive: PathBuf,
        /// Member path as stored.
        member: String,
        /// Top-level folder of the earlier members, empty when there was none.
        expected: String,
    },
    /// An archive member that is a link, a device or another entry that is not a regular file
    /// or folder, or an archive that lacks an expected member.
    #[error("invalid archive {archive}: {reason}")]
    InvalidArchive {
        /// Archive file.
        archive: PathBuf,
        /// Cause of the error and its fix.
        reason: String,
    },
    /// A download specification that cannot be used.
    #[error("invalid download specification: {reason}")]
    InvalidDownloadSpec {
        /// The invalid field and its constraint.
        reason: String,
    },
    /// A failed HTTP download: connection failure, timeout or error status.
    #[error(
        "failed to download {url}: {reason}. Download the archive by hand, extract it and pass \
         the extracted folder with --data"
    )]
    Download {
        /// URL requested.
        url: String,
        /// Cause of the failure.
        reason: String,
    },
    /// A downloaded or found archive whose digest differs from the expected one.
    #[error(
        "{algorithm} checksum mismatch for {path}: expected {expected}, got {actual}. The file \
         is corrupt or not the expected archive; delete it if it still exists and run again, \
         or download the archive by hand, extract it and pass the extracted folder with --data"
    )]
    ChecksumMismatch {
        /// Archive file checked.
        path: PathBuf,
        /// `"MD5"` or `"SHA-256"`.
        algorithm: &'static str,
        /// Expected digest, lowercase hex.
        expected: String,
        /// Digest of the file, lowercase hex.
        actual: String,
    },
    /// A dataset folder that exists but lacks some of its files.
    #[error(
        "{path} exists but lacks {missing:?}; copy the missing files into it, or delete the \
         folder so that it is downloaded again"
    )]
    IncompleteFolder {
        /// Dataset folder.
        path: PathBuf,
        /// Missing files, relative to the folder.
        missing: Vec<String>,
    },
    /// A dataset without images.
    #[error("the dataset contains no images")]
    Empty,
    /// A requested split size of 0.
    #[error("requested {split} size is 0; request at least one image per class")]
    EmptySplit {
        /// `"train"` or `"validation"`.
        split: &'static str,
    },
    /// A dataset whose fields disagree (pixel count, labels, classes).
    #[error("inconsistent dataset: {0}")]
    Inconsistent(String),
    /// A requested split size that the classes cannot share equally.
    #[error(
        "requested {split} size {requested} is not divisible by the {classes} classes; \
         use a multiple of {classes}"
    )]
    SplitNotDivisible {
        /// `"train"` or `"validation"`.
        split: &'static str,
        /// Requested total size.
        requested: usize,
        /// Number of classes.
        classes: usize,
    },
    /// A requested split size larger than a class provides.
    #[error(
        "requested {split} size {requested} needs {} of class {class:?}, but its {split} split \
         has only {available}; request at most {max_total}",
        counted(*.per_class, "image", "images")
    )]
    SplitTooLarge {
        /// `"train"` or `"validation"`.
        split: &'static str,
        /// Requested total size.
        requested: usize,
        /// Images needed per class.
        per_class: usize,
        /// Class name.
        class: String,
        /// Images of the class in that split.
        available: usize,
        /// Largest total size all classes can provide.
        max_total: usize,
    },
    /// An image index outside the dataset.
    #[error(
        "image index {index} is out of range for a dataset of {}",
        counted(*.len, "image", "images")
    )]
    IndexOutOfRange {
        /// Requested index.
        index: usize,
        /// Dataset length.
        len: usize,
    },
}

/// Returns `count` followed by `singular`, or by `plural` unless `count` is 1.
pub(crate) fn counted<T>(count: T, singular: &str, plural: &str) -> String
where
    T: std::fmt::Display + PartialEq + From<u8>,
{
    let noun = if count == T::from(1) {
        singular
    } else {
        plural
    };
    format!("{count} {noun}")
}

impl DataError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
