//! Loaders, detection and their errors on small files made in a temporary folder.

use std::fs;
use std::io::Cursor;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use image::{ImageFormat, RgbImage};
use rwenas_rwe::data::{
    DataError, DataSource, Split, load_cifar10_binary, load_cifar100_binary, load_image_folder,
    load_image_tar_gz,
};

const RECORD: usize = 1 + 3072;

fn png_bytes(width: u32, height: u32, seed: u8) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([seed, (x * 7) as u8, (y * 13) as u8 ^ seed])
    });
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

fn write_cifar10(dir: &Path, records: usize) {
    fs::create_dir_all(dir).unwrap();
    let names = "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n";
    fs::write(dir.join("batches.meta.txt"), names).unwrap();
    let mut bytes = Vec::new();
    for i in 0..records {
        bytes.push((i % 10) as u8);
        bytes.extend((0..3072).map(|p| ((p + i) % 251) as u8));
    }
    fs::write(dir.join("data_batch_1.bin"), &bytes).unwrap();
    fs::write(dir.join("data_batch_2.bin"), &bytes[..RECORD * 2]).unwrap();
    fs::write(dir.join("test_batch.bin"), &bytes).unwrap();
}

fn class_seed(class: &str) -> u8 {
    if class == "a_cat" { 0 } else { 10 }
}

/// Writes `<root>/<split>/<class>/<n>.png` for two classes and three images each.
fn write_folder(root: &Path) {
    for split in ["train", "test"] {
        // Created in reverse name order, so the loader has to sort.
        for class in ["b_dog", "a_cat"] {
            let dir = root.join(split).join(class);
            fs::create_dir_all(&dir).unwrap();
            for n in 0..3u8 {
                let bytes = png_bytes(4, 3, n + class_seed(class));
                fs::write(dir.join(format!("{n}.png")), bytes).unwrap();
            }
            fs::write(dir.join("notes.txt"), b"skipped").unwrap();
        }
    }
}

