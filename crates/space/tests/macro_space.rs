//! Macro space decoding, checked against hand-computed layers.

use rwenas_genome::Genome;
use rwenas_space::macro_space::{MacroScale, MacroSpace};
use rwenas_space::{Layer, Node, SearchSpace};

fn search_space() -> MacroSpace {
    MacroSpace::nsga_net(MacroScale::search()).unwrap()
}

fn convolutions(genome: &Genome, space: &MacroSpace) -> Vec<([usize; 2], usize, usize)> {
    let network = space.decode(genome).unwrap();
    network
        .backbone
        .nodes
        .iter()
        .filter_map(|node| match node {
            Node::Layer {
                layer:
                    Layer::Conv2d {
                        kernel,
                        in_channels,
                        out_channels,
                        ..
                    },
                ..
            } => Some((*kernel, *in_channels, *out_channels)),
            _ => None,
        })
        .collect()
}

#[test]
fn genome_has_48_bits() {
    assert_eq!(search_space().bounds().len(), 48);
}

#[test]
fn all_zero_genome_pools_the_image() {
    let space = search_space();
    let network = space.decode(&Genome::new(vec![0; 48])).unwrap();
    // No active phase: global average pooling of the 3 input channels.
    assert_eq!(network.feature_dim(), 3);
    assert_eq!(network.backbone.nodes.len(), 2);
}

#[test]
fn single_connection_phase_layers() {
    // Phase 0 has only node 1 -> node 2; phases 1 and 2 are inactive. Node 1 reads the
    // phase input, node 2 feeds the output. Layers: input conv 3x3 3 -> 32 (no padding),
    // node 1 conv 3x3, node 2 conv 3x3; no 1x1 reduction, as every node has one input.
    let mut genes = vec![0; 48];
    genes[0] = 1;
    let space = search_space();
    let convs = convolutions(&Genome::new(genes), &space);
    assert_eq!(
        convs,
        vec![([3, 3], 3, 32), ([3, 3], 32, 32), ([3, 3], 32, 32)]
    );
    let network = space
        .decode(&Genome::new({
            let mut genes = vec![0; 48];
            genes[0] = 1;
            genes
        }))
        .unwrap();
    assert_eq!(network.feature_dim(), 32);
    let shapes = network.validate().unwrap();
    // 32x32 input, 3x3 convolution without padding: 30x30 maps.
    assert_eq!(shapes[1], [32, 30, 30]);
}

#[test]
fn skip_bit_adds_output_reduction() {
    // Phase 0: node 1 -> node 2 and the skip bit (gene 15). The output concatenates the
    // phase input and node 2, so a 1x1 convolution 64 -> 32 follows.
    let mut genes = vec![0; 48];
    genes[0] = 1;
    genes[15] = 1;
    let convs = convolutions(&Genome::new(genes), &search_space());
    assert_eq!(convs.last(), Some(&([1, 1], 64, 32)));
}

#[test]
fn inactive_phase_shifts_channels() {
    // Phases 0 and 2 active: the active phases take channels 32 and 64, the second with a
    // 1x1 input convolution, joined by one 2x2 max pooling.
    let mut genes = vec![0; 48];
    genes[0] = 1;
    genes[32] = 1;
    let space = search_space();
    let network = space.decode(&Genome::new(genes)).unwrap();
    assert_eq!(network.feature_dim(), 64);
    let shapes = network.validate().unwrap();
    assert_eq!(shapes[network.backbone.output - 1][1..], [15, 15]);
}

#[test]
fn deployment_scale_skips_channel_conv_after_first_phase() {
    let space = MacroSpace::nsga_net(MacroScale::deployment()).unwrap();
    let genome = Genome::new(vec![1; 48]);
    let convs = convolutions(&genome, &space);
    let changing = convs
        .iter()
        .filter(|(_, input, output)| input != output)
        .count();
    // The 3 -> 128 input convolution and the 1x1 reductions of multi-input nodes change
    // the channel count; no input convolution appears in phases 1 and 2.
    assert_eq!(convs[0], ([3, 3], 3, 128));
    assert!(
        convs
            .iter()
            .skip(1)
            .all(|(kernel, _, _)| *kernel == [3, 3] || *kernel == [1, 1])
    );
    assert!(changing >= 1);
}

#[test]
fn non_bit_gene_is_rejected() {
    let mut genes = vec![0; 48];
    genes[7] = 2;
    let error = search_space().decode(&Genome::new(genes)).unwrap_err();
    assert_eq!(error.to_string(), "gene 7 is 2 but its upper bound is 1");
}

#[test]
fn describe_and_dot_name_phases() {
    let space = search_space();
    let genome = Genome::new(vec![1; 48]);
    let text = space.describe(&genome).unwrap();
    assert!(text.starts_with("phase 0: 32 channels, skip true\n"));
    let dot = space.to_dot(&genome).unwrap();
    assert!(dot.contains("subgraph cluster_2"));
}

#[test]
fn macro_networks_mark_no_drop_path() {
    let space = search_space();
    let network = space.decode(&Genome::new(vec![1; 48])).unwrap();
    assert!(network.backbone.drop_path.is_empty());
    let json = serde_json::to_string(&network).unwrap();
    assert!(!json.contains("drop_path"));
}
