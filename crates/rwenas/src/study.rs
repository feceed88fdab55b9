//! A rank-correlation study: how well each estimator orders sampled architectures by the
//! error they reach after training.

use std::collections::{BTreeMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand::rngs::StdRng;
use rwenas_genome::Genome;
use rwenas_rwe::RweData;
use rwenas_rwe::evaluator::class_interleaved_order;
use rwenas_space::SearchSpace;
use rwenas_train::{TrainConfig, TrainData, TrainError};
use serde::{Deserialize, Serialize};

use crate::Estimator;
use crate::correlation::{kendall, spearman};

/// The name under which the ground-truth scores are logged.
pub const TRUTH: &str = "truth";

/// Returns the short training of a study's ground truth: the CIFAR-10 recipe of
/// [`TrainConfig::default`] for `epochs` epochs, without cutout and drop path because
/// search-scale networks have no auxiliary head.
pub fn short_training(epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        cutout_length: None,
        drop_path_rate: 0.0,
        ..TrainConfig::default()
    }
}

/// Returns the data of a study's ground truth: the first `train_size` images of the train
/// split in class-interleaved order (all of them for 0), tested on the validation split.
///
/// # Errors
///
/// [`TrainError::Data`] when the split indexes past the dataset or a part is empty.
pub fn truth_data(data: &RweData, train_size: usize) -> Result<TrainData, TrainError> {
    let train = &data.split.train;
    let count = if train_size == 0 {
        train.len()
    } else {
        train_size.min(train.len())
    };
    let chosen: Vec<usize> = class_interleaved_order(&data.train_labels)
        .into_iter()
        .take(count)
        .map(|position| train[position])
        .collect();
    TrainData::new(
        data.dataset.subset(&chosen)?,
        data.dataset.subset(&data.split.valid)?,
    )
}

/// One score of one sampled architecture, as a line of the study's log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StudyRecord {
    /// Position of the architecture in the sample, from 0.
    pub sample: usize,
    /// The architecture's genome.
    pub genome: Vec<i64>,
    /// Name of the estimator, or [`TRUTH`] for the ground truth.
    pub estimator: String,
    /// The estimator's objective (lower is better: an error, or a negated proxy score);
    /// `None` when scoring failed.
    pub objective: Option<f64>,
    /// Seconds spent scoring.
    pub seconds: f64,
    /// The reason scoring failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

/// Correlation of one estimator with the ground truth.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EstimatorReport {
    /// Spearman's rho between the estimator's objective and the ground-truth error; 1 means
    /// the estimator orders the architectures exactly as training does.
    pub spearman: f64,
    /// Kendall's tau-b between the same two lists.
    pub kendall: f64,
    /// Mean seconds the estimator spent per architecture.
    pub seconds_per_arch: f64,
    /// Architectures that both the estimator and the ground truth scored.
    pub architectures: usize,
    /// Architectures the estimator failed to score.
    pub failures: usize,
}

/// Outcome of a study.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StudyReport {
    /// Architectures sampled.
    pub samples: usize,
    /// Per estimator, keyed by name.
    pub estimators: BTreeMap<String, EstimatorReport>,
    /// Mean seconds of the ground truth per architecture.
    pub truth_seconds_per_arch: f64,
    /// Architectures the ground truth failed to score.
    pub truth_failures: usize,
    /// Seconds of all scoring in the log, over every run that wrote it.
    pub total_seconds: f64,
}

/// Errors of a study.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// The log could not be read or written.
    #[error("failed to access the study log {path}: {source}")]
    Io {
        /// The log's path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The log was written by a study with other settings.
    #[error("{0}")]
    Mismatch(String),
    /// The settings are invalid.
    #[error("{0}")]
    InvalidConfig(String),
}

/// Progress of a running study, passed to its observer after every score.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StudyProgress {
    /// Scores done, those of earlier runs included.
    pub done: usize,
    /// Scores in the whole study.
    pub total: usize,
}

/// Samples architectures of a space and scores each with every estimator and with the
/// ground truth, appending every score to a log as it is made so that an interrupted study
/// resumes where it stopped.
pub struct Study<'a> {
    space: &'a dyn SearchSpace,
    estimators: Vec<&'a dyn Estimator>,
    truth: &'a dyn Estimator,
    samples: usize,
    seed: u64,
}

