//! The NSGA-II runner.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

use crate::EvaluationError;
use crate::config::Nsga2Config;
use crate::error::Nsga2Error;
use crate::hash::{BuildPassThroughHasher, genome_hash, same_genome};
use crate::individual::Individual;
use crate::observer::{GenerationReport, Observer};
use crate::problem::{Evaluation, Problem, VariableKind};
use crate::state::{CachedEvaluation, Nsga2State, STATE_FORMAT_VERSION};
use crate::survival::survive_and_discard;
use crate::termination::Termination;

/// Outcome of [`Nsga2::run`].
#[derive(Debug, Clone)]
pub struct Nsga2Result {
    /// Final population.
    pub population: Vec<Individual>,
    /// Feasible members of the final population's first front.
    pub front: Vec<Individual>,
    /// Generations completed, counting the initial population and the generations completed
    /// before a resume.
    pub generations: usize,
    /// Total evaluations of the run, including those before a resume.
    pub evaluations: usize,
    /// Wall time of this `run` call.
    pub elapsed: Duration,
}

/// NSGA-II (Deb et al. 2002) over a [`Problem`].
///
/// Each [`Nsga2::step`] runs one generation: the first evaluates the initial population
/// (generation 0), later ones create offspring by selection, crossover and mutation,
/// evaluate the new genomes as one batch and apply rank-and-crowding survival to parents
/// plus offspring.
pub struct Nsga2<P: Problem> {
    problem: P,
    config: Nsga2Config,
    bounds: Vec<(f64, f64)>,
    /// The bounds as separate arrays, so that [`repair`] vectorises.
    split_bounds: SplitBounds,
    kind: VariableKind,
    n_obj: usize,
    n_constr: usize,
    state: Nsga2State,
    report: GenerationReport,
    /// Individuals dropped by survival or by the previous report, whose `x` and
    /// `objectives` buffers are reused for new individuals instead of allocating. They
    /// never affect results.
    spare: Vec<Individual>,
    /// [`genome_hash`] of each member of the state's population, in order, so that
    /// duplicate elimination does not rehash the population every generation. It is
    /// rebuilt from the population whenever the lengths differ, as after `new` and `resume`.
    population_hashes: Vec<u64>,
    /// Buffers of the mating step, kept between generations.
    mating_scratch: MatingScratch,
    /// Empty vector with the capacity of an earlier report's `evaluated`, filled by the next
    /// generation instead of allocating.
    evaluated_buffer: Vec<Individual>,
}

/// Maximum number of cache entries that `run` reserves room for in advance (about 20 MiB
/// with 30 variables and 2 objectives), so that a far-off generation or evaluation limit
/// does not allocate memory the run never uses.
const MAX_CACHE_RESERVATION: usize = 1 << 16;

/// Random number generator of one generation, passed to every operator.
///
/// xoshiro256++ (Blackman and Vigna 2018) replaces the ChaCha12 `StdRng`, which took 8% of
/// the ZDT1 benchmark's time in a `perf` profile. It is not cryptographically secure, which
/// NSGA-II does not need.
///
/// NOTE: a checkpoint written while the engine used `StdRng` still resumes, but the
/// continuation differs from what that engine would have produced.
pub type GenerationRng = Xoshiro256PlusPlus;

/// Derives the random number generator of one generation from the run seed, so that any
/// generation can be replayed without the generator state of the previous ones.
pub fn generation_rng(seed: u64, generation: usize) -> GenerationRng {
    fn splitmix64(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    let mut state = seed;
    let mut mixed =
        splitmix64(&mut state) ^ (generation as u64).wrapping_mul(0xd605_bbb5_8c8a_bbfd);
    let mut seed_bytes = [0u8; 32];
    for chunk in seed_bytes.chunks_exact_mut(8) {
        chunk.copy_from_slice(&splitmix64(&mut mixed).to_le_bytes());
    }
    GenerationRng::from_seed(seed_bytes)
}

impl<P: Problem> std::fmt::Debug for Nsga2<P> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Nsga2")
            .field("config", &self.config)
            .field("generations_completed", &self.state.generations_completed)
            .field("evaluations", &self.state.evaluations)
            .finish_non_exhaustive()
    }
}

