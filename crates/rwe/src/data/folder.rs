//! Loaders of image folders, `<root>/train/<class>/*` and `<root>/test/<class>/*`, and of
//! `.tar.gz` archives of such a tree.
//!
//! Classes are sorted by folder name and get labels in that order; the files of a class are
//! sorted by file name. Files whose name does not end in `.jpg`, `.jpeg` or `.png`
//! (case-insensitive) are skipped, and so are archive members other than folders and regular
//! files. Every image is converted to 8-bit RGB. [`load_image_folder`] and
//! [`load_image_tar_gz`] require every image to have the size of the first training image;
//! [`load_full_size_image_folder`] and [`load_full_size_image_tar_gz`] keep each image at its
//! own size.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufReader, Read};
use std::path::{Component, Path, PathBuf};

use image::{ImageFormat, RgbImage};

use super::{DataError, ImageDataset, TrainTestSets};

/// Images of one split decoded to 8-bit RGB, each at its own size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullSizeDataset {
    /// The images, in the order of their labels and then of their file names.
    pub images: Vec<RgbImage>,
    /// Class index of each image.
    pub labels: Vec<u16>,
    /// Class names in label order.
    pub class_names: Vec<String>,
}

impl FullSizeDataset {
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
}

/// Training and test images of one dataset, each image at its own size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullSizeSets {
    /// Training images.
    pub train: FullSizeDataset,
    /// Test images.
    pub test: FullSizeDataset,
}

const SPLITS: [&str; 2] = ["train", "test"];

/// Encoded image, still on disk or already read into memory.
enum ImageBytes {
    File(PathBuf),
    Memory(Vec<u8>),
}

struct ImageEntry {
    file_name: String,
    /// Path shown in errors.
    display: String,
    format: ImageFormat,
    bytes: ImageBytes,
}

/// Class folder name to its images, for one split.
type ClassTree = BTreeMap<String, Vec<ImageEntry>>;

/// Loads an image folder with `train/<class>/` and `test/<class>/` subfolders.
///
/// `max_per_class` keeps only the first images (by file name) of each class in each split,
/// and the remaining files are neither read nor decoded.
///
/// # Errors
///
/// [`DataError::Missing`] for an absent `train` or `test` folder, [`DataError::EmptyClass`],
/// [`DataError::ClassMismatch`], [`DataError::Decode`], [`DataError::ImageSize`] and
/// [`DataError::Io`].
pub fn load_image_folder(
    root: &Path,
    max_per_class: Option<usize>,
) -> Result<TrainTestSets, DataError> {
    let train = read_split_dir(root, "train")?;
    let test = read_split_dir(root, "test")?;
    build_sets(root, train, test, max_per_class)
}

/// Loads an image folder like [`load_image_folder`], but keeps every image at its own size,
/// as ImageNet-style pipelines that crop and resize each image need.
///
/// # Errors
///
/// As [`load_image_folder`], without [`DataError::ImageSize`].
pub fn load_full_size_image_folder(
    root: &Path,
    max_per_class: Option<usize>,
) -> Result<FullSizeSets, DataError> {
    let train = read_split_dir(root, "train")?;
    let test = read_split_dir(root, "test")?;
    build_full_size_sets(root, train, test, max_per_class)
}

/// Loads a `.tar.gz` archive of an image folder like [`load_image_tar_gz`], but keeps every
/// image at its own size.
///
/// # Errors
///
/// As [`load_image_tar_gz`], without [`DataError::ImageSize`].
pub fn load_full_size_image_tar_gz(
    archive: &Path,
    max_per_class: Option<usize>,
) -> Result<FullSizeSets, DataError> {
    let [train, test] = read_archive(archive)?;
    build_full_size_sets(archive, train, test, max_per_class)
}

/// Loads a `.tar.gz` archive of an image folder without extracting it to disk.
///
/// Members are `train/<class>/<file>` and `test/<class>/<file>`, optionally all inside one
/// top-level folder. The archive is decompressed as a stream and the encoded images are kept
/// in memory.
///
/// # Errors
///
/// [`DataError::UnsafeArchivePath`] for a member path that is absolute or contains `..`,
/// [`DataError::ArchiveLayout`] for members under different top-level folders, and the errors
/// of [`load_image_folder`].
pub fn load_image_tar_gz(
    archive: &Path,
    max_per_class: Option<usize>,
) -> Result<TrainTestSets, DataError> {
    let [train, test] = read_archive(archive)?;
    build_sets(archive, train, test, max_per_class)
}

fn image_format(name: &str) -> Option<ImageFormat> {
    let extension = name.rsplit_once('.')?.1.to_ascii_lowercase();
    match extension.as_str() {
        "jpg" | "jpeg" => Some(ImageFormat::Jpeg),
        "png" => Some(ImageFormat::Png),
        _ => None,
    }
}

