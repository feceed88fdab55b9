//! Networks decoded from random genomes build, run and have the described parameter count.

use burn::tensor::{Device, Distribution, Tensor};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rwenas_nn::{BuildConfig, NetworkModule, NormMode};
use rwenas_space::SearchSpace;
use rwenas_space::macro_space::{MacroScale, MacroSpace};
use rwenas_space::micro::{MicroScale, MicroSpace};

fn check_space(space: &dyn SearchSpace, seed: u64, batch: usize) {
    let mut rng = StdRng::seed_from_u64(seed);
    let genome = space.sample(&mut rng);
    let network = space.decode(&genome).expect("sampled genomes decode");
    let device = Device::flex();
    let config = BuildConfig {
        seed,
        ..BuildConfig::default()
    };
    let model = NetworkModule::init(&network, config, &device).expect("decoded networks build");

    assert_eq!(model.trainable_parameters(), network.parameters());
    assert_eq!(model.auxiliary_parameters(), network.auxiliary_parameters());

    let [channels, height, width] = network.input;
    let images = Tensor::random(
        [batch, channels, height, width],
        Distribution::Normal(0.0, 1.0),
        &device,
    );
    let features = model.features(images.clone());
    assert_eq!(features.dims(), [batch, network.feature_dim()]);
    let (logits, auxiliary) = model.forward_with_auxiliary(images);
    assert_eq!(logits.dims(), [batch, network.classifier.classes]);
    match &network.auxiliary {
        Some(head) => assert_eq!(
            auxiliary.map(|logits| logits.dims()),
            Some([batch, head.classifier.classes])
        ),
        None => assert!(auxiliary.is_none()),
    }
    let values = logits.into_data().try_to_vec::<f32>().expect("f32 logits");
    assert!(values.iter().all(|value| value.is_finite()));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    #[test]
    fn micro_search_scale_networks(seed in any::<u64>()) {
        let space = MicroSpace::nsga_net(MicroScale::search()).unwrap();
        check_space(&space, seed, 2);
    }

    #[test]
    fn macro_search_scale_networks(seed in any::<u64>()) {
        let space = MacroSpace::nsga_net(MacroScale::search()).unwrap();
        check_space(&space, seed, 2);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2))]

    #[test]
    fn micro_deployment_scale_networks(seed in any::<u64>()) {
        let space = MicroSpace::nsga_net(MicroScale::deployment(36, true)).unwrap();
        check_space(&space, seed, 1);
    }

    #[test]
    fn macro_deployment_scale_networks(seed in any::<u64>()) {
        let space = MacroSpace::nsga_net(MacroScale::deployment()).unwrap();
        check_space(&space, seed, 1);
    }
}

#[test]
fn same_seed_gives_same_weights() {
    let space = MicroSpace::nsga_net(MicroScale::search()).unwrap();
    let genome = space.sample(&mut StdRng::seed_from_u64(3));
    let network = space.decode(&genome).unwrap();
    let device = Device::flex();
    let config = BuildConfig {
        seed: 11,
        norm: NormMode::RunningStatistics,
        ..BuildConfig::default()
    };
    let images = Tensor::<4>::ones([1, 3, 32, 32], &device);
    let first = NetworkModule::init(&network, config, &device).unwrap();
    let second = NetworkModule::init(&network, config, &device).unwrap();
    let a = first
        .forward(images.clone())
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let b = second
        .forward(images)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    assert_eq!(a, b);
}

#[test]
fn batch_statistics_keep_features_away_from_zero() {
    // With the initial running statistics (mean 0, variance 1) batch norm is nearly the
    // identity and the pooled features of a deep random network shrink; batch statistics
    // renormalise every layer.
    let space = MicroSpace::nsga_net(MicroScale::search()).unwrap();
    let genome = space.sample(&mut StdRng::seed_from_u64(5));
    let network = space.decode(&genome).unwrap();
    let device = Device::flex();
    let images = Tensor::<4>::random([16, 3, 32, 32], Distribution::Normal(0.0, 1.0), &device);
    let spread = |norm| {
        let config = BuildConfig {
            norm,
            ..BuildConfig::default()
        };
        let model = NetworkModule::init(&network, config, &device).unwrap();
        let features = model.features(images.clone());
        features.abs().mean().into_scalar::<f32>() as f64
    };
    let batch = spread(NormMode::BatchStatistics);
    let running = spread(NormMode::RunningStatistics);
    assert!(batch > 10.0 * running, "batch {batch} running {running}");
}

#[test]
fn drop_path_layers_follow_graph_marks() {
    let space = MicroSpace::nsga_net(MicroScale::search()).unwrap();
    let genome = space.sample(&mut StdRng::seed_from_u64(4));
    let network = space.decode(&genome).unwrap();
    let model = NetworkModule::init(&network, BuildConfig::default(), &Device::flex()).unwrap();
    // Layer modules are numbered in node order, over the layer nodes only.
    let layer_nodes: Vec<usize> = network
        .backbone
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, node)| matches!(node, rwenas_space::Node::Layer { .. }))
        .map(|(id, _)| id)
        .collect();
    assert_eq!(layer_nodes.len(), model.backbone.layers.len());
    let marked: Vec<usize> = layer_nodes
        .iter()
        .enumerate()
        .filter(|&(layer, _)| model.backbone.is_drop_path(layer))
        .map(|(_, &node)| node)
        .collect();
    assert!(!marked.is_empty());
    assert_eq!(marked, network.backbone.drop_path);
    assert!(!model.backbone.is_drop_path(layer_nodes.len()));
}
