//! Every proxy scores DARTS V2 and a random network of each search space.

use burn::tensor::{Device, Distribution, Tensor};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rwenas_nn::{BuildConfig, NetworkModule};
use rwenas_proxies::{Proxy, ProxyBatch};
use rwenas_space::SearchSpace;
use rwenas_space::macro_space::{MacroScale, MacroSpace};
use rwenas_space::micro::{MicroScale, MicroSpace, build_network, catalogue};
use rwenas_space::network::Network;

fn score_all(network: &Network, what: &str) {
    let device = Device::flex();
    let images = Tensor::<4>::random([8, 3, 32, 32], Distribution::Normal(0.0, 1.0), &device);
    let batch = ProxyBatch::new(images, (0..8).map(|i| i % 10).collect(), 10).unwrap();
    let model =
        NetworkModule::init(network, BuildConfig::default(), &device.clone().autodiff()).unwrap();
    for proxy in Proxy::ALL {
        let score = proxy
            .score(&model, &batch)
            .unwrap_or_else(|error| panic!("{proxy} on {what}: {error}"));
        assert!(score.is_finite(), "{proxy} on {what}: {score}");
    }
}

#[test]
fn darts_v2_at_the_search_scale() {
    let genotype = catalogue::genotype("darts_v2").unwrap();
    let network = build_network(&genotype, &MicroScale::search()).unwrap();
    score_all(&network, "darts_v2");
}

#[test]
fn random_networks_of_both_spaces() {
    let mut rng = StdRng::seed_from_u64(11);
    let micro = MicroSpace::nsga_net(MicroScale::search()).unwrap();
    let genome = micro.sample(&mut rng);
    score_all(&micro.decode(&genome).unwrap(), "a random micro network");
    let space = MacroSpace::nsga_net(MacroScale::search()).unwrap();
    let genome = space.sample(&mut rng);
    score_all(&space.decode(&genome).unwrap(), "a random macro network");
}
