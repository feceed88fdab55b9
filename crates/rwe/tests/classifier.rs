//! The linear classifier ensemble on synthetic features.

use std::collections::HashSet;

use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rwenas_rwe::{LinearEnsembleConfig, RweError, fold_partition, train_ensemble};

/// Rows around `classes` well separated centres, labels in round-robin order.
fn clusters(
    rows: usize,
    dim: usize,
    classes: usize,
    spread: f32,
    seed: u64,
) -> (Vec<f32>, Vec<u16>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let centres: Vec<f32> = (0..classes * dim)
        .map(|_| rng.random_range(-1.0..1.0))
        .collect();
    let mut values = Vec::with_capacity(rows * dim);
    let mut labels = Vec::with_capacity(rows);
    for row in 0..rows {
        let class = row % classes;
        labels.push(class as u16);
        for d in 0..dim {
            values.push(centres[class * dim + d] + spread * rng.random_range(-1.0..1.0));
        }
    }
    (values, labels)
}

fn tensor(values: Vec<f32>, dim: usize, device: &Device) -> Tensor<2> {
    let rows = values.len() / dim;
    Tensor::from_data(TensorData::new(values, [rows, dim]), device)
}

#[test]
fn separable_data_low_error() {
    let device = Device::flex();
    let (train, train_labels) = clusters(2000, 16, 4, 0.3, 1);
    let (valid, valid_labels) = clusters(400, 16, 4, 0.3, 1);
    let config = LinearEnsembleConfig {
        epochs: 10,
        ..Default::default()
    };
    let report = train_ensemble(
        &tensor(train, 16, &device),
        &train_labels,
        &tensor(valid, 16, &device),
        &valid_labels,
        4,
        &config,
    )
    .unwrap();
    assert!(report.error < 0.02, "ensemble error {}", report.error);
    assert_eq!(report.classifier_errors.len(), 5);
    assert_eq!(report.final_losses.len(), 5);
    assert!(
        report.classifier_errors.iter().all(|&e| e < 0.05),
        "{:?}",
        report.classifier_errors
    );
}

#[test]
fn more_epochs_reduce_loss() {
    let device = Device::flex();
    let (train, labels) = clusters(1000, 8, 3, 0.8, 2);
    let features = tensor(train, 8, &device);
    let loss_after = |epochs: usize| {
        let config = LinearEnsembleConfig {
            folds: 2,
            epochs,
            learning_rate: 0.05,
            ..Default::default()
        };
        let report = train_ensemble(&features, &labels, &features, &labels, 3, &config).unwrap();
        report.final_losses[0]
    };
    let short = loss_after(1);
    let long = loss_after(20);
    assert!(
        long < short,
        "loss after 20 epochs {long} is not below 1 epoch {short}"
    );
    assert!(short < (3.0f64).ln() + 0.5, "first-epoch loss {short}");
}

#[test]
fn same_seed_same_report() {
    let device = Device::flex();
    let (train, labels) = clusters(600, 8, 3, 1.0, 3);
    let features = tensor(train, 8, &device);
    let run = |seed: u64| {
        let config = LinearEnsembleConfig {
            epochs: 3,
            batch_size: 64,
            seed,
            ..Default::default()
        };
        train_ensemble(&features, &labels, &features, &labels, 3, &config).unwrap()
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7).final_losses, run(8).final_losses);
}

#[test]
fn fold_parts_disjoint_and_cover() {
    for (n, folds) in [(40_000, 5), (1003, 5), (7, 3), (5, 5), (3, 1)] {
        let parts = fold_partition(n, folds, 11);
        assert_eq!(parts.len(), folds);
        let sizes: Vec<usize> = parts.iter().map(Vec::len).collect();
        let expected: Vec<usize> = (0..folds)
            .map(|k| n / folds + usize::from(k < n % folds))
            .collect();
        assert_eq!(sizes, expected, "n {n}, folds {folds}");
        let all: HashSet<usize> = parts.iter().flatten().copied().collect();
        assert_eq!(all.len(), n, "parts overlap for n {n}");
        assert!(all.iter().all(|&i| i < n));
    }
    assert_eq!(fold_partition(100, 5, 1), fold_partition(100, 5, 1));
    assert_ne!(fold_partition(100, 5, 1), fold_partition(100, 5, 2));
}

#[test]
fn cosine_schedule_values() {
    let config = LinearEnsembleConfig::default();
    assert_eq!(config.learning_rate_at(0), 0.25);
    assert!((config.learning_rate_at(15) - 0.125).abs() < 1e-12);
    let expected = 0.5 * 0.25 * (1.0 + (std::f64::consts::PI * 29.0 / 30.0).cos());
    assert!((config.learning_rate_at(29) - expected).abs() < 1e-15);
    assert!(config.learning_rate_at(29) > 0.0);
    assert!(config.learning_rate_at(30).abs() < 1e-15);
}

#[test]
fn default_config_values() {
    let config = LinearEnsembleConfig::default();
    assert_eq!(config.folds, 5);
    assert_eq!(config.epochs, 30);
    assert_eq!(config.learning_rate, 0.25);
    assert_eq!(config.momentum, 0.9);
    assert_eq!(config.weight_decay, 0.0);
    assert_eq!(config.batch_size, 512);
}

#[test]
fn nan_feature_diverges() {
    let device = Device::flex();
    let (mut train, labels) = clusters(100, 4, 2, 0.5, 4);
    train[4 * 37 + 2] = f32::NAN;
    let features = tensor(train, 4, &device);
    let config = LinearEnsembleConfig {
        epochs: 3,
        ..Default::default()
    };
    let error = train_ensemble(&features, &labels, &features, &labels, 2, &config).unwrap_err();
    assert!(
        matches!(error, RweError::Diverged { epoch: 0, .. }),
        "{error}"
    );
}

#[test]
fn huge_learning_rate_diverges() {
    let device = Device::flex();
    let (train, labels) = clusters(200, 4, 2, 0.5, 5);
    let features = tensor(train, 4, &device).mul_scalar(1e20);
    let config = LinearEnsembleConfig {
        epochs: 5,
        learning_rate: 1e20,
        ..Default::default()
    };
    let error = train_ensemble(&features, &labels, &features, &labels, 2, &config).unwrap_err();
    assert!(matches!(error, RweError::Diverged { .. }), "{error}");
}

#[test]
fn invalid_inputs_are_errors() {
    let device = Device::flex();
    let (train, labels) = clusters(10, 4, 2, 0.5, 6);
    let features = tensor(train, 4, &device);
    let zero_epochs = LinearEnsembleConfig {
        epochs: 0,
        ..Default::default()
    };
    let result = train_ensemble(&features, &labels, &features, &labels, 2, &zero_epochs);
    assert!(matches!(result, Err(RweError::InvalidConfig(_))));
    let config = LinearEnsembleConfig::default();
    let result = train_ensemble(&features, &labels[..9], &features, &labels, 2, &config);
    assert!(matches!(result, Err(RweError::Shape(_))));
    let result = train_ensemble(&features, &labels, &features, &labels, 1, &config);
    assert!(matches!(result, Err(RweError::Shape(_))));
    let too_many_folds = LinearEnsembleConfig {
        folds: 11,
        ..Default::default()
    };
    let result = train_ensemble(&features, &labels, &features, &labels, 2, &too_many_folds);
    assert!(matches!(result, Err(RweError::InvalidConfig(_))));
}
