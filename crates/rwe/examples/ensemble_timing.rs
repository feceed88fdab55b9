//! Times the default classifier ensemble (5 classifiers, 30 epochs, batch 512) on synthetic
//! 160-dimensional features of 10 classes, for 40,000 and 5,000 training rows.
//!
//! Run: `cargo run --release -p rwenas-rwe --example ensemble_timing`

use std::time::Instant;

use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rwenas_rwe::{LinearEnsembleConfig, RweError, train_ensemble};

const DIM: usize = 160;
const CLASSES: usize = 10;

/// Gaussian-like clusters: a random centre per class plus uniform noise of width 2.
fn features(
    rows: usize,
    rng: &mut StdRng,
    centres: &[f32],
    device: &Device,
) -> (Tensor<2>, Vec<u16>) {
    let mut values = Vec::with_capacity(rows * DIM);
    let mut labels = Vec::with_capacity(rows);
    for row in 0..rows {
        let class = row % CLASSES;
        labels.push(class as u16);
        values.extend((0..DIM).map(|d| centres[class * DIM + d] + rng.random_range(-1.0..1.0)));
    }
    (
        Tensor::from_data(TensorData::new(values, [rows, DIM]), device),
        labels,
    )
}

fn main() -> Result<(), RweError> {
    let device = Device::flex();
    let mut rng = StdRng::seed_from_u64(0);
    let centres: Vec<f32> = (0..CLASSES * DIM)
        .map(|_| rng.random_range(-0.15..0.15))
        .collect();
    let config = LinearEnsembleConfig::default();
    for rows in [40_000, 5_000] {
        let (train, train_labels) = features(rows, &mut rng, &centres, &device);
        let (valid, valid_labels) = features(rows / 4, &mut rng, &centres, &device);
        let start = Instant::now();
        let report = train_ensemble(
            &train,
            &train_labels,
            &valid,
            &valid_labels,
            CLASSES,
            &config,
        )?;
        println!(
            "{rows} x {DIM} features, {} classifiers x {} epochs: {:.2} s, validation error {:.4}",
            config.folds,
            config.epochs,
            start.elapsed().as_secs_f64(),
            report.error
        );
    }
    Ok(())
}
