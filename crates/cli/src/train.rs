//! The `train` command: one architecture trained from scratch, with the test error,
//! metrics and a checkpoint after every epoch, and resume.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use clap::{ArgGroup, Args};
use indicatif::{ProgressBar, ProgressStyle};
use rwenas::nn::Initializer;
use rwenas::rwe::data::{load_full_size_image_folder, load_full_size_image_tar_gz};
use rwenas::rwe::evaluator::class_interleaved_order;
use rwenas::rwe::{FullSizeDataset, FullSizeSets, ImageDataset, Normalization};
use rwenas::space::Network;
use rwenas::space::macro_space::MacroScale;
use rwenas::train::{
    EpochMetrics, LearningRateSchedule, MetricsCsv, Phase, Progress, TrainConfig, TrainData,
    TrainError, Trainer,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::info;

use crate::CliError;
use crate::architecture::{
    ArchitectureSource, Channels, Resolved, SOURCE_FLAGS, TrainingScale, parse_channels, resolve,
};
use crate::estimators::counted;
use crate::search::{SpaceKind, load_sets};

/// Arguments of `rwenas train`.
#[derive(Debug, Args)]
#[command(
    group(ArgGroup::new("architecture").args(SOURCE_FLAGS)),
    allow_negative_numbers = true
)]
pub struct TrainArgs {
    #[command(flatten)]
    source: ArchitectureSource,
    /// Initial channels C of a micro network, an even number. For the macro space, C gives
    /// the phases C, 2C and 4C channels, and three counts such as 128,128,128 set each
    /// phase. `rwenas export` reads the flag the same way [default: 34 micro, or 48 with
    /// --imagenet; 128,128,128 macro, NSGA-Net's training scale].
    #[arg(long, value_name = "C", value_parser = parse_channels)]
    channels: Option<Channels>,
    /// Cells of a micro network, reduction cells included [default: 20, 14 with
    /// --imagenet].
    #[arg(long, value_name = "L")]
    layers: Option<usize>,
    /// Build a micro network without the auxiliary head (the recipe trains with one).
    #[arg(long, overrides_with = "auxiliary")]
    no_auxiliary: bool,
    /// Build the auxiliary head of a micro network, the default; `rwenas export` takes the
    /// same flag.
    #[arg(long, overrides_with = "no_auxiliary")]
    auxiliary: bool,
    /// Train at ImageNet scale with DARTS' ImageNet layout of a micro network: 48 initial
    /// channels and 14 cells unless set, 224x224 input. The settings start from the
    /// ImageNet recipe (`TrainConfig::imagenet`). The data is an image folder
    /// (`train/<class>/`, `test/<class>/`, or a `.tar.gz` of one) read at full size. Training
    /// images get random resized crops, flips and colour jitter, and test images a 256-pixel
    /// resize and a centre crop.
    #[arg(long)]
    imagenet: bool,
    /// CIFAR-10 as a `cifar-10-batches-bin` folder, an image folder or a `.tar.gz` of one
    /// [default: data/cifar10, or the folder of the run with --resume].
    #[arg(long, value_name = "PATH")]
    data: Option<PathBuf>,
    /// Output folder, which must be empty or missing.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Continue the run in DIR after its last completed epoch, with the settings in its
    /// config.json.
    #[arg(long, value_name = "DIR")]
    resume: Option<PathBuf>,
    /// Device: cpu, wgpu or cuda:N.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Train on the first N training images [default: all].
    #[arg(long, value_name = "N")]
    train_size: Option<usize>,
    /// Measure the test error on the first N test images [default: all].
    #[arg(long, value_name = "N")]
    test_size: Option<usize>,
    /// TOML file with training settings, keys as in the `train` object of config.json;
    /// the flags below override it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    settings: SettingFlags,
    /// Stop after N epochs of this invocation; `--resume DIR` continues the run.
    #[arg(long, value_name = "N")]
    stop_after: Option<usize>,
    /// Measure the test error of the untrained network (initial weights and running
    /// statistics) before the first epoch, into untrained.json.
    #[arg(long)]
    test_untrained: bool,
}

