//! The `correlate` command: how well each estimator ranks sampled architectures by the
//! error they reach after a short training.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rwenas::TrainingEstimator;
use rwenas::rwe::RweConfig;
use rwenas::study::{Study, StudyProgress, StudyRecord, StudyReport, TRUTH};
use serde::{Deserialize, Serialize};

use crate::CliError;
use crate::estimators::{self, EstimatorSettings};
use crate::search::{SpaceKind, download_missing, load_data, space_of};

/// Arguments of `rwenas correlate`.
#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct CorrelateArgs {
    /// Search space whose architectures are sampled, at its search scale.
    #[arg(long, value_enum, default_value = "micro")]
    space: SpaceKind,
    /// Number of architectures sampled.
    #[arg(long, default_value_t = 30)]
    samples: usize,
    /// Estimators, comma-separated: rwe, synflow, snip, grasp, fisher, grad_norm,
    /// jacob_cov, naswot, train.
    #[arg(
        long,
        default_value = "rwe,synflow,snip,grasp,fisher,grad_norm,jacob_cov,naswot"
    )]
    estimators: String,
    /// Epochs of the training that gives each architecture's ground-truth error.
    #[arg(long, default_value_t = 2)]
    truth_epochs: usize,
    /// Training images of the ground truth, the first of the train split (0: all of it).
    #[arg(long, default_value_t = 0)]
    truth_train_size: usize,
    /// CIFAR-10 as a `cifar-10-batches-bin` folder, an image folder or a `.tar.gz` of one;
    /// a missing folder receives a download of CIFAR-10.
    #[arg(long, default_value = "data/cifar10")]
    data: PathBuf,
    /// Fail when the data folder is missing instead of downloading CIFAR-10 into it.
    #[arg(long)]
    no_download: bool,
    /// Output folder; running the same command again continues a stopped study.
    #[arg(long, default_value = "rwenas-correlate")]
    out: PathBuf,
    /// Seed of the sample and of the networks' random weights.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Train split: RWE's classifiers, the proxies' minibatch and the ground truth train on
    /// it.
    #[arg(long, default_value_t = 5000)]
    train_size: usize,
    /// Validation split: RWE's error and the ground-truth error are measured on it.
    #[arg(long, default_value_t = 1000)]
    valid_size: usize,
    /// Images in the minibatch of the zero-cost proxies.
    #[arg(long, default_value_t = estimators::PROXY_BATCH)]
    proxy_batch: usize,
    /// Epochs of the `train` estimator.
    #[arg(long, default_value_t = estimators::TRAIN_EPOCHS)]
    train_epochs: usize,
    /// Device: `cpu`, `wgpu` or `cuda:N`.
    #[arg(long, default_value = "cpu")]
    device: String,
}

/// Settings of a study, written to `config.json`; a second run with other settings is
/// rejected so that one log never mixes two studies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct CorrelateSettings {
    space: SpaceKind,
    samples: usize,
    estimators: Vec<String>,
    truth_epochs: usize,
    truth_train_size: usize,
    data: PathBuf,
    seed: u64,
    train_size: usize,
    valid_size: usize,
    proxy_batch: usize,
    train_epochs: usize,
}

/// The contents of `correlation.json`.
#[derive(Debug, Serialize)]
struct CorrelationFile<'a> {
    settings: &'a CorrelateSettings,
    #[serde(flatten)]
    report: &'a StudyReport,
}