fn checked_bounds(problem: &impl Problem) -> Result<Vec<(f64, f64)>, Nsga2Error> {
    let n_var = problem.n_var();
    if n_var == 0 {
        return Err(Nsga2Error::InvalidProblem(
            "n_var is 0 but must be at least 1".into(),
        ));
    }
    if problem.n_obj() == 0 {
        return Err(Nsga2Error::InvalidProblem(
            "n_obj is 0 but must be at least 1".into(),
        ));
    }
    let bounds = problem.bounds();
    if bounds.len() != n_var {
        return Err(Nsga2Error::InvalidProblem(format!(
            "bounds() returned {} pairs but n_var is {n_var}",
            bounds.len()
        )));
    }
    let integer = problem.variable_kind() == VariableKind::Integer;
    let mut checked = Vec::with_capacity(n_var);
    for (index, &(lower, upper)) in bounds.iter().enumerate() {
        if !lower.is_finite() || !upper.is_finite() {
            return Err(Nsga2Error::InvalidBounds {
                index,
                reason: format!("lower {lower} and upper {upper} must both be finite"),
            });
        }
        if lower > upper {
            return Err(Nsga2Error::InvalidBounds {
                index,
                reason: format!("lower {lower} is above upper {upper}"),
            });
        }
        if integer {
            let (lower_int, upper_int) = (lower.ceil(), upper.floor());
            if lower_int > upper_int {
                return Err(Nsga2Error::InvalidBounds {
                    index,
                    reason: format!("[{lower}, {upper}] contains no integer"),
                });
            }
            checked.push((lower_int, upper_int));
        } else {
            checked.push((lower, upper));
        }
    }
    Ok(checked)
}

/// Lower and upper bounds of every variable.
#[derive(Debug, Clone, Default)]
struct SplitBounds {
    lower: Vec<f64>,
    upper: Vec<f64>,
}

impl SplitBounds {
    fn new(bounds: &[(f64, f64)]) -> Self {
        Self {
            lower: bounds.iter().map(|&(lower, _)| lower).collect(),
            upper: bounds.iter().map(|&(_, upper)| upper).collect(),
        }
    }
}

/// Clamps a genome into its bounds and rounds integer genes.
fn repair(x: &mut [f64], bounds: &SplitBounds, kind: VariableKind) {
    if kind == VariableKind::Integer {
        for gene in x.iter_mut() {
            *gene = gene.round();
        }
    }
    let genes = x.iter_mut().zip(&bounds.lower).zip(&bounds.upper);
    for ((gene, &lower), &upper) in genes {
        // The same result as `f64::clamp`, whose bounds check and panic path would stop
        // this loop from compiling to vectorised selects, except that NaN from a custom
        // operator fails the first comparison and becomes the lower bound.
        let value = *gene;
        let value = if value >= lower { value } else { lower };
        *gene = if value > upper { upper } else { value };
    }
}

/// Appends the individual of a cache entry to `target`, built in a spare individual's
/// buffers when one is left.
///
/// When `genome` is given, it must hold the entry's genome. It becomes the individual's
/// genome without a copy and receives the buffer that the individual replaces.
fn push_individual(
    target: &mut Vec<Individual>,
    spare: &mut Vec<Individual>,
    entry: CachedEvaluation<'_>,
    n_obj: usize,
    genome: Option<&mut Vec<f64>>,
) {
    let Some(individual) = spare.pop() else {
        target.push(individual_from_entry(entry, n_obj));
        return;
    };
    target.push(individual);
    let individual = target.last_mut().expect("an individual was just pushed");
    match genome {
        Some(genome) => std::mem::swap(&mut individual.x, genome),
        None => copy_into(&mut individual.x, entry.x),
    }
    if entry.failure.is_some() {
        individual.objectives.clear();
        individual.objectives.resize(n_obj, f64::INFINITY);
        individual.constraint_violation = f64::INFINITY;
    } else {
        copy_into(&mut individual.objectives, entry.objectives);
        individual.constraint_violation = entry.constraints.iter().map(|g| g.max(0.0)).sum();
    }
    copy_into(&mut individual.constraints, entry.constraints);
    individual.rank = usize::MAX;
    individual.crowding_distance = 0.0;
    match (entry.failure, &mut individual.failure) {
        (None, failure) => *failure = None,
        (Some(message), Some(buffer)) => message.clone_into(buffer),
        (Some(message), failure) => *failure = Some(message.to_owned()),
    }
}

