//! The `evaluate` command: the random-weight evaluation of one architecture.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{ArgGroup, Args};
use rwenas::RweEstimator;
use rwenas::flops::{Convention, count};
use rwenas::nn::{Initializer, NormMode};
use rwenas::rwe::{Normalization, RweConfig, TrainTestSets};
use rwenas::space::macro_space::MacroScale;
use rwenas::space::micro::MicroScale;
use rwenas::train::{TrainError, load_model, test_error};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::warn;

use crate::CliError;
use crate::architecture::{
    ArchitectureSource, Channels, RecordedArchitecture, Resolved, SOURCE_FLAGS, TrainingScale,
    macro_channels, micro_channels, micro_layers, parse_channels, phases_flag,
    read_search_settings, resolve, resolve_recorded,
};
use crate::estimators::counted;
use crate::flops::scale_error;
use crate::search::{DataIdentity, SearchSettings, SpaceKind, load_data, load_sets};

/// Arguments of `rwenas evaluate`.
#[derive(Debug, Args)]
#[command(
    group(ArgGroup::new("architecture").args(SOURCE_FLAGS)),
    allow_negative_numbers = true,
    after_help = EVALUATE_AFTER_HELP
)]
pub struct EvaluateArgs {
    #[command(flatten)]
    source: ArchitectureSource,
    /// Initial channels C of a micro network, an even number. For the macro space, C gives
    /// the phases C, 2C and 4C channels, and three counts such as 128,128,128 set each
    /// phase. Without --weights the default is the search scale [default: 10 micro; 32
    /// macro, for phases of 32, 64 and 128]. With --weights it is the scale of the training
    /// run's config.json, or without one the training scale of `rwenas train` [default: 34
    /// micro; 128,128,128 macro].
    #[arg(long, value_name = "C", value_parser = parse_channels)]
    channels: Option<Channels>,
    /// Cells of a micro network, reduction cells included [default: 5; with --weights the
    /// training run's, or 20].
    #[arg(long, value_name = "L")]
    layers: Option<usize>,
    /// Weights of a trained network (the `model` file of `rwenas train`): report its test
    /// error on the test images instead of the RWE error. The architecture, scale, data and
    /// test size default to those of the config.json beside the file. Flags that are given
    /// must build the network of the training run.
    #[arg(long, value_name = "FILE")]
    weights: Option<PathBuf>,
    /// With --weights: the network has no auxiliary head (trained with --no-auxiliary)
    /// [default: as the training run's config.json records].
    #[arg(long, requires = "weights")]
    no_auxiliary: bool,
    /// With --weights: the first N test images [default: the training run's test size, or
    /// all].
    #[arg(long, value_name = "N", requires = "weights")]
    test_size: Option<usize>,
    /// CIFAR-10 as a `cifar-10-batches-bin` folder, an image folder or a `.tar.gz` of one
    /// [default: the data of the search with --front, of the training run with --weights,
    /// otherwise data/cifar10].
    #[arg(long, value_name = "PATH")]
    data: Option<PathBuf>,
    /// Training images for the classifiers, a multiple of the number of classes
    /// [default: 40000, or the search's with --front]. With --weights and no config.json
    /// beside the weights file: the first N training images give the normalisation
    /// [default: all].
    #[arg(long, value_name = "N")]
    train_size: Option<usize>,
    /// Validation images that give the RWE error, a multiple of the number of classes
    /// [default: 10000, or the search's with --front].
    #[arg(long, value_name = "N")]
    valid_size: Option<usize>,
    /// Epochs of each linear classifier [default: 30, or the search's with --front].
    #[arg(long, value_name = "N")]
    epochs: Option<usize>,
    /// Seed of the random weights and of the classifiers [default: 0]. With --front the
    /// default is the seed the search scored the entry with: its seed XOR the genome's
    /// stable hash.
    #[arg(long)]
    seed: Option<u64>,
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

/// Help text after the flags of `rwenas evaluate`.
const EVALUATE_AFTER_HELP: &str = "\
With --front DIR --index K, the entry is scored as the search scored it: with the data, \
train and validation sizes and classifier epochs of DIR/config.json and the seed the search \
gave the entry, unless flags set them. The RWE error then equals the entry's rwe_error in \
DIR/front.json, when the search used the rwe estimator.

With --weights FILE, the architecture, its scale, the data and the test size default to \
the config.json that `rwenas train` wrote beside FILE, so `rwenas evaluate --weights \
RUN/model` measures the test error of the run's last epoch.";

/// The settings of an RWE evaluation after the defaults are applied.
struct RweSettings {
    data: PathBuf,
    train_size: usize,
    valid_size: usize,
    epochs: usize,
}

/// Runs `rwenas evaluate`.
pub fn run(args: EvaluateArgs) -> Result<(), CliError> {
    args.source.check()?;
    if args.train_size == Some(0) {
        return Err(CliError::new("--train-size is 0 but must be at least 1")
            .with_hint("pass a positive --train-size, a multiple of the number of classes"));
    }
    if let Some(weights) = &args.weights {
        return evaluate_weights(&args, weights);
    }
    if !source_given(&args.source) {
        return Err(CliError::new("no architecture given").with_hint(
            "pass --arch NAME, --genome FILE, --genotype TEXT, --genotype-file FILE, --front \
             DIR --index K, or --weights FILE of a training run",
        ));
    }
    let sizes = [
        (
            "--valid-size",
            args.valid_size,
            "a multiple of the number of classes",
        ),
        (
            "--epochs",
            args.epochs,
            "the epochs of each linear classifier",
        ),
    ];
    for (flag, value, meaning) in sizes {
        if value == Some(0) {
            return Err(CliError::new(format!("{flag} is 0 but must be at least 1"))
                .with_hint(format!("pass a positive {flag}, {meaning}")));
        }
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
            initial_channels: micro_channels(args.channels.as_ref(), 10)?,
            layers: micro_layers(args.layers, 5)?,
            ..MicroScale::search()
        };
        scale.validate().map_err(scale_error)?;
        Ok(scale)
    };
    let macro_scale = || {
        if args.layers.is_some() {
            return Err(CliError::new(
                "--layers does not apply to the macro space, which has three phases",
            )
            .with_hint("remove --layers"));
        }
        Ok(MacroScale {
            channels: macro_channels(args.channels.as_ref(), &MacroScale::search().channels)?,
            ..MacroScale::search()
        })
    };
    let search = match &args.source.front {
        Some(dir) => Some(read_search_settings(dir)?),
        None => None,
    };
    let resolved = resolve(&args.source, &micro, &macro_scale)?;
    let seed = match (args.seed, &search, &resolved.genome) {
        (Some(seed), _, _) => seed,
        (None, Some(search), Some(genome)) => rwenas::network_seed(search.seed, genome),
        (None, _, _) => 0,
    };
    let (architecture, network) = (resolved.architecture, resolved.network);
    let counts = count(&network, Convention::ConvLinear)
        .map_err(|error| CliError::new(format!("cannot count the network: {error}")))?;