/// Runs `rwenas correlate`.
pub fn run(args: CorrelateArgs) -> Result<(), CliError> {
    let settings = settings(&args)?;
    // A folder of another study is rejected before the data loads. A new folder is created
    // only after every input has been checked, so a rejected command leaves nothing behind.
    let existing = args.out.join("config.json").exists();
    if existing {
        check_config(&args.out, &settings)?;
    }

    let device = crate::device::parse(&args.device)?;
    if !args.no_download {
        download_missing(&settings.data)?;
    } else if !settings.data.exists() {
        return Err(CliError::new(format!(
            "data path {} does not exist",
            settings.data.display()
        ))
        .with_hint(
            "pass --data with a cifar-10-batches-bin folder, an image folder or a .tar.gz of \
             one, or drop --no-download to download CIFAR-10 into that path",
        ));
    }
    let data = load_data(&settings.data, settings.train_size, settings.valid_size)?;
    let space = space_of(settings.space, &data)?;
    let truth_data = rwenas::study::truth_data(&data, settings.truth_train_size)?;
    let truth = TrainingEstimator::new(
        truth_data.clone(),
        rwenas::study::short_training(settings.truth_epochs),
        device.clone(),
    );
    let options = EstimatorSettings {
        proxy_batch: settings.proxy_batch,
        train_epochs: settings.train_epochs,
    };
    let devices = [device];
    let estimators = settings
        .estimators
        .iter()
        .map(|name| {
            estimators::build(
                name,
                &data,
                &RweConfig::default(),
                &truth_data,
                &options,
                &devices,
            )
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    let study = Study::new(
        space.as_ref(),
        estimators
            .iter()
            .map(|estimator| estimator.as_ref())
            .collect(),
        &truth,
        settings.samples,
        settings.seed,
    )?;
    if !existing {
        std::fs::create_dir_all(&args.out).map_err(|error| {
            CliError::new(format!(
                "cannot create output folder {}: {error}",
                args.out.display()
            ))
        })?;
        check_config(&args.out, &settings)?;
    }

    let start = Instant::now();
    let bar = ProgressBar::new((settings.samples * (estimators.len() + 1)) as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} scores, {msg}, ETA {eta}")
            .map_err(|error| CliError::new(error.to_string()))?
            .progress_chars("=> "),
    );
    let observe = |record: &StudyRecord, progress: StudyProgress| {
        bar.set_position(progress.done as u64);
        bar.set_message(format!(
            "architecture {} {} {:.1} s",
            record.sample + 1,
            record.estimator,
            record.seconds
        ));
        tracing::info!(
            sample = record.sample,
            estimator = %record.estimator,
            objective = ?record.objective,
            seconds = record.seconds,
            done = progress.done,
            total = progress.total,
            "scored"
        );
        if let Some(failure) = &record.failure {
            tracing::warn!(
                sample = record.sample,
                estimator = %record.estimator,
                failure = %failure,
                "scoring failed; the architecture is left out of this estimator's correlation"
            );
        }
    };
    crate::interrupt::set_resume_hint(
        "run the same command again to continue the study; finished scores are kept",
    );
    let report = study.run(&args.out.join("scores.jsonl"), observe)?;
    bar.finish_and_clear();

    write(
        &args.out,
        "correlation.json",
        &serde_json::to_string_pretty(&CorrelationFile {
            settings: &settings,
            report: &report,
        })
        .map_err(|error| CliError::new(error.to_string()))?,
    )?;
    let records = read_records(&args.out.join("scores.jsonl"))?;
    write(
        &args.out,
        "correlation.svg",
        &correlation_svg(&records, &report),
    )?;
    crate::outln!("{}", table(&report))?;
    crate::outln!(
        "{} architectures, ground truth {:.1} s per architecture; {:.0} s of scoring in all \
         ({:.0} s in this run); results in {}",
        report.samples,
        report.truth_seconds_per_arch,
        report.total_seconds,
        start.elapsed().as_secs_f64(),
        args.out.display()
    )?;
    Ok(())
}

fn settings(args: &CorrelateArgs) -> Result<CorrelateSettings, CliError> {
    let estimators: Vec<String> = args
        .estimators
        .split(',')
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .collect();
    if let Some(unknown) = estimators
        .iter()
        .find(|name| !estimators::NAMES.contains(&name.as_str()))
    {
        return Err(
            CliError::new(format!("unknown estimator {unknown:?} in --estimators"))
                .with_hint(format!("choose from {}", estimators::NAMES.join(", "))),
        );
    }
    if estimators.is_empty() {
        return Err(CliError::new("--estimators is empty").with_hint(format!(
            "name one or more of {}",
            estimators::NAMES.join(", ")
        )));
    }
    let minimums = [
        (
            "--samples",
            args.samples,
            2,
            "a rank correlation needs at least 2 architectures",
        ),
        (
            "--train-size",
            args.train_size,
            1,
            "pass a multiple of the number of classes",
        ),
        (
            "--valid-size",
            args.valid_size,
            1,
            "pass a multiple of the number of classes",
        ),
        (
            "--truth-epochs",
            args.truth_epochs,
            1,
            "the ground truth needs at least 1 epoch of training",
        ),
        (
            "--proxy-batch",
            args.proxy_batch,
            1,
            "the zero-cost proxies score a minibatch of at least 1 image",
        ),
        (
            "--train-epochs",
            args.train_epochs,
            1,
            "the `train` estimator needs at least 1 epoch of training",
        ),
    ];
    for (flag, value, minimum, hint) in minimums {
        if value < minimum {
            return Err(
                CliError::new(format!("{flag} is {value} but must be at least {minimum}"))
                    .with_hint(hint),
            );
        }
    }
    if args.truth_train_size > args.train_size {
        return Err(CliError::new(format!(
            "--truth-train-size {} is larger than --train-size {}",
            args.truth_train_size, args.train_size
        ))
        .with_hint(
            "the ground truth trains on part of the train split; lower it or use 0 for all",
        ));
    }
    Ok(CorrelateSettings {
        space: args.space,
        samples: args.samples,
        estimators,
        truth_epochs: args.truth_epochs,
        truth_train_size: args.truth_train_size,
        data: args.data.clone(),
        seed: args.seed,
        train_size: args.train_size,
        valid_size: args.valid_size,
        proxy_batch: args.proxy_batch,
        train_epochs: args.train_epochs,
    })
}

/// Writes `config.json` for a new study, or checks that a stopped study in `out` was
/// started with the same settings.
fn check_config(out: &Path, settings: &CorrelateSettings) -> Result<(), CliError> {
    let path = out.join("config.json");
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .map_err(|error| CliError::new(format!("cannot read {}: {error}", path.display())))?;
        let existing: CorrelateSettings = serde_json::from_str(&text).map_err(|error| {
            CliError::new(format!(
                "{} is not a study configuration: {error}",
                path.display()
            ))
        })?;
        if existing != *settings {
            let differing = first_difference(&existing, settings);
            return Err(CliError::new(format!(
                "{} contains a study with other settings ({differing})",
                out.display()
            ))
            .with_hint(
                "run the study with the settings in its config.json to continue it, or choose \
                 another --out",
            ));
        }
        return Ok(());
    }
    write(
        out,
        "config.json",
        &serde_json::to_string_pretty(settings)
            .map_err(|error| CliError::new(error.to_string()))?,
    )
}