fn individual_from_entry(entry: CachedEvaluation<'_>, n_obj: usize) -> Individual {
    let (objectives, constraint_violation) = if entry.failure.is_some() {
        (vec![f64::INFINITY; n_obj], f64::INFINITY)
    } else {
        let violation = entry.constraints.iter().map(|g| g.max(0.0)).sum();
        (entry.objectives.to_vec(), violation)
    };
    Individual {
        x: entry.x.to_vec(),
        objectives,
        constraints: entry.constraints.to_vec(),
        constraint_violation,
        rank: usize::MAX,
        crowding_distance: 0.0,
        failure: entry.failure.map(str::to_owned),
    }
}

/// Replaces the contents of `buffer` with `values`, keeping its allocation.
fn copy_into(buffer: &mut Vec<f64>, values: &[f64]) {
    buffer.clear();
    buffer.extend_from_slice(values);
}

/// Returns a pooled buffer (or a new one) holding a copy of `values`.
fn pooled_copy(pool: &mut Vec<Vec<f64>>, values: &[f64]) -> Vec<f64> {
    match pool.pop() {
        Some(mut buffer) => {
            copy_into(&mut buffer, values);
            buffer
        }
        None => values.to_vec(),
    }
}

impl<P: Problem> Nsga2<P> {
    /// Creates a runner after checking the configuration and the problem's sizes and bounds.
    pub fn new(problem: P, config: Nsga2Config) -> Result<Self, Nsga2Error> {
        config.validate()?;
        let bounds = checked_bounds(&problem)?;
        let state = Nsga2State::new(&config);
        Ok(Self {
            kind: problem.variable_kind(),
            n_obj: problem.n_obj(),
            n_constr: problem.n_constr(),
            problem,
            config,
            split_bounds: SplitBounds::new(&bounds),
            bounds,
            state,
            report: GenerationReport::default(),
            spare: Vec::new(),
            population_hashes: Vec::new(),
            mating_scratch: MatingScratch::default(),
            evaluated_buffer: Vec::new(),
        })
    }

    /// Continues a run from a saved state. With the same problem and configuration the
    /// result is bit-identical to the uninterrupted run.
    ///
    /// Rejects a state whose format version, seed, population size or offspring size
    /// differs from the configuration's, or whose individuals have another number of
    /// variables or objectives than the problem. The state does not record the operators,
    /// `eliminate_duplicates`, `max_mating_rounds` or `front_pruning`, so the caller must
    /// pass the values of the saved run. With other values the run continues, but differs
    /// from the uninterrupted one.
    ///
    /// A state written before the population and offspring sizes were recorded (both
    /// `None`) is checked only for a population larger than `population_size`, and takes
    /// both sizes from the configuration.
    pub fn resume(problem: P, config: Nsga2Config, state: Nsga2State) -> Result<Self, Nsga2Error> {
        let mut runner = Self::new(problem, config)?;
        if state.format_version != STATE_FORMAT_VERSION {
            return Err(Nsga2Error::StateMismatch(format!(
                "format_version is {} but this crate reads {STATE_FORMAT_VERSION}",
                state.format_version
            )));
        }
        if state.seed != runner.config.seed {
            return Err(Nsga2Error::StateMismatch(format!(
                "state seed is {} but the configuration seed is {}",
                state.seed, runner.config.seed
            )));
        }
        let population_size = runner.config.population_size;
        if let Some(saved) = state.population_size
            && saved != population_size
        {
            return Err(Nsga2Error::StateMismatch(format!(
                "state was saved with population_size {saved} but the configuration has \
                 population_size {population_size}, so resume with population_size {saved}"
            )));
        }
        let offspring_size = runner.config.effective_offspring_size();
        if let Some(saved) = state.offspring_size
            && saved != offspring_size
        {
            return Err(Nsga2Error::StateMismatch(format!(
                "state was saved with offspring_size {saved} but the configuration has \
                 offspring_size {offspring_size}, so resume with offspring_size {saved}"
            )));
        }
        if state.population.len() > runner.config.population_size {
            return Err(Nsga2Error::StateMismatch(format!(
                "state population has {} individuals but population_size is {}",
                state.population.len(),
                runner.config.population_size
            )));
        }
        if state.generations_completed > 0 && state.population.is_empty() {
            return Err(Nsga2Error::StateMismatch(format!(
                "state has {} completed generations but an empty population",
                state.generations_completed
            )));
        }
        let n_var = runner.bounds.len();
        for (index, individual) in state.population.iter().enumerate() {
            if individual.x.len() != n_var || individual.objectives.len() != runner.n_obj {
                return Err(Nsga2Error::StateMismatch(format!(
                    "population member {index} has {} variables and {} objectives but the \
                     problem has {n_var} and {}",
                    individual.x.len(),
                    individual.objectives.len(),
                    runner.n_obj
                )));
            }
        }
        runner.state = state;
        runner.state.population_size = Some(population_size);
        runner.state.offspring_size = Some(offspring_size);
        Ok(runner)
    }

