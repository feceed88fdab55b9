//! Detection of the dataset layout at a path.

use std::path::{Path, PathBuf};

use super::{
    DataError, TrainTestSets, load_cifar10_binary, load_cifar100_binary, load_image_folder,
    load_image_tar_gz,
};

/// A dataset on disk and the layout it is stored in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataSource {
    /// A `cifar-10-batches-bin` folder of the CIFAR-10 binary version.
    Cifar10Binary(PathBuf),
    /// A `cifar-100-binary` folder of the CIFAR-100 binary version.
    Cifar100Binary(PathBuf),
    /// A folder with `train/<class>/` and `test/<class>/` image subfolders.
    ImageFolder(PathBuf),
    /// A `.tar.gz` or `.tgz` archive of an image folder.
    TarGz(PathBuf),
}

/// The layouts that [`DataSource::detect`] looks for inside a folder, in its order.
const LOOKED_FOR_IN_FOLDER: &str = "`data_batch_*.bin` or `train.bin` files, a \
                                    `cifar-10-batches-bin` or `cifar-100-binary` subfolder, a \
                                    `train/` subfolder, or exactly one `.tar.gz`/`.tgz` file";

impl DataSource {
    /// Detects the layout at `path`.
    ///
    /// Checks, in this order:
    /// 1. a `.tar.gz` or `.tgz` file,
    /// 2. a folder with `data_batch_*.bin` (CIFAR-10 binary) or `train.bin` (CIFAR-100 binary),
    /// 3. a `cifar-10-batches-bin` or `cifar-100-binary` subfolder,
    /// 4. a `train/` subfolder (image folder),
    /// 5. exactly one `.tar.gz` or `.tgz` file in the folder.
    ///
    /// The binary versions come first because they load without decoding. CIFAR-10's binary
    /// version is `cifar-10-binary.tar.gz` from <https://www.cs.toronto.edu/~kriz/cifar.html>.
    ///
    /// # Errors
    ///
    /// [`DataError::PathNotFound`] when `path` does not exist, [`DataError::NotFound`] when
    /// none of these layouts is there, naming what was looked for, and [`DataError::Io`]
    /// when the folder cannot be listed.
    pub fn detect(path: &Path) -> Result<DataSource, DataError> {
        if !path.exists() {
            return Err(DataError::PathNotFound {
                path: path.to_path_buf(),
            });
        }
        if !path.is_dir() {
            if is_tar_gz(path) {
                return Ok(DataSource::TarGz(path.to_path_buf()));
            }
            return Err(DataError::NotFound {
                path: path.to_path_buf(),
                looked_for: "a folder or a `.tar.gz`/`.tgz` file".to_string(),
            });
        }
        if let Some(source) = detect_binary(path)? {
            return Ok(source);
        }
        for (name, make) in [
            (
                "cifar-10-batches-bin",
                DataSource::Cifar10Binary as fn(_) -> _,
            ),
            ("cifar-100-binary", DataSource::Cifar100Binary),
        ] {
            if path.join(name).is_dir() {
                return Ok(make(path.join(name)));
            }
        }
        if path.join("train").is_dir() {
            return Ok(DataSource::ImageFolder(path.to_path_buf()));
        }
        if let Some(archive) = single_archive(path)? {
            return Ok(DataSource::TarGz(archive));
        }
        Err(DataError::NotFound {
            path: path.to_path_buf(),
            looked_for: format!("{LOOKED_FOR_IN_FOLDER} in the folder"),
        })
    }

    /// Returns the path of the detected folder or archive.
    pub fn path(&self) -> &Path {
        match self {
            DataSource::Cifar10Binary(path)
            | DataSource::Cifar100Binary(path)
            | DataSource::ImageFolder(path)
            | DataSource::TarGz(path) => path,
        }
    }

    /// Loads the training and test sets.
    ///
    /// `max_per_class` keeps the first images of each class in each split: in file order for
    /// the binary versions and in file-name order for image folders and archives.
    ///
    /// # Errors
    ///
    /// The errors of the loader of the layout.
    pub fn load(&self, max_per_class: Option<usize>) -> Result<TrainTestSets, DataError> {
        match self {
            DataSource::Cifar10Binary(dir) => {
                load_cifar10_binary(dir).map(|sets| limit(sets, max_per_class))
            }
            DataSource::Cifar100Binary(dir) => {
                load_cifar100_binary(dir).map(|sets| limit(sets, max_per_class))
            }
            DataSource::ImageFolder(dir) => load_image_folder(dir, max_per_class),
            DataSource::TarGz(archive) => load_image_tar_gz(archive, max_per_class),
        }
    }
}

fn is_tar_gz(path: &Path) -> bool {
    let name = path
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .to_ascii_lowercase();
    name.ends_with(".tar.gz") || name.ends_with(".tgz")
}

fn list_files(dir: &Path) -> Result<Vec<PathBuf>, DataError> {
    let entries = std::fs::read_dir(dir).map_err(|e| DataError::io(dir, e))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| DataError::io(dir, e))?.path();
        if path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn detect_binary(dir: &Path) -> Result<Option<DataSource>, DataError> {
    let files = list_files(dir)?;
    let names: Vec<String> = files
        .iter()
        .map(|f| {
            f.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    if names
        .iter()
        .any(|n| n.starts_with("data_batch_") && n.ends_with(".bin"))
    {
        return Ok(Some(DataSource::Cifar10Binary(dir.to_path_buf())));
    }
    if names.iter().any(|n| n == "train.bin") {
        return Ok(Some(DataSource::Cifar100Binary(dir.to_path_buf())));
    }
    Ok(None)
}

fn single_archive(dir: &Path) -> Result<Option<PathBuf>, DataError> {
    let mut archives: Vec<PathBuf> = list_files(dir)?
        .into_iter()
        .filter(|f| is_tar_gz(f))
        .collect();
    Ok(if archives.len() == 1 {
        archives.pop()
    } else {
        None
    })
}

/// Keeps the first `max_per_class` images of each class, in dataset order.
fn limit(sets: TrainTestSets, max_per_class: Option<usize>) -> TrainTestSets {
    let Some(max) = max_per_class else {
        return sets;
    };
    let keep = |dataset: &super::ImageDataset| {
        let mut seen = vec![0usize; dataset.num_classes()];
        let indices: Vec<usize> = (0..dataset.len())
            .filter(|&i| {
                let count = &mut seen[usize::from(dataset.labels[i])];
                *count += 1;
                *count <= max
            })
            .collect();
        indices
    };
    let train_indices = keep(&sets.train);
    let test_indices = keep(&sets.test);
    // The loaders check every label and every index comes from the dataset itself.
    match (
        sets.train.subset(&train_indices),
        sets.test.subset(&test_indices),
    ) {
        (Ok(train), Ok(test)) => TrainTestSets { train, test },
        _ => sets,
    }
}