/// Flags that override single training settings; the defaults are `TrainConfig::default()`,
/// the CIFAR-10 recipe of DARTS and NSGA-Net.
#[derive(Debug, Args)]
struct SettingFlags {
    /// Epochs [default: 600].
    #[arg(long)]
    epochs: Option<usize>,
    /// Images per optimiser step [default: 96].
    #[arg(long)]
    batch_size: Option<usize>,
    /// Images per batch of the test pass [default: 256].
    #[arg(long)]
    eval_batch_size: Option<usize>,
    /// Learning rate of the first epoch [default: 0.025].
    #[arg(long, visible_alias = "lr", value_parser = parse_finite)]
    learning_rate: Option<f64>,
    /// Learning rate the schedule ends at [default: 0].
    #[arg(long, value_parser = parse_finite)]
    min_learning_rate: Option<f64>,
    /// Multiply the learning rate by GAMMA after every epoch in place of the cosine decay.
    #[arg(long, value_name = "GAMMA", value_parser = parse_finite)]
    exponential_decay: Option<f64>,
    /// Epochs of linear learning-rate warm-up [default: 0].
    #[arg(long)]
    warmup_epochs: Option<usize>,
    /// SGD momentum [default: 0.9].
    #[arg(long, value_parser = parse_finite)]
    momentum: Option<f64>,
    /// SGD momentum dampening [default: 0].
    #[arg(long, value_parser = parse_finite)]
    dampening: Option<f64>,
    /// Nesterov momentum [default: false].
    #[arg(long, value_name = "BOOL")]
    nesterov: Option<bool>,
    /// Weight decay, added to the gradient [default: 3e-4].
    #[arg(long, value_parser = parse_finite)]
    weight_decay: Option<f64>,
    /// Largest L2 norm of all gradients together; 0 disables clipping [default: 5].
    #[arg(long, value_name = "NORM", value_parser = parse_finite)]
    grad_clip: Option<f64>,
    /// Zero padding of the random crop in pixels; 0 disables the crop [default: 4].
    #[arg(long, value_name = "PIXELS")]
    crop_padding: Option<usize>,
    /// Random horizontal flips [default: true].
    #[arg(long, value_name = "BOOL")]
    flip: Option<bool>,
    /// Side of the cutout square in pixels; 0 disables cutout [default: 16].
    #[arg(long, value_name = "PIXELS")]
    cutout: Option<usize>,
    /// Weight of the auxiliary head's loss [default: 0.4].
    #[arg(long, value_parser = parse_finite)]
    auxiliary_weight: Option<f64>,
    /// Drop path probability reached after the last epoch [default: 0.2].
    #[arg(long, value_name = "RATE", value_parser = parse_finite)]
    drop_path: Option<f64>,
    /// Label smoothing of the cross-entropy [default: 0].
    #[arg(long, value_parser = parse_finite)]
    label_smoothing: Option<f64>,
    /// Weight initialiser: pytorch_default, kaiming_normal, kaiming_uniform,
    /// xavier_normal, xavier_uniform [default: pytorch_default].
    #[arg(long)]
    init: Option<String>,
    /// Seed of the weights, shuffles and augmentation [default: 0].
    #[arg(long)]
    seed: Option<u64>,
    /// Training images whose batch statistics replace the batch norm running statistics
    /// after every epoch; 0 keeps the running averages [default: 2000].
    #[arg(long, value_name = "N")]
    bn_recalibration_images: Option<usize>,
}

impl SettingFlags {
    /// Applies the given flags to `config`.
    fn apply(&self, config: &mut TrainConfig) -> Result<(), CliError> {
        fn set<T: Copy>(target: &mut T, value: Option<T>) {
            if let Some(value) = value {
                *target = value;
            }
        }
        set(&mut config.epochs, self.epochs);
        set(&mut config.batch_size, self.batch_size);
        set(&mut config.eval_batch_size, self.eval_batch_size);
        set(&mut config.learning_rate, self.learning_rate);
        set(&mut config.min_learning_rate, self.min_learning_rate);
        set(&mut config.warmup_epochs, self.warmup_epochs);
        set(&mut config.momentum, self.momentum);
        set(&mut config.dampening, self.dampening);
        set(&mut config.nesterov, self.nesterov);
        set(&mut config.weight_decay, self.weight_decay);
        set(&mut config.crop_padding, self.crop_padding);
        set(&mut config.horizontal_flip, self.flip);
        set(&mut config.auxiliary_weight, self.auxiliary_weight);
        set(&mut config.drop_path_rate, self.drop_path);
        set(&mut config.label_smoothing, self.label_smoothing);
        set(&mut config.seed, self.seed);
        set(
            &mut config.bn_recalibration_images,
            self.bn_recalibration_images,
        );
        if let Some(gamma) = self.exponential_decay {
            config.schedule = LearningRateSchedule::Exponential { gamma };
        }
        if let Some(norm) = self.grad_clip {
            config.gradient_clip_norm = (norm != 0.0).then_some(norm);
        }
        if let Some(length) = self.cutout {
            config.cutout_length = (length != 0).then_some(length);
        }
        if let Some(name) = &self.init {
            config.initializer = Initializer::from_name(name).ok_or_else(|| {
                CliError::new(format!("unknown initialiser `{name}`")).with_hint(format!(
                    "use one of {}",
                    Initializer::ALL.map(Initializer::name).join(", ")
                ))
            })?;
        }
        Ok(())
    }

