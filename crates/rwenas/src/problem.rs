//! The architecture search as an NSGA-II problem.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;

use rwenas_flops::{Convention, Counts};
use rwenas_genome::Genome;
use rwenas_nsga2::{Evaluation, EvaluationError, GenerationRng, Problem, VariableKind};
use rwenas_space::SearchSpace;
use rwenas_space::network::Network;

use crate::{Estimator, EvaluationRecord, Score};

/// Returns the seed of the random weights (and, for RWE, of the classifier ensemble) with
/// which a search or study of seed `search_seed` scores `genome`. Passing it to
/// [`Estimator::score`] reproduces the score that the search recorded.
pub fn network_seed(search_seed: u64, genome: &Genome) -> u64 {
    search_seed ^ genome.stable_hash()
}

/// Joins a search space, an accuracy estimator and the FLOPs counter into a two-objective
/// problem: minimise the estimated error and the multiply-accumulates.
///
/// Every evaluation is also kept as an [`EvaluationRecord`]; [`NasProblem::take_records`]
/// hands the new ones to the caller after each generation.
pub struct NasProblem<'a> {
    space: &'a dyn SearchSpace,
    estimator_space: Option<&'a dyn SearchSpace>,
    estimator: &'a dyn Estimator,
    seed: u64,
    records: Mutex<Vec<EvaluationRecord>>,
    progress: Option<ProgressCallback<'a>>,
}

/// Called after every evaluation with its record, for example to advance a progress bar.
pub type ProgressCallback<'a> = Box<dyn Fn(&EvaluationRecord) + Send + Sync + 'a>;

impl<'a> NasProblem<'a> {
    /// Creates the problem. `seed` and each genome's stable hash together fix the random
    /// weights of that genome's network, so a genome scores the same in every run with the
    /// same seed, whatever order it is evaluated in.
    pub fn new(space: &'a dyn SearchSpace, estimator: &'a dyn Estimator, seed: u64) -> Self {
        NasProblem {
            space,
            estimator_space: None,
            estimator,
            seed,
            records: Mutex::new(Vec::new()),
            progress: None,
        }
    }

    /// Returns the problem with a callback that runs after every evaluation.
    pub fn with_progress(mut self, progress: ProgressCallback<'a>) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Returns the problem with the estimator scoring each genome as decoded by
    /// `estimator_space`, the same space at another scale such as the 16 initial channels
    /// and 8 cells of a short training. The FLOPs objective still counts the network of the
    /// search space.
    pub fn with_estimator_space(mut self, estimator_space: &'a dyn SearchSpace) -> Self {
        self.estimator_space = Some(estimator_space);
        self
    }

    /// Returns the search space.
    pub fn space(&self) -> &dyn SearchSpace {
        self.space
    }

    fn record(&self, record: EvaluationRecord) {
        if let Some(progress) = &self.progress {
            progress(&record);
        }
        self.lock().push(record);
    }

    /// Removes and returns the records of the evaluations made since the last call.
    pub fn take_records(&self) -> Vec<EvaluationRecord> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<EvaluationRecord>> {
        // A poisoned lock only means another thread panicked while pushing a record: the
        // vector itself is still valid.
        self.records
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Converts decision variables into the genome they encode.
    pub fn genome(x: &[f64]) -> Genome {
        Genome::new(x.iter().map(|&value| value.round() as i64).collect())
    }

    fn failed(&self, genome: &Genome, message: String) -> EvaluationError {
        self.record(EvaluationRecord {
            failure: Some(message.clone()),
            ..EvaluationRecord::new(genome.genes().to_vec(), self.estimator.name(), None)
        });
        EvaluationError::new(message)
    }
}

impl NasProblem<'_> {
    /// Scores `batch`, turning a panic of the estimator into failed evaluations so that it
    /// ranks the networks worst instead of ending the search. After a panic the networks
    /// are scored one at a time, so that only the one that panics fails.
    fn score_batch(&self, batch: &[(Network, u64)]) -> Vec<Result<Score, String>> {
        let scored = catch_unwind(AssertUnwindSafe(|| self.estimator.score_batch(batch)));
        if let Ok(scores) = scored {
            return scores;
        }
        batch
            .iter()
            .map(|(network, seed)| {
                catch_unwind(AssertUnwindSafe(|| self.estimator.score(network, *seed)))
                    .unwrap_or_else(|panic| {
                        Err(format!(
                            "the estimator panicked: {}",
                            panic_message(&*panic)
                        ))
                    })
            })
            .collect()
    }

    fn finish(
        &self,
        genome: &Genome,
        counts: &Counts,
        score: Result<Score, String>,
    ) -> Result<Evaluation, EvaluationError> {
        match score {
            Ok(score) if score.error.is_finite() => {
                let architecture = self.space.describe(genome).unwrap_or_default();
                self.record(EvaluationRecord {
                    flops: counts.macs,
                    params: counts.params,
                    architecture,
                    feature_seconds: score.feature_seconds,
                    classifier_seconds: score.classifier_seconds,
                    ..EvaluationRecord::new(
                        genome.genes().to_vec(),
                        self.estimator.name(),
                        Some(score.error),
                    )
                });
                Ok(Evaluation::new(vec![score.error, counts.macs as f64]))
            }
            Ok(score) => Err(self.failed(
                genome,
                format!(
                    "{} returned the objective {}, which is not finite",
                    self.estimator.name(),
                    score.error
                ),
            )),
            Err(message) => Err(self.failed(genome, message)),
        }
    }
}

/// Returns the message of a panic payload, which is a `&str` or a `String` for the
/// `panic!` and `assert!` macros.
fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message")
}