    let settings = rwe_settings(&args, search.as_ref())?;
    if let (Some(search), Some(dir)) = (&search, &args.source.front)
        && search.estimator != "rwe"
    {
        warn!(
            estimator = %search.estimator,
            front = %dir.join("front.json").display(),
            "the search scored its front with another estimator than RWE, so the RWE error \
             differs from the front's objective"
        );
    }
    let data = load_data(&settings.data, settings.train_size, settings.valid_size)?;
    if let Some(search) = &search
        && let Some(saved) = &search.data_identity
        && !saved.sample_means.is_empty()
        && (search.train_size, search.valid_size) == (settings.train_size, settings.valid_size)
        && let Some(difference) = DataIdentity::of(&data).difference(saved)
    {
        warn!(
            data = %settings.data.display(),
            "the data is not the data the search read ({difference}), so the RWE error can \
             differ from the front's"
        );
    }
    let device = crate::device::parse(&args.device)?;
    let mut config = RweConfig::default();
    config.ensemble.epochs = settings.epochs;
    let estimator = RweEstimator::new(data, config, vec![device.clone()])
        .with_initializer(initializer)
        .with_norm(norm);
    let score = estimator
        .evaluate_on(&network, seed, &device)
        .map_err(|error| CliError::new(format!("evaluation of {architecture} failed: {error}")))?;

