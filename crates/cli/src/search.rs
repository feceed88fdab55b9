//! The `search` command.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use rwenas::nsga2::{load_checkpoint, save_checkpoint};
use rwenas::rwe::data::{CIFAR10_BINARY, DownloadOptions, DownloadProgress, ensure_downloaded};
use rwenas::rwe::{DataSource, RweConfig, RweData, Split, TrainTestSets};
use rwenas::space::SearchSpace;
use rwenas::space::macro_space::{MacroScale, MacroSpace};
use rwenas::space::micro::{MicroScale, MicroSpace};
use rwenas::train::TrainData;
use rwenas::{Estimator, EvaluationRecord, NasProblem, Search, SearchConfig};
use serde::{Deserialize, Serialize};
use tracing::{debug, info, warn};

use crate::CliError;
use crate::estimators::{self, EstimatorSettings};
use crate::output::{self, OutputFolder};
use crate::plot;

/// Arguments of `rwenas search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Continue the stopped search in this folder, with every setting it was started with.
    /// `--data` may point to the data where it has moved since.
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with_all = [
            "config", "space", "preset", "out", "seed", "population",
            "generations", "train_size", "valid_size", "epochs", "device", "estimator",
        ]
    )]
    resume: Option<PathBuf>,
    /// TOML file with search settings (the keys of `config.json`), or a search's
    /// `config.json` itself; flags override it. A relative `data` path in the file is taken
    /// from the file's folder.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Search space [default: micro].
    #[arg(long, value_enum)]
    space: Option<SpaceKind>,
    /// Settings preset; the config file and the flags below override single settings
    /// [default: paper].
    #[arg(long, value_enum)]
    preset: Option<Preset>,
    /// CIFAR-10 as a `cifar-10-batches-bin` folder, an image folder or a `.tar.gz` of one;
    /// a missing folder receives a download of CIFAR-10 [default: data/cifar10].
    #[arg(long)]
    data: Option<PathBuf>,
    /// Output folder; it must not contain another search.
    #[arg(long, default_value = "rwenas-search")]
    out: PathBuf,
    /// Seed of the search and of the networks' random weights [default: 0].
    #[arg(long)]
    seed: Option<u64>,
    /// Population size. Each generation breeds as many offspring, one more when the
    /// population is odd because crossover produces children in pairs.
    #[arg(long)]
    population: Option<usize>,
    /// Number of generations, the initial population included.
    #[arg(long)]
    generations: Option<usize>,
    /// Training images for the classifiers, a multiple of the number of classes.
    #[arg(long)]
    train_size: Option<usize>,
    /// Validation images that give the RWE error, a multiple of the number of classes.
    #[arg(long)]
    valid_size: Option<usize>,
    /// Epochs of each linear classifier.
    #[arg(long)]
    epochs: Option<usize>,
    /// Accuracy estimator: rwe, a zero-cost proxy (synflow, snip, grasp, fisher,
    /// grad_norm, jacob_cov, naswot) or train (10 epochs of training on the train split)
    /// [default: rwe].
    #[arg(long)]
    estimator: Option<String>,
    /// Fail when the data folder is missing instead of downloading CIFAR-10 into it.
    #[arg(long)]
    no_download: bool,
    /// Devices, comma-separated: `cpu`, `wgpu`, `cuda:0,cuda:1`; one network per device at
    /// a time [default: cpu].
    #[arg(long)]
    device: Option<String>,
}

/// Settings of a config file, TOML or the JSON of a search's `config.json`; every key is
/// optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    space: Option<SpaceKind>,
    preset: Option<Preset>,
    data: Option<PathBuf>,
    seed: Option<u64>,
    population: Option<usize>,
    generations: Option<usize>,
    train_size: Option<usize>,
    valid_size: Option<usize>,
    epochs: Option<usize>,
    device: Option<String>,
    estimator: Option<String>,
    /// Read from a search's `config.json` and ignored: a new search identifies its own data.
    #[serde(default, rename = "data_identity")]
    _data_identity: Option<serde::de::IgnoredAny>,
}

