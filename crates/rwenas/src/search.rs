//! The generation loop of an architecture search.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rwenas_nsga2::operators::{BinaryTournament, PolynomialMutation, TwoPointCrossover};
use rwenas_nsga2::{Nsga2, Nsga2Config, Nsga2Error, Nsga2State};

use crate::{EvaluationRecord, NasProblem};

/// Settings of the evolutionary search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SearchConfig {
    /// Individuals kept after each generation. Each generation breeds as many offspring,
    /// one more for an odd population because crossover produces children in pairs.
    pub population: usize,
    /// Generations, counting the initial population as the first.
    pub generations: usize,
    /// Seed of the evolutionary operators and of the networks' random weights.
    pub seed: u64,
}

impl SearchConfig {
    /// Checks the settings in the terms of this struct, before NSGA-II checks its own.
    fn check(&self) -> Result<(), Nsga2Error> {
        if self.population < 2 {
            return Err(Nsga2Error::InvalidParameter {
                name: "population",
                value: self.population.to_string(),
                requirement: "at least 2".to_string(),
            });
        }
        Ok(())
    }

    /// Returns the NSGA-II configuration of the method: binary tournament, two-point
    /// crossover with probability 0.9, polynomial mutation with distribution index 3 and a
    /// per-gene probability of 1/n on integer genes, and duplicate elimination (the operators
    /// of NSGA-Net's search).
    pub fn nsga2(&self) -> Nsga2Config {
        let mut config = Nsga2Config::new(self.population)
            .with_seed(self.seed)
            .with_eliminate_duplicates(true)
            .with_selection(BinaryTournament)
            .with_crossover(TwoPointCrossover { probability: 0.9 })
            .with_mutation(PolynomialMutation {
                probability: 1.0,
                eta: 3.0,
                variable_probability: None,
            });
        // The population may be odd; offspring come in pairs.
        config.offspring_size = Some(self.population + self.population % 2);
        config
    }
}

/// Summary of one generation.
#[derive(Clone, Debug)]
pub struct GenerationSummary {
    /// Generation index; 0 is the initial population.
    pub generation: usize,
    /// Records of the architectures first evaluated in this generation.
    pub evaluated: Vec<EvaluationRecord>,
    /// Offspring that were already evaluated earlier in the run and were not re-scored.
    pub cache_hits: usize,
    /// The Pareto front of the population after this generation, by increasing FLOPs.
    pub front: Vec<EvaluationRecord>,
    /// Wall time of the generation.
    pub elapsed: Duration,
}

/// A running architecture search: NSGA-II over a [`NasProblem`], one generation per
/// [`Search::step`].
pub struct Search<'a> {
    runner: Nsga2<NasProblem<'a>>,
    generations: usize,
    history: HashMap<Vec<i64>, EvaluationRecord>,
}

impl<'a> Search<'a> {
    /// Starts a search with the operators of [`SearchConfig::nsga2`].
    ///
    /// # Errors
    ///
    /// [`Nsga2Error`] for invalid settings, such as a population below 2.
    pub fn new(problem: NasProblem<'a>, config: &SearchConfig) -> Result<Self, Nsga2Error> {
        config.check()?;
        Self::with_nsga2(problem, config.nsga2(), config.generations)
    }

    /// Starts a search that runs `generations` generations with any NSGA-II configuration,
    /// for example bit-flip mutation for a space of binary genes. The configuration's seed
    /// drives the operators, and the seed given to [`NasProblem::new`] the networks' random
    /// weights.
    ///
    /// # Errors
    ///
    /// [`Nsga2Error`] for invalid settings.
    pub fn with_nsga2(
        problem: NasProblem<'a>,
        nsga2: Nsga2Config,
        generations: usize,
    ) -> Result<Self, Nsga2Error> {
        Ok(Search {
            runner: Nsga2::new(problem, nsga2)?,
            generations,
            history: HashMap::new(),
        })
    }

    /// Continues a search from the NSGA-II state after its last completed generation and the
    /// records of every evaluation made until then.
    ///
    /// # Errors
    ///
    /// [`Nsga2Error`] when the state does not belong to this configuration.
    pub fn resume(
        problem: NasProblem<'a>,
        config: &SearchConfig,
        state: Nsga2State,
        records: impl IntoIterator<Item = EvaluationRecord>,
    ) -> Result<Self, Nsga2Error> {
        config.check()?;
        Self::resume_with_nsga2(problem, config.nsga2(), config.generations, state, records)
    }

    /// Continues a search started with [`Search::with_nsga2`], with the same configuration.
    ///
    /// # Errors
    ///
    /// [`Nsga2Error`] when the state does not belong to this configuration.
    pub fn resume_with_nsga2(
        problem: NasProblem<'a>,
        nsga2: Nsga2Config,
        generations: usize,
        state: Nsga2State,
        records: impl IntoIterator<Item = EvaluationRecord>,
    ) -> Result<Self, Nsga2Error> {
        let history = records
            .into_iter()
            .map(|record| (record.genome.clone(), record))
            .collect();
        Ok(Search {
            runner: Nsga2::resume(problem, nsga2, state)?,
            generations,
            history,
        })
    }

    /// Returns true once every generation has run.
    pub fn is_finished(&self) -> bool {
        self.completed() >= self.generations
    }

    /// Returns the number of completed generations.
    pub fn completed(&self) -> usize {
        self.runner.state().generations_completed
    }

    /// Returns the number of generations of the whole search.
    pub fn generations(&self) -> usize {
        self.generations
    }

    /// Returns the NSGA-II state, for checkpointing.
    pub fn state(&self) -> &Nsga2State {
        self.runner.state()
    }

    /// Returns the problem.
    pub fn problem(&self) -> &NasProblem<'a> {
        self.runner.problem()
    }

    /// Runs one generation.
    ///
    /// # Errors
    ///
    /// [`Nsga2Error`] when the problem breaks its contract. A failed evaluation is not an
    /// error: its record carries the failure and NSGA-II ranks it worst.
    pub fn step(&mut self) -> Result<GenerationSummary, Nsga2Error> {
        let start = Instant::now();
        let report = self.runner.step()?;
        let generation = report.generation;
        let cache_hits = report.cache_hits;

        let mut evaluated = self.runner.problem().take_records();
        for record in &mut evaluated {
            record.generation = Some(generation);
            self.history.insert(record.genome.clone(), record.clone());
        }
        Ok(GenerationSummary {
            generation,
            evaluated,
            cache_hits,
            front: self.front(),
            elapsed: start.elapsed(),
        })
    }

    /// Returns the Pareto front of the current population, one record per distinct genome,
    /// by increasing FLOPs.
    pub fn front(&self) -> Vec<EvaluationRecord> {
        let mut front: Vec<EvaluationRecord> = Vec::new();
        for individual in self.runner.state().pareto_front() {
            let genome = NasProblem::genome(&individual.x);
            if let Some(record) = self.history.get(genome.genes())
                && !front.iter().any(|kept| kept.genome == record.genome)
            {
                front.push(record.clone());
            }
        }
        front.sort_by(|a, b| {
            a.flops.cmp(&b.flops).then(
                a.objective
                    .partial_cmp(&b.objective)
                    .unwrap_or(std::cmp::Ordering::Equal),
            )
        });
        front
    }
}
