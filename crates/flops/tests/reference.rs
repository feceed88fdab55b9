//! Counts of published cells and of hand-computed networks, with the arithmetic beside the
//! expected numbers.

use rwenas_flops::{Convention, count, layer_macs};
use rwenas_space::micro::{MicroScale, build_network, catalogue};
use rwenas_space::{Classifier, Graph, Layer, Network, Node};

fn darts_v2(scale: MicroScale) -> Network {
    build_network(&catalogue::genotype("darts_v2").unwrap(), &scale).unwrap()
}

fn conv(in_channels: usize, out_channels: usize, kernel: usize, padding: usize) -> Layer {
    Layer::Conv2d {
        in_channels,
        out_channels,
        kernel: [kernel, kernel],
        stride: [1, 1],
        padding: [padding, padding],
        dilation: [1, 1],
        groups: 1,
        bias: false,
    }
}

fn conv_bn_relu(in_channels: usize, out_channels: usize) -> [Layer; 3] {
    [
        conv(in_channels, out_channels, 3, 1),
        Layer::BatchNorm2d {
            channels: out_channels,
        },
        Layer::Relu,
    ]
}

#[test]
fn darts_v2_deployment_counts() {
    // DARTS' NetworkCIFAR(36, 10, 20, auxiliary=True) with the DARTS_V2 genotype, counted
    // with PyTorch hooks as `CATALOGUE`.
    let network = darts_v2(MicroScale::deployment(36, true));
    let conv_linear = count(&network, Convention::ConvLinear).unwrap();
    assert_eq!(conv_linear.macs, 528_359_040);
    assert_eq!(conv_linear.params, 3_349_342);
    assert_eq!(conv_linear.auxiliary_params, 476_426);
    // Classifier: 576 features x 10 classes.
    assert_eq!(conv_linear.macs - conv_linear.backbone_macs, 5_760);
    let nsga_net = count(&network, Convention::NsgaNet).unwrap();
    assert_eq!(nsga_net.macs, 547_473_024);
    assert_eq!(nsga_net.params, conv_linear.params);
}

#[test]
fn darts_v2_without_auxiliary_head() {
    let network = darts_v2(MicroScale::deployment(36, false));
    let counts = count(&network, Convention::ConvLinear).unwrap();
    assert_eq!(counts.params, 3_349_342);
    assert_eq!(counts.auxiliary_params, 0);
    assert_eq!(counts.macs, 528_359_040);
}

#[test]
fn darts_v2_search_scale_backbone() {
    let counts = count(&darts_v2(MicroScale::search()), Convention::ConvLinear).unwrap();
    assert_eq!(counts.backbone_macs, 10_897_920);
    assert_eq!(counts.backbone_params, 53_360);
    assert_eq!(counts.features, 160);
}

#[test]
fn darts_v2_first_cell_by_hand() {
    // Stem at C = 36: 3x3 convolution 3 -> 108 and batch norm, nodes 1 and 2. Cell 0 is a
    // normal cell reading the stem twice; its nodes run up to the first concatenation.
    let network = darts_v2(MicroScale::deployment(36, false));
    let shapes = network.validate().unwrap();
    let nodes = &network.backbone.nodes;
    let cell_end = nodes
        .iter()
        .position(|node| matches!(node, Node::Concat { .. }))
        .unwrap();
    let (mut macs, mut params) = (0u128, 0u64);
    for (id, node) in nodes.iter().enumerate().take(cell_end + 1).skip(3) {
        if let Node::Layer { layer, input } = node {
            macs += layer_macs(layer, shapes[*input], shapes[id], Convention::ConvLinear);
            params += layer.parameters();
        }
    }
    // Parameters at C = 36 (C^2 = 1,296):
    //   two preprocessing ReLU-conv-BN 108 -> 36: 2 x (108*36 + 2*36)      =  7,920
    //   five sep_conv_3x3: 5 x 2 x (9*36 + 1,296 + 2*36) = 5 x 3,384        = 16,920
    //   one dil_conv_3x3: 9*36 + 1,296 + 2*36                              =  1,692
    //   two skip_connect at stride 1                                       =      0
    assert_eq!(params, 7_920 + 16_920 + 1_692);
    // MACs on 32x32 maps (1,024 positions):
    //   preprocessing: 2 x 1,024*36*108                                    =  7,962,624
    //   sep_conv_3x3: 2 x (1,024*36*9 + 1,024*36*36) = 3,317,760, five of them = 16,588,800
    //   dil_conv_3x3: 1,024*36*9 + 1,024*36*36                            =  1,658,880
    assert_eq!(macs, 7_962_624 + 16_588_800 + 1_658_880);
    // Stem: 1,024 x 108 x 3*3*3 = 2,985,984 MACs, 108*27 + 2*108 = 3,132 parameters.
    let stem = &nodes[1];
    let Node::Layer { layer, .. } = stem else {
        panic!("node 1 is not the stem convolution")
    };
    assert_eq!(
        layer_macs(layer, shapes[0], shapes[1], Convention::ConvLinear),
        2_985_984
    );
}

