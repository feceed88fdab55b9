//! The `evaluate` command: the random-weight evaluation of one architecture.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{ArgGroup, Args};
use rwenas::RweEstimator;
use rwenas::flops::{Convention, count};
use rwenas::nn::{Initializer, NormMode};
use rwenas::rwe::{Normalization, RweConfig};
use rwenas::space::macro_space::MacroScale;
use rwenas::space::micro::MicroScale;
use rwenas::train::{load_model, test_error};
use serde::{Deserialize, Serialize};

use crate::CliError;
use crate::architecture::{ArchitectureSource, SOURCE_FLAGS, TrainingScale, resolve};
use crate::flops::scale_error;
use crate::search::{load_data, load_sets};

/// Arguments of `rwenas evaluate`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("architecture").required(true).args(SOURCE_FLAGS)))]
pub struct EvaluateArgs {
    #[command(flatten)]
    source: ArchitectureSource,
    /// Initial channels C of a micro network (default 10, or 34 with --weights). Macro
    /// phases have C, 2C and 4C channels (default 32), or C each with --weights (default 128).
    #[arg(long, value_name = "C")]
    channels: Option<usize>,
    /// Cells of a micro network, reduction cells included (default 5; 20 with --weights).
    #[arg(long, value_name = "L")]
    layers: Option<usize>,
    /// Weights of a trained network (the `model` file of `rwenas train`): report its test
    /// error on the test images instead of the RWE error. The architecture flags must be
    /// those of the training run.
    #[arg(long, value_name = "FILE")]
    weights: Option<PathBuf>,
    /// With --weights: the network has no auxiliary head (trained with --no-auxiliary).
    #[arg(long, requires = "weights")]
    no_auxiliary: bool,
    /// With --weights: the first N test images [default: all].
    #[arg(long, value_name = "N", requires = "weights")]
    test_size: Option<usize>,
    /// CIFAR-10 as a `cifar-10-batches-bin` folder, an image folder or a `.tar.gz` of one.
    #[arg(long, default_value = "data/cifar10")]
    data: PathBuf,
    /// Training images for the classifiers, a multiple of the number of classes
    /// [default: 40000]. With --weights and no config.json beside the weights file: the
    /// first N training images give the normalisation [default: all].
    #[arg(long)]
    train_size: Option<usize>,
    /// Validation images that give the RWE error, a multiple of the number of classes.
    #[arg(long, default_value_t = 10_000)]
    valid_size: usize,
    /// Epochs of each linear classifier.
    #[arg(long, default_value_t = 30)]
    epochs: usize,
    /// Seed of the random weights and of the classifiers.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Weight initialiser: pytorch_default, kaiming_normal, kaiming_uniform,
    /// xavier_normal, xavier_uniform.
    #[arg(long, default_value = "pytorch_default")]
    init: String,
    /// Batch norm while features are extracted: `batch` statistics or initial `running`
    /// statistics.
    #[arg(long, default_value = "batch")]
    bn: String,
    /// Device: cpu, wgpu or cuda:N.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// The printed result.
#[derive(Debug, Serialize)]
struct Report {
    architecture: String,
    rwe_error: f64,
    feature_seconds: f64,
    classifier_seconds: f64,
    macs: u64,
    params: u64,
    features: usize,
    train_size: usize,
    valid_size: usize,
    seed: u64,
}

/// Runs `rwenas evaluate`.
pub fn run(args: EvaluateArgs) -> Result<(), CliError> {
    if let Some(weights) = &args.weights {
        return evaluate_weights(&args, weights);
    }
    let initializer = Initializer::from_name(&args.init).ok_or_else(|| {
        CliError::new(format!("unknown initialiser `{}`", args.init)).with_hint(format!(
            "use one of {}",
            Initializer::ALL.map(Initializer::name).join(", ")
        ))
    })?;
    let norm = match args.bn.as_str() {
        "batch" => NormMode::BatchStatistics,
        "running" => NormMode::RunningStatistics,
        other => {
            return Err(CliError::new(format!("unknown batch norm mode `{other}`"))
                .with_hint("use batch or running"));
        }
    };
    let micro = || {
        let scale = MicroScale {
            initial_channels: args.channels.unwrap_or(10),
            layers: args.layers.unwrap_or(5),
            ..MicroScale::search()
        };
        scale.validate().map_err(scale_error)?;
        Ok(scale)
    };
    let macro_scale = || {
        let channels = args.channels.unwrap_or(32);
        Ok(MacroScale {
            channels: vec![channels, 2 * channels, 4 * channels],
            ..MacroScale::search()
        })
    };
    let resolved = resolve(&args.source, &micro, &macro_scale)?;
    let (architecture, network) = (resolved.architecture, resolved.network);
    let counts = count(&network, Convention::ConvLinear)
        .map_err(|error| CliError::new(format!("cannot count the network: {error}")))?;

    let train_size = args.train_size.unwrap_or(40_000);
    let data = load_data(&args.data, train_size, args.valid_size)?;
    let device = crate::device::parse(&args.device)?;
    let mut config = RweConfig::default();
    config.ensemble.epochs = args.epochs;
    let estimator = RweEstimator::new(data, config, vec![device.clone()])
        .with_initializer(initializer)
        .with_norm(norm);
    let score = estimator
        .evaluate_on(&network, args.seed, &device)
        .map_err(|error| CliError::new(format!("evaluation of {architecture} failed: {error}")))?;

    let report = Report {
        architecture,
        rwe_error: score.error,
        feature_seconds: score.feature_seconds,
        classifier_seconds: score.classifier_seconds,
        macs: counts.macs,
        params: counts.params,
        features: counts.features,
        train_size,
        valid_size: args.valid_size,
        seed: args.seed,
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "{}: RWE error {:.4} (features {:.1} s, classifiers {:.1} s), {:.2}M MACs, {} \
             parameters",
            report.architecture,
            report.rwe_error,
            report.feature_seconds,
            report.classifier_seconds,
            report.macs as f64 / 1e6,
            report.params
        );
    }
    Ok(())
}