    /// Lists the flags given, in the order of `--help`.
    fn given_flags(&self) -> Vec<&'static str> {
        let flags = [
            (self.epochs.is_some(), "--epochs"),
            (self.batch_size.is_some(), "--batch-size"),
            (self.eval_batch_size.is_some(), "--eval-batch-size"),
            (self.learning_rate.is_some(), "--learning-rate"),
            (self.min_learning_rate.is_some(), "--min-learning-rate"),
            (self.exponential_decay.is_some(), "--exponential-decay"),
            (self.warmup_epochs.is_some(), "--warmup-epochs"),
            (self.momentum.is_some(), "--momentum"),
            (self.dampening.is_some(), "--dampening"),
            (self.nesterov.is_some(), "--nesterov"),
            (self.weight_decay.is_some(), "--weight-decay"),
            (self.grad_clip.is_some(), "--grad-clip"),
            (self.crop_padding.is_some(), "--crop-padding"),
            (self.flip.is_some(), "--flip"),
            (self.cutout.is_some(), "--cutout"),
            (self.auxiliary_weight.is_some(), "--auxiliary-weight"),
            (self.drop_path.is_some(), "--drop-path"),
            (self.label_smoothing.is_some(), "--label-smoothing"),
            (self.init.is_some(), "--init"),
            (self.seed.is_some(), "--seed"),
            (
                self.bn_recalibration_images.is_some(),
                "--bn-recalibration-images",
            ),
        ];
        flags
            .into_iter()
            .filter(|(given, _)| *given)
            .map(|(_, flag)| flag)
            .collect()
    }

    /// Returns whether `flag`, such as `--grad-clip`, was given.
    fn given(&self, flag: &str) -> bool {
        self.given_flags().contains(&flag)
    }
}

/// Parses the value of a floating-point setting flag, rejecting NaN and the infinities,
/// which no setting accepts.
fn parse_finite(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| "not a number; pass a number such as 0.5 or 3e-4".to_string())?;
    if value.is_finite() {
        Ok(value)
    } else {
        Err("NaN and infinities are not valid settings; pass a finite number".to_string())
    }
}

/// The flag of each setting of `TrainConfig` that has one, as its key in the configuration
/// and the flag.
const SETTING_FLAGS: [(&str, &str); 21] = [
    ("epochs", "--epochs"),
    ("batch_size", "--batch-size"),
    ("eval_batch_size", "--eval-batch-size"),
    ("learning_rate", "--learning-rate"),
    ("min_learning_rate", "--min-learning-rate"),
    ("schedule.gamma", "--exponential-decay"),
    ("warmup_epochs", "--warmup-epochs"),
    ("momentum", "--momentum"),
    ("dampening", "--dampening"),
    ("nesterov", "--nesterov"),
    ("weight_decay", "--weight-decay"),
    ("gradient_clip_norm", "--grad-clip"),
    ("crop_padding", "--crop-padding"),
    ("horizontal_flip", "--flip"),
    ("cutout_length", "--cutout"),
    ("auxiliary_weight", "--auxiliary-weight"),
    ("drop_path_rate", "--drop-path"),
    ("label_smoothing", "--label-smoothing"),
    ("initializer", "--init"),
    ("seed", "--seed"),
    ("bn_recalibration_images", "--bn-recalibration-images"),
];

/// The origin of the training settings of a new run: the recipe, a `--config` file over
/// it, and the flags over both.
struct SettingSources<'a> {
    /// The recipe the defaults come from, as the error messages name it.
    recipe: &'static str,
    /// The `--config` file and its top-level keys.
    file: Option<(&'a Path, Vec<String>)>,
    /// The flags.
    flags: &'a SettingFlags,
}

impl SettingSources<'_> {
    /// Turns an invalid setting into an error that names the flag, the key of the
    /// `--config` file, or the recipe default it came from.
    fn error(&self, error: TrainError, config: &TrainConfig) -> CliError {
        let TrainError::InvalidSetting {
            setting,
            value,
            expected,
        } = &error
        else {
            return error.into();
        };
        let flag = SETTING_FLAGS
            .iter()
            .find(|(key, _)| key == setting)
            .map(|(_, flag)| *flag);
        let key = setting.split('.').next().unwrap_or(setting);
        let hint = setting_hint(setting, flag, config);
        if let Some(flag) = flag
            && self.flags.given(flag)
        {
            let expected = match *setting {
                "gradient_clip_norm" => "a finite value > 0, or 0 to disable clipping",
                _ => expected,
            };
            let error = CliError::new(format!("{flag} is {value} but must be {expected}"));
            return match hint {
                Some(hint) => error.with_hint(hint),
                None => error,
            };
        }
        if let Some((path, keys)) = &self.file
            && keys.iter().any(|given| given == key)
        {
            let fix = match flag {
                Some(flag) => format!(
                    "fix `{key}` in {}, or override it with {flag}",
                    path.display()
                ),
                None => format!("fix `{key}` in {}", path.display()),
            };
            return CliError::new(format!(
                "{}: {setting} is {value} but must be {expected}",
                path.display()
            ))
            .with_hint(hint.unwrap_or(fix));
        }
        let name = flag.unwrap_or(setting);
        let error = CliError::new(format!(
            "{name} is {value}, the default of the {}, but must be {expected}",
            self.recipe
        ));
        match hint {
            Some(hint) => error.with_hint(hint),
            None => error,
        }
    }
}

