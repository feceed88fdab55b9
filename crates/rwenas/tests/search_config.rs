//! Searches configured through `SearchConfig` and through an NSGA-II configuration.

use rwenas::nsga2::Nsga2Config;
use rwenas::nsga2::operators::{BitFlipMutation, UniformCrossover};
use rwenas::space::SearchSpace;
use rwenas::space::macro_space::{MacroScale, MacroSpace};
use rwenas::space::micro::{MicroScale, MicroSpace};
use rwenas::space::network::Network;
use rwenas::{Estimator, NasProblem, Score, Search, SearchConfig};

/// Scores a network by its parameter count, scaled into [0, 1).
struct ParameterEstimator;

impl Estimator for ParameterEstimator {
    fn name(&self) -> &str {
        "params"
    }

    fn score(&self, network: &Network, _seed: u64) -> Result<Score, String> {
        let params = network.parameters() as f64;
        Ok(Score {
            error: params / (params + 1e6),
            feature_seconds: 0.0,
            classifier_seconds: 0.0,
        })
    }
}

#[test]
fn population_error_names_the_setting() {
    let space = MacroSpace::nsga_net(MacroScale::search()).unwrap();
    let estimator = ParameterEstimator;
    let problem = NasProblem::new(&space, &estimator, 0);
    let config = SearchConfig {
        population: 1,
        generations: 2,
        seed: 0,
    };
    let error = Search::new(problem, &config)
        .err()
        .expect("population 1 is invalid");
    assert_eq!(error.to_string(), "population is 1 but must be at least 2");
}

#[test]
fn binary_space_searches_with_bit_flips() {
    let space = MacroSpace::nsga_net(MacroScale::search()).unwrap();
    let estimator = ParameterEstimator;
    let problem = NasProblem::new(&space, &estimator, 3);
    let nsga2 = Nsga2Config::new(6)
        .with_seed(3)
        .with_eliminate_duplicates(true)
        .with_crossover(UniformCrossover::default())
        .with_mutation(BitFlipMutation::default());
    let mut search = Search::with_nsga2(problem, nsga2, 3).unwrap();
    while !search.is_finished() {
        let summary = search.step().unwrap();
        for record in &summary.evaluated {
            assert!(record.genome.iter().all(|&gene| gene == 0 || gene == 1));
            assert!(record.failure.is_none(), "{:?}", record.failure);
        }
    }
    let front = search.front();
    assert!(!front.is_empty());
    for record in &front {
        let genome = rwenas::genome::Genome::new(record.genome.clone());
        assert!(space.decode(&genome).is_ok());
    }
}

#[test]
fn search_repairs_genomes_of_the_space() {
    // NAS-Bench-301's cells need two distinct inputs per block, a rule that crossover and
    // mutation break and that the space's repair restores.
    let space = MicroSpace::nas_bench_301(MicroScale::search()).unwrap();
    let estimator = ParameterEstimator;
    let problem = NasProblem::new(&space, &estimator, 5);
    let config = SearchConfig {
        population: 10,
        generations: 4,
        seed: 5,
    };
    let mut search = Search::new(problem, &config).unwrap();
    let mut evaluated = 0;
    while !search.is_finished() {
        let summary = search.step().unwrap();
        for record in &summary.evaluated {
            assert_eq!(record.failure, None, "genome {:?}", record.genome);
            evaluated += 1;
        }
    }
    assert!(evaluated > 10, "only {evaluated} genomes were evaluated");
}