    let report = Report {
        architecture,
        rwe_error: score.error,
        feature_seconds: score.feature_seconds,
        classifier_seconds: score.classifier_seconds,
        macs: counts.macs,
        params: counts.params,
        features: counts.features,
        train_size: settings.train_size,
        valid_size: settings.valid_size,
        seed,
    };
    if args.json {
        crate::outln!("{}", serde_json::to_string(&report)?)?;
    } else {
        crate::outln!(
            "{}: RWE error {:.4} (features {:.1} s, classifiers {:.1} s), {:.2}M MACs, {} \
             parameters",
            report.architecture,
            report.rwe_error,
            report.feature_seconds,
            report.classifier_seconds,
            report.macs as f64 / 1e6,
            report.params
        )?;
    }
    Ok(())
}

/// Returns whether `source` names an architecture.
fn source_given(source: &ArchitectureSource) -> bool {
    source.arch.is_some()
        || source.genome.is_some()
        || source.genotype.is_some()
        || source.genotype_file.is_some()
        || source.front.is_some()
}

/// Returns the data and sizes of an RWE evaluation: the flags, then the settings of the
/// `--front` search, then the defaults.
fn rwe_settings(
    args: &EvaluateArgs,
    search: Option<&SearchSettings>,
) -> Result<RweSettings, CliError> {
    let data = match (&args.data, search, &args.source.front) {
        (Some(data), _, _) => data.clone(),
        (None, Some(search), Some(dir)) => {
            let config = dir.join("config.json");
            check_recorded_data(&search.data, &config, "search")?;
            search.data.clone()
        }
        (None, _, _) => PathBuf::from("data/cifar10"),
    };
    Ok(RweSettings {
        data,
        train_size: args
            .train_size
            .or(search.map(|search| search.train_size))
            .unwrap_or(40_000),
        valid_size: args
            .valid_size
            .or(search.map(|search| search.valid_size))
            .unwrap_or(10_000),
        epochs: args
            .epochs
            .or(search.map(|search| search.epochs))
            .unwrap_or(30),
    })
}

/// Fails when the data path `data` that `config` records for a `kind` (search or training
/// run) does not exist, naming the file it came from.
fn check_recorded_data(data: &Path, config: &Path, kind: &str) -> Result<(), CliError> {
    if data.exists() {
        return Ok(());
    }
    Err(CliError::new(format!(
        "data path {} that {} records does not exist",
        data.display(),
        config.display()
    ))
    .with_hint(format!("pass the data set of the {kind} with --data")))
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
    space: Option<SpaceKind>,
    #[serde(default)]
    genome: Option<Vec<i64>>,
    #[serde(default)]
    genotype: Option<String>,
    #[serde(default)]
    scale: Option<Value>,
    #[serde(default)]
    network: Option<rwenas::space::Network>,
    #[serde(default)]
    imagenet: bool,
    #[serde(default)]
    data: Option<PathBuf>,
    #[serde(default)]
    test_size: Option<usize>,
}

impl TrainedRun {
    /// Returns the micro scale the run recorded, if it trained a micro network.
    fn micro_scale(&self) -> Option<MicroScale> {
        match (self.space, &self.scale) {
            (Some(SpaceKind::Micro), Some(scale)) => serde_json::from_value(scale.clone()).ok(),
            _ => None,
        }
    }

    /// Returns the macro scale the run recorded, if it trained a macro network.
    fn macro_scale(&self) -> Option<MacroScale> {
        match (self.space, &self.scale) {
            (Some(SpaceKind::Macro), Some(scale)) => serde_json::from_value(scale.clone()).ok(),
            _ => None,
        }
    }
}

