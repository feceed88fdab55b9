//! Measures how well random-weight evaluation ranks architectures compared with a short
//! training of the same networks.
//!
//! Draws `--samples` distinct random genomes of the NSGA-Net micro space at the search scale
//! (10 initial channels, 5 cells) and scores each by RWE on the train/validation split
//! (5,000 / 1,000 images by default). It then trains the same network, with its weights
//! seeded alike, on the first `--truth-train-size` images of the train split for `--epochs`
//! epochs, and measures its error on the validation split. The training uses batch 96,
//! learning rate 0.025 with cosine decay, crop and flip, and no cutout or drop path.
//!
//! Every score is appended to `OUT/scores.jsonl` as it is made, so a stopped run continues
//! where it stopped. The log has the format of `rwenas correlate`, so pointing `--out` at a
//! study of that command with the same space, seed, sample count and ground truth reuses
//! its scores. The program prints Spearman's rho and Kendall's tau-b between the two errors
//! and the seconds spent.
//!
//! Run:
//!
//! ```sh
//! cargo run --release -p rwenas --example rank_correlation -- --samples 20 \
//!     --train-size 5000 --valid-size 1000 --truth-train-size 1500 --epochs 2 --seed 1 \
//!     --data ../shared/data/cifar10/cifar-10-batches-bin --out runs/rank-correlation
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use burn::tensor::Device;
use rwenas::rwe::{DataSource, RweConfig, RweData, Split};
use rwenas::space::micro::{MicroScale, MicroSpace};
use rwenas::study::{Study, short_training, truth_data};
use rwenas::{RweEstimator, TrainingEstimator};

struct Options {
    samples: usize,
    train_size: usize,
    valid_size: usize,
    truth_train_size: usize,
    epochs: usize,
    seed: u64,
    data: PathBuf,
    out: PathBuf,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        samples: 20,
        train_size: 5000,
        valid_size: 1000,
        truth_train_size: 1500,
        epochs: 2,
        seed: 0,
        data: PathBuf::from("../shared/data/cifar10/cifar-10-batches-bin"),
        out: PathBuf::from("rank-correlation"),
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
            "--truth-train-size" => options.truth_train_size = parse_number(&flag, &value()?)?,
            "--epochs" => options.epochs = parse_number(&flag, &value()?)?,
            "--seed" => options.seed = parse_number(&flag, &value()?)?,
            "--data" => options.data = PathBuf::from(value()?),
            "--out" => options.out = PathBuf::from(value()?),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(options)
}

fn parse_number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("invalid {flag} {value:?}; expected a non-negative integer"))
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
    let data = RweData::new(sets.train, split).map_err(|e| e.to_string())?;

    let truth_data = truth_data(&data, options.truth_train_size).map_err(|e| e.to_string())?;

    let device = Device::flex();
    let rwe = RweEstimator::new(data, RweConfig::default(), vec![device.clone()]);
    let truth = TrainingEstimator::new(truth_data, short_training(options.epochs), device);
    let space = MicroSpace::nsga_net(MicroScale::search()).map_err(|e| e.to_string())?;
    let study = Study::new(&space, vec![&rwe], &truth, options.samples, options.seed)
        .map_err(|e| e.to_string())?;

    std::fs::create_dir_all(&options.out).map_err(|e| e.to_string())?;
    let report = study
        .run(&options.out.join("scores.jsonl"), |record, progress| {
            let score = record
                .objective
                .map_or_else(|| "failed".to_string(), |value| format!("{value:.4}"));
            eprintln!(
                "[{}/{}] architecture {} {}: {score} in {:.1} s",
                progress.done,
                progress.total,
                record.sample + 1,
                record.estimator,
                record.seconds
            );
        })
        .map_err(|e| e.to_string())?;
    let rwe_report = &report.estimators["rwe"];
    let summary = serde_json::json!({
        "samples": options.samples,
        "train_size": options.train_size,
        "valid_size": options.valid_size,
        "truth_train_size": options.truth_train_size,
        "epochs": options.epochs,
        "seed": options.seed,
        "architectures": rwe_report.architectures,
        "spearman_rho": rwe_report.spearman,
        "kendall_tau_b": rwe_report.kendall,
        "rwe_seconds_per_arch": rwe_report.seconds_per_arch,
        "truth_seconds_per_arch": report.truth_seconds_per_arch,
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