    /// Returns the current state.
    pub fn state(&self) -> &Nsga2State {
        &self.state
    }

    /// Consumes the runner and returns its state.
    pub fn into_state(self) -> Nsga2State {
        self.state
    }

    /// The problem.
    pub fn problem(&self) -> &P {
        &self.problem
    }

    /// The configuration.
    pub fn config(&self) -> &Nsga2Config {
        &self.config
    }

    /// Report of the last completed step (empty before the first).
    pub fn last_report(&self) -> &GenerationReport {
        &self.report
    }

    /// Runs one generation: the initial population on the first call, otherwise mating,
    /// evaluation of the new offspring and survival.
    ///
    /// Failed evaluations never return an error. A problem that returns the wrong number of
    /// results, objectives or constraints does, and leaves the state unchanged.
    pub fn step(&mut self) -> Result<&GenerationReport, Nsga2Error> {
        let generation = self.state.generations_completed;
        let mut rng = generation_rng(self.config.seed, generation);
        if self.population_hashes.len() != self.state.population.len() {
            self.population_hashes = self
                .state
                .population
                .iter()
                .map(|individual| genome_hash(&individual.x))
                .collect();
        }
        let mut scratch = std::mem::take(&mut self.mating_scratch);
        let candidates = if generation == 0 {
            self.sample_initial(&mut rng, &mut scratch)
        } else {
            self.mate(&mut rng, &mut scratch)
        };
        self.mating_scratch = scratch;
        let offspring = candidates.len();
        let EvaluatedBatch {
            offspring_hashes,
            evaluated,
            cache_hits,
        } = self.evaluate(candidates)?;
        let failures = evaluated.iter().filter(|ind| ind.failure.is_some()).count();

        // `evaluate` has appended the offspring to the population.
        let merged = std::mem::take(&mut self.state.population);
        let mut merged_hashes = std::mem::take(&mut self.population_hashes);
        merged_hashes.extend(offspring_hashes);
        let (population, survivors) = survive_and_discard(
            merged,
            self.config.population_size,
            self.config.front_pruning,
            &mut rng,
            &mut self.spare,
        );
        self.state.population = population;
        self.population_hashes = survivors.iter().map(|&i| merged_hashes[i]).collect();
        self.state.generations_completed += 1;

        let front = self
            .state
            .population
            .iter()
            .enumerate()
            .filter(|(_, ind)| ind.rank == 0 && ind.is_feasible())
            .map(|(index, _)| index)
            .collect();
        let previous = std::mem::replace(
            &mut self.report,
            GenerationReport {
                generation,
                offspring,
                evaluated,
                cache_hits,
                failures,
                front,
                evaluations: self.state.evaluations,
            },
        );
        let mut previous_evaluated = previous.evaluated;
        self.spare.append(&mut previous_evaluated);
        self.evaluated_buffer = previous_evaluated;
        // Each step takes at most two individuals per offspring from the spares.
        self.spare.truncate(
            2 * self
                .config
                .effective_offspring_size()
                .max(self.config.population_size),
        );
        Ok(&self.report)
    }