fn tar_gz(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
    for (name, data) in members {
        let mut header = tar::Header::new_gnu();
        let field = &mut header.as_old_mut().name;
        field[..name.len()].copy_from_slice(name.as_bytes());
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        builder.append(&header, data.as_slice()).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

fn folder_members(prefix: &str) -> Vec<(String, Vec<u8>)> {
    let mut members = Vec::new();
    for split in ["train", "test"] {
        for class in ["a_cat", "b_dog"] {
            for n in [2u8, 0, 1] {
                let name = format!("{prefix}{split}/{class}/{n}.png");
                members.push((name, png_bytes(4, 3, n + class_seed(class))));
            }
        }
    }
    members
}

fn write_tar(path: &Path, members: &[(String, Vec<u8>)]) {
    let borrowed: Vec<(&str, Vec<u8>)> = members
        .iter()
        .map(|(n, d)| (n.as_str(), d.clone()))
        .collect();
    fs::write(path, tar_gz(&borrowed)).unwrap();
}

#[test]
fn cifar10_binary_reads_all_batches() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("cifar-10-batches-bin");
    write_cifar10(&dir, 20);
    let sets = load_cifar10_binary(&dir).unwrap();
    assert_eq!(sets.train.len(), 22);
    assert_eq!(sets.test.len(), 20);
    assert_eq!(sets.train.class_names.len(), 10);
    assert_eq!(sets.train.class_names[9], "truck");
    assert_eq!(sets.train.labels[..3], [0, 1, 2]);
    assert_eq!(sets.train.labels[20..], [0, 1]);
    assert_eq!(sets.train.image(1).unwrap()[..3], [1, 2, 3]);
    sets.train.validate().unwrap();
}

#[test]
fn cifar10_truncated_file_is_rejected() {
    let temp = tempfile::tempdir().unwrap();
    write_cifar10(temp.path(), 3);
    let path = temp.path().join("data_batch_1.bin");
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..bytes.len() - 100]).unwrap();
    let error = load_cifar10_binary(temp.path()).unwrap_err();
    assert!(
        matches!(
            error,
            DataError::Truncated {
                record_size: RECORD,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("data_batch_1.bin"), "{error}");
}

#[test]
fn cifar10_missing_test_batch_is_named() {
    let temp = tempfile::tempdir().unwrap();
    write_cifar10(temp.path(), 3);
    fs::remove_file(temp.path().join("test_batch.bin")).unwrap();
    let error = load_cifar10_binary(temp.path()).unwrap_err();
    assert!(matches!(error, DataError::Missing { .. }), "{error}");
    assert!(error.to_string().contains("test_batch.bin"), "{error}");
}

#[test]
fn cifar10_label_out_of_range() {
    let temp = tempfile::tempdir().unwrap();
    write_cifar10(temp.path(), 3);
    let path = temp.path().join("data_batch_1.bin");
    let mut bytes = fs::read(&path).unwrap();
    bytes[RECORD] = 10;
    fs::write(&path, bytes).unwrap();
    let error = load_cifar10_binary(temp.path()).unwrap_err();
    assert!(
        matches!(
            error,
            DataError::InvalidLabel {
                record: 1,
                label: 10,
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn cifar100_uses_fine_label() {
    let temp = tempfile::tempdir().unwrap();
    let names: String = (0..100).map(|i| format!("class{i}\n")).collect();
    fs::write(temp.path().join("fine_label_names.txt"), names).unwrap();
    let mut record = vec![3u8, 42];
    record.extend(vec![7u8; 3072]);
    fs::write(temp.path().join("train.bin"), &record).unwrap();
    fs::write(temp.path().join("test.bin"), &record).unwrap();
    let sets = load_cifar100_binary(temp.path()).unwrap();
    assert_eq!(sets.train.labels, [42]);
    assert_eq!(sets.test.class_names[42], "class42");
    let detected = DataSource::detect(temp.path()).unwrap();
    assert_eq!(
        detected,
        DataSource::Cifar100Binary(temp.path().to_path_buf())
    );
}

#[test]
fn image_folder_sorts_classes_and_files() {
    let temp = tempfile::tempdir().unwrap();
    write_folder(temp.path());
    let sets = load_image_folder(temp.path(), None).unwrap();
    assert_eq!(sets.train.class_names, ["a_cat", "b_dog"]);
    assert_eq!(sets.train.labels, [0, 0, 0, 1, 1, 1]);
    assert_eq!(
        (sets.train.channels, sets.train.height, sets.train.width),
        (3, 3, 4)
    );
    sets.train.validate().unwrap();
    // Image 4 is b_dog/1.png: red is the seed 1 + 10, green is 7x and blue is 13y ^ seed.
    let image = sets.train.image(4).unwrap();
    assert!(image[..12].iter().all(|&r| r == 11));
    assert_eq!(image[12..16], [0, 7, 14, 21]);
    assert_eq!(image[24 + 4], 13 ^ 11);
}

#[test]
fn image_folder_max_per_class() {
    let temp = tempfile::tempdir().unwrap();
    write_folder(temp.path());
    let sets = load_image_folder(temp.path(), Some(2)).unwrap();
    assert_eq!(sets.train.labels, [0, 0, 1, 1]);
    assert_eq!(sets.test.labels, [0, 0, 1, 1]);
}

#[test]
fn image_folder_wrong_size_is_rejected() {
    let temp = tempfile::tempdir().unwrap();
    write_folder(temp.path());
    let odd = temp.path().join("train/b_dog/1.png");
    fs::write(&odd, png_bytes(5, 3, 0)).unwrap();
    let error = load_image_folder(temp.path(), None).unwrap_err();
    assert!(
        matches!(
            error,
            DataError::ImageSize {
                width: 4,
                found_width: 5,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("b_dog/1.png"), "{error}");
}

#[test]
fn image_folder_empty_class_is_rejected() {
    let temp = tempfile::tempdir().unwrap();
    write_folder(temp.path());
    fs::create_dir_all(temp.path().join("train/c_empty")).unwrap();
    let error = load_image_folder(temp.path(), None).unwrap_err();
    assert!(matches!(error, DataError::EmptyClass { .. }), "{error}");
    assert!(error.to_string().contains("c_empty"), "{error}");
}

#[test]
fn image_folder_missing_test_split() {
    let temp = tempfile::tempdir().unwrap();
    write_folder(temp.path());
    fs::remove_dir_all(temp.path().join("test")).unwrap();
    let error = load_image_folder(temp.path(), None).unwrap_err();
    assert!(matches!(error, DataError::Missing { .. }), "{error}");
    assert!(error.to_string().contains("test"), "{error}");
}

#[test]
fn image_folder_class_mismatch() {
    let temp = tempfile::tempdir().unwrap();
    write_folder(temp.path());
    fs::rename(
        temp.path().join("test/b_dog"),
        temp.path().join("test/b_wolf"),
    )
    .unwrap();
    let error = load_image_folder(temp.path(), None).unwrap_err();
    assert!(matches!(error, DataError::ClassMismatch { .. }), "{error}");
}

#[test]
fn undecodable_image_is_named() {
    let temp = tempfile::tempdir().unwrap();
    write_folder(temp.path());
    fs::write(temp.path().join("test/a_cat/0.png"), b"not a png").unwrap();
    let error = load_image_folder(temp.path(), None).unwrap_err();
    assert!(matches!(error, DataError::Decode { .. }), "{error}");
    assert!(error.to_string().contains("a_cat/0.png"), "{error}");
}

#[test]
fn tar_gz_matches_image_folder() {
    let temp = tempfile::tempdir().unwrap();
    write_folder(&temp.path().join("tree"));
    let from_folder = load_image_folder(&temp.path().join("tree"), None).unwrap();
    for prefix in ["", "cifar/", "./"] {
        let archive = temp.path().join("images.tar.gz");
        write_tar(&archive, &folder_members(prefix));
        let from_tar = load_image_tar_gz(&archive, None).unwrap();
        assert_eq!(from_tar, from_folder, "prefix {prefix:?}");
    }
}

#[test]
fn tar_gz_path_traversal_rejected() {
    let temp = tempfile::tempdir().unwrap();
    for bad in [
        "../train/a_cat/9.png",
        "/train/a_cat/9.png",
        "train/../../x.png",
    ] {
        let mut members = folder_members("");
        members.push((bad.to_string(), png_bytes(4, 3, 0)));
        let archive = temp.path().join("bad.tar.gz");
        write_tar(&archive, &members);
        let error = load_image_tar_gz(&archive, None).unwrap_err();
        assert!(
            matches!(error, DataError::UnsafeArchivePath { .. }),
            "{bad}: {error}"
        );
    }
}

#[test]
fn tar_gz_mixed_prefixes_rejected() {
    let temp = tempfile::tempdir().unwrap();
    let mut members = folder_members("one/");
    members.extend(folder_members("two/"));
    let archive = temp.path().join("mixed.tar.gz");
    write_tar(&archive, &members);
    let error = load_image_tar_gz(&archive, None).unwrap_err();
    assert!(matches!(error, DataError::ArchiveLayout { .. }), "{error}");
}

#[test]
fn detect_each_layout() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path();
    write_cifar10(&root.join("bin/cifar-10-batches-bin"), 3);
    write_folder(&root.join("folder"));
    fs::create_dir_all(root.join("archive")).unwrap();
    write_tar(&root.join("archive/images.tgz"), &folder_members(""));
    let cases = [
        (
            "bin",
            DataSource::Cifar10Binary(root.join("bin/cifar-10-batches-bin")),
        ),
        (
            "bin/cifar-10-batches-bin",
            DataSource::Cifar10Binary(root.join("bin/cifar-10-batches-bin")),
        ),
        ("folder", DataSource::ImageFolder(root.join("folder"))),
        (
            "archive",
            DataSource::TarGz(root.join("archive/images.tgz")),
        ),
        (
            "archive/images.tgz",
            DataSource::TarGz(root.join("archive/images.tgz")),
        ),
    ];
    for (path, expected) in cases {
        assert_eq!(
            DataSource::detect(&root.join(path)).unwrap(),
            expected,
            "{path}"
        );
    }
    let sets = DataSource::detect(&root.join("bin"))
        .unwrap()
        .load(Some(1))
        .unwrap();
    assert_eq!(sets.train.labels, [0, 1, 2]);
}

#[test]
fn detect_absent_path_reported() {
    let temp = tempfile::tempdir().unwrap();
    let path = temp.path().join("absent");
    let error = DataSource::detect(&path).unwrap_err();
    assert!(matches!(error, DataError::PathNotFound { .. }), "{error}");
    let message = error.to_string();
    assert_eq!(
        message,
        format!("data path {} does not exist", path.display())
    );
}

#[test]
fn detect_empty_folder_lists_layouts_once() {
    let temp = tempfile::tempdir().unwrap();
    let path = temp.path();
    let error = DataSource::detect(path).unwrap_err();
    assert!(matches!(error, DataError::NotFound { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert_eq!(message.matches("no dataset found").count(), 1, "{message}");
    assert_eq!(
        message.matches("cifar-10-batches-bin").count(),
        1,
        "{message}"
    );
    for layout in ["data_batch_*.bin", "train/", ".tar.gz"] {
        assert!(message.contains(layout), "{layout}: {message}");
    }
    assert!(!message.contains('\n'), "one line: {message}");
}

#[test]
fn detect_other_file_is_rejected() {
    let temp = tempfile::tempdir().unwrap();
    let path = temp.path().join("data_batch_1.bin");
    fs::write(&path, [0u8; RECORD]).unwrap();
    let error = DataSource::detect(&path).unwrap_err();
    assert!(matches!(error, DataError::NotFound { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("data_batch_1.bin"), "{message}");
    assert!(message.contains("a folder or a `.tar.gz`"), "{message}");
}

#[test]
fn detect_two_archives_is_ambiguous() {
    let temp = tempfile::tempdir().unwrap();
    let members = folder_members("");
    write_tar(&temp.path().join("a.tar.gz"), &members);
    write_tar(&temp.path().join("b.tgz"), &members);
    let error = DataSource::detect(temp.path()).unwrap_err();
    assert!(matches!(error, DataError::NotFound { .. }), "{error}");
    assert!(error.to_string().contains("exactly one"), "{error}");
}

#[test]
fn empty_split_is_rejected() {
    let temp = tempfile::tempdir().unwrap();
    write_cifar10(temp.path(), 20);
    let sets = load_cifar10_binary(temp.path()).unwrap();
    for (train, valid, split) in [(Some(0), None, "train"), (None, Some(0), "validation")] {
        let error = Split::new(&sets.train, train, valid).unwrap_err();
        assert!(
            matches!(error, DataError::EmptySplit { split: named } if named == split),
            "{error}"
        );
        assert!(error.to_string().contains("size is 0"), "{error}");
    }
}

#[test]
fn single_counts_are_singular() {
    let temp = tempfile::tempdir().unwrap();
    write_cifar10(temp.path(), 20);
    let sets = load_cifar10_binary(temp.path()).unwrap();
    let single_image = sets.train.subset(&[0]).unwrap();
    let error = single_image.subset(&[1]).unwrap_err();
    assert!(
        error.to_string().ends_with("a dataset of 1 image"),
        "{error}"
    );
}
