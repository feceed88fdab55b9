//! Loaders of the CIFAR-10 and CIFAR-100 binary versions.
//!
//! A record is the label bytes followed by 3,072 pixel bytes: 1,024 red, 1,024 green and 1,024
//! blue, each plane a 32x32 image row by row. CIFAR-10 records have one label byte, CIFAR-100
//! records two (coarse, then fine).

use std::fs;
use std::path::{Path, PathBuf};

use super::{DataError, ImageDataset, TrainTestSets};

const SIDE: usize = 32;
const CHANNELS: usize = 3;
const PIXELS: usize = CHANNELS * SIDE * SIDE;

/// Record layout of one binary version.
struct Layout {
    label_bytes: usize,
    /// Offset of the label used, within the label bytes.
    label_offset: usize,
}

/// Loads the CIFAR-10 binary version from a `cifar-10-batches-bin` folder.
///
/// The training set is every `data_batch_*.bin` in the folder, concatenated in name order, and
/// the test set is `test_batch.bin`. Class names come from `batches.meta.txt`, one a line.
///
/// # Errors
///
/// [`DataError::Missing`] when no training batch, the test batch or the class-name file is
/// absent, [`DataError::Truncated`] for a file that is not a whole number of records,
/// [`DataError::InvalidLabel`] and [`DataError::Io`].
pub fn load_cifar10_binary(dir: &Path) -> Result<TrainTestSets, DataError> {
    let class_names = read_class_names(&dir.join("batches.meta.txt"))?;
    let train_files = training_batches(dir)?;
    let layout = Layout {
        label_bytes: 1,
        label_offset: 0,
    };
    let train = read_batches(&train_files, &layout, &class_names)?;
    let test = read_batches(&[required(dir, "test_batch.bin")?], &layout, &class_names)?;
    Ok(TrainTestSets { train, test })
}

/// Loads the CIFAR-100 binary version from a `cifar-100-binary` folder.
///
/// The training set is `train.bin` and the test set `test.bin`, labelled with the fine labels.
/// Class names come from `fine_label_names.txt`, one a line.
///
/// # Errors
///
/// As [`load_cifar10_binary`].
pub fn load_cifar100_binary(dir: &Path) -> Result<TrainTestSets, DataError> {
    let class_names = read_class_names(&dir.join("fine_label_names.txt"))?;
    let layout = Layout {
        label_bytes: 2,
        label_offset: 1,
    };
    let train = read_batches(&[required(dir, "train.bin")?], &layout, &class_names)?;
    let test = read_batches(&[required(dir, "test.bin")?], &layout, &class_names)?;
    Ok(TrainTestSets { train, test })
}

fn required(dir: &Path, name: &str) -> Result<PathBuf, DataError> {
    let path = dir.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(DataError::Missing {
            path,
            hint: format!(
                "the folder needs `{name}` from the CIFAR binary version; extract the full \
                 archive from https://www.cs.toronto.edu/~kriz/cifar.html"
            ),
        })
    }
}

fn training_batches(dir: &Path) -> Result<Vec<PathBuf>, DataError> {
    let entries = fs::read_dir(dir).map_err(|e| DataError::io(dir, e))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| DataError::io(dir, e))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with("data_batch_") && name.ends_with(".bin") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(DataError::Missing {
            path: dir.join("data_batch_1.bin"),
            hint: "the folder needs at least one `data_batch_*.bin` training batch of the \
                   CIFAR-10 binary version"
                .to_string(),
        });
    }
    Ok(files)
}

fn read_class_names(path: &Path) -> Result<Vec<String>, DataError> {
    if !path.is_file() {
        return Err(DataError::Missing {
            path: path.to_path_buf(),
            hint: "the CIFAR binary version ships this class-name file, one name a line; \
                   restore it from the archive"
                .to_string(),
        });
    }
    let text = fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
    let names: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(String::from)
        .collect();
    if names.is_empty() {
        return Err(DataError::Missing {
            path: path.to_path_buf(),
            hint: "the class-name file is empty; it needs one class name a line".to_string(),
        });
    }
    Ok(names)
}

fn read_batches(
    files: &[PathBuf],
    layout: &Layout,
    class_names: &[String],
) -> Result<ImageDataset, DataError> {
    let mut dataset = ImageDataset {
        images: Vec::new(),
        labels: Vec::new(),
        class_names: class_names.to_vec(),
        channels: CHANNELS,
        height: SIDE,
        width: SIDE,
    };
    for path in files {
        read_batch(path, layout, &mut dataset)?;
    }
    Ok(dataset)
}

fn read_batch(path: &Path, layout: &Layout, dataset: &mut ImageDataset) -> Result<(), DataError> {
    let bytes = fs::read(path).map_err(|e| DataError::io(path, e))?;
    let record_size = layout.label_bytes + PIXELS;
    if bytes.is_empty() || bytes.len() % record_size != 0 {
        return Err(DataError::Truncated {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            record_size,
        });
    }
    let classes = dataset.class_names.len();
    dataset.images.reserve(bytes.len() / record_size * PIXELS);
    for (record, chunk) in bytes.chunks_exact(record_size).enumerate() {
        let label = u16::from(chunk[layout.label_offset]);
        if usize::from(label) >= classes {
            return Err(DataError::InvalidLabel {
                path: path.to_path_buf(),
                record,
                label,
                classes,
            });
        }
        dataset.labels.push(label);
        dataset
            .images
            .extend_from_slice(&chunk[layout.label_bytes..]);
    }
    Ok(())
}
