//! The networks of DARTS (quark0/darts, `cnn/model.py`: `NetworkCIFAR` and
//! `NetworkImageNet`) and NSGA-Net built from a genotype.
//!
//! CIFAR layout: a stem of a 3x3 convolution to `3C` channels and batch norm (no ReLU),
//! which feeds both inputs of the first cell. ImageNet layout: `stem0` is a 3x3 stride-2
//! convolution to `C/2` with batch norm and ReLU, then a 3x3 stride-2 convolution to `C`
//! with batch norm. `stem1` is ReLU, a 3x3 stride-2 convolution `C -> C` and batch norm.
//! The first cell reads `stem0` as its older input and `stem1` as its newer one, and treats
//! the older input as coming from a reduction cell (factorized reduction).
//!
//! Both layouts have `L` cells with reduction cells at positions `L/3` and `2L/3` (integer
//! division) doubling `C`, then global average pooling and a linear classifier. DARTS'
//! ImageNet head is a 7x7 average pooling, which equals global average pooling on the 7x7
//! maps of a 224x224 input. A cell preprocesses its older input with a factorized
//! reduction when the previous cell was a reduction cell, otherwise with ReLU, 1x1
//! convolution and batch norm, and its newer input with ReLU, 1x1 convolution and batch
//! norm. In a reduction cell the units that read input 0 or 1 have stride 2. A node sums
//! its two units; the cell output concatenates the states of its concat list, so it has
//! `C` times the list's length channels. The optional auxiliary head reads cell `2L/3`.
//!
//! As in DARTS' `Cell.forward`, the output of every cell operation other than the identity
//! is marked in [`Graph::drop_path`]. So a stride-2 `skip_connect` (a factorized reduction)
//! is marked and the stride-1 one is not. The input preprocessing, the stems and the
//! auxiliary head have no marks.

use serde::{Deserialize, Serialize};

use super::genotype::DartsGenotype;
use super::operation::{conv, factorized_reduce, relu_conv_bn};
use crate::SpaceError;
use crate::network::{AuxiliaryHead, Classifier, Graph, Layer, Network, NodeId};

/// Channels of the stem are this multiple of the initial channels.
const STEM_MULTIPLIER: usize = 3;

/// Stem, head and auxiliary head of a micro network.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MicroLayout {
    /// DARTS' `NetworkCIFAR`: one stride-1 stem to `3C` channels, for 32x32 inputs.
    #[default]
    Cifar,
    /// DARTS' `NetworkImageNet`: two stems that reduce the input 8 times, for 224x224
    /// inputs.
    ImageNet,
}

/// Size of a micro network, chosen separately from the genome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MicroScale {
    /// Initial channels `C` of the first cells (the stem has `3C`).
    pub initial_channels: usize,
    /// Number of cells `L`, reduction cells included.
    pub layers: usize,
    /// Classes of the classifier.
    pub classes: usize,
    /// Height and width of the square RGB input.
    pub input_size: usize,
    /// Whether to build the auxiliary head after cell `2L/3`.
    pub auxiliary: bool,
    /// Stem and heads; [`MicroLayout::Cifar`] when absent from serialized scales.
    #[serde(default)]
    pub layout: MicroLayout,
}

impl MicroScale {
    /// Creates NSGA-Net's search scale on CIFAR-10: 10 initial channels, 5 cells, 10 classes, 32x32
    /// input, no auxiliary head.
    pub fn search() -> Self {
        MicroScale {
            initial_channels: 10,
            layers: 5,
            classes: 10,
            input_size: 32,
            auxiliary: false,
            layout: MicroLayout::Cifar,
        }
    }

    /// Creates the deployment scale on CIFAR-10: 20 cells, 10 classes, 32x32 input, with
    /// `initial_channels` (34 in NSGA-Net, 36 in DARTS) and an optional auxiliary head.
    pub fn deployment(initial_channels: usize, auxiliary: bool) -> Self {
        MicroScale {
            initial_channels,
            layers: 20,
            classes: 10,
            input_size: 32,
            auxiliary,
            layout: MicroLayout::Cifar,
        }
    }