impl ConfigFile {
    /// Reads the config file at `path`: JSON when its name ends in `.json`, TOML otherwise.
    /// A relative `data` path is taken from the file's folder.
    fn read(path: &Path) -> Result<Self, CliError> {
        let text = std::fs::read_to_string(path).map_err(|error| {
            CliError::new(format!(
                "cannot read config file {}: {error}",
                path.display()
            ))
        })?;
        let is_json = path
            .extension()
            .is_some_and(|extension| extension.eq_ignore_ascii_case("json"));
        let mut file = if is_json {
            serde_json::from_str(&text).map_err(|error| {
                CliError::new(format!("invalid config file {}: {error}", path.display()))
            })?
        } else {
            Self::parse_toml(path, &text)?
        };
        if let Some(data) = &file.data
            && data.is_relative()
        {
            let folder = path.parent().unwrap_or(Path::new(""));
            file.data = Some(folder.join(data));
        }
        Ok(file)
    }

    /// Parses TOML `text` read from `path`. Errors name the line and key at fault.
    fn parse_toml(path: &Path, text: &str) -> Result<Self, CliError> {
        toml::from_str(text).map_err(|error| {
            let message = error.message();
            // The span covers the value or key at fault. The message names its line and key.
            let location = error.span().map(|span| {
                let line_start = text[..span.start].rfind('\n').map_or(0, |index| index + 1);
                let line_end = text[span.start..]
                    .find('\n')
                    .map_or(text.len(), |index| span.start + index);
                let line = text[..span.start].matches('\n').count() + 1;
                let key = text[line_start..line_end]
                    .split_once('=')
                    .map(|(key, _)| key.trim().to_string());
                (line, key)
            });
            let mut description = format!("invalid config file {}", path.display());
            if let Some((line, key)) = location {
                description.push_str(&format!(", line {line}"));
                if let Some(key) = key.filter(|key| !message.contains(key.as_str())) {
                    description.push_str(&format!(" (key {key})"));
                }
            }
            let hint = if text.trim_start().starts_with('{') {
                "the file looks like JSON; name it with a .json extension or write it as TOML"
            } else {
                "write one `key = value` line per setting, with the keys of config.json"
            };
            CliError::new(format!("{description}: {message}")).with_hint(hint)
        })
    }
}

/// The built-in search spaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpaceKind {
    /// NSGA-Net's cell-based space (searched at 10 initial channels and 5 cells).
    Micro,
    /// NSGA-Net's phase-based space (searched with phases of 32, 64 and 128 channels).
    Macro,
}

/// Settings presets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// A small search that finishes in minutes on a 2-core CPU.
    Quick,
    /// The reference settings of the method.
    Paper,
}

/// Every setting of a search, as saved in `config.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchSettings {
    /// Search space.
    pub space: SpaceKind,
    /// Preset the settings started from.
    pub preset: Preset,
    /// Data path, absolute so that `--resume` finds it from any working directory.
    pub data: PathBuf,
    /// Seed.
    pub seed: u64,
    /// Population size.
    pub population: usize,
    /// Generations.
    pub generations: usize,
    /// Training images.
    pub train_size: usize,
    /// Validation images.
    pub valid_size: usize,
    /// Classifier epochs.
    pub epochs: usize,
    /// Devices.
    pub device: String,
    /// Accuracy estimator; `rwe` when absent from older configurations.
    #[serde(default = "default_estimator")]
    pub estimator: String,
    /// Identity of the data the search read, so that `--resume` rejects other data. Absent
    /// from older configurations and before the data has loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_identity: Option<DataIdentity>,
}

/// Identity of a search's data: the number of training images and the mean pixel value
/// of sample images of its splits. Reading CIFAR-10 from the binary batches or from image
/// files gives the same identity, up to [`DataIdentity::TOLERANCE`], because the splits
/// select the same images per class and decoded JPEG pixels differ by a few levels at most.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataIdentity {
    /// Images in the training set that the splits are drawn from.
    pub training_images: usize,
    /// Mean pixel value, from 0 to 255 and rounded to 0.1, of up to 32 train-split images
    /// and then up to 16 validation-split images. Each split's sample takes the first image
    /// of every class in turn, then the second, and so on, so the order of the classes in
    /// the files does not matter. Empty in identities of earlier versions, which cannot be
    /// checked.
    #[serde(default)]
    pub sample_means: Vec<f32>,
}

impl DataIdentity {
    /// Largest difference of a sample image's mean pixel value between two readings of
    /// the same data.
    pub const TOLERANCE: f32 = 2.0;

