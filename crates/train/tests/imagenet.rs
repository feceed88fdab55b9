//! Tests of the ImageNet input pipeline on small image folders written by the tests.

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use image::{Rgb, RgbImage};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rwenas_rwe::data::load_full_size_image_folder;
use rwenas_rwe::{FullSizeDataset, FullSizeSets};
use rwenas_space::micro::{MicroScale, build_network, catalogue};
use rwenas_train::imagenet::{
    ColorJitter, IMAGENET_MEAN, ResizedCrop, augmented_batch_into, resize_center_crop,
};
use rwenas_train::{TrainConfig, TrainData, Trainer};

/// A temporary folder removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "rwenas-train-imagenet-{name}-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("temporary folder");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

/// An image with a horizontal and a vertical gradient, tinted by `class`.
fn gradient(width: u32, height: u32, class: u8) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb([
            (x * 255 / width.max(1)) as u8,
            (y * 255 / height.max(1)) as u8,
            class * 120 + 40,
        ])
    })
}

/// Writes `train/<class>/*.png` and `test/<class>/*.png` for classes `a` and `b`, with
/// `per_class` training images of different sizes and one test image per class.
fn write_folder(root: &Path, per_class: u32, base: u32) {
    for (class, name) in ["a", "b"].iter().enumerate() {
        for split in ["train", "test"] {
            let dir = root.join(split).join(name);
            std::fs::create_dir_all(&dir).expect("class folder");
            let count = if split == "train" { per_class } else { 1 };
            for index in 0..count {
                let width = base + 7 * index;
                let height = base + 3 * (per_class - index);
                gradient(width, height, class as u8)
                    .save(dir.join(format!("{index}.png")))
                    .expect("png written");
            }
        }
    }
}

fn load(root: &Path) -> FullSizeSets {
    load_full_size_image_folder(root, None).expect("folder loads")
}

#[test]
fn full_size_folder_keeps_sizes() {
    let dir = TempDir::new("sizes");
    write_folder(&dir.0, 3, 40);
    let sets = load(&dir.0);
    assert_eq!(sets.train.len(), 6);
    assert_eq!(sets.test.len(), 2);
    assert_eq!(sets.train.labels, vec![0, 0, 0, 1, 1, 1]);
    assert_eq!(sets.train.class_names, vec!["a", "b"]);
    let sizes: Vec<(u32, u32)> = sets.train.images.iter().map(|i| i.dimensions()).collect();
    assert_eq!(sizes[..3], [(40, 49), (47, 46), (54, 43)]);
}

#[test]
fn train_data_crops_to_network_size() {
    let dir = TempDir::new("crops");
    write_folder(&dir.0, 3, 40);
    let data = TrainData::from_image_folder(load(&dir.0), 32, 36).expect("data");
    for split in [&data.train, &data.test] {
        assert_eq!((split.channels, split.height, split.width), (3, 32, 32));
        assert_eq!(split.images.len(), split.len() * 3 * 32 * 32);
    }
    assert_eq!(data.train.len(), 6);
    assert_eq!(data.test.len(), 2);
    assert_eq!(data.normalization.mean, IMAGENET_MEAN.to_vec());
    assert_eq!(
        data.full_size_train.as_ref().map(FullSizeDataset::len),
        Some(6)
    );
    assert!(TrainData::from_image_folder(load(&dir.0), 32, 30).is_err());
}

#[test]
fn resize_center_crop_keeps_centre() {
    // 80x40, left half black and right half white: resized to 48x24, the centred 24x24
    // crop spans columns 12..36, so its left half is black and its right half white.
    let image = RgbImage::from_fn(80, 40, |x, _| {
        if x < 40 {
            Rgb([0, 0, 0])
        } else {
            Rgb([255, 255, 255])
        }
    });
    let crop = resize_center_crop(&image, 24, 24);
    assert_eq!(crop.dimensions(), (24, 24));
    assert_eq!(crop.get_pixel(2, 12)[0], 0);
    assert_eq!(crop.get_pixel(21, 12)[0], 255);
}