    /// Creates DARTS' ImageNet scale: `layers` cells (14 in DARTS), 1,000 classes, 224x224
    /// input, with `initial_channels` (48 in DARTS) and an optional auxiliary head.
    pub fn imagenet(initial_channels: usize, layers: usize, auxiliary: bool) -> Self {
        MicroScale {
            initial_channels,
            layers,
            classes: 1000,
            input_size: 224,
            auxiliary,
            layout: MicroLayout::ImageNet,
        }
    }

    /// Checks that every size is positive and the initial channels are even.
    ///
    /// # Errors
    ///
    /// [`SpaceError::InvalidScale`] naming the value.
    pub fn validate(&self) -> Result<(), SpaceError> {
        let sizes = [
            ("initial channels", self.initial_channels),
            ("layers", self.layers),
            ("classes", self.classes),
            ("input size", self.input_size),
        ];
        if let Some((name, _)) = sizes.iter().find(|(_, value)| *value == 0) {
            return Err(SpaceError::InvalidScale(format!("{name} must be positive")));
        }
        if !self.initial_channels.is_multiple_of(2) {
            return Err(SpaceError::InvalidScale(format!(
                "initial channels are {}; use an even number, because factorized reductions \
                 split the channels into two halves",
                self.initial_channels
            )));
        }
        Ok(())
    }

    /// Returns whether cell `index` (from 0) is a reduction cell.
    pub fn is_reduction(&self, index: usize) -> bool {
        index == self.layers / 3 || index == 2 * self.layers / 3
    }
}

/// Channels and kind of one cell.
struct CellPlan {
    older_channels: usize,
    newer_channels: usize,
    channels: usize,
    reduction: bool,
    reduction_before: bool,
}

/// Builds the network of a genotype at a scale, in the scale's layout. Cells keep the genotype's concat
/// lists and may have any number of nodes.
///
/// # Errors
///
/// The errors of [`MicroScale::validate`] and [`DartsGenotype::validate`], and
/// [`SpaceError::InvalidNetwork`] when the input is too small for the reductions.
pub fn build_network(genotype: &DartsGenotype, scale: &MicroScale) -> Result<Network, SpaceError> {
    scale.validate()?;
    genotype.validate()?;
    let mut graph = Graph::new();
    let stems = match scale.layout {
        MicroLayout::Cifar => cifar_stem(&mut graph, scale.initial_channels),
        MicroLayout::ImageNet => imagenet_stems(&mut graph, scale.initial_channels),
    };
    let (mut older, mut newer) = (stems.older, stems.newer);
    let (mut older_channels, mut newer_channels) = (stems.channels, stems.channels);
    let mut channels = scale.initial_channels;
    let mut reduction_before = stems.reduced_older;
    let mut auxiliary_source = None;
    for index in 0..scale.layers {
        let reduction = scale.is_reduction(index);
        if reduction {
            channels *= 2;
        }
        let plan = CellPlan {
            older_channels,
            newer_channels,
            channels,
            reduction,
            reduction_before,
        };
        let output = append_cell(&mut graph, older, newer, genotype, &plan);
        let concat = if reduction {
            &genotype.reduce_concat
        } else {
            &genotype.normal_concat
        };
        (older, newer) = (newer, output);
        (older_channels, newer_channels) = (newer_channels, concat.len() * channels);
        reduction_before = reduction;
        if index == 2 * scale.layers / 3 {
            auxiliary_source = Some((output, newer_channels));
        }
    }

    graph.output = graph.layer(Layer::GlobalAvgPool, newer);
    let network = Network {
        input: [3, scale.input_size, scale.input_size],
        backbone: graph,
        classifier: Classifier {
            in_features: newer_channels,
            classes: scale.classes,
        },
        auxiliary: auxiliary_source.filter(|_| scale.auxiliary).map(
            |(source, channels)| match scale.layout {
                MicroLayout::Cifar => cifar_auxiliary_head(source, channels, scale.classes),
                MicroLayout::ImageNet => imagenet_auxiliary_head(source, channels, scale.classes),
            },
        ),
    };
    network.validate()?;
    Ok(network)
}