    /// Runs generations until `termination` is met, calling every observer's
    /// [`Observer::on_generation`] after each and [`Observer::on_run_end`] once before
    /// returning, also when a generation fails.
    ///
    /// Generation and evaluation limits count the whole run, including generations and
    /// evaluations completed before a resume or in earlier `run` and `step` calls. A wall
    /// time limit counts from this call (see [`Termination`]).
    pub fn run(
        &mut self,
        termination: &Termination,
        observers: &mut [&mut dyn Observer],
    ) -> Result<Nsga2Result, Nsga2Error> {
        let start = Instant::now();
        if let Some(bound) = self.evaluation_bound(termination) {
            self.state.cache.reserve(
                bound.min(MAX_CACHE_RESERVATION),
                self.bounds.len(),
                self.n_obj,
                self.n_constr,
            );
        }
        let outcome = self.run_generations(termination, start, observers);
        for observer in observers.iter_mut() {
            observer.on_run_end(&self.state);
        }
        outcome?;
        let front = self
            .state
            .population
            .iter()
            .filter(|ind| ind.rank == 0 && ind.is_feasible())
            .cloned()
            .collect();
        Ok(Nsga2Result {
            population: self.state.population.clone(),
            front,
            generations: self.state.generations_completed,
            evaluations: self.state.evaluations,
            elapsed: start.elapsed(),
        })
    }

    /// Steps until `termination` is met, calling every observer after each generation.
    fn run_generations(
        &mut self,
        termination: &Termination,
        start: Instant,
        observers: &mut [&mut dyn Observer],
    ) -> Result<(), Nsga2Error> {
        while !termination.is_met(
            self.state.generations_completed,
            self.state.evaluations,
            start.elapsed(),
        ) {
            self.step()?;
            for observer in observers.iter_mut() {
                observer.on_generation(&self.state, &self.report);
            }
        }
        Ok(())
    }

    /// Returns an upper bound on the evaluations that `run` makes before `termination` is
    /// met, or `None` when the criterion sets none (wall time).
    fn evaluation_bound(&self, termination: &Termination) -> Option<usize> {
        let offspring = self.config.effective_offspring_size();
        match termination {
            Termination::Generations(limit) => {
                let completed = self.state.generations_completed;
                let remaining = limit.saturating_sub(completed);
                if remaining == 0 {
                    Some(0)
                } else if completed == 0 {
                    let later = (remaining - 1).saturating_mul(offspring);
                    Some(later.saturating_add(self.config.population_size))
                } else {
                    Some(remaining.saturating_mul(offspring))
                }
            }
            // The last generation may pass the limit by up to one batch of offspring (or
            // the initial population).
            Termination::Evaluations(limit) => Some(
                limit
                    .saturating_sub(self.state.evaluations)
                    .saturating_add(offspring.max(self.config.population_size)),
            ),
            Termination::WallTime(_) => None,
            Termination::Any(criteria) => criteria
                .iter()
                .filter_map(|criterion| self.evaluation_bound(criterion))
                .min(),
        }
    }

    /// Samples the initial population uniformly in the bounds (integers uniformly among the
    /// integers in the bounds), applies [`Problem::repair`], and re-draws duplicates when
    /// duplicate elimination is on.
    fn sample_initial(&self, rng: &mut GenerationRng, scratch: &mut MatingScratch) -> Candidates {
        let MatingScratch { pool, seen } = scratch;
        let target = self.config.population_size;
        let mut candidates = Candidates::with_capacity(target);
        seen.reset(target);
        let mut rounds = 0;
        while candidates.len() < target && rounds < self.config.max_mating_rounds {
            rounds += 1;
            for _ in candidates.len()..target {
                let mut x = pool.pop().unwrap_or_default();
                x.clear();
                x.extend(self.bounds.iter().map(|&(lower, upper)| match self.kind {
                    VariableKind::Real => lower + rng.random::<f64>() * (upper - lower),
                    VariableKind::Integer => {
                        let span = upper - lower + 1.0;
                        (lower + (rng.random::<f64>() * span).floor()).min(upper)
                    }
                }));
                self.problem.repair(&mut x, rng);
                let hash = genome_hash(&x);
                if self.config.eliminate_duplicates
                    && !seen.insert(hash, &x, &[], &candidates.genomes)
                {
                    pool.push(x);
                    continue;
                }
                candidates.push(x, hash);
            }
        }
        candidates
    }