/// Returns the fix of an invalid setting whose valid range depends on another setting or
/// on the images, or `None` when the message states the range.
fn setting_hint(setting: &str, flag: Option<&str>, config: &TrainConfig) -> Option<String> {
    match (setting, flag) {
        ("warmup_epochs", Some(flag)) => Some(format!(
            "pass {flag} from 0 to {}, or raise --epochs",
            config.epochs
        )),
        ("cutout_length", Some(flag)) => Some(format!(
            "pass a shorter {flag}, or {flag} 0 to disable cutout"
        )),
        _ => None,
    }
}

/// The settings of a run, written to `config.json`; `--resume` reads them back.
#[derive(Debug, Serialize, Deserialize)]
struct TrainRun {
    architecture: String,
    space: SpaceKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    genome: Option<Vec<i64>>,
    /// The Python text form of the genotype of a micro network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    genotype: Option<String>,
    scale: Value,
    /// Whether the run trains at ImageNet scale on a full-size image folder.
    #[serde(default)]
    imagenet: bool,
    data: PathBuf,
    train_size: usize,
    test_size: usize,
    /// Per-channel normalisation of the images, the statistics of the training images.
    normalization: Normalization,
    train: TrainConfig,
    network: Network,
}

impl TrainRun {
    /// Records a new run of the `resolved` architecture.
    fn new(
        resolved: Resolved,
        imagenet: bool,
        data: PathBuf,
        (train_size, test_size): (usize, usize),
        normalization: Normalization,
        train: TrainConfig,
    ) -> Self {
        TrainRun {
            architecture: resolved.architecture,
            space: resolved.space,
            genome: resolved.genome.map(|genome| genome.into_genes()),
            genotype: resolved.genotype.map(|genotype| genotype.to_string()),
            scale: resolved.scale,
            imagenet,
            data,
            train_size,
            test_size,
            normalization,
            train,
            network: resolved.network,
        }
    }
}

/// The contents of `untrained.json`.
#[derive(Serialize)]
struct Untrained {
    test_error: f64,
    test_seconds: f64,
}

/// Runs `rwenas train`.
pub fn run(args: TrainArgs) -> Result<(), CliError> {
    let device = crate::device::parse(&args.device)?;
    let (dir, run, data, resuming) = match &args.resume {
        Some(dir) => {
            let (run, data) = reopen(&args, dir)?;
            (dir.clone(), run, data, true)
        }
        None => {
            let (dir, run, data) = prepare(&args)?;
            (dir, run, data, false)
        }
    };
    let checkpoint = dir.join("checkpoint");
    let trainer = if resuming && checkpoint.is_file() {
        Trainer::resume(&run.network, data, run.train.clone(), &device, &checkpoint)?
    } else {
        Trainer::new(&run.network, data, run.train.clone(), &device)?
    };
    let bar = epoch_bar()?;
    let mut trainer = trainer
        .with_checkpoint(&checkpoint)
        .with_progress(progress_callback(bar.clone(), run.train.epochs));
    crate::logging::set_bar(&bar);
    let result = train(&args, &dir, &run, &mut trainer, &bar);
    crate::logging::clear_bar();
    bar.finish_and_clear();
    result
}

