//! Times and scores one RWE evaluation of a fixed architecture on CIFAR-10, and prints one
//! JSON line per run.
//!
//! Architectures: `darts_v2` is the DARTS V2 genotype at the micro search scale (10
//! initial channels, 5 cells). `plain_cnn` is a 3x3 convolution to 32 channels, then three
//! stages of two 3x3 convolutions of widths 32, 64 and 128 with 2x2 max pooling between
//! stages, every convolution followed by batch norm and ReLU, then global average pooling.
//!
//! Splits: `small` trains on the first 500 images of each class and validates on images
//! 4,000 to 4,099 of each class; `full` is the 40,000 / 10,000 split (first 4,000 and last
//! 1,000 images of each class).
//!
//! Run:
//!
//! ```sh
//! cargo run --release -p rwenas --example rwe_benchmark -- \
//!     --arch darts_v2 --split small --seed 0 --data ../shared/data/cifar10/cifar-10-images.tar.gz
//! ```
//!
//! `--seeds N` runs seeds `S` to `S + N - 1` on the same loaded data (the seed spread),
//! `--norm running` extracts with the initial running statistics instead of batch
//! statistics, `--normalization train` normalises with the statistics of the train split
//! instead of the fixed CIFAR-10 mean and standard deviation, and `--feature-batch-size`
//! sets the images per feature-extraction batch.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use burn::tensor::Device;
use rwenas::RweEstimator;
use rwenas::flops::{Convention, count};
use rwenas::nn::NormMode;
use rwenas::rwe::{
    DEFAULT_FEATURE_BATCH_SIZE, DataSource, Normalization, RweConfig, RweData, Split,
};
use rwenas::space::micro::{MicroScale, MicroSpace, catalogue};
use rwenas::space::network::{Classifier, Graph, Layer, Network};

/// Per-channel mean of CIFAR-10 training pixels in `[0, 1]`, as commonly published.
const CIFAR10_MEAN: [f32; 3] = [0.4914, 0.4822, 0.4465];
/// Per-channel standard deviation of CIFAR-10 training pixels in `[0, 1]`.
const CIFAR10_STD: [f32; 3] = [0.2470, 0.2435, 0.2616];