/// Reports the test error of the trained network at `weights`.
fn evaluate_weights(args: &EvaluateArgs, weights: &Path) -> Result<(), CliError> {
    check_weights_file(weights)?;
    let config_path = run_config_path(weights);
    let run = read_run(&config_path)?;
    if let Some(run) = &run
        && run.imagenet
    {
        return Err(CliError::new(format!(
            "{} records a run at ImageNet scale, but `evaluate --weights` builds CIFAR-layout \
             networks and reads CIFAR-style data",
            config_path.display()
        ))
        .with_hint(format!(
            "measure its test error with `rwenas train --resume {}`, which tests a finished \
             run again",
            config_path
                .parent()
                .unwrap_or_else(|| Path::new("."))
                .display()
        )));
    }
    let recorded_data = run.as_ref().and_then(|run| run.data.clone());
    let data_path = match (&args.data, recorded_data) {
        (Some(data), _) => data.clone(),
        (None, Some(data)) => {
            check_recorded_data(&data, &config_path, "training run")?;
            data
        }
        (None, None) => PathBuf::from("data/cifar10"),
    };
    let sets = load_sets(&data_path)?;
    let test_size = test_size(args, run.as_ref(), sets.test.len(), &config_path)?;
    let test = sets.test.subset(&(0..test_size).collect::<Vec<_>>())?;
    let resolved = weights_architecture(args, run.as_ref(), &sets, weights)?;
    if let Some(run) = &run
        && let Some(network) = &run.network
        && *network != resolved.network
    {
        return Err(other_network_error(weights, &config_path, run, &resolved));
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
    let model = load_model(&resolved.network, weights, &device).map_err(|error| match error {
        TrainError::NotAModel { .. } => {
            CliError::new(error.to_string()).with_hint(model_file_hint(weights))
        }
        _ => CliError::new(error.to_string()).with_hint(
            "pass the --arch (or --genome, --genotype, --front), --channels, --layers and \
             --no-auxiliary of the training run",
        ),
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
        crate::outln!("{}", serde_json::to_string(&report)?)?;
    } else {
        crate::outln!(
            "{}: test error {:.4} on {} ({:.1} s), {:.2}M MACs, {} parameters",
            report.architecture,
            report.test_error,
            counted(report.test_size, "test image", "test images"),
            report.test_seconds,
            report.macs as f64 / 1e6,
            report.params
        )?;
    }
    Ok(())
}

/// Returns the number of test images of `evaluate --weights`: `--test-size`, or the test
/// size of the training run, or every test image.
fn test_size(
    args: &EvaluateArgs,
    run: Option<&TrainedRun>,
    available: usize,
    config_path: &Path,
) -> Result<usize, CliError> {
    if let Some(test_size) = args.test_size {
        if test_size == 0 || test_size > available {
            return Err(CliError::new(format!(
                "--test-size {test_size} is out of range: the data set has {}",
                counted(available, "test image", "test images")
            ))
            .with_hint(format!("pass --test-size from 1 to {available}")));
        }
        return Ok(test_size);
    }
    match run.and_then(|run| run.test_size) {
        Some(recorded) if recorded > available => Err(CliError::new(format!(
            "the training run tested on {}, as {} records, but the data set has {}",
            counted(recorded, "test image", "test images"),
            config_path.display(),
            counted(available, "test image", "test images")
        ))
        .with_hint(format!(
            "pass the data set of the training run with --data, or --test-size from 1 to \
             {available}"
        ))),
        Some(recorded) => Ok(recorded),
        None => Ok(available),
    }
}

/// Resolves the architecture of `evaluate --weights`: the flags given, with the scale of
/// the training run's config.json where a flag is not given, or the architecture that
/// config.json records when no architecture flag is given.
fn weights_architecture(
    args: &EvaluateArgs,
    run: Option<&TrainedRun>,
    sets: &TrainTestSets,
    weights: &Path,
) -> Result<Resolved, CliError> {
    let recorded_micro = run.and_then(TrainedRun::micro_scale);
    let recorded_macro = run.and_then(TrainedRun::macro_scale);
    let micro = TrainingScale {
        channels: args
            .channels
            .clone()
            .or_else(|| recorded_micro.map(|scale| Channels::Single(scale.initial_channels))),
        layers: args
            .layers
            .or_else(|| recorded_micro.map(|scale| scale.layers)),
        auxiliary: !args.no_auxiliary && recorded_micro.is_none_or(|scale| scale.auxiliary),
        input_size: sets.train.height,
        classes: sets.train.class_names.len(),
    };
    let macro_scale = TrainingScale {
        channels: args
            .channels
            .clone()
            .or_else(|| recorded_macro.map(|scale| Channels::Phases(scale.channels))),
        ..micro.clone()
    };
    let build_micro = || micro.micro();
    let build_macro = || macro_scale.macro_scale();
    if source_given(&args.source) {
        return resolve(&args.source, &build_micro, &build_macro);
    }
    let recorded = run.and_then(|run| {
        Some(RecordedArchitecture {
            architecture: run.architecture.clone()?,
            space: run.space?,
            genome: run.genome.clone(),
            genotype: run.genotype.clone(),
        })
    });
    match recorded {
        Some(recorded) => resolve_recorded(recorded, &build_micro, &build_macro),
        None => Err(CliError::new(format!(
            "no architecture given, and no config.json of a training run beside {} records one",
            weights.display()
        ))
        .with_hint(
            "pass the --arch (or --genome, --genotype, --genotype-file, --front), --channels, \
             --layers and --no-auxiliary of the training run",
        )),
    }
}

/// Fails unless `weights` is a file, naming the `model` file of a training run's folder
/// when a folder is given.
fn check_weights_file(weights: &Path) -> Result<(), CliError> {
    if weights.is_file() {
        return Ok(());
    }
    if weights.is_dir() {
        let model = weights.join("model");
        let hint = if model.is_file() {
            format!("pass the model file in it: --weights {}", model.display())
        } else {
            model_file_hint(&model)
        };
        return Err(
            CliError::new(format!("--weights {} is a folder", weights.display())).with_hint(hint),
        );
    }
    Err(
        CliError::new(format!("weights file {} not found", weights.display()))
            .with_hint(model_file_hint(weights)),
    )
}

/// Returns the hint that names the file `--weights` takes: the `model` file beside `path`
/// when there is one.
fn model_file_hint(path: &Path) -> String {
    let folder = path.parent().unwrap_or_else(|| Path::new("."));
    let model = folder.join("model");
    if model.is_file() && model != path {
        format!(
            "pass the model file of the training run: --weights {}",
            model.display()
        )
    } else {
        "pass the `model` file that `rwenas train` writes into its --out folder".to_string()
    }
}

/// Returns the path of the `config.json` of the training run beside `weights`.
fn run_config_path(weights: &Path) -> PathBuf {
    weights
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join("config.json")
}

/// Reads the `config.json` of a training run at `path`, when there is one.
fn read_run(path: &Path) -> Result<Option<TrainedRun>, CliError> {
    let Ok(text) = std::fs::read_to_string(path) else {
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

/// One setting on which the architecture given differs from the training run.
struct Difference {
    /// The setting with both values, such as `channels 8 in the training run, 10 given`.
    setting: String,
    /// The fix, such as `pass --channels 8`.
    fix: String,
}

/// Returns the error of weights trained for another network than `resolved`, naming each
/// setting that differs.
fn other_network_error(
    weights: &Path,
    config_path: &Path,
    run: &TrainedRun,
    resolved: &Resolved,
) -> CliError {
    let mut differences = differences(run, resolved);
    if differences.is_empty() {
        differences.push(Difference {
            setting: "the network description differs".to_string(),
            fix: "pass the architecture flags of the training run".to_string(),
        });
    }
    let settings: Vec<String> = differences.iter().map(|d| d.setting.clone()).collect();
    let fixes: Vec<String> = differences.iter().map(|d| d.fix.clone()).collect();
    CliError::new(format!(
        "the weights {} were trained for another network: {}",
        weights.display(),
        settings.join("; ")
    ))
    .with_hint(format!(
        "{}, as {} records",
        fixes.join(", "),
        config_path.display()
    ))
}

/// Lists the settings on which the architecture given differs from the training run: the
/// architecture itself, then each field of the scale.
fn differences(run: &TrainedRun, resolved: &Resolved) -> Vec<Difference> {
    let run_architecture = run
        .architecture
        .as_deref()
        .unwrap_or("another architecture");
    let run_genotype = run.genotype.as_deref();
    let given_genotype = resolved.genotype.as_ref().map(ToString::to_string);
    let given_genome = resolved
        .genome
        .as_ref()
        .map(|genome| genome.genes().to_vec());
    let same_space = run.space.is_none_or(|space| space == resolved.space);
    let same_cells = match (run_genotype, given_genotype.as_deref()) {
        (Some(trained), Some(given)) => trained == given,
        _ => run.genome.is_none() || run.genome == given_genome,
    };
    let mut differences = Vec::new();
    if !same_space || !same_cells {
        let spaces = match run.space {
            Some(space) if !same_space => format!(
                " (space {} in the training run, {} given)",
                space_name(space),
                space_name(resolved.space)
            ),
            _ => String::new(),
        };
        differences.push(Difference {
            setting: format!(
                "architecture {run_architecture} in the training run, {} given{spaces}",
                resolved.architecture
            ),
            fix: format!("pass the architecture of the training run, {run_architecture}"),
        });
    }
    // The scales of the two spaces have different fields, so they do not compare.
    if !same_space {
        return differences;
    }
    if let (Some(Value::Object(trained)), Value::Object(given)) = (&run.scale, &resolved.scale) {
        differences.extend(trained.iter().filter_map(|(key, value)| {
            let given_value = given.get(key).unwrap_or(&Value::Null);
            (value != given_value).then(|| scale_difference(key, value, given_value))
        }));
    }
    differences
}

/// Describes one differing field of the scale in the words of the command-line flags.
fn scale_difference(key: &str, trained: &Value, given: &Value) -> Difference {
    let both = |name: &str, trained: String, given: String| {
        format!("{name} {trained} in the training run, {given} given")
    };
    match key {
        "initial_channels" => Difference {
            setting: both("channels", trained.to_string(), given.to_string()),
            fix: format!("pass --channels {trained}"),
        },
        "channels" => {
            let phases = |value: &Value| -> Vec<usize> {
                serde_json::from_value(value.clone()).unwrap_or_default()
            };
            let (trained, given) = (phases(trained), phases(given));
            Difference {
                setting: both(
                    "phase channels",
                    format!("{trained:?}"),
                    format!("{given:?}"),
                ),
                fix: format!("pass --channels {}", phases_flag(&trained)),
            }
        }
        "layers" => Difference {
            setting: both("layers", trained.to_string(), given.to_string()),
            fix: format!("pass --layers {trained}"),
        },
        "auxiliary" => {
            let head = |value: &Value| {
                if value.as_bool() == Some(true) {
                    "with"
                } else {
                    "without"
                }
                .to_string()
            };
            let fix = if trained.as_bool() == Some(true) {
                "remove --no-auxiliary"
            } else {
                "pass --no-auxiliary"
            };
            Difference {
                setting: format!(
                    "auxiliary head: {} in the training run, {} given",
                    head(trained),
                    head(given)
                ),
                fix: fix.to_string(),
            }
        }
        "classes" | "input_size" => Difference {
            setting: both(
                &key.replace('_', " "),
                trained.to_string(),
                given.to_string(),
            ),
            fix: "pass the --data of the training run".to_string(),
        },
        "layout" => Difference {
            setting: both("layout", trained.to_string(), given.to_string()),
            fix: "evaluate an ImageNet-layout run with its own code: `evaluate --weights` \
                  builds CIFAR-layout networks"
                .to_string(),
        },
        other => Difference {
            setting: both(other, trained.to_string(), given.to_string()),
            fix: format!("set {other} as the training run did"),
        },
    }
}

fn space_name(space: SpaceKind) -> &'static str {
    match space {
        SpaceKind::Micro => "micro",
        SpaceKind::Macro => "macro",
    }
}