/// Trains the remaining epochs of the run in `dir` and writes the model at the end.
fn train(
    args: &TrainArgs,
    dir: &Path,
    run: &TrainRun,
    trainer: &mut Trainer,
    bar: &ProgressBar,
) -> Result<(), CliError> {
    let epochs = run.train.epochs;
    if args.test_untrained && trainer.epoch() == 0 {
        let start = Instant::now();
        let test_error = trainer.evaluate_test()?;
        let untrained = Untrained {
            test_error,
            test_seconds: start.elapsed().as_secs_f64(),
        };
        write_json(&dir.join("untrained.json"), &untrained)?;
        bar.suspend(|| eprintln!("untrained network: test error {test_error:.4}"));
    }
    let mut csv = MetricsCsv::resume(&dir.join("metrics.csv"), trainer.epoch())?;
    crate::interrupt::set_resume_hint(format!(
        "continue the training after its last completed epoch with: rwenas train --resume {}",
        dir.display()
    ));
    let start = Instant::now();
    let mut csv_error = None;
    let history = trainer.run_epochs(args.stop_after.unwrap_or(usize::MAX), |metrics| {
        if let Err(error) = csv.write(metrics) {
            csv_error.get_or_insert(error);
        }
        bar.suspend(|| eprintln!("{}", epoch_line(metrics, epochs)));
    })?;
    if let Some(error) = csv_error {
        return Err(error.into());
    }
    if trainer.epoch() < epochs {
        eprintln!(
            "stopped after {} of {epochs} epochs; continue with `rwenas train --resume {}`",
            trainer.epoch(),
            dir.display()
        );
        return Ok(());
    }
    let model = dir.join("model");
    trainer.save_model(&model)?;
    // A resumed run that had already finished trains no epoch and measures the error again.
    let test_error = match history.last() {
        Some(metrics) => metrics.test_error,
        None => trainer.evaluate_test()?,
    };
    info!(
        seconds = start.elapsed().as_secs_f64(),
        out = %dir.display(),
        "training finished"
    );
    crate::outln!(
        "{}: test error {test_error:.4} after {} on {}; model in {}",
        run.architecture,
        counted(epochs, "epoch", "epochs"),
        counted(run.train_size, "training image", "training images"),
        model.display()
    )?;
    Ok(())
}

/// Resolves the architecture, loads the data and creates the output folder of a new run.
fn prepare(args: &TrainArgs) -> Result<(PathBuf, TrainRun, TrainData), CliError> {
    let dir = args.out.clone().ok_or_else(|| {
        CliError::new("no output folder given")
            .with_hint("pass --out DIR for a new run, or --resume DIR to continue one")
    })?;
    check_empty(&dir)?;
    args.source.check()?;
    let data_path = args
        .data
        .clone()
        .unwrap_or_else(|| PathBuf::from("data/cifar10"));
    if args.imagenet {
        return prepare_imagenet(args, dir, data_path);
    }
    let (config, sources) = training_settings(args, TrainConfig::default(), "CIFAR-10 recipe")?;
    let sets = load_sets(&data_path)?;
    let train_size = args.train_size.unwrap_or(sets.train.len());
    let test_size = args.test_size.unwrap_or(sets.test.len());
    let train = first(&sets.train, train_size, "--train-size", "training")?;
    let test = first(&sets.test, test_size, "--test-size", "test")?;
    if train.height != train.width {
        return Err(CliError::new(format!(
            "the training images are {}x{}, but the networks take square images",
            train.height, train.width
        ))
        .with_hint("pass a data set of square images"));
    }
    config
        .validate_for_image_size(train.height, train.width)
        .map_err(|error| sources.error(error, &config))?;
    let scale = TrainingScale {
        channels: args.channels.clone(),
        layers: args.layers,
        auxiliary: !args.no_auxiliary,
        input_size: train.height,
        classes: train.class_names.len(),
    };
    let resolved = resolve(&args.source, &|| scale.micro(), &|| scale.macro_scale())?;
    let data = TrainData::new(train, test)?;
    let run = TrainRun::new(
        resolved,
        false,
        absolute(&data_path),
        (train_size, test_size),
        data.normalization.clone(),
        config,
    );
    create_run(&dir, &run)?;
    Ok((dir, run, data))
}

/// Returns the training settings of a new run: `recipe`, the `--config` file over it and
/// the flags over both, validated, with their sources for the errors that only the images
/// can reveal.
fn training_settings<'a>(
    args: &'a TrainArgs,
    recipe: TrainConfig,
    recipe_name: &'static str,
) -> Result<(TrainConfig, SettingSources<'a>), CliError> {
    let (mut config, file) = match &args.config {
        Some(path) => {
            let (config, keys) = read_config(path, recipe)?;
            (config, Some((path.as_path(), keys)))
        }
        None => (recipe, None),
    };
    args.settings.apply(&mut config)?;
    let sources = SettingSources {
        recipe: recipe_name,
        file,
        flags: &args.settings,
    };
    config
        .validate()
        .map_err(|error| sources.error(error, &config))?;
    Ok((config, sources))
}

/// Returns `path` made absolute, as config.json records the data path so that
/// `--resume` and `evaluate --weights` find the data from any working directory.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Writes the folder and `config.json` of a new run.
fn create_run(dir: &Path, run: &TrainRun) -> Result<(), CliError> {
    std::fs::create_dir_all(dir).map_err(|error| {
        CliError::new(format!(
            "cannot create output folder {}: {error}",
            dir.display()
        ))
    })?;
    write_json(&dir.join("config.json"), run)?;
    info!(architecture = %run.architecture, out = %dir.display(), "training started");
    Ok(())
}