fn sorted_dir_entries(dir: &Path) -> Result<Vec<PathBuf>, DataError> {
    let entries = fs::read_dir(dir).map_err(|e| DataError::io(dir, e))?;
    let mut paths = Vec::new();
    for entry in entries {
        paths.push(entry.map_err(|e| DataError::io(dir, e))?.path());
    }
    paths.sort();
    Ok(paths)
}

fn read_split_dir(root: &Path, split: &str) -> Result<ClassTree, DataError> {
    let dir = root.join(split);
    if !dir.is_dir() {
        return Err(DataError::Missing {
            path: dir,
            hint: format!("an image folder needs `{split}/<class>/` subfolders of images"),
        });
    }
    let mut tree = ClassTree::new();
    for class_dir in sorted_dir_entries(&dir)? {
        if !class_dir.is_dir() {
            continue;
        }
        let class = class_dir.file_name().unwrap_or_default().to_string_lossy();
        let mut images = Vec::new();
        for path in sorted_dir_entries(&class_dir)? {
            let file_name = path.file_name().unwrap_or_default().to_string_lossy();
            if let Some(format) = image_format(&file_name).filter(|_| path.is_file()) {
                images.push(ImageEntry {
                    file_name: file_name.into_owned(),
                    display: path.display().to_string(),
                    format,
                    bytes: ImageBytes::File(path.clone()),
                });
            }
        }
        if images.is_empty() {
            return Err(DataError::EmptyClass {
                path: class_dir.display().to_string(),
            });
        }
        tree.insert(class.into_owned(), images);
    }
    Ok(tree)
}

/// Position of an archive member in the `[prefix/]split/class[/file]` tree.
struct MemberPlace {
    prefix: String,
    split: usize,
    class: String,
    file_name: Option<String>,
}

fn member_components(archive: &Path, path: &Path) -> Result<Vec<String>, DataError> {
    let mut parts = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(DataError::UnsafeArchivePath {
                    archive: archive.to_path_buf(),
                    member: path.display().to_string(),
                });
            }
        }
    }
    Ok(parts)
}

/// Places a member; `None` for members outside the tree, such as a top-level README.
fn place_member(parts: &[String], is_dir: bool) -> Option<MemberPlace> {
    let depth = if is_dir { 2 } else { 3 };
    let (prefix, rest) = if parts.len() == depth {
        ("", parts)
    } else if parts.len() == depth + 1 {
        (parts[0].as_str(), &parts[1..])
    } else {
        return None;
    };
    let split = SPLITS.iter().position(|s| *s == rest[0])?;
    Some(MemberPlace {
        prefix: prefix.to_string(),
        split,
        class: rest[1].clone(),
        file_name: rest.get(2).cloned(),
    })
}

fn read_archive(archive: &Path) -> Result<[ClassTree; 2], DataError> {
    let file = File::open(archive).map_err(|e| DataError::io(archive, e))?;
    let decoder = flate2::read::GzDecoder::new(BufReader::new(file));
    let mut tar = tar::Archive::new(decoder);
    let mut trees = [ClassTree::new(), ClassTree::new()];
    let mut prefix: Option<String> = None;
    let entries = tar.entries().map_err(|e| DataError::io(archive, e))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| DataError::io(archive, e))?;
        let path = entry
            .path()
            .map_err(|e| DataError::io(archive, e))?
            .into_owned();
        let parts = member_components(archive, &path)?;
        let kind = entry.header().entry_type();
        if !kind.is_dir() && !kind.is_file() {
            continue;
        }
        let Some(place) = place_member(&parts, kind.is_dir()) else {
            continue;
        };
        check_prefix(archive, &path, &place.prefix, &mut prefix)?;
        let images = trees[place.split].entry(place.class).or_default();
        let Some(file_name) = place.file_name else {
            continue;
        };
        let Some(format) = image_format(&file_name) else {
            continue;
        };
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| DataError::io(archive, e))?;
        images.push(ImageEntry {
            file_name,
            display: format!("{}:{}", archive.display(), path.display()),
            format,
            bytes: ImageBytes::Memory(bytes),
        });
    }
    Ok(trees)
}

fn check_prefix(
    archive: &Path,
    member: &Path,
    found: &str,
    expected: &mut Option<String>,
) -> Result<(), DataError> {
    match expected {
        None => {
            *expected = Some(found.to_string());
            Ok(())
        }
        Some(prefix) if prefix == found => Ok(()),
        Some(prefix) => Err(DataError::ArchiveLayout {
            archive: archive.to_path_buf(),
            member: member.display().to_string(),
            expected: prefix.clone(),
        }),
    }
}