    /// Creates offspring as pymoo's mating loop does: select, cross and mutate in rounds,
    /// drop children identical to a population member or an earlier child, and stop after
    /// `max_mating_rounds` rounds even when fewer children than requested are left.
    fn mate(&self, rng: &mut GenerationRng, scratch: &mut MatingScratch) -> Candidates {
        let MatingScratch { pool, seen } = scratch;
        let population = &self.state.population;
        let target = self.config.effective_offspring_size();
        let dedupe = self.config.eliminate_duplicates;

        seen.reset(if dedupe { population.len() + target } else { 0 });
        if dedupe {
            for &hash in &self.population_hashes {
                seen.insert_unchecked(hash);
            }
        }
        let mut candidates = Candidates::with_capacity(target);
        let mut parents: Vec<usize> = Vec::with_capacity(target);
        let mut rounds = 0;
        while candidates.len() < target && rounds < self.config.max_mating_rounds {
            rounds += 1;
            let n_matings = (target - candidates.len()).div_ceil(2);
            parents.clear();
            self.config
                .selection
                .select(population, 2 * n_matings, rng, &mut parents);
            for pair in parents.chunks_exact(2) {
                let mut child1 = pooled_copy(pool, &population[pair[0]].x);
                let mut child2 = pooled_copy(pool, &population[pair[1]].x);
                self.config
                    .crossover
                    .crossover(&mut child1, &mut child2, &self.bounds, rng);
                for mut child in [child1, child2] {
                    self.config.mutation.mutate(&mut child, &self.bounds, rng);
                    repair(&mut child, &self.split_bounds, self.kind);
                    self.problem.repair(&mut child, rng);
                    // Every child of the round is created before any is dropped, so the
                    // number of random draws does not depend on which children survive.
                    if candidates.len() == target {
                        pool.push(child);
                        continue;
                    }
                    let hash = genome_hash(&child);
                    if dedupe && !seen.insert(hash, &child, population, &candidates.genomes) {
                        pool.push(child);
                        continue;
                    }
                    candidates.push(child, hash);
                }
            }
        }
        candidates
    }

    /// Evaluates the genomes missing from the cache as one batch and appends one individual
    /// per candidate, in candidate order, to the population. On error nothing changes.
    fn evaluate(&mut self, candidates: Candidates) -> Result<EvaluatedBatch, Nsga2Error> {
        let Candidates {
            mut genomes,
            hashes,
        } = candidates;
        let n = genomes.len();
        // Where each genome's result comes from.
        let mut sources: Vec<Source> = Vec::with_capacity(n);
        // Genomes to evaluate, each listed once even if it appears twice in the batch.
        let mut pending: Vec<usize> = Vec::with_capacity(n);
        // With duplicate elimination the candidates are distinct, so only runs without it
        // look for repeats within the batch.
        let distinct = self.config.eliminate_duplicates;
        let mut pending_hashes: HashSet<u64, BuildPassThroughHasher> =
            HashSet::with_capacity_and_hasher(if distinct { 0 } else { n }, Default::default());
        let mut cache_hits = 0;
        for (index, x) in genomes.iter().enumerate() {
            let hash = hashes[index];
            if let Some(entry) = self.state.cache.position_hashed(hash, x) {
                cache_hits += 1;
                sources.push(Source::Cached(entry));
                continue;
            }
            // A repeated hash is rare, so the earlier genomes are searched linearly then.
            let repeat = if distinct || pending_hashes.insert(hash) {
                None
            } else {
                pending
                    .iter()
                    .position(|&other| hashes[other] == hash && same_genome(&genomes[other], x))
            };
            match repeat {
                Some(position) => sources.push(Source::Pending(position)),
                None => {
                    sources.push(Source::Pending(pending.len()));
                    pending.push(index);
                }
            }
        }

        // Usually every genome is new, and then the batch is the genome list itself.
        let results = if pending.is_empty() {
            Vec::new()
        } else if pending.len() == n {
            self.problem.evaluate_batch(&genomes)
        } else {
            let batch: Vec<Vec<f64>> = pending.iter().map(|&i| genomes[i].clone()).collect();
            self.problem.evaluate_batch(&batch)
        };
        if results.len() != pending.len() {
            return Err(Nsga2Error::BatchSize {
                expected: pending.len(),
                actual: results.len(),
            });
        }
        // Every result is checked before the cache changes, so an error leaves the state
        // as it was.
        // Failure messages by position in the batch, in increasing order.
        let mut failures = Vec::new();
        for (position, result) in results.iter().enumerate() {
            if let Some(message) = self.check_result(position, result)? {
                failures.push((position, message));
            }
        }

        let mut evaluated = std::mem::take(&mut self.evaluated_buffer);
        evaluated.clear();
        let mut entry_indices = Vec::with_capacity(results.len());
        self.state.evaluations += results.len();
        let mut failures = failures.into_iter().peekable();
        for (position, (result, &index)) in results.iter().zip(&pending).enumerate() {
            let failure = failures
                .next_if(|&(failed, _)| failed == position)
                .map(|(_, message)| message);
            let (objectives, constraints) = match result {
                Ok(evaluation) => (&evaluation.objectives[..], &evaluation.constraints[..]),
                Err(_) => (&[][..], &[][..]),
            };
            let entry = self.state.cache.push_unchecked(
                hashes[index],
                &genomes[index],
                objectives,
                constraints,
                failure,
            );
            let cached = self.state.cache.entry(entry);
            push_individual(&mut evaluated, &mut self.spare, cached, self.n_obj, None);
            entry_indices.push(entry);
        }
        for (index, source) in sources.into_iter().enumerate() {
            let (entry, genome) = match source {
                Source::Cached(entry) => (entry, None),
                // The candidate that was evaluated hands its buffer over; a repeat of it
                // later in the batch copies from the cache.
                Source::Pending(position) if pending[position] == index => {
                    (entry_indices[position], Some(&mut genomes[index]))
                }
                Source::Pending(position) => (entry_indices[position], None),
            };
            let cached = self.state.cache.entry(entry);
            let population = &mut self.state.population;
            push_individual(population, &mut self.spare, cached, self.n_obj, genome);
        }
        self.mating_scratch.pool.extend(genomes);
        Ok(EvaluatedBatch {
            offspring_hashes: hashes,
            evaluated,
            cache_hits,
        })
    }

