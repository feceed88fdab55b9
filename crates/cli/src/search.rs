//! The `search` command.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use rwenas::nsga2::save_checkpoint;
use rwenas::rwe::{DataSource, RweConfig, RweData, Split};
use rwenas::space::SearchSpace;
use rwenas::space::macro_space::{MacroScale, MacroSpace};
use rwenas::space::micro::{MicroScale, MicroSpace};
use rwenas::{EvaluationRecord, NasProblem, RweEstimator, Search, SearchConfig};
use serde::{Deserialize, Serialize};

use crate::CliError;
use crate::output::{self, OutputFolder};

/// Arguments of `rwenas search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Search space.
    #[arg(long, value_enum, default_value_t = SpaceKind::Micro)]
    space: SpaceKind,
    /// Settings preset; the flags below override single settings.
    #[arg(long, value_enum, default_value_t = Preset::Paper)]
    preset: Preset,
    /// CIFAR-10 as a `cifar-10-batches-bin` folder, an image folder or a `.tar.gz` of one.
    #[arg(long, default_value = "data/cifar10")]
    data: PathBuf,
    /// Output folder; it must not hold another search.
    #[arg(long, default_value = "rwenas-search")]
    out: PathBuf,
    /// Seed of the search and of the networks' random weights.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Population size (also the offspring per generation).
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
    /// Devices, comma-separated: `cpu`, `wgpu`, `cuda:0,cuda:1`; one network per device at
    /// a time.
    #[arg(long, default_value = "cpu")]
    device: String,
}

/// The built-in search spaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpaceKind {
    /// NSGA-Net's cell-based space at 10 initial channels and 5 layers.
    Micro,
    /// NSGA-Net's phase-based space at 32, 64 and 128 channels.
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
    /// Data path.
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
}

impl Preset {
    /// Returns (population, generations, train size, validation size, epochs).
    fn values(self) -> (usize, usize, usize, usize, usize) {
        match self {
            Preset::Quick => (8, 4, 2_000, 500, 30),
            Preset::Paper => (20, 30, 40_000, 10_000, 30),
        }
    }
}

impl SearchArgs {
    fn settings(&self) -> SearchSettings {
        let (population, generations, train_size, valid_size, epochs) = self.preset.values();
        SearchSettings {
            space: self.space,
            preset: self.preset,
            data: self.data.clone(),
            seed: self.seed,
            population: self.population.unwrap_or(population),
            generations: self.generations.unwrap_or(generations),
            train_size: self.train_size.unwrap_or(train_size),
            valid_size: self.valid_size.unwrap_or(valid_size),
            epochs: self.epochs.unwrap_or(epochs),
            device: self.device.clone(),
        }
    }
}

/// Runs `rwenas search`.
pub fn run(args: SearchArgs) -> Result<(), CliError> {
    let settings = args.settings();
    validate(&settings)?;
    let folder = OutputFolder::create(&args.out)?;
    let devices = parse_devices(&settings.device)?;
    let data = load_data(&settings)?;
    folder.write_json("config.json", &settings)?;

    let space = space_of(settings.space)?;
    let mut rwe = RweConfig::default();
    rwe.ensemble.epochs = settings.epochs;
    let estimator = RweEstimator::new(data, rwe, devices);
    run_generations(&settings, space.as_ref(), &estimator, &folder, None)
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
    Ok(())
}

fn parse_devices(list: &str) -> Result<Vec<burn::tensor::Device>, CliError> {
    list.split(',')
        .map(|name| crate::device::parse(name.trim()))
        .collect()
}

fn space_of(kind: SpaceKind) -> Result<Box<dyn SearchSpace>, CliError> {
    Ok(match kind {
        SpaceKind::Micro => Box::new(MicroSpace::nsga_net(MicroScale::search())?),
        SpaceKind::Macro => Box::new(MacroSpace::nsga_net(MacroScale::search())?),
    })
}

/// Loads the training set at the settings' data path and splits it.
pub fn load_data(settings: &SearchSettings) -> Result<RweData, CliError> {
    let source = DataSource::detect(&settings.data).map_err(|error| {
        CliError::new(format!(
            "no data set found at {}: {error}",
            settings.data.display()
        ))
        .with_hint(
            "pass --data with a cifar-10-batches-bin folder, an image folder or a .tar.gz \
                 of one (CIFAR-10: https://www.cs.toronto.edu/~kriz/cifar.html)",
        )
    })?;
    let sets = source.load(None)?;
    let split = Split::new(
        &sets.train,
        Some(settings.train_size),
        Some(settings.valid_size),
    )?;
    Ok(RweData::new(sets.train, split)?)
}

/// Runs the remaining generations of a search, writing every result to `folder`.
pub fn run_generations(
    settings: &SearchSettings,
    space: &dyn SearchSpace,
    estimator: &RweEstimator,
    folder: &OutputFolder,
    resume: Option<(rwenas::nsga2::Nsga2State, Vec<EvaluationRecord>)>,
) -> Result<(), CliError> {
    let bar = ProgressBar::new(settings.population as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} evaluations, {per_sec}, ETA {eta}",
        )
        .map_err(|error| CliError::new(error.to_string()))?
        .progress_chars("=> "),
    );
    let progress_bar = bar.clone();
    let problem = NasProblem::new(space, estimator, settings.seed)
        .with_progress(Box::new(move |_| progress_bar.inc(1)));
    let config = SearchConfig {
        population: settings.population,
        generations: settings.generations,
        seed: settings.seed,
    };
    let mut search = match resume {
        Some((state, records)) => Search::resume(problem, &config, state, records)?,
        None => Search::new(problem, &config)?,
    };

    let start = Instant::now();
    while !search.is_finished() {
        let generation = search.completed();
        bar.reset();
        bar.set_prefix(format!(
            "generation {}/{}",
            generation + 1,
            search.generations()
        ));
        let summary = search.step()?;
        bar.finish_and_clear();

        folder.append_jsonl("evaluations.jsonl", &summary.evaluated)?;
        save_checkpoint(folder.path().join("checkpoint.json"), search.state())?;
        eprintln!("{}", output::summary_line(&summary, search.generations()));
    }

    let front = search.front();
    folder.write_json("front.json", &front)?;
    folder.write_front_csv("front.csv", &front)?;
    eprintln!(
        "search finished in {:.1} s; results in {}",
        start.elapsed().as_secs_f64(),
        folder.path().display()
    );
    print!("{}", output::front_table(&front));
    Ok(())
}
