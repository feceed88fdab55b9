//! A search can score genomes at another scale than the one whose FLOPs it counts.

use std::sync::Mutex;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rwenas::flops::{Convention, count};
use rwenas::nsga2::Problem;
use rwenas::space::SearchSpace;
use rwenas::space::micro::{MicroScale, MicroSpace};
use rwenas::space::network::Network;
use rwenas::{Estimator, NasProblem, Score};

/// Scores a network by its multiply-accumulates, and remembers that count.
#[derive(Default)]
struct CountingEstimator {
    seen: Mutex<Vec<u64>>,
}

impl Estimator for CountingEstimator {
    fn name(&self) -> &str {
        "macs"
    }

    fn score(&self, network: &Network, _seed: u64) -> Result<Score, String> {
        let macs = count(network, Convention::ConvLinear)
            .map_err(|error| error.to_string())?
            .macs;
        self.seen.lock().unwrap().push(macs);
        Ok(Score {
            error: 0.5,
            feature_seconds: 0.0,
            classifier_seconds: 0.0,
        })
    }
}

#[test]
fn estimator_sees_its_own_scale() {
    let search = MicroSpace::nsga_net(MicroScale::search()).unwrap();
    let training = MicroSpace::nsga_net(MicroScale {
        initial_channels: 16,
        layers: 8,
        ..MicroScale::search()
    })
    .unwrap();
    let genome = search.sample(&mut StdRng::seed_from_u64(5));
    let search_macs = count(&search.decode(&genome).unwrap(), Convention::ConvLinear)
        .unwrap()
        .macs;
    let training_macs = count(&training.decode(&genome).unwrap(), Convention::ConvLinear)
        .unwrap()
        .macs;
    assert!(training_macs > search_macs);

    let estimator = CountingEstimator::default();
    let problem = NasProblem::new(&search, &estimator, 0).with_estimator_space(&training);
    let x: Vec<f64> = genome.genes().iter().map(|&gene| gene as f64).collect();
    let evaluation = problem.evaluate(&x).unwrap();

    assert_eq!(*estimator.seen.lock().unwrap(), vec![training_macs]);
    assert_eq!(evaluation.objectives, vec![0.5, search_macs as f64]);
}