    /// Checks one evaluation result and returns its failure message, if any. An error or a
    /// NaN objective or constraint is a failure; a failed evaluation is cached with no
    /// objectives or constraints.
    fn check_result(
        &self,
        index: usize,
        result: &Result<Evaluation, EvaluationError>,
    ) -> Result<Option<String>, Nsga2Error> {
        let evaluation = match result {
            Ok(evaluation) => evaluation,
            Err(error) => return Ok(Some(error.0.clone())),
        };
        if evaluation.objectives.len() != self.n_obj {
            return Err(Nsga2Error::ObjectiveCount {
                index,
                expected: self.n_obj,
                actual: evaluation.objectives.len(),
            });
        }
        if evaluation.constraints.len() != self.n_constr {
            return Err(Nsga2Error::ConstraintCount {
                index,
                expected: self.n_constr,
                actual: evaluation.constraints.len(),
            });
        }
        let nan_objective = evaluation.objectives.iter().position(|f| f.is_nan());
        let nan_constraint = evaluation.constraints.iter().position(|g| g.is_nan());
        let failure = match (nan_objective, nan_constraint) {
            (Some(m), _) => Some(format!("objective {m} is NaN")),
            (None, Some(j)) => Some(format!("constraint {j} is NaN")),
            (None, None) => None,
        };
        Ok(failure)
    }
}

/// Buffers of the mating step, kept so that later generations reuse their allocations.
#[derive(Default)]
struct MatingScratch {
    /// Genome buffers of candidates already copied into the cache or dropped as
    /// duplicates, reused for the next candidates.
    pool: Vec<Vec<f64>>,
    /// Hashes of the population and of the accepted candidates.
    seen: GenomeSet,
}

/// Genomes to evaluate, with their [`genome_hash`] values.
struct Candidates {
    genomes: Vec<Vec<f64>>,
    hashes: Vec<u64>,
}

impl Candidates {
    fn with_capacity(capacity: usize) -> Self {
        Self {
            genomes: Vec::with_capacity(capacity),
            hashes: Vec::with_capacity(capacity),
        }
    }

    fn len(&self) -> usize {
        self.genomes.len()
    }

    fn push(&mut self, x: Vec<f64>, hash: u64) {
        self.genomes.push(x);
        self.hashes.push(hash);
    }
}

/// Outcome of evaluating one generation's candidates.
struct EvaluatedBatch {
    /// [`genome_hash`] of each offspring.
    offspring_hashes: Vec<u64>,
    /// Individuals whose genomes the problem evaluated, in evaluation order.
    evaluated: Vec<Individual>,
    /// Candidates whose result came from the cache.
    cache_hits: usize,
}