#[test]
fn resized_crop_windows_fit_image() {
    let crop = ResizedCrop::default();
    let mut rng = StdRng::seed_from_u64(1);
    let mut fractions = Vec::new();
    for (width, height) in [(64, 48), (30, 120), (17, 17)] {
        for _ in 0..200 {
            let window = crop.sample(width, height, &mut rng);
            assert!(window.width >= 1);
            assert!(window.height >= 1);
            assert!(
                window.left + window.width <= width,
                "{window:?} in {width}x{height}"
            );
            assert!(
                window.top + window.height <= height,
                "{window:?} in {width}x{height}"
            );
            let area = f64::from(window.width * window.height);
            fractions.push(area / f64::from(width * height));
        }
    }
    let smallest = fractions.iter().copied().fold(f64::INFINITY, f64::min);
    let largest = fractions.iter().copied().fold(0.0, f64::max);
    assert!(
        smallest < 0.3,
        "crops cover at least {smallest} of the image"
    );
    assert!(largest > 0.7, "crops cover at most {largest} of the image");
}

#[test]
fn brightness_jitter_scales_uniformly() {
    let jitter = ColorJitter {
        brightness: 0.4,
        contrast: 0.0,
        saturation: 0.0,
        hue: 0.0,
    };
    let original: Vec<f32> = (0..3 * 16).map(|i| (i as f32 + 1.0) / 100.0).collect();
    let mut image = original.clone();
    jitter.apply(&mut image, 16, &mut StdRng::seed_from_u64(2));
    let factor = image[0] / original[0];
    assert!((0.6..=1.4).contains(&factor), "brightness factor {factor}");
    for (jittered, value) in image.iter().zip(&original) {
        assert!((jittered - value * factor).abs() < 1e-6);
    }
}

#[test]
fn full_jitter_stays_in_unit_range() {
    let jitter = ColorJitter::darts_imagenet();
    let original: Vec<f32> = (0..3 * 64).map(|i| (i * 37 % 101) as f32 / 100.0).collect();
    for seed in 0..20 {
        let mut image = original.clone();
        jitter.apply(&mut image, 64, &mut StdRng::seed_from_u64(seed));
        assert!(image.iter().all(|value| (0.0..=1.0).contains(value)));
        assert_ne!(image, original, "seed {seed} changes the image");
    }
}

#[test]
fn augmented_batches_repeat_per_seed() {
    let dir = TempDir::new("batches");
    write_folder(&dir.0, 3, 40);
    let data = TrainData::from_image_folder(load(&dir.0), 32, 36).expect("data");
    let full_size = data.full_size_train.as_ref().expect("full-size images");
    let config = TrainConfig {
        cutout_length: Some(8),
        ..TrainConfig::imagenet()
    };
    let batch = |seed: u64| {
        let mut values = Vec::new();
        augmented_batch_into(
            full_size,
            &[0, 4, 2],
            32,
            &config,
            &data.normalization,
            &mut StdRng::seed_from_u64(seed),
            &mut values,
        )
        .expect("batch");
        values
    };
    let first = batch(7);
    assert_eq!(first.len(), 3 * 3 * 32 * 32);
    assert!(first.iter().all(|value| value.is_finite()));
    assert_eq!(first, batch(7));
    assert_ne!(first, batch(8));
}

#[test]
fn imagenet_layout_trains_one_epoch() {
    let dir = TempDir::new("train");
    write_folder(&dir.0, 2, 232);
    let data = TrainData::from_image_folder(load(&dir.0), 224, 256).expect("data");
    let genotype = catalogue::genotype("darts_v2").expect("catalogued genotype");
    let scale = MicroScale {
        classes: 2,
        ..MicroScale::imagenet(8, 3, true)
    };
    let network = build_network(&genotype, &scale).expect("network builds");
    // Five epochs, so that the recipe's five warm-up epochs fit in the run; the test trains
    // the first.
    let config = TrainConfig {
        epochs: 5,
        batch_size: 4,
        eval_batch_size: 2,
        drop_path_rate: 0.2,
        ..TrainConfig::imagenet()
    };
    let mut trainer = Trainer::new(&network, data, config, &Device::flex()).expect("trainer");
    let stats = trainer.train_epoch().expect("epoch");
    assert!(stats.train_loss.is_finite());
    assert!(stats.train_loss > 0.0);
    // The first of the 5 warm-up epochs runs at a fifth of the base rate.
    assert!(
        (stats.learning_rate - 0.02).abs() < 1e-12,
        "{}",
        stats.learning_rate
    );
    let error = trainer.evaluate_test().expect("test error");
    assert!((0.0..=1.0).contains(&error));
}