/// Names the first setting that differs between a stopped study and the command, with
/// both values, such as `seed 4 in config.json, 5 given`.
fn first_difference(existing: &CorrelateSettings, given: &CorrelateSettings) -> String {
    let as_map = |settings: &CorrelateSettings| match serde_json::to_value(settings) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let (existing, given) = (as_map(existing), as_map(given));
    existing
        .iter()
        .find(|(key, value)| given.get(*key) != Some(*value))
        .map(|(key, value)| {
            let now = given
                .get(key)
                .map_or("none".to_string(), ToString::to_string);
            format!("{key} {value} in config.json, {now} given")
        })
        .unwrap_or_else(|| "the settings differ".to_string())
}

fn write(out: &Path, name: &str, text: &str) -> Result<(), CliError> {
    let path = out.join(name);
    let temporary = out.join(format!("{name}.tmp"));
    std::fs::write(&temporary, text)
        .and_then(|()| std::fs::rename(&temporary, &path))
        .map_err(|error| CliError::new(format!("cannot write {}: {error}", path.display())))
}

fn read_records(path: &Path) -> Result<Vec<StudyRecord>, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| CliError::new(format!("cannot read {}: {error}", path.display())))?;
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).map_err(|error| CliError::new(error.to_string())))
        .collect()
}