/// Checks that both splits have the same non-empty classes and returns their names.
fn class_names(root: &Path, train: &ClassTree, test: &ClassTree) -> Result<Vec<String>, DataError> {
    for (split, tree) in SPLITS.iter().zip([&train, &test]) {
        if tree.is_empty() {
            return Err(DataError::Missing {
                path: root.join(split),
                hint: format!("the dataset needs `{split}/<class>/` folders of images"),
            });
        }
        if let Some((class, _)) = tree.iter().find(|(_, images)| images.is_empty()) {
            return Err(DataError::EmptyClass {
                path: format!("{}:{split}/{class}", root.display()),
            });
        }
    }
    let class_names: Vec<String> = train.keys().cloned().collect();
    let test_names: Vec<String> = test.keys().cloned().collect();
    if class_names != test_names {
        return Err(DataError::ClassMismatch {
            path: root.to_path_buf(),
            train: class_names,
            test: test_names,
        });
    }
    Ok(class_names)
}

fn build_sets(
    root: &Path,
    train: ClassTree,
    test: ClassTree,
    max_per_class: Option<usize>,
) -> Result<TrainTestSets, DataError> {
    let class_names = class_names(root, &train, &test)?;
    let mut size = None;
    let train = decode_tree(train, &class_names, max_per_class, &mut size)?;
    let test = decode_tree(test, &class_names, max_per_class, &mut size)?;
    Ok(TrainTestSets { train, test })
}

fn decode_tree(
    tree: ClassTree,
    class_names: &[String],
    max_per_class: Option<usize>,
    size: &mut Option<(usize, usize)>,
) -> Result<ImageDataset, DataError> {
    let mut dataset = ImageDataset {
        images: Vec::new(),
        labels: Vec::new(),
        class_names: class_names.to_vec(),
        channels: 3,
        height: 0,
        width: 0,
    };
    for (label, mut images) in (0u16..).zip(tree.into_values()) {
        images.sort_by(|a, b| a.file_name.cmp(&b.file_name));
        images.truncate(max_per_class.unwrap_or(usize::MAX));
        for entry in images {
            let (width, height) = decode_into(&entry, size, &mut dataset.images)?;
            dataset.width = width;
            dataset.height = height;
            dataset.labels.push(label);
        }
    }
    Ok(dataset)
}

fn build_full_size_sets(
    root: &Path,
    train: ClassTree,
    test: ClassTree,
    max_per_class: Option<usize>,
) -> Result<FullSizeSets, DataError> {
    let class_names = class_names(root, &train, &test)?;
    let decode_split = |tree: ClassTree| -> Result<FullSizeDataset, DataError> {
        let mut dataset = FullSizeDataset {
            images: Vec::new(),
            labels: Vec::new(),
            class_names: class_names.clone(),
        };
        for (label, mut images) in (0u16..).zip(tree.into_values()) {
            images.sort_by(|a, b| a.file_name.cmp(&b.file_name));
            images.truncate(max_per_class.unwrap_or(usize::MAX));
            for entry in images {
                dataset.images.push(decode_rgb(&entry)?);
                dataset.labels.push(label);
            }
        }
        Ok(dataset)
    };
    Ok(FullSizeSets {
        train: decode_split(train)?,
        test: decode_split(test)?,
    })
}

/// Decodes one image to 8-bit RGB.
fn decode_rgb(entry: &ImageEntry) -> Result<RgbImage, DataError> {
    let owned;
    let bytes = match &entry.bytes {
        ImageBytes::Memory(bytes) => bytes.as_slice(),
        ImageBytes::File(path) => {
            owned = fs::read(path).map_err(|e| DataError::io(path, e))?;
            owned.as_slice()
        }
    };
    let decoded = image::load_from_memory_with_format(bytes, entry.format).map_err(|source| {
        DataError::Decode {
            path: entry.display.clone(),
            source,
        }
    })?;
    Ok(decoded.to_rgb8())
}

/// Decodes one image and appends it channel-planar; returns its width and height.
fn decode_into(
    entry: &ImageEntry,
    size: &mut Option<(usize, usize)>,
    out: &mut Vec<u8>,
) -> Result<(usize, usize), DataError> {
    let decoded = decode_rgb(entry)?;
    let found = (decoded.width() as usize, decoded.height() as usize);
    let (width, height) = *size.get_or_insert(found);
    if found != (width, height) {
        return Err(DataError::ImageSize {
            path: entry.display.clone(),
            width,
            height,
            found_width: found.0,
            found_height: found.1,
        });
    }
    let raw = decoded.as_raw();
    for channel in 0..3 {
        out.extend(raw.iter().skip(channel).step_by(3));
    }
    Ok(found)
}