/// Appends one cell reading `older` and `newer` and returns the node of its output.
fn append_cell(
    graph: &mut Graph,
    older: NodeId,
    newer: NodeId,
    genotype: &DartsGenotype,
    plan: &CellPlan,
) -> NodeId {
    let channels = plan.channels;
    let older = if plan.reduction_before {
        factorized_reduce(graph, older, plan.older_channels, channels)
    } else {
        graph.chain(relu_conv_bn(plan.older_channels, channels), older)
    };
    let newer = graph.chain(relu_conv_bn(plan.newer_channels, channels), newer);
    let (units, concat) = if plan.reduction {
        (&genotype.reduce, &genotype.reduce_concat)
    } else {
        (&genotype.normal, &genotype.normal_concat)
    };

    let mut states = vec![older, newer];
    for pair in units.chunks_exact(2) {
        let summands = pair
            .iter()
            .map(|&(operation, input)| {
                let stride = if plan.reduction && input < 2 { 2 } else { 1 };
                let output = operation.append(graph, states[input], channels, stride);
                // Every operation but the stride-1 identity appends a layer node of its own.
                if output != states[input] {
                    graph.mark_drop_path(output);
                }
                output
            })
            .collect();
        states.push(graph.add(summands));
    }
    graph.concat(concat.iter().map(|&state| states[state]).collect())
}

/// The inputs the first cell reads.
struct Stems {
    older: NodeId,
    newer: NodeId,
    /// Channels of both stems.
    channels: usize,
    /// Whether the first cell preprocesses `older` with a factorized reduction.
    reduced_older: bool,
}

/// Appends the CIFAR stem: 3x3 convolution to `3C` channels and batch norm.
fn cifar_stem(graph: &mut Graph, initial_channels: usize) -> Stems {
    let channels = STEM_MULTIPLIER * initial_channels;
    let stem = graph.chain(
        [
            conv(3, channels, [3, 3], [1, 1], [1, 1]),
            Layer::BatchNorm2d { channels },
        ],
        0,
    );
    Stems {
        older: stem,
        newer: stem,
        channels,
        reduced_older: false,
    }
}

/// Appends the two ImageNet stems. `stem0` halves the input twice and `stem1` once more,
/// so the first cell's older input has twice the height and width of its newer input.
fn imagenet_stems(graph: &mut Graph, channels: usize) -> Stems {
    let half = channels / 2;
    let stem0 = graph.chain(
        [
            conv(3, half, [3, 3], [2, 2], [1, 1]),
            Layer::BatchNorm2d { channels: half },
            Layer::Relu,
            conv(half, channels, [3, 3], [2, 2], [1, 1]),
            Layer::BatchNorm2d { channels },
        ],
        0,
    );
    let stem1 = graph.chain(
        [
            Layer::Relu,
            conv(channels, channels, [3, 3], [2, 2], [1, 1]),
            Layer::BatchNorm2d { channels },
        ],
        stem0,
    );
    Stems {
        older: stem0,
        newer: stem1,
        channels,
        reduced_older: true,
    }
}

/// Returns DARTS' CIFAR auxiliary head for 8x8 maps: ReLU, 5x5 average pooling of stride 3
/// without padding, 1x1 convolution to 128 with batch norm and ReLU, 2x2 convolution to 768
/// with batch norm and ReLU, then a linear layer.
fn cifar_auxiliary_head(source: NodeId, channels: usize, classes: usize) -> AuxiliaryHead {
    auxiliary_head(source, channels, classes, 3, true)
}

/// Returns DARTS' ImageNet auxiliary head for 7x7 maps: as the CIFAR head but with pooling
/// of stride 2 and no batch norm after the 2x2 convolution. DARTS' `AuxiliaryHeadImageNet`
/// omits that batch norm, and its trained ImageNet models have none.
fn imagenet_auxiliary_head(source: NodeId, channels: usize, classes: usize) -> AuxiliaryHead {
    auxiliary_head(source, channels, classes, 2, false)
}