    /// Computes the identity of loaded data.
    pub fn of(data: &RweData) -> Self {
        let dataset = &data.dataset;
        let mean = |index: usize| -> f32 {
            let image = dataset.image(index).unwrap_or_default();
            let sum: u64 = image.iter().map(|&value| u64::from(value)).sum();
            let mean = sum as f64 / image.len().max(1) as f64;
            ((mean * 10.0).round() / 10.0) as f32
        };
        let mut sample_means: Vec<f32> = class_rounds(&data.split.train, &dataset.labels, 32)
            .into_iter()
            .map(mean)
            .collect();
        sample_means.extend(
            class_rounds(&data.split.valid, &dataset.labels, 16)
                .into_iter()
                .map(mean),
        );
        DataIdentity {
            training_images: dataset.len(),
            sample_means,
        }
    }

    /// Describes how `self`, the identity of the data given now, differs from `saved`, or
    /// returns `None` when they match.
    pub fn difference(&self, saved: &DataIdentity) -> Option<String> {
        if self.training_images != saved.training_images {
            return Some(format!(
                "its training set has {} images where the search read {}",
                self.training_images, saved.training_images
            ));
        }
        if self.sample_means.len() != saved.sample_means.len() {
            return Some(format!(
                "its splits give {} sample images where the search's gave {}",
                self.sample_means.len(),
                saved.sample_means.len()
            ));
        }
        let (index, (now, before)) = self
            .sample_means
            .iter()
            .zip(&saved.sample_means)
            .enumerate()
            .find(|(_, (now, before))| (*now - *before).abs() > Self::TOLERANCE)?;
        Some(format!(
            "sample image {} of its splits has a mean pixel value of {now:.1} where the \
             search's had {before:.1}",
            index + 1
        ))
    }
}

/// Returns up to `count` of `indices`: the first of every class in turn (classes by
/// `labels`), then the second, and so on.
fn class_rounds(indices: &[usize], labels: &[u16], count: usize) -> Vec<usize> {
    let mut classes: std::collections::BTreeMap<u16, Vec<usize>> = Default::default();
    for &index in indices {
        classes.entry(labels[index]).or_default().push(index);
    }
    let mut chosen = Vec::with_capacity(count);
    for round in 0.. {
        let before = chosen.len();
        for members in classes.values() {
            if chosen.len() == count {
                return chosen;
            }
            if let Some(&index) = members.get(round) {
                chosen.push(index);
            }
        }
        if chosen.len() == before {
            break;
        }
    }
    chosen
}

fn default_estimator() -> String {
    "rwe".to_string()
}

impl Preset {
    /// Returns (population, generations, train size, validation size, epochs).
    fn values(self) -> (usize, usize, usize, usize, usize) {
        match self {
            Preset::Quick => (8, 3, 1_000, 500, 30),
            Preset::Paper => (20, 30, 40_000, 10_000, 30),
        }
    }
}

impl SearchArgs {
    /// Resolves every setting: a flag wins over the config file, which wins over the preset.
    fn settings(&self) -> Result<SearchSettings, CliError> {
        let file = match &self.config {
            Some(path) => ConfigFile::read(path)?,
            None => ConfigFile::default(),
        };
        let preset = self.preset.or(file.preset).unwrap_or(Preset::Paper);
        let (population, generations, train_size, valid_size, epochs) = preset.values();
        Ok(SearchSettings {
            space: self.space.or(file.space).unwrap_or(SpaceKind::Micro),
            preset,
            data: self
                .data
                .clone()
                .or(file.data)
                .unwrap_or_else(|| PathBuf::from("data/cifar10")),
            seed: self.seed.or(file.seed).unwrap_or(0),
            population: self.population.or(file.population).unwrap_or(population),
            generations: self.generations.or(file.generations).unwrap_or(generations),
            train_size: self.train_size.or(file.train_size).unwrap_or(train_size),
            valid_size: self.valid_size.or(file.valid_size).unwrap_or(valid_size),
            epochs: self.epochs.or(file.epochs).unwrap_or(epochs),
            device: self
                .device
                .clone()
                .or(file.device)
                .unwrap_or_else(|| "cpu".to_string()),
            estimator: self
                .estimator
                .clone()
                .or(file.estimator)
                .unwrap_or_else(default_estimator),
            data_identity: None,
        })
    }
}

