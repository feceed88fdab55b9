//! Measures how well random-weight evaluation ranks architectures compared with a short
//! training of the same networks.
//!
//! Draws `--samples` random genomes of the NSGA-Net micro space at the search scale (10
//! initial channels, 5 cells) and scores each by RWE on the train/validation split. It then
//! trains the same network, with weights seeded alike, on the train split for `--epochs`
//! epochs and measures its validation error. Training uses batch 96, learning rate 0.025
//! with cosine decay, crop and flip, and no cutout (the search scale has no auxiliary head). Prints one JSON line per architecture, then one line
//! with Spearman's rho and Kendall's tau-b between the two errors and the seconds spent.
//!
//! Run:
//!
//! ```sh
//! cargo run --release -p rwenas --example rank_correlation -- --samples 20 \
//!     --train-size 1000 --valid-size 500 --epochs 2 --seed 0 \
//!     --data ../shared/data/cifar10/cifar-10-batches-bin
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use burn::tensor::Device;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rwenas::RweEstimator;
use rwenas::rwe::{DataSource, RweConfig, RweData, Split};
use rwenas::space::SearchSpace;
use rwenas::space::micro::{MicroScale, MicroSpace};
use rwenas_train::{TrainConfig, TrainData, Trainer};

struct Options {
    samples: usize,
    train_size: usize,
    valid_size: usize,
    epochs: usize,
    seed: u64,
    data: PathBuf,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        samples: 20,
        train_size: 1000,
        valid_size: 500,
        epochs: 2,
        seed: 0,
        data: PathBuf::from("../shared/data/cifar10/cifar-10-batches-bin"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("option {flag} is missing its value"))
        };
        match flag.as_str() {
            "--samples" => options.samples = parse_number(&flag, &value()?)?,
            "--train-size" => options.train_size = parse_number(&flag, &value()?)?,
            "--valid-size" => options.valid_size = parse_number(&flag, &value()?)?,
            "--epochs" => options.epochs = parse_number(&flag, &value()?)?,
            "--seed" => options.seed = parse_number(&flag, &value()?)?,
            "--data" => options.data = PathBuf::from(value()?),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    if options.samples < 2 {
        return Err(format!(
            "--samples is {}; a rank correlation needs at least 2",
            options.samples
        ));
    }
    Ok(options)
}

fn parse_number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("invalid {flag} {value:?}; expected a non-negative integer"))
}

/// Returns the ranks of `values` (1-based), with ties given their mean rank.
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        let mean_rank = (start + end + 1) as f64 / 2.0;
        for &index in &order[start..end] {
            ranks[index] = mean_rank;
        }
        start = end;
    }
    ranks
}

/// Spearman's rho: the Pearson correlation of the ranks.
fn spearman(x: &[f64], y: &[f64]) -> f64 {
    pearson(&ranks(x), &ranks(y))
}

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mean_x = x.iter().sum::<f64>() / n;
    let mean_y = y.iter().sum::<f64>() / n;
    let mut covariance = 0.0;
    let mut variance_x = 0.0;
    let mut variance_y = 0.0;
    for (a, b) in x.iter().zip(y) {
        covariance += (a - mean_x) * (b - mean_y);
        variance_x += (a - mean_x).powi(2);
        variance_y += (b - mean_y).powi(2);
    }
    covariance / (variance_x * variance_y).sqrt()
}

/// Kendall's tau-b, which corrects for ties in either variable.
fn kendall_tau_b(x: &[f64], y: &[f64]) -> f64 {
    let mut concordant = 0.0f64;
    let mut discordant = 0.0;
    let mut ties_x = 0.0;
    let mut ties_y = 0.0;
    for i in 0..x.len() {
        for j in i + 1..x.len() {
            let dx = x[i] - x[j];
            let dy = y[i] - y[j];
            if dx == 0.0 && dy == 0.0 {
                continue;
            } else if dx == 0.0 {
                ties_x += 1.0;
            } else if dy == 0.0 {
                ties_y += 1.0;
            } else if dx * dy > 0.0 {
                concordant += 1.0;
            } else {
                discordant += 1.0;
            }
        }
    }
    let denominator =
        ((concordant + discordant + ties_x) * (concordant + discordant + ties_y)).sqrt();
    (concordant - discordant) / denominator
}

fn run(options: &Options) -> Result<(), String> {
    let start = Instant::now();
    let source = DataSource::detect(&options.data).map_err(|e| e.to_string())?;
    let sets = source.load(None).map_err(|e| e.to_string())?;
    let split = Split::new(
        &sets.train,
        Some(options.train_size),
        Some(options.valid_size),
    )
    .map_err(|e| e.to_string())?;
    let train_data = TrainData::from_split(&sets.train, &split).map_err(|e| e.to_string())?;
    let rwe_data = RweData::new(sets.train, split).map_err(|e| e.to_string())?;
    let device = Device::flex();
    let estimator = RweEstimator::new(rwe_data, RweConfig::default(), vec![device.clone()]);
    let space = MicroSpace::nsga_net(MicroScale::search()).map_err(|e| e.to_string())?;
    let train_config = TrainConfig {
        epochs: options.epochs,
        cutout_length: None,
        seed: options.seed,
        ..TrainConfig::default()
    };

    let mut rng = StdRng::seed_from_u64(options.seed);
    let mut rwe_errors = Vec::new();
    let mut trained_errors = Vec::new();
    for sample in 0..options.samples {
        let genome = space.sample(&mut rng);
        let network = space.decode(&genome).map_err(|e| e.to_string())?;

        let score = estimator
            .evaluate_on(&network, options.seed, &device)
            .map_err(|e| e.to_string())?;
        let rwe_seconds = score.feature_seconds + score.classifier_seconds;

        let train_start = Instant::now();
        let mut trainer = Trainer::new(&network, train_data.clone(), train_config.clone(), &device)
            .map_err(|e| e.to_string())?;
        let history = trainer.run(|_| {}).map_err(|e| e.to_string())?;
        let last = history
            .last()
            .ok_or_else(|| "training ran no epoch".to_string())?;
        let train_seconds = train_start.elapsed().as_secs_f64();

        rwe_errors.push(score.error);
        trained_errors.push(last.test_error);
        let line = serde_json::json!({
            "sample": sample,
            "genome": genome,
            "rwe_error": score.error,
            "rwe_seconds": rwe_seconds,
            "trained_valid_error": last.test_error,
            "trained_train_loss": last.train.train_loss,
            "train_seconds": train_seconds,
            "train_images_per_second": last.train.images_per_second,
        });
        println!("{line}");
    }
    let summary = serde_json::json!({
        "samples": options.samples,
        "train_size": options.train_size,
        "valid_size": options.valid_size,
        "epochs": options.epochs,
        "seed": options.seed,
        "spearman_rho": spearman(&rwe_errors, &trained_errors),
        "kendall_tau_b": kendall_tau_b(&rwe_errors, &trained_errors),
        "seconds": start.elapsed().as_secs_f64(),
    });
    println!("{summary}");
    Ok(())
}

fn main() -> ExitCode {
    match parse_options().and_then(|options| run(&options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("rank_correlation: {message}");
            ExitCode::FAILURE
        }
    }
}
