//! Every estimator scores DARTS V2 and a random network of each search space on real
//! CIFAR-10 images.

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rwenas::proxies::Proxy;
use rwenas::rwe::{DataSource, RweConfig, RweData, Split};
use rwenas::space::SearchSpace;
use rwenas::space::macro_space::{MacroScale, MacroSpace};
use rwenas::space::micro::{MicroScale, MicroSpace, build_network, catalogue};
use rwenas::space::network::Network;
use rwenas::train::{TrainConfig, TrainData};
use rwenas::{Estimator, ProxyEstimator, RweEstimator, TrainingEstimator};

fn cifar_batches() -> PathBuf {
    let root = std::env::var_os("RWENAS_CIFAR10").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/cifar10"),
        PathBuf::from,
    );
    root.join("cifar-10-batches-bin")
}

fn networks() -> Vec<(&'static str, Network)> {
    let mut rng = StdRng::seed_from_u64(3);
    let micro = MicroSpace::nsga_net(MicroScale::search()).unwrap();
    let macro_space = MacroSpace::nsga_net(MacroScale::search()).unwrap();
    let darts = build_network(
        &catalogue::genotype("darts_v2").unwrap(),
        &MicroScale::search(),
    );
    vec![
        ("darts_v2", darts.unwrap()),
        (
            "random micro",
            micro.decode(&micro.sample(&mut rng)).unwrap(),
        ),
        (
            "random macro",
            macro_space.decode(&macro_space.sample(&mut rng)).unwrap(),
        ),
    ]
}

#[test]
fn every_estimator_scores_every_network() {
    let sets = DataSource::detect(&cifar_batches())
        .expect("CIFAR-10 is reachable through RWENAS_CIFAR10")
        .load(None)
        .unwrap();
    let split = Split::new(&sets.train, Some(100), Some(50)).unwrap();
    let data = RweData::new(sets.train, split).unwrap();
    let train_data = TrainData::from_split(&data.dataset, &data.split).unwrap();
    let device = Device::flex();

    let mut rwe_config = RweConfig::default();
    rwe_config.ensemble.epochs = 2;
    let mut estimators: Vec<Box<dyn Estimator>> = vec![
        Box::new(RweEstimator::new(
            data.clone(),
            rwe_config,
            vec![device.clone()],
        )),
        Box::new(TrainingEstimator::new(
            train_data,
            TrainConfig {
                epochs: 1,
                cutout_length: None,
                ..TrainConfig::default()
            },
            device.clone(),
        )),
    ];
    for proxy in Proxy::ALL {
        let estimator = ProxyEstimator::from_dataset(
            proxy,
            &data.dataset,
            &data.split.train,
            &data.normalization,
            8,
            device.clone(),
        )
        .unwrap();
        estimators.push(Box::new(estimator));
    }

    for (what, network) in networks() {
        for estimator in &estimators {
            let score = estimator
                .score(&network, 7)
                .unwrap_or_else(|error| panic!("{} on {what}: {error}", estimator.name()));
            assert!(score.error.is_finite(), "{} on {what}", estimator.name());
            if matches!(estimator.name(), "rwe" | "train") {
                assert!(
                    (0.0..=1.0).contains(&score.error),
                    "{} on {what}",
                    estimator.name()
                );
            }
        }
    }
}

#[test]
fn proxy_scores_follow_the_seed() {
    let sets = DataSource::detect(&cifar_batches())
        .unwrap()
        .load(None)
        .unwrap();
    let split = Split::new(&sets.train, Some(100), Some(50)).unwrap();
    let data = RweData::new(sets.train, split).unwrap();
    let estimator = ProxyEstimator::from_dataset(
        Proxy::Snip,
        &data.dataset,
        &data.split.train,
        &data.normalization,
        16,
        Device::flex(),
    )
    .unwrap();
    let (_, network) = networks().remove(0);
    let first = estimator.score(&network, 1).unwrap().error;
    assert_eq!(estimator.score(&network, 1).unwrap().error, first);
    assert_ne!(estimator.score(&network, 2).unwrap().error, first);
    // Proxies are higher-is-better, so the objective is the negated score.
    assert!(first < 0.0);
}

#[test]
fn input_shape_mismatch_is_an_error() {
    let sets = DataSource::detect(&cifar_batches())
        .unwrap()
        .load(None)
        .unwrap();
    let split = Split::new(&sets.train, Some(100), Some(50)).unwrap();
    let data = RweData::new(sets.train, split).unwrap();
    let proxy = ProxyEstimator::from_dataset(
        Proxy::Naswot,
        &data.dataset,
        &data.split.train,
        &data.normalization,
        8,
        Device::flex(),
    )
    .unwrap();
    let rwe = RweEstimator::new(data, RweConfig::default(), vec![Device::flex()]);

    // A space built for 16x16 images, scored on 32x32 CIFAR-10.
    let space = MicroSpace::nsga_net(MicroScale {
        input_size: 16,
        ..MicroScale::search()
    })
    .unwrap();
    let network = space
        .decode(&space.sample(&mut StdRng::seed_from_u64(4)))
        .unwrap();
    for estimator in [&rwe as &dyn Estimator, &proxy] {
        let error = estimator
            .score(&network, 1)
            .expect_err("a 16x16 network cannot score 32x32 images");
        assert!(
            error.contains("[3, 16, 16]"),
            "{}: {error}",
            estimator.name()
        );
        assert!(
            error.contains("[3, 32, 32]"),
            "{}: {error}",
            estimator.name()
        );
    }
}