/// Runs `rwenas search`.
pub fn run(args: SearchArgs) -> Result<(), CliError> {
    if let Some(dir) = &args.resume {
        return resume(dir, args.data.as_deref());
    }
    let mut settings = args.settings()?;
    settings.data = absolute(&settings.data)?;
    validate(&settings)?;
    // Everything that can be checked is checked before the folder is created, so a
    // rejected command leaves nothing behind.
    OutputFolder::check_free(&args.out)?;
    info!(
        space = ?settings.space,
        preset = ?settings.preset,
        data = %settings.data.display(),
        out = %args.out.display(),
        seed = settings.seed,
        population = settings.population,
        generations = settings.generations,
        train_size = settings.train_size,
        valid_size = settings.valid_size,
        epochs = settings.epochs,
        device = %settings.device,
        "search started"
    );
    let devices = parse_devices(&settings.device)?;
    if !args.no_download {
        download_missing(&settings.data)?;
    }
    let missing = args.no_download && !settings.data.exists();
    let data =
        load_data(&settings.data, settings.train_size, settings.valid_size).map_err(|error| {
            if missing {
                error.with_hint(
                    "pass --data with a cifar-10-batches-bin folder, an image folder or a \
                     .tar.gz of one, or drop --no-download to download CIFAR-10 into that path",
                )
            } else {
                error
            }
        })?;
    settings.data_identity = Some(DataIdentity::of(&data));
    let space = space_of(settings.space, &data)?;
    let (estimator, estimator_space) = estimator_of(&settings, data, &devices)?;

    let folder = OutputFolder::create(&args.out)?;
    folder.write_json("config.json", &settings)?;
    run_generations(
        &settings,
        space.as_ref(),
        (estimator.as_ref(), estimator_space.as_deref()),
        &folder,
        None,
    )
}

/// Every evaluation and every generation's front so far, for the plot and the
/// hypervolume.
struct History {
    evaluations: Vec<EvaluationRecord>,
    fronts: Vec<Vec<EvaluationRecord>>,
    /// FLOPs of the hypervolume's reference point: 1.1 times the largest FLOPs of the
    /// initial population.
    flops_reference: Option<f64>,
}

impl History {
    /// Reads the records and fronts of the first `completed` generations from `folder`.
    fn load(folder: &OutputFolder, completed: usize) -> Result<Self, CliError> {
        let evaluations: Vec<EvaluationRecord> = folder.read_jsonl("evaluations.jsonl")?;
        let fronts = (0..completed)
            .map(|generation| folder.read_front(generation))
            .collect::<Result<Vec<_>, _>>()?;
        let mut history = History {
            evaluations: Vec::new(),
            fronts,
            flops_reference: None,
        };
        history.add_evaluations(&evaluations);
        Ok(history)
    }

    fn add(&mut self, summary: &rwenas::GenerationSummary) {
        self.add_evaluations(&summary.evaluated);
        self.fronts.push(summary.front.clone());
    }

    fn add_evaluations(&mut self, records: &[EvaluationRecord]) {
        self.evaluations.extend_from_slice(records);
        if self.flops_reference.is_none() {
            let initial = records.iter().filter(|record| record.generation == Some(0));
            let largest = initial.map(|record| record.flops).max();
            self.flops_reference = largest.map(|flops| 1.1 * flops as f64);
        }
    }

    /// Returns the hypervolume of `front` in the (error, FLOPs) plane with FLOPs divided
    /// by the reference FLOPs and the reference point (1, 1). The objective must be an
    /// error in `[0, 1]`, which only RWE and training give.
    fn hypervolume(&self, front: &[EvaluationRecord]) -> f64 {
        let Some(reference) = self.flops_reference else {
            return 0.0;
        };
        let points: Vec<[f64; 2]> = front
            .iter()
            .filter_map(|record| Some([record.objective?, record.flops as f64 / reference]))
            .collect();
        rwenas::nsga2::indicators::hypervolume(&points, &[1.0, 1.0])
    }
}

/// Returns `path` as an absolute path, without requiring it to exist.
fn absolute(path: &Path) -> Result<PathBuf, CliError> {
    std::path::absolute(path).map_err(|error| {
        CliError::new(format!(
            "cannot resolve the data path {}: {error}",
            path.display()
        ))
    })
}