fn auxiliary_head(
    source: NodeId,
    channels: usize,
    classes: usize,
    pool_stride: usize,
    last_batch_norm: bool,
) -> AuxiliaryHead {
    let mut graph = Graph::new();
    let mut layers = vec![
        Layer::Relu,
        Layer::AvgPool2d {
            kernel: [5, 5],
            stride: [pool_stride, pool_stride],
            padding: [0, 0],
            count_include_pad: false,
        },
        conv(channels, 128, [1, 1], [1, 1], [0, 0]),
        Layer::BatchNorm2d { channels: 128 },
        Layer::Relu,
        conv(128, 768, [2, 2], [1, 1], [0, 0]),
    ];
    if last_batch_norm {
        layers.push(Layer::BatchNorm2d { channels: 768 });
    }
    layers.push(Layer::Relu);
    graph.output = graph.chain(layers, 0);
    AuxiliaryHead {
        source,
        graph,
        classifier: Classifier {
            in_features: 768,
            classes,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Node;
    use crate::micro::catalogue;

    #[test]
    fn darts_v2_parameters_match_published_code() {
        let genotype = catalogue::genotype("darts_v2").unwrap();
        let network = build_network(&genotype, &MicroScale::deployment(36, true)).unwrap();
        // Parameter count of DARTS' NetworkCIFAR(36, 10, 20, auxiliary) for DARTS_V2.
        assert_eq!(network.parameters(), 3_349_342);
        // Auxiliary head at 576 input channels:
        // conv 576*128 + BN 2*128 + conv 128*768*2*2 + BN 2*768 + linear 768*10 + 10
        // = 73,728 + 256 + 393,216 + 1,536 + 7,690.
        assert_eq!(network.auxiliary_parameters(), 476_426);
        assert_eq!(network.feature_dim(), 576);
    }

    #[test]
    fn search_scale_has_160_features() {
        let genotype = catalogue::genotype("darts_v2").unwrap();
        let network = build_network(&genotype, &MicroScale::search()).unwrap();
        // C = 10 doubles twice to 40; four concatenated nodes give 160 channels.
        assert_eq!(network.feature_dim(), 160);
        assert_eq!(network.backbone.parameters(), 53_360);
    }

    #[test]
    fn auxiliary_head_reads_8x8_maps() {
        let genotype = catalogue::genotype("darts_v2").unwrap();
        let network = build_network(&genotype, &MicroScale::deployment(36, true)).unwrap();
        let shapes = network.validate().unwrap();
        let head = network.auxiliary.as_ref().unwrap();
        assert_eq!(shapes[head.source], [576, 8, 8]);
    }

    #[test]
    fn imagenet_darts_v2_shapes() {
        let genotype = catalogue::genotype("darts_v2").unwrap();
        let network = build_network(&genotype, &MicroScale::imagenet(48, 14, true)).unwrap();
        let shapes = network.validate().unwrap();
        // stem0: 224 -> 112 -> 56 at 48 channels; stem1: 56 -> 28.
        assert_eq!(shapes[5], [48, 56, 56]);
        assert_eq!(shapes[8], [48, 28, 28]);
        // Reduction cells 4 and 9 double 48 twice; four concatenated nodes give 768.
        assert_eq!(network.feature_dim(), 768);
        assert_eq!(network.classifier.classes, 1000);
        let output = network.backbone.output;
        let Node::Layer { input, .. } = network.backbone.nodes[output] else {
            panic!("the backbone does not end in a layer");
        };
        assert_eq!(shapes[input], [768, 7, 7]);
        let head = network.auxiliary.as_ref().unwrap();
        assert_eq!(shapes[head.source], [768, 7, 7]);
    }

    #[test]
    fn imagenet_auxiliary_head_parameters() {
        let genotype = catalogue::genotype("darts_v2").unwrap();
        let network = build_network(&genotype, &MicroScale::imagenet(48, 14, true)).unwrap();
        // conv 768*128 + BN 2*128 + conv 128*768*2*2 + linear 768*1,000 + 1,000
        // = 98,304 + 256 + 393,216 + 769,000; no batch norm after the 2x2 convolution.
        assert_eq!(network.auxiliary_parameters(), 1_260_776);
    }

    #[test]
    fn drop_path_marks_non_identity_operations() {
        let genotype = catalogue::genotype("darts_v2").unwrap();
        let network = build_network(&genotype, &MicroScale::deployment(36, true)).unwrap();
        // A normal cell has 6 operations besides its 2 stride-1 skip_connects. A reduction
        // cell has 4 max pools and 1 of its 3 skip_connects at stride 2 (reading input 0 or
        // 1). 18 normal and 2 reduction cells give 18 * 6 + 2 * 5 = 118.
        let marked = &network.backbone.drop_path;
        assert_eq!(marked.len(), 118);
        assert!(marked.windows(2).all(|pair| pair[0] < pair[1]));
        for &node in marked {
            assert!(
                matches!(network.backbone.nodes[node], Node::Layer { .. }),
                "node {node} is not a layer"
            );
        }
        let head = network.auxiliary.as_ref().unwrap();
        assert!(head.graph.drop_path.is_empty());
    }

    #[test]
    fn drop_path_marks_stride_two_skip() {
        let text = "Genotype(normal=[('skip_connect', 0), ('skip_connect', 1)], \
                    normal_concat=[2], reduce=[('skip_connect', 0), ('skip_connect', 1)], \
                    reduce_concat=[2])";
        let genotype: DartsGenotype = text.parse().unwrap();
        let scale = MicroScale {
            layers: 3,
            ..MicroScale::search()
        };
        let network = build_network(&genotype, &scale).unwrap();
        // Of 3 cells, cells 1 and 2 are reduction cells. Only their operations are not the
        // identity: two factorized reductions each, each ending in batch norm.
        assert!(!scale.is_reduction(0));
        assert!(scale.is_reduction(1));
        assert!(scale.is_reduction(2));
        let marked = &network.backbone.drop_path;
        assert_eq!(marked.len(), 4);
        for &node in marked {
            assert!(matches!(
                network.backbone.nodes[node],
                Node::Layer {
                    layer: Layer::BatchNorm2d { .. },
                    ..
                }
            ));
        }
    }

    #[test]
    fn graph_without_drop_path_field_loads() {
        let genotype = catalogue::genotype("darts_v2").unwrap();
        let network = build_network(&genotype, &MicroScale::search()).unwrap();
        let mut json = serde_json::to_value(&network).unwrap();
        assert!(json["backbone"]["drop_path"].is_array());
        json["backbone"]
            .as_object_mut()
            .unwrap()
            .remove("drop_path");
        let loaded: Network = serde_json::from_value(json).unwrap();
        assert!(loaded.backbone.drop_path.is_empty());
        assert_eq!(loaded.backbone.nodes, network.backbone.nodes);
    }

    #[test]
    fn drop_path_on_non_layer_is_invalid() {
        let genotype = catalogue::genotype("darts_v2").unwrap();
        let mut network = build_network(&genotype, &MicroScale::search()).unwrap();
        network.backbone.drop_path.push(0);
        network.backbone.drop_path.sort_unstable();
        let error = network.validate().unwrap_err();
        assert!(error.to_string().contains("drop-path node 0"), "{error}");
    }

    #[test]
    fn layout_defaults_to_cifar_in_json() {
        let json =
            r#"{"initial_channels":36,"layers":20,"classes":10,"input_size":32,"auxiliary":false}"#;
        let scale: MicroScale = serde_json::from_str(json).unwrap();
        assert_eq!(scale, MicroScale::deployment(36, false));
    }

    #[test]
    fn odd_channels_are_rejected() {
        let genotype = catalogue::genotype("darts_v2").unwrap();
        let error = build_network(&genotype, &MicroScale::deployment(35, false)).unwrap_err();
        assert!(matches!(error, SpaceError::InvalidScale(_)));
    }

    #[test]
    fn tiny_input_is_an_error_not_a_panic() {
        let genotype = catalogue::genotype("darts_v2").unwrap();
        let scale = MicroScale {
            input_size: 1,
            ..MicroScale::search()
        };
        assert!(build_network(&genotype, &scale).is_err());
    }
}