/// Prepares a run at ImageNet scale on the full-size image folder at `data_path`.
fn prepare_imagenet(
    args: &TrainArgs,
    dir: PathBuf,
    data_path: PathBuf,
) -> Result<(PathBuf, TrainRun, TrainData), CliError> {
    let (config, sources) = training_settings(args, TrainConfig::imagenet(), "ImageNet recipe")?;
    config
        .validate_for_image_size(IMAGENET_INPUT, IMAGENET_INPUT)
        .map_err(|error| sources.error(error, &config))?;
    let sets = load_full_size(&data_path)?;
    let train_size = args.train_size.unwrap_or(sets.train.len());
    let test_size = args.test_size.unwrap_or(sets.test.len());
    let sets = FullSizeSets {
        train: first_full_size(&sets.train, train_size, "--train-size", "training")?,
        test: first_full_size(&sets.test, test_size, "--test-size", "test")?,
    };
    let scale = TrainingScale {
        channels: args.channels.clone(),
        layers: args.layers,
        auxiliary: !args.no_auxiliary,
        input_size: IMAGENET_INPUT,
        classes: sets.train.num_classes(),
    };
    let macro_rejected = || -> Result<MacroScale, CliError> {
        Err(CliError::new("--imagenet applies to micro networks only")
            .with_hint("remove --imagenet, or train a micro architecture"))
    };
    let resolved = resolve(&args.source, &|| scale.imagenet_micro(), &macro_rejected)?;
    let data = TrainData::from_image_folder(sets, IMAGENET_INPUT, IMAGENET_RESIZE)?;
    let run = TrainRun::new(
        resolved,
        true,
        absolute(&data_path),
        (train_size, test_size),
        data.normalization.clone(),
        config,
    );
    create_run(&dir, &run)?;
    Ok((dir, run, data))
}

/// Side of the square crops an ImageNet-scale network trains and tests on.
const IMAGENET_INPUT: usize = 224;

/// Shorter side that test images are resized to before their centre crop.
const IMAGENET_RESIZE: usize = 256;

/// Loads a full-size image folder, or a `.tar.gz` of one.
fn load_full_size(path: &Path) -> Result<FullSizeSets, CliError> {
    let is_archive = path
        .file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.ends_with(".tar.gz") || name.ends_with(".tgz"));
    let sets = if is_archive {
        load_full_size_image_tar_gz(path, None)
    } else {
        load_full_size_image_folder(path, None)
    };
    sets.map_err(|error| {
        CliError::new(format!(
            "no full-size image folder found at {}: {error}",
            path.display()
        ))
        .with_hint(
            "--imagenet reads a folder with train/<class>/ and test/<class>/ images, or a \
             .tar.gz of one",
        )
    })
}

/// Returns the first `count` images of `dataset` in class-interleaved order, so that a
/// subset contains every class.
fn first_full_size(
    dataset: &FullSizeDataset,
    count: usize,
    flag: &str,
    kind: &str,
) -> Result<FullSizeDataset, CliError> {
    if count == 0 || count > dataset.len() {
        return Err(CliError::new(format!(
            "{flag} {count} is out of range: the data set has {} {kind} {}",
            dataset.len(),
            if dataset.len() == 1 {
                "image"
            } else {
                "images"
            }
        ))
        .with_hint(format!("pass {flag} from 1 to {}", dataset.len())));
    }
    let chosen: Vec<usize> = class_interleaved_order(&dataset.labels)
        .into_iter()
        .take(count)
        .collect();
    Ok(FullSizeDataset {
        images: chosen
            .iter()
            .map(|&index| dataset.images[index].clone())
            .collect(),
        labels: chosen.iter().map(|&index| dataset.labels[index]).collect(),
        class_names: dataset.class_names.clone(),
    })
}