/// Formats the report as a table, estimators in the order of `--estimators`.
fn table(report: &StudyReport) -> String {
    let mut text = format!(
        "{:<10} {:>9} {:>9} {:>10} {:>6} {:>8}\n",
        "estimator", "spearman", "kendall", "s/arch", "archs", "failed"
    );
    for (name, estimator) in &report.estimators {
        let _ = writeln!(
            text,
            "{:<10} {:>9.3} {:>9.3} {:>10.2} {:>6} {:>8}",
            name,
            estimator.spearman,
            estimator.kendall,
            estimator.seconds_per_arch,
            estimator.architectures,
            estimator.failures
        );
    }
    let _ = write!(
        text,
        "{:<10} {:>9} {:>9} {:>10.2} {:>6} {:>8}",
        TRUTH, "", "", report.truth_seconds_per_arch, report.samples, report.truth_failures
    );
    text
}

/// Draws one panel per estimator: the rank of each architecture by the estimator against
/// its rank by the ground truth (1 = lowest error), so that a perfect estimator puts every
/// point on the diagonal.
fn correlation_svg(records: &[StudyRecord], report: &StudyReport) -> String {
    const PANEL: f64 = 220.0;
    const GAP: f64 = 50.0;
    const COLUMNS: usize = 4;
    let truth: BTreeMap<usize, f64> = records
        .iter()
        .filter(|record| record.estimator == TRUTH)
        .filter_map(|record| record.objective.map(|value| (record.sample, value)))
        .collect();
    let names: Vec<&String> = report.estimators.keys().collect();
    let rows = names.len().div_ceil(COLUMNS).max(1);
    let width = GAP + COLUMNS.min(names.len().max(1)) as f64 * (PANEL + GAP);
    let height = GAP + rows as f64 * (PANEL + GAP);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    for (index, name) in names.iter().enumerate() {
        let left = GAP + (index % COLUMNS) as f64 * (PANEL + GAP);
        let top = GAP + (index / COLUMNS) as f64 * (PANEL + GAP);
        let pairs: Vec<(f64, f64)> = records
            .iter()
            .filter(|record| &record.estimator == *name)
            .filter_map(|record| Some((record.objective?, *truth.get(&record.sample)?)))
            .collect();
        let (x, y): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
        let (x_ranks, y_ranks) = (
            rwenas::correlation::ranks(&x),
            rwenas::correlation::ranks(&y),
        );
        let count = pairs.len().max(1) as f64;
        let estimator = &report.estimators[*name];
        let _ = writeln!(
            svg,
            "<rect x=\"{left}\" y=\"{top}\" width=\"{PANEL}\" height=\"{PANEL}\" fill=\"none\" stroke=\"black\"/>\n\
             <path d=\"M{left},{:.1} L{:.1},{top}\" stroke=\"#cccccc\"/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{name}: rho {:.2}, tau {:.2}</text>\n\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">rank by {name}</text>\n\
             <text transform=\"translate({:.1},{:.1}) rotate(-90)\" text-anchor=\"middle\">rank by training</text>",
            top + PANEL,
            left + PANEL,
            left + PANEL / 2.0,
            top - 8.0,
            estimator.spearman,
            estimator.kendall,
            left + PANEL / 2.0,
            top + PANEL + 16.0,
            left - 8.0,
            top + PANEL / 2.0,
        );
        for (rank_x, rank_y) in x_ranks.iter().zip(&y_ranks) {
            let _ = writeln!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#1f5fa8\"/>",
                left + (rank_x - 0.5) / count * PANEL,
                top + PANEL - (rank_y - 0.5) / count * PANEL
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}