impl<'a> Study<'a> {
    /// Creates the study of `samples` architectures of `space`, drawn with `seed`. The
    /// random weights of each network are seeded by `seed` and the genome's stable hash, the
    /// same for every estimator and the ground truth.
    ///
    /// # Errors
    ///
    /// [`StudyError::InvalidConfig`] for fewer than 2 samples, no estimator, or two
    /// estimators of the same name.
    pub fn new(
        space: &'a dyn SearchSpace,
        estimators: Vec<&'a dyn Estimator>,
        truth: &'a dyn Estimator,
        samples: usize,
        seed: u64,
    ) -> Result<Self, StudyError> {
        if samples < 2 {
            return Err(StudyError::InvalidConfig(format!(
                "samples is {samples}; a rank correlation needs at least 2"
            )));
        }
        if estimators.is_empty() {
            return Err(StudyError::InvalidConfig(
                "no estimator given; name at least one".to_string(),
            ));
        }
        let mut names = HashSet::new();
        for estimator in &estimators {
            if !names.insert(estimator.name()) || estimator.name() == TRUTH {
                return Err(StudyError::InvalidConfig(format!(
                    "estimator {:?} is given twice or clashes with the ground truth",
                    estimator.name()
                )));
            }
        }
        Ok(Study {
            space,
            estimators,
            truth,
            samples,
            seed,
        })
    }

    /// Returns the sampled genomes: `samples` distinct genomes drawn from the space with
    /// the study's seed.
    pub fn genomes(&self) -> Vec<Genome> {
        let mut rng = StdRng::seed_from_u64(self.seed);
        let mut seen = HashSet::new();
        let mut genomes = Vec::with_capacity(self.samples);
        // A space with fewer distinct genomes than samples stops after a bounded number of
        // draws.
        let mut draws = 0;
        while genomes.len() < self.samples && draws < self.samples * 1000 {
            draws += 1;
            let genome = self.space.sample(&mut rng);
            if seen.insert(genome.clone()) {
                genomes.push(genome);
            }
        }
        genomes
    }

    /// Scores every architecture not yet in the log at `log`, appending each score, and
    /// returns the report over the whole log. `observer` is called after every new score.
    ///
    /// # Errors
    ///
    /// [`StudyError::Io`] when the log cannot be read or written, and
    /// [`StudyError::Mismatch`] when the log contains another genome for a sample (it was
    /// written with another space, seed or sample count).
    pub fn run(
        &self,
        log: &Path,
        mut observer: impl FnMut(&StudyRecord, StudyProgress),
    ) -> Result<StudyReport, StudyError> {
        let genomes = self.genomes();
        let mut records = read_log(log)?;
        for record in &records {
            let expected = genomes.get(record.sample).map(Genome::genes);
            if expected != Some(record.genome.as_slice()) {
                return Err(StudyError::Mismatch(format!(
                    "{} contains genome {:?} for sample {}, which this study does not draw; \
                     it was written with another space, seed or sample count: use another \
                     output folder or the original settings",
                    log.display(),
                    record.genome,
                    record.sample
                )));
            }
        }
        let done: HashSet<(usize, String)> = records
            .iter()
            .map(|record| (record.sample, record.estimator.clone()))
            .collect();
        let mut scorers: Vec<(&str, &dyn Estimator)> = self
            .estimators
            .iter()
            .map(|estimator| (estimator.name(), *estimator))
            .collect();
        scorers.push((TRUTH, self.truth));
        let total = genomes.len() * scorers.len();
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|source| io_error(log, source))?;
        let mut finished = done.len();
        for (sample, genome) in genomes.iter().enumerate() {
            let pending: Vec<_> = scorers
                .iter()
                .filter(|(name, _)| !done.contains(&(sample, name.to_string())))
                .collect();
            if pending.is_empty() {
                continue;
            }
            let network = self.space.decode(genome);
            let seed = crate::network_seed(self.seed, genome);
            for (name, estimator) in pending {
                let start = std::time::Instant::now();
                let score = match &network {
                    Ok(network) => estimator.score(network, seed),
                    Err(error) => Err(error.to_string()),
                };
                let seconds = start.elapsed().as_secs_f64();
                let record = match score {
                    Ok(score) if score.error.is_finite() => StudyRecord {
                        sample,
                        genome: genome.genes().to_vec(),
                        estimator: name.to_string(),
                        objective: Some(score.error),
                        seconds,
                        failure: None,
                    },
                    Ok(score) => failed(
                        sample,
                        genome,
                        name,
                        seconds,
                        format!("score is {}", score.error),
                    ),
                    Err(message) => failed(sample, genome, name, seconds, message),
                };
                append(&mut file, log, &record)?;
                finished += 1;
                observer(
                    &record,
                    StudyProgress {
                        done: finished,
                        total,
                    },
                );
                records.push(record);
            }
        }
        Ok(report(&records, genomes.len(), &self.estimators))
    }
}