/// The plain CNN: 3x3 conv 3 -> 32 + BN + ReLU, then three stages of two 3x3 conv + BN +
/// ReLU of widths 32, 64, 128 (the first conv of a stage changes the width), 2x2 max pooling
/// between stages, global average pooling, linear to 10 classes.
fn plain_cnn() -> Network {
    let mut graph = Graph::new();
    let mut node = graph.chain(conv_bn_relu(3, 32), 0);
    let mut channels = 32;
    for (stage, width) in [32, 64, 128].into_iter().enumerate() {
        if stage > 0 {
            let pool = Layer::MaxPool2d {
                kernel: [2, 2],
                stride: [2, 2],
                padding: [0, 0],
            };
            node = graph.layer(pool, node);
        }
        node = graph.chain(conv_bn_relu(channels, width), node);
        node = graph.chain(conv_bn_relu(width, width), node);
        channels = width;
    }
    graph.output = graph.layer(Layer::GlobalAvgPool, node);
    Network {
        input: [3, 32, 32],
        backbone: graph,
        classifier: Classifier {
            in_features: 128,
            classes: 10,
        },
        auxiliary: None,
    }
}

#[test]
fn plain_cnn_conv_linear() {
    let counts = count(&plain_cnn(), Convention::ConvLinear).unwrap();
    // stem 1,024*32*27 = 884,736; stage 1 at 32x32: 2 x 1,024*32*288 = 18,874,368;
    // stage 2 at 16x16: 256*64*288 + 256*64*576 = 14,155,776;
    // stage 3 at 8x8: 64*128*576 + 64*128*1,152 = 14,155,776.
    assert_eq!(
        counts.backbone_macs,
        884_736 + 18_874_368 + 14_155_776 + 14_155_776
    );
    assert_eq!(counts.backbone_macs, 48_070_656);
    // Weights 864 + 2 x 9,216 + 18,432 + 36,864 + 73,728 + 147,456 = 295,776;
    // batch norm 2 x (32 + 32 + 32 + 64 + 64 + 128 + 128) = 960.
    assert_eq!(counts.backbone_params, 296_736);
    // Classifier: 128 x 10 MACs, 1,290 parameters with its bias.
    assert_eq!(counts.macs, 48_070_656 + 1_280);
    assert_eq!(counts.params, 296_736 + 1_290);
}

#[test]
fn plain_cnn_nsga_net() {
    let counts = count(&plain_cnn(), Convention::NsgaNet).unwrap();
    // Per conv-BN-ReLU output of E elements: 2E for batch norm and E for ReLU.
    // Outputs: 3 at 32*32*32 = 32,768; 2 at 64*16*16 = 16,384; 2 at 128*8*8 = 8,192.
    let elements = 3 * 32_768 + 2 * 16_384 + 2 * 8_192;
    // Pooling inputs: 32*32*32 + 64*16*16 + 128*8*8 (global) = 32,768 + 16,384 + 8,192.
    let pooling = 32_768 + 16_384 + 8_192;
    assert_eq!(counts.backbone_macs, 48_070_656 + 3 * elements + pooling);
}

#[test]
fn single_conv_and_linear() {
    // 1x1 input, 5x5 convolution with padding 2 from 4 to 6 channels on 7x7 maps:
    // 7*7*6 outputs x 4*5*5 = 294 x 100 = 29,400; linear 6 x 3 = 18.
    let mut graph = Graph::new();
    let conv = graph.layer(conv(4, 6, 5, 2), 0);
    graph.output = graph.layer(Layer::GlobalAvgPool, conv);
    let network = Network {
        input: [4, 7, 7],
        backbone: graph,
        classifier: Classifier {
            in_features: 6,
            classes: 3,
        },
        auxiliary: None,
    };
    let counts = count(&network, Convention::ConvLinear).unwrap();
    assert_eq!(counts.macs, 29_400 + 18);
    // 6*4*25 weights + 6*3 + 3 classifier parameters.
    assert_eq!(counts.params, 600 + 21);
}