/// Origin of one offspring's evaluation result.
#[derive(Clone, Copy)]
enum Source {
    /// Index of an entry that was in the cache before this generation.
    Cached(usize),
    /// Position in this generation's evaluation batch.
    Pending(usize),
}

/// Set of genome hashes used to detect duplicates; equal hashes are confirmed bit for bit.
///
/// The hashes sit in an open-addressing table with linear probing that is cleared and
/// reused every generation. Slot value 0 marks an empty slot, so a hash of 0 is stored as 1.
/// A false match only costs the bit-for-bit comparison.
#[derive(Default)]
struct GenomeSet {
    slots: Vec<u64>,
    len: usize,
}

impl GenomeSet {
    /// Empties the set and makes room for `capacity` hashes at a load of at most one half.
    fn reset(&mut self, capacity: usize) {
        let size = (2 * capacity).next_power_of_two().max(16);
        if self.slots.len() == size {
            self.slots.fill(0);
        } else {
            self.slots = vec![0; size];
        }
        self.len = 0;
    }

    /// Adds `hash` and returns false when it was already present.
    fn insert_hash(&mut self, hash: u64) -> bool {
        if 2 * (self.len + 1) > self.slots.len() {
            self.grow();
        }
        let key = hash.max(1);
        let mask = self.slots.len() - 1;
        let mut slot = key as usize & mask;
        loop {
            match self.slots[slot] {
                0 => {
                    self.slots[slot] = key;
                    self.len += 1;
                    return true;
                }
                present if present == key => return false,
                _ => slot = (slot + 1) & mask,
            }
        }
    }

    fn grow(&mut self) {
        let keys: Vec<u64> = self.slots.iter().copied().filter(|&key| key != 0).collect();
        self.reset(self.slots.len().max(8));
        for key in keys {
            self.insert_hash(key);
        }
    }

    fn insert_unchecked(&mut self, hash: u64) {
        self.insert_hash(hash);
    }

    /// Inserts `x`, whose hash is `hash`, unless an identical genome is in the population or
    /// among the accepted genomes; returns true when new.
    fn insert(
        &mut self,
        hash: u64,
        x: &[f64],
        population: &[Individual],
        accepted: &[Vec<f64>],
    ) -> bool {
        if self.insert_hash(hash) {
            return true;
        }
        let duplicate = population.iter().any(|ind| same_genome(&ind.x, x))
            || accepted.iter().any(|other| same_genome(other, x));
        !duplicate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genome_set_grows_past_capacity() {
        let mut set = GenomeSet::default();
        set.reset(2);
        for step in 0..100u64 {
            assert!(set.insert_hash(step.wrapping_mul(0x9e37_79b9_7f4a_7c15)));
        }
        assert_eq!(set.len, 100);
        assert!(!set.insert_hash(5u64.wrapping_mul(0x9e37_79b9_7f4a_7c15)));
        assert!(!set.insert_hash(0));
    }

    #[test]
    fn genome_set_confirms_matching_hashes() {
        let mut set = GenomeSet::default();
        set.reset(4);
        let accepted = vec![vec![1.0]];
        assert!(set.insert(0, &[1.0], &[], &[]));
        // Hashes 0 and 1 share a slot value, so the genomes decide.
        assert!(set.insert(1, &[2.0], &[], &accepted));
        assert!(!set.insert(1, &[1.0], &[], &accepted));
    }

    #[test]
    fn repair_matches_clamp() {
        let bounds = [(0.0, 1.0); 6];
        let mut x = [-0.5, -0.0, 0.25, 1.0, 7.0, f64::NAN];
        repair(&mut x, &SplitBounds::new(&bounds), VariableKind::Real);
        let expected: [f64; 6] = [0.0, -0.0, 0.25, 1.0, 1.0, 0.0];
        for (gene, want) in x.iter().zip(expected) {
            assert_eq!(gene.to_bits(), want.to_bits(), "{x:?}");
        }
    }

    #[test]
    fn repair_rounds_integer_genes() {
        let bounds = [(0.0, 3.0); 4];
        let mut x = [0.4, 1.5, 2.6, 9.0];
        repair(&mut x, &SplitBounds::new(&bounds), VariableKind::Integer);
        assert_eq!(x, [0.0, 2.0, 3.0, 3.0]);
    }
}