/// Continues the search stopped in `dir` after its last completed generation, reading the
/// data from `data` when given instead of the saved path. A search stopped before its
/// first checkpoint starts again from its saved settings.
fn resume(dir: &Path, data: Option<&Path>) -> Result<(), CliError> {
    let folder = OutputFolder::open(dir)?;
    let mut settings: SearchSettings = folder.read_json("config.json")?;
    validate(&settings)?;
    // The saved path stays in config.json until the data at the new one has loaded.
    let saved_data = settings.data.clone();
    if let Some(data) = data {
        settings.data = absolute(data)?;
    }

    let checkpoint = dir.join("checkpoint.json");
    let state = if checkpoint.exists() {
        let state = load_checkpoint(&checkpoint).map_err(|error| {
            // The error names the checkpoint's path.
            CliError::new(error.to_string()).with_hint(format!(
                "the checkpoint is damaged; remove {} to run the search in {} again from \
                 the start",
                checkpoint.display(),
                dir.display()
            ))
        })?;
        Some(state)
    } else {
        None
    };

    // Records of a generation that finished evaluating but not checkpointing are dropped:
    // that generation runs again and, being deterministic, writes the same records.
    let completed = state
        .as_ref()
        .map_or(0, |state| state.generations_completed);
    let records: Vec<EvaluationRecord> = folder
        .read_jsonl("evaluations.jsonl")?
        .into_iter()
        .filter(|record: &EvaluationRecord| record.generation.is_some_and(|g| g < completed))
        .collect();

    let devices = parse_devices(&settings.device)?;
    let data =
        load_data(&settings.data, settings.train_size, settings.valid_size).map_err(|error| {
            error.with_hint(format!(
                "if the data has moved, pass its new path: rwenas search --resume {} --data PATH",
                dir.display()
            ))
        })?;
    let identity = DataIdentity::of(&data);
    match &settings.data_identity {
        Some(saved) if !saved.sample_means.is_empty() => {
            if let Some(difference) = identity.difference(saved) {
                return Err(CliError::new(format!(
                    "the data at {} is not the data the search started with: {difference}",
                    settings.data.display()
                ))
                .with_hint(format!(
                    "pass the data set the search read with --data; the saved path is {}",
                    saved_data.display()
                )));
            }
        }
        _ => {
            eprintln!(
                "{} was written by an older version that records no identity of the data, so \
                 the data at {} cannot be checked against it; recording that data's identity",
                dir.join("config.json").display(),
                settings.data.display()
            );
            settings.data_identity = Some(identity);
            folder.write_json("config.json", &settings)?;
        }
    }
    if settings.data != saved_data {
        eprintln!(
            "reading the data from {} instead of {}",
            settings.data.display(),
            saved_data.display()
        );
        folder.write_json("config.json", &settings)?;
    }
    let space = space_of(settings.space, &data)?;
    let (estimator, estimator_space) = estimator_of(&settings, data, &devices)?;
    // Records from versions that did not store the estimator are read as RWE records.
    // Only this search's estimator can have written them, so they take its name.
    let records: Vec<EvaluationRecord> = records
        .into_iter()
        .map(|mut record| {
            if record.estimator != estimator.name() {
                record.set_estimator(estimator.name());
            }
            record
        })
        .collect();
    folder.rewrite_jsonl("evaluations.jsonl", &records)?;
    match &state {
        Some(_) => eprintln!(
            "resuming {} after generation {completed} of {}",
            dir.display(),
            settings.generations
        ),
        None => eprintln!(
            "{} stopped before its first generation finished; starting it again",
            dir.display()
        ),
    }
    info!(
        folder = %dir.display(),
        completed,
        generations = settings.generations,
        records = records.len(),
        "search resumed"
    );
    run_generations(
        &settings,
        space.as_ref(),
        (estimator.as_ref(), estimator_space.as_deref()),
        &folder,
        state.map(|state| (state, records)),
    )
}

/// Builds the search's estimator and, where it scores another scale than the search's,
/// the space that decodes genomes for it. `train` trains on the train split and scores on
/// the validation split. In the micro space it trains each cell at 16 initial channels and
/// 8 layers, the usual setting of a short training.
#[allow(clippy::type_complexity)]
fn estimator_of(
    settings: &SearchSettings,
    data: RweData,
    devices: &[burn::tensor::Device],
) -> Result<(Box<dyn Estimator>, Option<Box<dyn SearchSpace>>), CliError> {
    let train_data = TrainData::from_split(&data.dataset, &data.split)?;
    let estimator = estimators::build(
        &settings.estimator,
        &data,
        &rwe_config(settings),
        &train_data,
        &EstimatorSettings::default(),
        devices,
    )?;
    let estimator_space: Option<Box<dyn SearchSpace>> =
        match (settings.estimator.as_str(), settings.space) {
            ("train", SpaceKind::Micro) => Some(Box::new(MicroSpace::nsga_net(MicroScale {
                initial_channels: 16,
                layers: 8,
                classes: data.dataset.num_classes(),
                input_size: data.dataset.height,
                ..MicroScale::search()
            })?)),
            _ => None,
        };
    Ok((estimator, estimator_space))
}