struct Options {
    arch: String,
    split: String,
    seed: u64,
    seeds: u64,
    data: PathBuf,
    norm: NormMode,
    fixed_normalization: bool,
    feature_batch_size: usize,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        arch: "darts_v2".to_string(),
        split: "small".to_string(),
        seed: 0,
        seeds: 1,
        data: PathBuf::from("../shared/data/cifar10/cifar-10-images.tar.gz"),
        norm: NormMode::BatchStatistics,
        fixed_normalization: true,
        feature_batch_size: DEFAULT_FEATURE_BATCH_SIZE,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("option {flag} is missing its value"))
        };
        match flag.as_str() {
            "--arch" => options.arch = value()?,
            "--split" => options.split = value()?,
            "--seed" => options.seed = parse_number(&flag, &value()?)?,
            "--seeds" => options.seeds = parse_number(&flag, &value()?)?,
            "--data" => options.data = PathBuf::from(value()?),
            "--feature-batch-size" => {
                options.feature_batch_size = parse_number(&flag, &value()?)?;
            }
            "--norm" => {
                options.norm = match value()?.as_str() {
                    "batch" => NormMode::BatchStatistics,
                    "running" => NormMode::RunningStatistics,
                    other => {
                        return Err(format!(
                            "invalid --norm {other:?}; expected batch or running"
                        ));
                    }
                }
            }
            "--normalization" => {
                options.fixed_normalization = match value()?.as_str() {
                    "cifar10" => true,
                    "train" => false,
                    other => {
                        return Err(format!(
                            "invalid --normalization {other:?}; expected cifar10 or train"
                        ));
                    }
                }
            }
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

fn darts_v2() -> Result<Network, String> {
    let genotype = catalogue::genotype("darts_v2").map_err(|e| e.to_string())?;
    let space = MicroSpace::nsga_net(MicroScale::search()).map_err(|e| e.to_string())?;
    space.build(&genotype).map_err(|e| e.to_string())
}

fn conv3x3(in_channels: usize, out_channels: usize) -> Layer {
    Layer::Conv2d {
        in_channels,
        out_channels,
        kernel: [3, 3],
        stride: [1, 1],
        padding: [1, 1],
        dilation: [1, 1],
        groups: 1,
        bias: false,
    }
}

fn plain_cnn() -> Network {
    let mut graph = Graph::new();
    let conv_bn_relu = |in_channels, out_channels| {
        [
            conv3x3(in_channels, out_channels),
            Layer::BatchNorm2d {
                channels: out_channels,
            },
            Layer::Relu,
        ]
    };
    let mut last = graph.chain(conv_bn_relu(3, 32), 0);
    let mut channels = 32;
    for (stage, width) in [32, 64, 128].into_iter().enumerate() {
        if stage > 0 {
            let pool = Layer::MaxPool2d {
                kernel: [2, 2],
                stride: [2, 2],
                padding: [0, 0],
            };
            last = graph.layer(pool, last);
        }
        last = graph.chain(conv_bn_relu(channels, width), last);
        last = graph.chain(conv_bn_relu(width, width), last);
        channels = width;
    }
    graph.output = graph.layer(Layer::GlobalAvgPool, last);
    Network {
        input: [3, 32, 32],
        backbone: graph,
        classifier: Classifier {
            in_features: channels,
            classes: 10,
        },
        auxiliary: None,
    }
}

fn run(options: &Options) -> Result<(), String> {
    let network = match options.arch.as_str() {
        "darts_v2" => darts_v2()?,
        "plain_cnn" => plain_cnn(),
        other => {
            return Err(format!(
                "unknown --arch {other:?}; expected darts_v2 or plain_cnn"
            ));
        }
    };
    let (train_size, valid_size) = match options.split.as_str() {
        "small" => (5_000, 1_000),
        "full" => (40_000, 10_000),
        other => return Err(format!("unknown --split {other:?}; expected small or full")),
    };
    let counts = count(&network, Convention::ConvLinear).map_err(|e| e.to_string())?;

    let start = Instant::now();
    let source = DataSource::detect(&options.data).map_err(|e| e.to_string())?;
    let sets = source.load(None).map_err(|e| e.to_string())?;
    let split =
        Split::new(&sets.train, Some(train_size), Some(valid_size)).map_err(|e| e.to_string())?;
    let mut data = RweData::new(sets.train, split).map_err(|e| e.to_string())?;
    if options.fixed_normalization {
        data = data.with_normalization(Normalization {
            mean: CIFAR10_MEAN.to_vec(),
            std: CIFAR10_STD.to_vec(),
        });
    }
    let load_seconds = start.elapsed().as_secs_f64();

    let device = Device::flex();
    let config = RweConfig {
        feature_batch_size: options.feature_batch_size,
        ..RweConfig::default()
    };
    let estimator = RweEstimator::new(data, config, vec![device.clone()]).with_norm(options.norm);
    for seed in options.seed..options.seed + options.seeds.max(1) {
        let score = estimator
            .evaluate_on(&network, seed, &device)
            .map_err(|e| e.to_string())?;
        let images = (train_size + valid_size) as f64;
        let line = serde_json::json!({
            "arch": options.arch,
            "split": options.split,
            "seed": seed,
            "norm": match options.norm {
                NormMode::BatchStatistics => "batch",
                NormMode::RunningStatistics => "running",
                NormMode::Training => "training",
            },
            "normalization": if options.fixed_normalization { "cifar10" } else { "train" },
            "feature_batch_size": options.feature_batch_size,
            "rwe_error": score.error,
            "feature_seconds": score.feature_seconds,
            "classifier_seconds": score.classifier_seconds,
            "total_seconds": score.feature_seconds + score.classifier_seconds,
            "images_per_second": images / score.feature_seconds,
            "macs": counts.backbone_macs,
            "params": counts.backbone_params,
            "features": counts.features,
            "load_seconds": load_seconds,
            "load_average_1min": load_average(),
        });
        println!("{line}");
    }
    Ok(())
}

/// Returns the 1-minute load average from `/proc/loadavg`, or `None` where it is missing.
fn load_average() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

fn main() -> ExitCode {
    match parse_options().and_then(|options| run(&options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("rwe_benchmark: {message}");
            ExitCode::FAILURE
        }
    }
}
