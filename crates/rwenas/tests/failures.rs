//! A failing or panicking estimator ranks a network worst without ending the search.

use rand::SeedableRng;
use rwenas::nsga2::Problem;
use rwenas::space::SearchSpace;
use rwenas::space::micro::{MicroScale, MicroSpace};
use rwenas::space::network::Network;
use rwenas::{Estimator, NasProblem, Score};

/// Panics on networks whose weight seed is even, and scores the others 0.5.
struct PanicsOnEvenSeeds;

impl Estimator for PanicsOnEvenSeeds {
    fn name(&self) -> &str {
        "panics"
    }

    fn score(&self, _network: &Network, seed: u64) -> Result<Score, String> {
        assert!(seed % 2 == 1, "even seed {seed}");
        Ok(Score {
            error: 0.5,
            feature_seconds: 0.0,
            classifier_seconds: 0.0,
        })
    }

    fn parallelism(&self) -> usize {
        // The whole population in one batch, so that one panic would hit every network.
        64
    }
}

#[test]
fn estimator_panic_fails_only_its_network() {
    let space = MicroSpace::nsga_net(MicroScale::search()).unwrap();
    let estimator = PanicsOnEvenSeeds;
    let problem = NasProblem::new(&space, &estimator, 0);
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let genomes: Vec<_> = (0..12).map(|_| space.sample(&mut rng)).collect();
    let xs: Vec<Vec<f64>> = genomes
        .iter()
        .map(|genome| genome.genes().iter().map(|&gene| gene as f64).collect())
        .collect();

    let results = problem.evaluate_batch(&xs);
    assert_eq!(results.len(), genomes.len());
    let mut failed = 0;
    for (genome, result) in genomes.iter().zip(&results) {
        // NasProblem seeds each network with the search seed XOR the genome's hash.
        let even = genome.stable_hash() % 2 == 0;
        match result {
            Ok(evaluation) => {
                assert!(!even, "an even seed was scored");
                assert_eq!(evaluation.objectives[0], 0.5);
            }
            Err(error) => {
                assert!(even, "an odd seed failed: {error}");
                assert!(error.to_string().contains("panicked"), "{error}");
                failed += 1;
            }
        }
    }
    assert!(
        failed > 0,
        "no genome had an even seed; choose another rng seed"
    );
    assert!(failed < genomes.len(), "every genome had an even seed");

    let records = problem.take_records();
    assert_eq!(records.len(), genomes.len());
    assert_eq!(
        records
            .iter()
            .filter(|record| record.failure.is_some())
            .count(),
        failed
    );
}
