//! The counting walk over a network description.

use rwenas_space::{Graph, Layer, Network, Node, Shape};

use crate::FlopsError;

/// Counting convention, as tabulated in the crate documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Convention {
    /// Multiply-accumulates of convolutions and linear layers, without bias terms.
    ConvLinear,
    /// NSGA-Net's counter: `ConvLinear` plus one per ReLU output element, one per pooling
    /// input element and two per batch-norm element.
    NsgaNet,
}

/// Counts of one network under one convention.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Counts {
    /// Operations of the backbone and the classifier, without the auxiliary head.
    pub macs: u64,
    /// Operations of the backbone alone.
    pub backbone_macs: u64,
    /// Trainable parameters of the backbone and the classifier.
    pub params: u64,
    /// Trainable parameters of the backbone alone.
    pub backbone_params: u64,
    /// Trainable parameters of the auxiliary head, classifier included (0 without one).
    pub auxiliary_params: u64,
    /// Features the backbone produces (the classifier's input).
    pub features: usize,
}

/// Counts the operations and parameters of a network.
///
/// # Errors
///
/// [`FlopsError::Space`] when the network's shapes are inconsistent, and
/// [`FlopsError::Overflow`] when a count exceeds 64 bits.
pub fn count(network: &Network, convention: Convention) -> Result<Counts, FlopsError> {
    let shapes = network.validate()?;
    let backbone_macs = graph_macs(&network.backbone, &shapes, convention)?;
    let classifier = &network.classifier;
    let classifier_macs = classifier.in_features as u128 * classifier.classes as u128;
    let macs = to_u64(u128::from(backbone_macs) + classifier_macs, "MACs")?;
    Ok(Counts {
        macs,
        backbone_macs,
        params: network.parameters(),
        backbone_params: network.backbone.parameters(),
        auxiliary_params: network.auxiliary_parameters(),
        features: network.feature_dim(),
    })
}

/// Returns the operations of `layer` reading a tensor of shape `input` and producing
/// `output`, under `convention`.
pub fn layer_macs(layer: &Layer, input: Shape, output: Shape, convention: Convention) -> u128 {
    let elements = |shape: Shape| shape.iter().map(|&size| size as u128).product::<u128>();
    match (layer, convention) {
        (
            Layer::Conv2d {
                in_channels,
                kernel,
                groups,
                ..
            },
            _,
        ) => {
            let per_output =
                (in_channels / groups.max(&1)) as u128 * (kernel[0] * kernel[1]) as u128;
            elements(output) * per_output
        }
        (_, Convention::ConvLinear) => 0,
        (Layer::BatchNorm2d { .. }, Convention::NsgaNet) => 2 * elements(output),
        (Layer::Relu, Convention::NsgaNet) => elements(output),
        (
            Layer::MaxPool2d { .. } | Layer::AvgPool2d { .. } | Layer::GlobalAvgPool,
            Convention::NsgaNet,
        ) => elements(input),
        (Layer::Crop { .. }, Convention::NsgaNet) => 0,
    }
}

fn graph_macs(graph: &Graph, shapes: &[Shape], convention: Convention) -> Result<u64, FlopsError> {
    let mut total: u128 = 0;
    for (id, node) in graph.nodes.iter().enumerate() {
        if let Node::Layer { layer, input } = node {
            total += layer_macs(layer, shapes[*input], shapes[id], convention);
        }
    }
    to_u64(total, "backbone MACs")
}

fn to_u64(value: u128, what: &'static str) -> Result<u64, FlopsError> {
    u64::try_from(value).map_err(|_| FlopsError::Overflow { what })
}
