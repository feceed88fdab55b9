//! The macro network: active phases joined by 2x2 max pooling, then global average pooling
//! and a linear classifier, following `ResidualGenomeDecoder` and `EvoNetwork` of NSGA-Net
//! (ianwhale/nsga-net, `models/macro_decoder.py` and `models/macro_models.py`).
//!
//! Within a phase every node is a 3x3 convolution (padding 1, no bias), batch norm and
//! ReLU. A node or the phase output with several inputs concatenates them and reduces them
//! to the phase's channels with a 1x1 convolution (no bias); the phase output then applies
//! batch norm and ReLU. When a phase changes the channel count, its input first goes
//! through a convolution without padding, bias or batch norm: 3x3 for the first active
//! phase, 1x1 otherwise. Inactive phases are dropped before channels are assigned, so the `k` active
//! phases use the first `k` channel counts of the scale; a genome with no active phase
//! decodes to global average pooling of the input image.
//!
//! No node is marked in [`Graph::drop_path`]: NSGA-Net's `EvoNetwork` has no drop path, so
//! its macro networks train without one.

use serde::{Deserialize, Serialize};

use super::encoding::PhaseGraph;
use crate::SpaceError;
use crate::micro::conv;
use crate::network::{Classifier, Graph, Layer, Network, NodeId};

/// Size of a macro network, chosen separately from the genome.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MacroScale {
    /// Output channels of every phase, in order; its length is the number of phases.
    pub channels: Vec<usize>,
    /// Classes of the classifier.
    pub classes: usize,
    /// Height and width of the square RGB input.
    pub input_size: usize,
}

impl MacroScale {
    /// Creates NSGA-Net's search scale on CIFAR-10: phases of 32, 64 and 128 channels, 10 classes,
    /// 32x32 input.
    pub fn search() -> Self {
        MacroScale {
            channels: vec![32, 64, 128],
            classes: 10,
            input_size: 32,
        }
    }

    /// Creates NSGA-Net's deployment scale on CIFAR-10: 128 channels in all three phases.
    pub fn deployment() -> Self {
        MacroScale {
            channels: vec![128; 3],
            classes: 10,
            input_size: 32,
        }
    }

    /// Checks that there is at least one phase and every size is positive.
    ///
    /// # Errors
    ///
    /// [`SpaceError::InvalidScale`] naming the value.
    pub fn validate(&self) -> Result<(), SpaceError> {
        if self.channels.is_empty() {
            return Err(SpaceError::InvalidScale(
                "a macro network needs at least one phase; give one channel count per phase"
                    .to_owned(),
            ));
        }
        if let Some(phase) = self.channels.iter().position(|&channels| channels == 0) {
            return Err(SpaceError::InvalidScale(format!(
                "phase {phase} has 0 channels"
            )));
        }
        if self.classes == 0 || self.input_size == 0 {
            return Err(SpaceError::InvalidScale(
                "classes and input size must be positive".to_owned(),
            ));
        }
        Ok(())
    }
}

/// Builds the network of decoded phases (one per channel count of the scale).
///
/// # Errors
///
/// The errors of [`MacroScale::validate`], [`SpaceError::InvalidScale`] when the number of
/// phases differs from the scale's, and [`SpaceError::InvalidNetwork`] when the input is too
/// small.
pub fn build_network(phases: &[PhaseGraph], scale: &MacroScale) -> Result<Network, SpaceError> {
    scale.validate()?;
    if phases.len() != scale.channels.len() {
        return Err(SpaceError::InvalidScale(format!(
            "{} phases decoded but the scale has {} channel counts",
            phases.len(),
            scale.channels.len()
        )));
    }
    let active: Vec<&PhaseGraph> = phases.iter().filter(|phase| phase.active).collect();
    let mut graph = Graph::new();
    let mut current = 0;
    let mut channels = 3;
    for (index, phase) in active.iter().enumerate() {
        if index > 0 {
            let pool = Layer::MaxPool2d {
                kernel: [2, 2],
                stride: [2, 2],
                padding: [0, 0],
            };
            current = graph.layer(pool, current);
        }
        let out_channels = scale.channels[index];
        if channels != out_channels {
            let kernel = if index == 0 { 3 } else { 1 };
            let layer = conv(channels, out_channels, [kernel, kernel], [1, 1], [0, 0]);
            current = graph.layer(layer, current);
        }
        channels = out_channels;
        current = append_phase(&mut graph, current, phase, channels);
    }
    graph.output = graph.layer(Layer::GlobalAvgPool, current);
    let network = Network {
        input: [3, scale.input_size, scale.input_size],
        backbone: graph,
        classifier: Classifier {
            in_features: channels,
            classes: scale.classes,
        },
        auxiliary: None,
    };
    network.validate()?;
    Ok(network)
}

/// Appends one phase reading `input` and returns the node of its output.
fn append_phase(graph: &mut Graph, input: NodeId, phase: &PhaseGraph, channels: usize) -> NodeId {
    let nodes = phase.nodes();
    let mut values: Vec<Option<NodeId>> = vec![Some(input)];
    for node in 1..=nodes {
        let value = gather(graph, &values, &phase.inputs[node], channels).map(|joined| {
            graph.chain(
                [
                    conv(channels, channels, [3, 3], [1, 1], [1, 1]),
                    Layer::BatchNorm2d { channels },
                    Layer::Relu,
                ],
                joined,
            )
        });
        values.push(value);
    }
    let joined = gather(graph, &values, &phase.inputs[nodes + 1], channels).unwrap_or(input);
    graph.chain([Layer::BatchNorm2d { channels }, Layer::Relu], joined)
}

/// Concatenates the listed values and reduces several of them with a 1x1 convolution;
/// returns `None` for an empty list.
fn gather(
    graph: &mut Graph,
    values: &[Option<NodeId>],
    sources: &[usize],
    channels: usize,
) -> Option<NodeId> {
    let inputs: Vec<NodeId> = sources
        .iter()
        .filter_map(|&source| values.get(source).copied().flatten())
        .collect();
    match inputs.len() {
        0 => None,
        1 => Some(inputs[0]),
        count => {
            let joined = graph.concat(inputs);
            let reduce = conv(count * channels, channels, [1, 1], [1, 1], [0, 0]);
            Some(graph.layer(reduce, joined))
        }
    }
}
