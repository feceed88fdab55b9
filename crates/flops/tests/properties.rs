//! Counts of random architectures are consistent across conventions.

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rwenas_flops::{Convention, count};
use rwenas_space::SearchSpace;
use rwenas_space::macro_space::{MacroScale, MacroSpace};
use rwenas_space::micro::{MicroScale, MicroSpace};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn counts_are_consistent(seed in any::<u64>()) {
        let spaces: Vec<Box<dyn SearchSpace>> = vec![
            Box::new(MicroSpace::nsga_net(MicroScale::search()).unwrap()),
            Box::new(MicroSpace::nsga_net(MicroScale::deployment(36, true)).unwrap()),
            Box::new(MacroSpace::nsga_net(MacroScale::search()).unwrap()),
            Box::new(MacroSpace::nsga_net(MacroScale::deployment()).unwrap()),
        ];
        let mut rng = StdRng::seed_from_u64(seed);
        for space in spaces {
            let network = space.decode(&space.sample(&mut rng)).unwrap();
            let plain = count(&network, Convention::ConvLinear).unwrap();
            let nsga_net = count(&network, Convention::NsgaNet).unwrap();
            let classifier = (plain.features * network.classifier.classes) as u64;
            prop_assert_eq!(plain.macs, plain.backbone_macs + classifier);
            prop_assert!(nsga_net.macs > plain.macs);
            prop_assert_eq!(plain.params, network.parameters());
            prop_assert_eq!(plain.backbone_params + network.classifier.parameters(), plain.params);
            prop_assert_eq!(plain.auxiliary_params, network.auxiliary_parameters());
            prop_assert_eq!(nsga_net.params, plain.params);
        }
    }
}