fn failed(
    sample: usize,
    genome: &Genome,
    name: &str,
    seconds: f64,
    message: String,
) -> StudyRecord {
    StudyRecord {
        sample,
        genome: genome.genes().to_vec(),
        estimator: name.to_string(),
        objective: None,
        seconds,
        failure: Some(message),
    }
}

fn io_error(path: &Path, source: std::io::Error) -> StudyError {
    StudyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads the log's records. A last line cut short, as a study killed while writing it
/// leaves it, is dropped and the log rewritten without it. Any other unreadable line is an
/// error.
fn read_log(path: &Path) -> Result<Vec<StudyRecord>, StudyError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(io_error(path, error)),
    };
    let lines: Vec<String> = BufReader::new(file)
        .lines()
        .collect::<Result<_, _>>()
        .map_err(|source| io_error(path, source))?;
    let mut records = Vec::with_capacity(lines.len());
    for (number, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<StudyRecord>(line) {
            Ok(record) => records.push(record),
            Err(_) if number + 1 == lines.len() => {
                let mut text = String::new();
                for record in &records {
                    text.push_str(&serde_json::to_string(record).expect("records serialise"));
                    text.push('\n');
                }
                let temporary = path.with_extension("jsonl.tmp");
                std::fs::write(&temporary, text).map_err(|source| io_error(path, source))?;
                std::fs::rename(&temporary, path).map_err(|source| io_error(path, source))?;
            }
            Err(error) => {
                return Err(StudyError::Mismatch(format!(
                    "line {} of {} is not a study record ({error}); move the file away to \
                     start over",
                    number + 1,
                    path.display()
                )));
            }
        }
    }
    Ok(records)
}

fn append(file: &mut File, path: &Path, record: &StudyRecord) -> Result<(), StudyError> {
    let mut line = serde_json::to_string(record).expect("records serialise");
    line.push('\n');
    file.write_all(line.as_bytes())
        .and_then(|()| file.sync_data())
        .map_err(|source| io_error(path, source))
}

/// Computes the report of `records` for the study's estimators.
fn report(records: &[StudyRecord], samples: usize, estimators: &[&dyn Estimator]) -> StudyReport {
    let of = |name: &str| -> Vec<&StudyRecord> {
        records
            .iter()
            .filter(|record| record.estimator == name)
            .collect()
    };
    let mean_seconds = |scores: &[&StudyRecord]| {
        if scores.is_empty() {
            0.0
        } else {
            scores.iter().map(|record| record.seconds).sum::<f64>() / scores.len() as f64
        }
    };
    let truth = of(TRUTH);
    let truth_by_sample: BTreeMap<usize, f64> = truth
        .iter()
        .filter_map(|record| record.objective.map(|value| (record.sample, value)))
        .collect();
    let estimators = estimators
        .iter()
        .map(|estimator| {
            let scores = of(estimator.name());
            let (x, y): (Vec<f64>, Vec<f64>) = scores
                .iter()
                .filter_map(|record| {
                    let objective = record.objective?;
                    truth_by_sample
                        .get(&record.sample)
                        .map(|&truth| (objective, truth))
                })
                .unzip();
            let (rho, tau) = if x.len() >= 2 {
                (spearman(&x, &y), kendall(&x, &y))
            } else {
                (f64::NAN, f64::NAN)
            };
            let report = EstimatorReport {
                spearman: rho,
                kendall: tau,
                seconds_per_arch: mean_seconds(&scores),
                architectures: x.len(),
                failures: scores
                    .iter()
                    .filter(|record| record.objective.is_none())
                    .count(),
            };
            (estimator.name().to_string(), report)
        })
        .collect();
    StudyReport {
        samples,
        estimators,
        truth_seconds_per_arch: mean_seconds(&truth),
        truth_failures: truth
            .iter()
            .filter(|record| record.objective.is_none())
            .count(),
        total_seconds: records.iter().map(|record| record.seconds).sum(),
    }
}
