//! Loaders and the RWE evaluator on the real CIFAR-10 files.
//!
//! The folder comes from `RWENAS_CIFAR10`, else `../shared/data/cifar10` beside the workspace.
//! It contains `cifar-10-batches-bin/` (`data_batch_1.bin`, `test_batch.bin`) and
//! `cifar-10-images.tar.gz`, whose JPEGs the binary batches were decoded from.

mod common;

use burn::tensor::activation::relu;
use burn::tensor::module::{adaptive_avg_pool2d, conv2d};
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rwenas_rwe::data::{DataSource, Split, load_cifar10_binary, load_image_tar_gz};
use rwenas_rwe::{FeatureExtractor, RweConfig, RweData, evaluate};

const CLASSES: [&str; 10] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];

#[test]
fn binary_batches_shapes_and_counts() {
    let dir = common::cifar10_dir().join("cifar-10-batches-bin");
    let sets = load_cifar10_binary(&dir).unwrap();
    assert_eq!(sets.train.class_names, CLASSES);
    assert_eq!(sets.train.len(), 10_000);
    assert_eq!(sets.test.len(), 10_000);
    assert_eq!(
        (sets.train.channels, sets.train.height, sets.train.width),
        (3, 32, 32)
    );
    assert_eq!(sets.train.class_counts(), vec![1000; 10]);
    assert_eq!(sets.test.class_counts(), vec![1000; 10]);
    assert!(
        sets.train
            .labels
            .iter()
            .enumerate()
            .all(|(i, &l)| usize::from(l) == i % 10)
    );
}

#[test]
fn detect_shared_folder_prefers_binary() {
    let dir = common::cifar10_dir();
    let source = DataSource::detect(&dir).unwrap();
    assert_eq!(
        source,
        DataSource::Cifar10Binary(dir.join("cifar-10-batches-bin"))
    );
    let archive = DataSource::detect(&dir.join("cifar-10-images.tar.gz")).unwrap();
    assert_eq!(
        archive,
        DataSource::TarGz(dir.join("cifar-10-images.tar.gz"))
    );
}

#[test]
fn tar_gz_agrees_with_binary_batch() {
    let dir = common::cifar10_dir();
    let binary = load_cifar10_binary(&dir.join("cifar-10-batches-bin")).unwrap();
    let images = load_image_tar_gz(&dir.join("cifar-10-images.tar.gz"), Some(1000)).unwrap();
    assert_eq!(images.train.class_names, CLASSES);
    assert_eq!(images.train.class_counts(), vec![1000; 10]);
    assert_eq!(images.test.class_counts(), vec![1000; 10]);
    assert_eq!((images.train.height, images.train.width), (32, 32));

    let mut max_difference = 0u8;
    let mut differing = 0usize;
    let mut total_difference = 0u64;
    for i in 0..binary.train.len() {
        // Record i is file i / 10, in name order, of class i % 10.
        let folder_index = (i % 10) * 1000 + i / 10;
        assert_eq!(images.train.labels[folder_index], binary.train.labels[i]);
        let a = binary.train.image(i).unwrap();
        let b = images.train.image(folder_index).unwrap();
        for (&x, &y) in a.iter().zip(b) {
            max_difference = max_difference.max(x.abs_diff(y));
            differing += usize::from(x != y);
            total_difference += u64::from(x.abs_diff(y));
        }
    }

    let bytes = binary.train.images.len();
    let mean_difference = total_difference as f64 / bytes as f64;
    // NOTE: the decoder of the `image` crate (zune-jpeg 0.5) is not bit-exact with the libjpeg
    // decoder that wrote the binary batch: it upsamples 4:2:0 chroma in two separately rounded
    // passes and approximates the colour conversion. Measured on data_batch_1: max difference
    // 5, 6,657,310 of 30,720,000 bytes differ. The bounds below catch a wrong image order,
    // which gives differences near 255 and a mean far above 1.
    assert!(
        max_difference <= 8,
        "max difference {max_difference}, {differing} of {bytes} bytes differ"
    );
    assert!(
        mean_difference < 0.5,
        "mean difference {mean_difference}, {differing} of {bytes} bytes differ"
    );
}

/// Random 5x5 convolution with 64 filters, ReLU and 3x3 adaptive average pooling: 576 features.
struct RandomConvFeatures {
    weight: Tensor<4>,
}

impl RandomConvFeatures {
    fn new(device: &Device) -> Self {
        let mut rng = StdRng::seed_from_u64(5);
        let bound = 1.0 / (3.0f32 * 25.0).sqrt();
        let values: Vec<f32> = (0..64 * 3 * 25)
            .map(|_| rng.random_range(-bound..bound))
            .collect();
        let weight = Tensor::from_data(TensorData::new(values, [64, 3, 5, 5]), device);
        RandomConvFeatures { weight }
    }
}

impl FeatureExtractor for RandomConvFeatures {
    fn feature_dim(&self) -> usize {
        576
    }

    fn extract(&self, images: Tensor<4>) -> Tensor<2> {
        let options = ConvOptions::new([1, 1], [2, 2], [1, 1], 1);
        let maps = relu(conv2d(images, self.weight.clone(), None, options));
        let pooled = adaptive_avg_pool2d(maps, [3, 3]);
        let [batch, ..] = pooled.dims();
        pooled.reshape([batch, 576])
    }
}

#[test]
fn evaluator_on_real_images() {
    let dir = common::cifar10_dir().join("cifar-10-batches-bin");
    let sets = load_cifar10_binary(&dir).unwrap();
    let split = Split::new(&sets.train, Some(1000), Some(200)).unwrap();
    let data = RweData::new(sets.train, split).unwrap();
    let device = Device::flex();
    let extractor = RandomConvFeatures::new(&device);
    let score = evaluate(&extractor, &data, &RweConfig::default(), &device).unwrap();
    assert_eq!(score.feature_dim, 576);
    // Measured: 0.615 with these seeds, against 0.9 for chance.
    assert!(
        score.error < 0.72,
        "RWE error {} is near chance (0.9)",
        score.error
    );
    assert!(score.feature_seconds > 0.0);
    assert!(score.classifier_seconds > 0.0);
    let again = evaluate(&extractor, &data, &RweConfig::default(), &device).unwrap();
    assert_eq!(again.error, score.error);
}