fn rwe_config(settings: &SearchSettings) -> RweConfig {
    let mut config = RweConfig::default();
    config.ensemble.epochs = settings.epochs;
    config
}

fn validate(settings: &SearchSettings) -> Result<(), CliError> {
    let positive = [
        ("--population", settings.population, 2),
        ("--generations", settings.generations, 1),
        ("--train-size", settings.train_size, 1),
        ("--valid-size", settings.valid_size, 1),
        ("--epochs", settings.epochs, 1),
    ];
    for (flag, value, minimum) in positive {
        if value < minimum {
            return Err(CliError::new(format!(
                "{flag} is {value} but must be at least {minimum}"
            )));
        }
    }
    estimators::check(&settings.estimator)
}

fn parse_devices(list: &str) -> Result<Vec<burn::tensor::Device>, CliError> {
    list.split(',')
        .map(|name| crate::device::parse(name.trim()))
        .collect()
}

/// Builds the space at its search scale, with a classifier for the data set's classes and
/// input size.
pub fn space_of(kind: SpaceKind, data: &RweData) -> Result<Box<dyn SearchSpace>, CliError> {
    let classes = data.dataset.num_classes();
    let input_size = data.dataset.height;
    if data.dataset.width != input_size {
        return Err(CliError::new(format!(
            "images are {}x{} but the built-in spaces take square images",
            data.dataset.width, data.dataset.height
        )));
    }
    Ok(match kind {
        SpaceKind::Micro => Box::new(MicroSpace::nsga_net(MicroScale {
            classes,
            input_size,
            ..MicroScale::search()
        })?),
        SpaceKind::Macro => Box::new(MacroSpace::nsga_net(MacroScale {
            classes,
            input_size,
            ..MacroScale::search()
        })?),
    })
}

/// Downloads the official CIFAR-10 binary archive into `path` unless it already exists,
/// verifying its published checksum.
pub fn download_missing(path: &Path) -> Result<(), CliError> {
    if path.exists() {
        return Ok(());
    }
    eprintln!(
        "{} does not exist: downloading CIFAR-10 from {} into it",
        path.display(),
        CIFAR10_BINARY.url
    );
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bytes}/{total_bytes} [{bar:30}] {bytes_per_sec}, ETA {eta}")
            .map_err(|error| CliError::new(error.to_string()))?
            .progress_chars("=> "),
    );
    let mut progress = |step: DownloadProgress| {
        if let Some(total) = step.total {
            bar.set_length(total);
        }
        bar.set_position(step.downloaded);
    };
    let result = ensure_downloaded(
        &CIFAR10_BINARY,
        path,
        &DownloadOptions::default(),
        Some(&mut progress),
    );
    bar.finish_and_clear();
    result.map(|_| ()).map_err(|error| {
        CliError::new(format!("download of CIFAR-10 failed: {error}")).with_hint(
            "download cifar-10-binary.tar.gz by hand, extract it and pass its folder with --data",
        )
    })
}

/// Loads the training and test images of the data set at `path`.
pub fn load_sets(path: &Path) -> Result<TrainTestSets, CliError> {
    let source = DataSource::detect(path).map_err(|error| {
        CliError::new(error.to_string()).with_hint(
            "pass --data with a cifar-10-batches-bin folder, an image folder or a .tar.gz \
                 of one (CIFAR-10: https://www.cs.toronto.edu/~kriz/cifar.html)",
        )
    })?;
    let sets = source.load(None)?;
    info!(
        source = ?source,
        train_images = sets.train.len(),
        test_images = sets.test.len(),
        classes = sets.train.class_names.len(),
        "data loaded"
    );
    Ok(sets)
}

/// Loads the training set at `path` and splits it into `train_size` training and
/// `valid_size` validation images.
pub fn load_data(path: &Path, train_size: usize, valid_size: usize) -> Result<RweData, CliError> {
    let sets = load_sets(path)?;
    info!(train_size, valid_size, "split sizes");
    let split = Split::new(&sets.train, Some(train_size), Some(valid_size))?;
    Ok(RweData::new(sets.train, split)?)
}