#[test]
fn inconsistent_network_is_an_error() {
    let mut network = plain_cnn();
    network.classifier.in_features = 64;
    assert!(count(&network, Convention::ConvLinear).is_err());
}

/// Counts of the catalogue cells at C = 36, 20 cells, auxiliary head, as `(name,
/// conv-linear MACs, NSGA-Net MACs, parameters, auxiliary parameters)`.
///
/// Source: DARTS' `NetworkCIFAR` and operations (quark0/darts, `cnn/model.py` and
/// `cnn/operations.py`; NSGA-Net's `models/micro_models.py` builds the same network)
/// rebuilt with PyTorch 2.15, the genotypes of DARTS' `cnn/genotypes.py` and NSGA-Net's
/// `models/micro_genotypes.py`, counted by forward hooks on one 32x32 image in eval mode.
/// The hooks count convolution and linear MACs without bias, and for the NSGA-Net
/// convention the rules of NSGA-Net's `misc/flops_counter.py`. Parameters exclude the
/// auxiliary head, as DARTS' `utils.count_parameters_in_MB` does.
const CATALOGUE: [(&str, u64, u64, u64, u64); 7] = [
    ("darts_v1", 500_987_520, 518_940_288, 3_169_414, 476_426),
    ("darts_v2", 528_359_040, 547_473_024, 3_349_342, 476_426),
    ("nasnet", 603_452_448, 624_234_528, 3_830_950, 457_994),
    ("amoebanet", 488_931_552, 506_294_496, 3_145_078, 457_994),
    ("enas", 605_719_584, 626_750_496, 3_859_894, 457_994),
    ("pnas", 706_026_528, 729_628_704, 4_481_110, 494_858),
    ("nsganet", 544_063_104, 563_868_288, 3_442_870, 476_426),
];

#[test]
fn nsganet_at_34_channels() {
    // NSGA-Net's published scale of its cell, same PyTorch source as `CATALOGUE`.
    let genotype = catalogue::genotype("nsganet").unwrap();
    let network = build_network(&genotype, &MicroScale::deployment(34, true)).unwrap();
    let counts = count(&network, Convention::ConvLinear).unwrap();
    assert_eq!(counts.macs, 488_700_224);
    assert_eq!(counts.params, 3_086_700);
    assert_eq!(counts.auxiliary_params, 472_330);
    let counts = count(&network, Convention::NsgaNet).unwrap();
    assert_eq!(counts.macs, 507_405_120);
}

#[test]
fn catalogue_counts() {
    for (name, conv_linear, nsga_net, params, auxiliary) in CATALOGUE {
        let genotype = catalogue::genotype(name).unwrap();
        let network = build_network(&genotype, &MicroScale::deployment(36, true)).unwrap();
        let counts = count(&network, Convention::ConvLinear).unwrap();
        assert_eq!(counts.macs, conv_linear, "{name}");
        assert_eq!(counts.params, params, "{name}");
        assert_eq!(counts.auxiliary_params, auxiliary, "{name}");
        let counts = count(&network, Convention::NsgaNet).unwrap();
        assert_eq!(counts.macs, nsga_net, "{name}");
    }
}

#[test]
fn darts_v2_imagenet_counts() {
    // DARTS' NetworkImageNet(48, 1000, 14, auxiliary) with the DARTS_V2 genotype on one
    // 224x224 image, counted with PyTorch hooks as `CATALOGUE`. Parameters exclude the
    // auxiliary head.
    let network = darts_v2(MicroScale::imagenet(48, 14, true));
    let counts = count(&network, Convention::ConvLinear).unwrap();
    assert_eq!(counts.params, 4_718_752);
    assert_eq!(counts.macs, 529_911_552);
    assert_eq!(counts.auxiliary_params, 1_260_776);
    // Classifier: 768 features x 1,000 classes.
    assert_eq!(counts.macs - counts.backbone_macs, 768_000);
    assert_eq!(counts.features, 768);
    let counts = count(&network, Convention::NsgaNet).unwrap();
    assert_eq!(counts.macs, 544_588_032);
}
