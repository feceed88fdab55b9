//! The train/validation split and the per-channel normalisation.

use std::collections::HashSet;

use burn::tensor::Device;
use rwenas_rwe::data::{DataError, ImageDataset, Normalization, Split};

/// `per_class` images of each of `classes` classes, interleaved by class. Every pixel of
/// image `i` is `i % 256`.
fn dataset(classes: usize, per_class: usize) -> ImageDataset {
    let len = classes * per_class;
    ImageDataset {
        images: (0..len)
            .flat_map(|i| vec![(i % 256) as u8; 2 * 2 * 2])
            .collect(),
        labels: (0..len).map(|i| (i % classes) as u16).collect(),
        class_names: (0..classes).map(|c| format!("c{c}")).collect(),
        channels: 2,
        height: 2,
        width: 2,
    }
}

fn per_class(data: &ImageDataset, indices: &[usize]) -> Vec<usize> {
    let mut counts = vec![0; data.num_classes()];
    for &i in indices {
        counts[usize::from(data.labels[i])] += 1;
    }
    counts
}

#[test]
fn split_full_is_80_20_per_class() {
    let data = dataset(10, 1000);
    let split = Split::new(&data, None, None).unwrap();
    assert_eq!(split.train.len(), 8000);
    assert_eq!(split.valid.len(), 2000);
    assert_eq!(per_class(&data, &split.train), vec![800; 10]);
    assert_eq!(per_class(&data, &split.valid), vec![200; 10]);
    let train: HashSet<_> = split.train.iter().collect();
    assert!(split.valid.iter().all(|i| !train.contains(i)));
    assert!(split.train.windows(2).all(|w| w[0] < w[1]));
    // Class 0 is at indices 0, 10, 20, and so on, so its last 20% start at index 8000.
    assert_eq!(split.valid[0], 8000);
    assert_eq!(*split.train.last().unwrap(), 7999);
}

#[test]
fn split_requested_sizes_take_first_images() {
    let data = dataset(10, 1000);
    let split = Split::new(&data, Some(1000), Some(200)).unwrap();
    assert_eq!(split.train, (0..1000).collect::<Vec<_>>());
    assert_eq!(split.valid, (8000..8200).collect::<Vec<_>>());
    assert_eq!(per_class(&data, &split.valid), vec![20; 10]);
}

#[test]
fn split_uneven_class_uses_floor() {
    let data = dataset(1, 7);
    let split = Split::new(&data, None, None).unwrap();
    assert_eq!(split.train, [0, 1, 2, 3, 4]);
    assert_eq!(split.valid, [5, 6]);
}

#[test]
fn split_size_not_divisible() {
    let data = dataset(10, 100);
    let error = Split::new(&data, Some(105), None).unwrap_err();
    assert!(
        matches!(
            error,
            DataError::SplitNotDivisible {
                requested: 105,
                classes: 10,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("105"), "{error}");
}

#[test]
fn split_size_too_large() {
    let data = dataset(10, 100);
    let error = Split::new(&data, None, Some(210)).unwrap_err();
    assert!(
        matches!(
            error,
            DataError::SplitTooLarge {
                per_class: 21,
                available: 20,
                max_total: 200,
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn split_rejects_empty_dataset() {
    let data = dataset(2, 0);
    assert!(matches!(
        Split::new(&data, None, None),
        Err(DataError::Empty)
    ));
}

#[test]
fn normalization_statistics() {
    // Channel 0 contains 0 and 255 in equal numbers, and channel 1 is constant 51.
    let data = ImageDataset {
        images: vec![0, 0, 51, 51, 255, 255, 51, 51],
        labels: vec![0, 0],
        class_names: vec!["only".to_string()],
        channels: 2,
        height: 1,
        width: 2,
    };
    let norm = Normalization::from_dataset(&data, &[0, 1]).unwrap();
    assert!((norm.mean[0] - 0.5).abs() < 1e-6);
    assert!((norm.std[0] - 0.5).abs() < 1e-6);
    assert!((norm.mean[1] - 0.2).abs() < 1e-6);
    assert_eq!(norm.std[1], 1.0);
    let mut values = Vec::new();
    norm.normalize_into(&data, &[1, 0], &mut values).unwrap();
    let expected = [1.0, 1.0, 0.0, 0.0, -1.0, -1.0, 0.0, 0.0];
    for (i, (value, want)) in values.iter().zip(expected).enumerate() {
        assert!((value - want).abs() < 1e-6, "pixel {i}: {value} != {want}");
    }
}

#[test]
fn normalization_uses_given_indices_only() {
    let data = dataset(2, 4);
    let norm = Normalization::from_dataset(&data, &[2]).unwrap();
    assert!((norm.mean[0] - 2.0 / 255.0).abs() < 1e-7);
    assert_eq!(norm.std, [1.0, 1.0]);
    let error = Normalization::from_dataset(&data, &[8]).unwrap_err();
    assert!(
        matches!(error, DataError::IndexOutOfRange { index: 8, len: 8 }),
        "{error}"
    );
}

#[test]
fn normalization_batch_tensor() {
    let data = dataset(2, 4);
    let norm = Normalization::from_dataset(&data, &[0, 1, 2, 3]).unwrap();
    let device = Device::flex();
    let batch = norm.batch(&data, &[3, 0, 1], &device).unwrap();
    assert_eq!(batch.dims(), [3, 2, 2, 2]);
    let values = batch.into_data().try_to_vec::<f32>().unwrap();
    let mut expected = Vec::new();
    norm.normalize_into(&data, &[3, 0, 1], &mut expected)
        .unwrap();
    assert_eq!(values, expected);
    let mean: f32 = expected[8..].iter().sum::<f32>() / 16.0;
    assert!(mean < 0.0);
}
