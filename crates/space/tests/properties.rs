//! Property tests: every genome either decodes to a valid network or is rejected with an
//! error, and the conversions round-trip.

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rwenas_genome::Genome;
use rwenas_space::SearchSpace;
use rwenas_space::macro_space::{MacroScale, MacroSpace};
use rwenas_space::micro::{DartsGenotype, MicroScale, MicroSpace, catalogue, genomes_equal};

fn spaces() -> Vec<Box<dyn SearchSpace>> {
    vec![
        Box::new(MicroSpace::nsga_net(MicroScale::search()).unwrap()),
        Box::new(MicroSpace::nsga_net(MicroScale::deployment(34, true)).unwrap()),
        Box::new(MicroSpace::nas_bench_301(MicroScale::search()).unwrap()),
        Box::new(MacroSpace::nsga_net(MacroScale::search()).unwrap()),
        Box::new(MacroSpace::nsga_net(MacroScale::deployment()).unwrap()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn sampled_genomes_decode_to_valid_networks(seed in any::<u64>()) {
        let mut rng = StdRng::seed_from_u64(seed);
        for space in spaces() {
            let genome = space.sample(&mut rng);
            prop_assert!(space.validate(&genome).is_ok(), "{}", space.name());
            let network = space.decode(&genome).unwrap();
            let shapes = network.validate().unwrap();
            let output = shapes[network.backbone.output];
            prop_assert_eq!(output, [network.classifier.in_features, 1, 1]);
            prop_assert_eq!(network.classifier.classes, 10);
            prop_assert!(network.parameters() > network.classifier.parameters());
            prop_assert!(space.describe(&genome).is_ok());
            prop_assert!(space.to_dot(&genome).unwrap().starts_with("digraph"));
        }
    }

    #[test]
    fn arbitrary_genomes_never_panic(genes in prop::collection::vec(any::<i64>(), 0..60)) {
        let genome = Genome::new(genes);
        for space in spaces() {
            let decoded = space.decode(&genome);
            prop_assert_eq!(decoded.is_ok(), space.validate(&genome).is_ok());
            let _ = space.describe(&genome);
            let _ = space.to_dot(&genome);
        }
    }

    #[test]
    fn small_genes_of_right_length_never_panic(genes in prop::collection::vec(-1i64..7, 40)) {
        let space = MicroSpace::nsga_net(MicroScale::search()).unwrap();
        let genome = Genome::new(genes);
        match space.decode(&genome) {
            Ok(network) => prop_assert!(network.validate().is_ok()),
            Err(error) => prop_assert!(error.to_string().starts_with("gene ")),
        }
    }

    #[test]
    fn micro_genomes_round_trip_through_genotypes(seed in any::<u64>()) {
        let space = MicroSpace::nsga_net(MicroScale::search()).unwrap();
        let genome = space.sample(&mut StdRng::seed_from_u64(seed));
        let genotype = space.genotype(&genome).unwrap();
        let parsed: DartsGenotype = genotype.to_string().parse().unwrap();
        prop_assert_eq!(&parsed, &genotype);
        prop_assert_eq!(space.genome(&parsed).unwrap(), genome);
    }

    #[test]
    fn genome_json_round_trip(seed in any::<u64>()) {
        for space in spaces() {
            let genome = space.sample(&mut StdRng::seed_from_u64(seed));
            let json = serde_json::to_string(&genome).unwrap();
            let back: Genome = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back, genome);
        }
    }

    #[test]
    fn swapping_units_keeps_genomes_equal(seed in any::<u64>(), block in 0usize..10) {
        let space = MicroSpace::nsga_net(MicroScale::search()).unwrap();
        let genome = space.sample(&mut StdRng::seed_from_u64(seed));
        let mut genes = genome.clone().into_genes();
        let start = block * 4;
        genes[start..start + 4].rotate_left(2);
        prop_assert!(genomes_equal(&genome, &Genome::new(genes)));
    }

    #[test]
    fn repaired_nas_bench_301_genomes_are_valid(genes in prop::collection::vec(0i64..2, 32), seed in any::<u64>()) {
        let space = MicroSpace::nas_bench_301(MicroScale::search()).unwrap();
        let repaired = space.repair(Genome::new(genes), &mut StdRng::seed_from_u64(seed));
        prop_assert!(space.validate(&repaired).is_ok());
    }
}

#[test]
fn catalogue_cells_build_at_both_scales() {
    for name in catalogue::NAMES {
        let genotype = catalogue::genotype(name).unwrap();
        for scale in [MicroScale::search(), MicroScale::deployment(36, true)] {
            let space = MicroSpace::nsga_net(scale).unwrap();
            space.build(&genotype).unwrap().validate().unwrap();
        }
    }
}

#[test]
fn five_node_catalogue_cells_convert_to_genomes() {
    let space = MicroSpace::nsga_net(MicroScale::search()).unwrap();
    for name in ["nasnet", "amoebanet", "enas", "pnas", "nsganet"] {
        let genotype = catalogue::genotype(name).unwrap();
        let genome = space.genome(&genotype).unwrap();
        let back = space.genotype(&genome).unwrap();
        assert_eq!(back.normal, genotype.normal, "{name}");
        assert_eq!(back.reduce, genotype.reduce, "{name}");
    }
}

#[test]
fn nsganet_cell_concat_is_its_loose_ends() {
    // NSGA-Net's published cell was decoded with loose-end concatenation.
    let space = MicroSpace::nsga_net(MicroScale::search()).unwrap();
    let genotype = catalogue::genotype("nsganet").unwrap();
    let back = space.genotype(&space.genome(&genotype).unwrap()).unwrap();
    assert_eq!(back, genotype);
}

#[test]
fn darts_cells_do_not_fit_five_blocks() {
    let space = MicroSpace::nsga_net(MicroScale::search()).unwrap();
    let error = space
        .genome(&catalogue::genotype("darts_v2").unwrap())
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("has 4 nodes but the space has 5 blocks")
    );
}

#[test]
fn micro_describe_lists_cells() {
    let space = MicroSpace::nsga_net(MicroScale::search()).unwrap();
    let genome = space
        .genome(&catalogue::genotype("nsganet").unwrap())
        .unwrap();
    let text = space.describe(&genome).unwrap();
    assert!(
        text.starts_with(
            "normal cell:\n  node 2 = skip_connect(c_{k-2}) + max_pool_3x3(c_{k-2})\n"
        )
    );
    assert!(text.contains("  output = concat(node 2, node 4, node 5, node 6)\n"));
    assert!(text.contains("reduction cells [1, 3]"));
}