impl Problem for NasProblem<'_> {
    fn n_var(&self) -> usize {
        self.space.bounds().len()
    }

    fn n_obj(&self) -> usize {
        2
    }

    fn bounds(&self) -> Vec<(f64, f64)> {
        let bounds = self.space.bounds();
        bounds
            .lower()
            .iter()
            .zip(bounds.upper())
            .map(|(&lower, &upper)| (lower as f64, upper as f64))
            .collect()
    }

    fn variable_kind(&self) -> VariableKind {
        VariableKind::Integer
    }

    /// Applies [`SearchSpace::repair`] of the search space, so that NSGA-II breeds and
    /// evaluates genomes that follow the space's rules.
    fn repair(&self, x: &mut [f64], rng: &mut GenerationRng) {
        let repaired = self.space.repair(Self::genome(x), rng);
        for (value, &gene) in x.iter_mut().zip(repaired.genes()) {
            *value = gene as f64;
        }
    }

    fn evaluate(&self, x: &[f64]) -> Result<Evaluation, EvaluationError> {
        self.evaluate_batch(&[x.to_vec()])
            .pop()
            .unwrap_or_else(|| Err(EvaluationError::new("the estimator returned no score")))
    }

    fn evaluate_batch(&self, xs: &[Vec<f64>]) -> Vec<Result<Evaluation, EvaluationError>> {
        // Decode and count first: a genome that does not decode fails without reaching the
        // estimator.
        let mut prepared = Vec::with_capacity(xs.len());
        let mut results: Vec<Option<Result<Evaluation, EvaluationError>>> =
            (0..xs.len()).map(|_| None).collect();
        for (index, x) in xs.iter().enumerate() {
            let genome = Self::genome(x);
            let decoded = self
                .space
                .decode(&genome)
                .map_err(|error| error.to_string());
            let counted = decoded.and_then(|network| {
                let counts = rwenas_flops::count(&network, Convention::ConvLinear)
                    .map_err(|error| error.to_string())?;
                let scored = match self.estimator_space {
                    Some(space) => space.decode(&genome).map_err(|error| error.to_string())?,
                    None => network,
                };
                Ok((scored, counts))
            });
            match counted {
                Ok((network, counts)) => prepared.push((index, genome, network, counts)),
                Err(message) => results[index] = Some(Err(self.failed(&genome, message))),
            }
        }

        // Score in chunks as wide as the estimator's parallelism, so that progress is
        // reported as evaluations finish rather than once per generation.
        let width = self.estimator.parallelism().max(1);
        for chunk in prepared.chunks(width) {
            let batch: Vec<_> = chunk
                .iter()
                .map(|(_, genome, network, _)| (network.clone(), network_seed(self.seed, genome)))
                .collect();
            let scores = self.score_batch(&batch);
            for ((index, genome, _, counts), score) in chunk.iter().zip(scores) {
                results[*index] = Some(self.finish(genome, counts, score));
            }
        }
        results
            .into_iter()
            .map(|result| {
                result.unwrap_or_else(|| Err(EvaluationError::new("genome was not evaluated")))
            })
            .collect()
    }
}