/// Reads the settings of the run in `dir` and loads its data.
fn reopen(args: &TrainArgs, dir: &Path) -> Result<(TrainRun, TrainData), CliError> {
    if let Some(out) = &args.out
        && out != dir
    {
        return Err(CliError::new(format!(
            "--out {} and --resume {} name different folders",
            out.display(),
            dir.display()
        ))
        .with_hint("a resumed run writes to its own folder; remove --out"));
    }
    let source = &args.source;
    let given = [
        (source.arch.is_some(), "--arch"),
        (source.genome.is_some(), "--genome"),
        (source.space.is_some(), "--space"),
        (source.index.is_some(), "--index"),
        (source.genotype.is_some(), "--genotype"),
        (source.genotype_file.is_some(), "--genotype-file"),
        (source.front.is_some(), "--front"),
        (args.channels.is_some(), "--channels"),
        (args.layers.is_some(), "--layers"),
        (args.no_auxiliary, "--no-auxiliary"),
        (args.auxiliary, "--auxiliary"),
        (args.imagenet, "--imagenet"),
        (args.train_size.is_some(), "--train-size"),
        (args.test_size.is_some(), "--test-size"),
        (args.config.is_some(), "--config"),
        (args.test_untrained, "--test-untrained"),
    ];
    let first_given = given
        .iter()
        .find(|(given, _)| *given)
        .map(|(_, flag)| flag.to_string())
        .or_else(|| {
            let flags = args.settings.given_flags();
            flags.first().map(|flag| flag.to_string())
        });
    if let Some(flag) = first_given {
        return Err(CliError::new(format!(
            "{flag} cannot change a resumed run: it continues with the settings in {}",
            dir.join("config.json").display()
        ))
        .with_hint(format!(
            "remove {flag}, or start a new run with another --out"
        )));
    }
    let run = read_run(dir)?;
    let path = dir.join("config.json");
    let data_path = args.data.clone().unwrap_or_else(|| run.data.clone());
    if run.imagenet {
        let sets = load_full_size(&data_path)?;
        let sets = FullSizeSets {
            train: first_full_size(&sets.train, run.train_size, "--train-size", "training")?,
            test: first_full_size(&sets.test, run.test_size, "--test-size", "test")?,
        };
        let data = TrainData::from_image_folder(sets, IMAGENET_INPUT, IMAGENET_RESIZE)?;
        info!(out = %dir.display(), "training resumed");
        return Ok((run, data));
    }
    let sets = load_sets(&data_path)?;
    let train = first(&sets.train, run.train_size, "--train-size", "training")?;
    let test = first(&sets.test, run.test_size, "--test-size", "test")?;
    let data = TrainData::new(train, test)?;
    if data.normalization != run.normalization {
        return Err(CliError::new(format!(
            "the training images at {} are not those the run started with: their \
             statistics differ from the normalisation in {}",
            data_path.display(),
            path.display()
        ))
        .with_hint("pass the data set of the run with --data"));
    }
    info!(out = %dir.display(), "training resumed");
    Ok((run, data))
}

/// Reads the `config.json` of the training run in `dir`, naming the kind of folder when
/// `dir` contains no training run.
fn read_run(dir: &Path) -> Result<TrainRun, CliError> {
    let path = dir.join("config.json");
    let resume_hint = "pass the --out folder of a `rwenas train` run to --resume";
    if !dir.is_dir() {
        return Err(
            CliError::new(format!("training run folder {} not found", dir.display()))
                .with_hint(resume_hint),
        );
    }
    match folder_kind(dir) {
        None => {
            return Err(CliError::new(format!(
                "{} is not a training run folder: config.json is missing",
                dir.display()
            ))
            .with_hint(resume_hint));
        }
        Some(FolderKind::Search) => {
            return Err(CliError::new(format!(
                "{} contains a search (`rwenas search`), not a training run",
                dir.display()
            ))
            .with_hint(format!(
                "{resume_hint}; to train an entry of the search's front, run `rwenas train \
                 --front {} --index K --out NEW_DIR`",
                dir.display()
            )));
        }
        Some(FolderKind::Training | FolderKind::Other) => {}
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|error| CliError::new(format!("cannot read {}: {error}", path.display())))?;
    serde_json::from_str(&text).map_err(|error| {
        CliError::new(format!(
            "{} is not the config.json of a training run: {error}",
            path.display()
        ))
        .with_hint(resume_hint)
    })
}

/// Fails unless `dir` is missing or an empty folder.
fn check_empty(dir: &Path) -> Result<(), CliError> {
    if !dir.exists() {
        return Ok(());
    }
    let mut entries = std::fs::read_dir(dir).map_err(|error| {
        CliError::new(format!(
            "--out {} is not a readable folder: {error}",
            dir.display()
        ))
        .with_hint("choose another --out")
    })?;
    if entries.next().is_none() {
        return Ok(());
    }
    let error = CliError::new(format!("output folder {} is not empty", dir.display()));
    Err(match folder_kind(dir) {
        Some(FolderKind::Training) => error.with_hint(format!(
            "continue the run in it with `rwenas train --resume {}`, choose another --out, or \
             remove the folder to start over",
            dir.display()
        )),
        Some(FolderKind::Search) => CliError::new(format!(
            "output folder {} is not empty: it contains a search (`rwenas search`), not a \
             training run",
            dir.display()
        ))
        .with_hint(format!(
            "choose another --out; to train an entry of its front, pass --front {} --index K \
             with a new --out",
            dir.display()
        )),
        Some(FolderKind::Other) | None => {
            error.with_hint("choose another --out, or remove the folder to start over")
        }
    })
}

/// Kind of output folder, as its `config.json` shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FolderKind {
    /// A run of `rwenas train`.
    Training,
    /// A run of `rwenas search`.
    Search,
    /// Neither: another file, or one that is not JSON.
    Other,
}