/// The printed result of `evaluate --weights`.
#[derive(Debug, Serialize)]
struct WeightsReport {
    architecture: String,
    weights: PathBuf,
    test_error: f64,
    test_seconds: f64,
    test_size: usize,
    macs: u64,
    params: u64,
}

/// The part of a training run's `config.json` that `evaluate --weights` reads.
#[derive(Deserialize)]
struct TrainedRun {
    normalization: Normalization,
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default)]
    network: Option<rwenas::space::Network>,
}

/// Reports the test error of the trained network at `weights`.
fn evaluate_weights(args: &EvaluateArgs, weights: &Path) -> Result<(), CliError> {
    let sets = load_sets(&args.data)?;
    let test_size = args.test_size.unwrap_or(sets.test.len());
    if test_size == 0 || test_size > sets.test.len() {
        return Err(CliError::new(format!(
            "--test-size {test_size} is out of range: the data set has {} test images",
            sets.test.len()
        ))
        .with_hint(format!("pass --test-size from 1 to {}", sets.test.len())));
    }
    let test = sets.test.subset(&(0..test_size).collect::<Vec<_>>())?;
    let scale = TrainingScale {
        channels: args.channels,
        layers: args.layers,
        auxiliary: !args.no_auxiliary,
        input_size: sets.train.height,
        classes: sets.train.class_names.len(),
    };
    let resolved = resolve(&args.source, &|| scale.micro(), &|| scale.macro_scale())?;
    let run = read_run(weights)?;
    if let Some(TrainedRun {
        network: Some(network),
        architecture,
        ..
    }) = &run
        && *network != resolved.network
    {
        return Err(CliError::new(format!(
            "the weights were trained for {} (the config.json beside them), which differs \
             from the architecture given, {}",
            architecture.as_deref().unwrap_or("another network"),
            resolved.architecture
        ))
        .with_hint(
            "pass the --arch (or --genome, --genotype, --front), --channels, --layers and \
             --no-auxiliary of the training run, as its config.json records them",
        ));
    }
    let normalization = match run.map(|run| run.normalization) {
        Some(normalization) => normalization,
        None => {
            let count = args
                .train_size
                .unwrap_or(sets.train.len())
                .min(sets.train.len());
            let indices: Vec<usize> = (0..count).collect();
            Normalization::from_dataset(&sets.train, &indices)?
        }
    };
    let counts = count(&resolved.network, Convention::ConvLinear)
        .map_err(|error| CliError::new(format!("cannot count the network: {error}")))?;
    let device = crate::device::parse(&args.device)?;
    let model = load_model(&resolved.network, weights, &device).map_err(|error| {
        CliError::new(error.to_string()).with_hint(
            "pass the --arch (or --genome, --genotype, --front), --channels, --layers and \
             --no-auxiliary of the training run",
        )
    })?;
    let start = Instant::now();
    let test_error = test_error(&model, &test, &normalization, 256, &device, |_| {})?;
    let report = WeightsReport {
        architecture: resolved.architecture,
        weights: weights.to_path_buf(),
        test_error,
        test_seconds: start.elapsed().as_secs_f64(),
        test_size,
        macs: counts.macs,
        params: counts.params + counts.auxiliary_params,
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "{}: test error {:.4} on {} test images ({:.1} s), {:.2}M MACs, {} parameters",
            report.architecture,
            report.test_error,
            report.test_size,
            report.test_seconds,
            report.macs as f64 / 1e6,
            report.params
        );
    }
    Ok(())
}

/// Reads the `config.json` of the training run beside `weights`, when there is one.
fn read_run(weights: &Path) -> Result<Option<TrainedRun>, CliError> {
    let path = weights
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join("config.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let run: TrainedRun = serde_json::from_str(&text).map_err(|error| {
        CliError::new(format!(
            "{} beside the weights is not the config.json of a training run: {error}",
            path.display()
        ))
        .with_hint("move the weights file out of that folder, or restore its config.json")
    })?;
    Ok(Some(run))
}