/// Runs the remaining generations of a search, writing every result to `folder`.
pub fn run_generations(
    settings: &SearchSettings,
    space: &dyn SearchSpace,
    (estimator, estimator_space): (&dyn Estimator, Option<&dyn SearchSpace>),
    folder: &OutputFolder,
    resume: Option<(rwenas::nsga2::Nsga2State, Vec<EvaluationRecord>)>,
) -> Result<(), CliError> {
    let label = estimators::objective_label(&settings.estimator);
    let bar = ProgressBar::new(settings.population as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} evaluations, {msg}, ETA {eta}",
        )
        .map_err(|error| CliError::new(error.to_string()))?
        .progress_chars("=> "),
    );
    let progress_bar = bar.clone();
    let mut problem =
        NasProblem::new(space, estimator, settings.seed).with_progress(Box::new(move |_| {
            progress_bar.inc(1);
            let done = progress_bar.position().max(1) as f64;
            let per_evaluation = progress_bar.elapsed().as_secs_f64() / done;
            progress_bar.set_message(format!("{per_evaluation:.1} s per evaluation"));
        }));
    if let Some(estimator_space) = estimator_space {
        problem = problem.with_estimator_space(estimator_space);
    }
    let config = SearchConfig {
        population: settings.population,
        generations: settings.generations,
        seed: settings.seed,
    };
    let mut search = match resume {
        Some((state, records)) => Search::resume(problem, &config, state, records)?,
        None => Search::new(problem, &config)?,
    };

    let mut history = History::load(folder, search.completed())?;
    crate::interrupt::set_resume_hint(format!(
        "continue the search with: rwenas search --resume {}",
        folder.path().display()
    ));
    let start = Instant::now();
    while !search.is_finished() {
        let generation = search.completed();
        bar.reset();
        bar.set_message("first evaluation running");
        bar.set_prefix(format!(
            "generation {}/{}",
            generation + 1,
            search.generations()
        ));
        crate::logging::set_bar(&bar);
        let step = search.step();
        crate::logging::clear_bar();
        bar.finish_and_clear();
        let summary = step?;
        log_failures(&summary.evaluated);

        // Evaluations go to disk before the checkpoint that covers them, so a resumed
        // search finds every record of the generations it skips.
        folder.append_jsonl("evaluations.jsonl", &summary.evaluated)?;
        folder.write_front(summary.generation, &summary.front)?;
        save_checkpoint(folder.path().join("checkpoint.json"), search.state())?;
        debug!(
            generation = summary.generation,
            path = %folder.path().join("checkpoint.json").display(),
            "checkpoint written"
        );
        history.add(&summary);
        let mut line = output::summary_line(&summary, search.generations(), &label);
        // A proxy's negated score has no fixed range, so no fixed reference point.
        if matches!(settings.estimator.as_str(), "rwe" | "train") {
            line.push_str(&format!(
                ", hypervolume {:.4}",
                history.hypervolume(&summary.front)
            ));
        }
        eprintln!("{line}");
    }

    let front = search.front();
    folder.write_json("front.json", &front)?;
    folder.write_front_csv("front.csv", &front)?;
    folder.write_text(
        "fronts.svg",
        &plot::fronts_svg(&history.evaluations, &history.fronts, &label),
    )?;
    for (index, record) in front.iter().enumerate() {
        let genome = rwenas::genome::Genome::new(record.genome.clone());
        if let Ok(dot) = space.to_dot(&genome) {
            folder.write_text(&format!("diagrams/front-{:02}.dot", index + 1), &dot)?;
        }
    }
    info!(
        seconds = start.elapsed().as_secs_f64(),
        front = front.len(),
        out = %folder.path().display(),
        "search finished"
    );
    eprintln!(
        "search finished in {:.1} s; results in {}",
        start.elapsed().as_secs_f64(),
        folder.path().display()
    );
    crate::out!("{}", output::front_table(&front, &label))?;
    Ok(())
}

/// Logs each failed evaluation of a generation with the genome's stable hash.
fn log_failures(records: &[EvaluationRecord]) {
    for record in records {
        if let Some(failure) = &record.failure {
            let hash = rwenas::genome::Genome::new(record.genome.clone()).stable_hash();
            warn!(
                generation = ?record.generation,
                genome_hash = %format!("{hash:016x}"),
                failure = %failure,
                "evaluation failed"
            );
        }
    }
}