/// Returns what the `config.json` in `dir` describes, or `None` when there is none. The
/// keys tell the kinds apart, so a file that no longer parses in full is still named.
pub fn folder_kind(dir: &Path) -> Option<FolderKind> {
    let text = std::fs::read_to_string(dir.join("config.json")).ok()?;
    let Ok(Value::Object(config)) = serde_json::from_str::<Value>(&text) else {
        return Some(FolderKind::Other);
    };
    let has = |keys: &[&str]| keys.iter().all(|key| config.contains_key(*key));
    Some(if has(&["architecture", "network", "train"]) {
        FolderKind::Training
    } else if has(&["population", "generations"]) {
        FolderKind::Search
    } else {
        FolderKind::Other
    })
}

/// Returns the first `count` images of `dataset`.
fn first(
    dataset: &ImageDataset,
    count: usize,
    flag: &str,
    kind: &str,
) -> Result<ImageDataset, CliError> {
    if count == 0 || count > dataset.len() {
        return Err(CliError::new(format!(
            "{flag} {count} is out of range: the data set has {} {kind} {}",
            dataset.len(),
            if dataset.len() == 1 {
                "image"
            } else {
                "images"
            }
        ))
        .with_hint(format!("pass {flag} from 1 to {}", dataset.len())));
    }
    let indices: Vec<usize> = (0..count).collect();
    Ok(dataset.subset(&indices)?)
}

/// Reads a TOML file of training settings over `recipe`, and returns them with the keys
/// the file sets.
fn read_config(path: &Path, recipe: TrainConfig) -> Result<(TrainConfig, Vec<String>), CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| CliError::new(format!("cannot read {}: {error}", path.display())))?;
    let table: toml::Table = toml::from_str(&text)
        .map_err(|error| CliError::new(format!("invalid TOML in {}: {error}", path.display())))?;
    let mut settings = serde_json::to_value(recipe)?;
    let Value::Object(defaults) = &mut settings else {
        unreachable!("a configuration serialises to an object");
    };
    let mut keys = Vec::new();
    for (key, value) in table {
        if !defaults.contains_key(&key) {
            return Err(
                CliError::new(format!("{}: unknown setting `{key}`", path.display())).with_hint(
                    format!(
                        "use the keys of the `train` object of config.json: {}",
                        defaults.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                ),
            );
        }
        if has_non_finite(&value) {
            return Err(CliError::new(format!(
                "{}: {key} is {value} but must be a finite number",
                path.display()
            ))
            .with_hint(format!("fix `{key}` in {}", path.display())));
        }
        defaults.insert(key.clone(), serde_json::to_value(value)?);
        keys.push(key);
    }
    let config = serde_json::from_value(settings).map_err(|error| {
        CliError::new(format!("invalid setting in {}: {error}", path.display()))
    })?;
    Ok((config, keys))
}

/// Returns whether `value` is or contains a NaN or infinite float. JSON has no such
/// numbers, so they would reach the settings as `null`.
fn has_non_finite(value: &toml::Value) -> bool {
    match value {
        toml::Value::Float(number) => !number.is_finite(),
        toml::Value::Array(items) => items.iter().any(has_non_finite),
        toml::Value::Table(table) => table.values().any(has_non_finite),
        _ => false,
    }
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), CliError> {
    let mut json = serde_json::to_string_pretty(value)?;
    json.push('\n');
    std::fs::write(path, json)
        .map_err(|error| CliError::new(format!("cannot write {}: {error}", path.display())))
}

fn epoch_bar() -> Result<ProgressBar, CliError> {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} images, {per_sec}, ETA {eta}",
        )
        .map_err(|error| CliError::new(error.to_string()))?
        .progress_chars("=> "),
    );
    Ok(bar)
}

/// Returns the callback that moves `bar` through the stages of each epoch.
fn progress_callback(bar: ProgressBar, epochs: usize) -> impl Fn(&Progress) + Send + Sync {
    let stage = Mutex::new(None);
    move |progress: &Progress| {
        let current = Some((progress.epoch, progress.phase));
        let mut last = stage
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if *last != current {
            *last = current;
            let name = match progress.phase {
                Phase::Training => "training",
                Phase::Testing => "testing",
            };
            bar.reset();
            bar.set_length(progress.total as u64);
            bar.set_prefix(format!("epoch {}/{epochs} {name}", progress.epoch + 1));
        }
        bar.set_position(progress.done as u64);
    }
}

fn epoch_line(metrics: &EpochMetrics, epochs: usize) -> String {
    let train = &metrics.train;
    format!(
        "epoch {}/{epochs}: loss {:.4}, train error {:.4}, test error {:.4}, {:.1} images/s, \
         {:.0} s training, {:.0} s testing",
        train.epoch + 1,
        train.train_loss,
        train.train_error,
        metrics.test_error,
        train.images_per_second,
        train.seconds,
        metrics.test_seconds
    )
}
