//! The macro search space: phases of bits plus a network scale.

use std::fmt::Write;

use rwenas_genome::{GeneBounds, Genome};

use super::encoding::{PhaseGraph, phase_bits};
use super::network::{MacroScale, build_network};
use crate::dot::quote;
use crate::network::Network;
use crate::{SearchSpace, SpaceError};

/// NSGA-Net's macro search space at a chosen scale: one phase per channel count of the
/// scale, `nodes` nodes per phase.
///
/// Decoding follows NSGA-Net's residual decoder (ianwhale/nsga-net,
/// `models/macro_decoder.py`) where it differs from a plain reading of the encoding:
///
/// - The phase output reduces its inputs with a 1x1 convolution only when it has several
///   of them, as every node does. With one input it applies only batch norm and ReLU.
/// - Inactive phases (all connection bits zero, whatever the skip bit) are dropped before
///   channels are assigned, so `k` active phases take the first `k` channel counts of the
///   scale and are joined by `k - 1` max poolings.
/// - A genome with no active phase decodes to global average pooling of the input image
///   and the linear classifier on its 3 channels.
/// - The convolution that changes a phase's channel count (3x3 without padding for the
///   first active phase, 1x1 otherwise) has no batch norm, ReLU or bias.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MacroSpace {
    nodes: usize,
    scale: MacroScale,
}

impl MacroSpace {
    /// Creates a space of `nodes` nodes per phase.
    ///
    /// # Errors
    ///
    /// [`SpaceError::InvalidScale`] when `nodes < 2` (a phase then has no connection bit) or
    /// the scale is invalid.
    pub fn new(nodes: usize, scale: MacroScale) -> Result<Self, SpaceError> {
        if nodes < 2 {
            return Err(SpaceError::InvalidScale(format!(
                "{nodes} nodes per phase; use at least 2 so that a phase has connection bits"
            )));
        }
        scale.validate()?;
        Ok(MacroSpace { nodes, scale })
    }

    /// Creates NSGA-Net's released configuration: 6 nodes per phase (48 bits at 3 phases).
    ///
    /// # Errors
    ///
    /// The errors of [`MacroScale::validate`].
    pub fn nsga_net(scale: MacroScale) -> Result<Self, SpaceError> {
        MacroSpace::new(6, scale)
    }

    /// Returns the nodes per phase.
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    /// Returns the scale.
    pub fn scale(&self) -> &MacroScale {
        &self.scale
    }

    /// Returns the genome length.
    pub fn len(&self) -> usize {
        self.scale.channels.len() * phase_bits(self.nodes)
    }

    /// Returns whether genomes are empty (never for a valid space).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Decodes a genome to its phase graphs.
    ///
    /// # Errors
    ///
    /// [`SpaceError::Genome`] for a wrong length or a gene other than 0 and 1.
    pub fn phases(&self, genome: &Genome) -> Result<Vec<PhaseGraph>, SpaceError> {
        self.bounds().validate(genome)?;
        let bits = genome.to_bits()?;
        Ok(bits
            .chunks_exact(phase_bits(self.nodes))
            .map(|phase| PhaseGraph::decode(phase, self.nodes))
            .collect())
    }
}

impl SearchSpace for MacroSpace {
    fn name(&self) -> &str {
        "macro"
    }

    fn bounds(&self) -> GeneBounds {
        GeneBounds::binary(self.len())
    }

    fn decode(&self, genome: &Genome) -> Result<Network, SpaceError> {
        build_network(&self.phases(genome)?, &self.scale)
    }

    fn describe(&self, genome: &Genome) -> Result<String, SpaceError> {
        let phases = self.phases(genome)?;
        let network = build_network(&phases, &self.scale)?;
        let mut text = String::new();
        let mut active = 0;
        for (index, phase) in phases.iter().enumerate() {
            if !phase.active {
                let _ = writeln!(text, "phase {index}: inactive (removed)");
                continue;
            }
            let channels = self.scale.channels[active];
            active += 1;
            let _ = writeln!(
                text,
                "phase {index}: {channels} channels, skip {}",
                phase.skip
            );
            describe_phase(&mut text, phase);
        }
        let _ = write!(
            text,
            "network: {} active phases, {} features, {} parameters",
            active,
            network.feature_dim(),
            network.parameters()
        );
        Ok(text)
    }

    fn to_dot(&self, genome: &Genome) -> Result<String, SpaceError> {
        let phases = self.phases(genome)?;
        let mut dot = String::from("digraph phases {\n  rankdir=LR;\n  node [shape=box];\n");
        for (index, phase) in phases.iter().enumerate() {
            phase_dot(&mut dot, index, phase);
        }
        dot.push_str("}\n");
        Ok(dot)
    }
}

fn node_name(phase: &PhaseGraph, index: usize) -> String {
    match index {
        0 => "input".to_owned(),
        index if index == phase.nodes() + 1 => "output".to_owned(),
        index => format!("node {index}"),
    }
}

fn describe_phase(text: &mut String, phase: &PhaseGraph) {
    for index in 1..=phase.nodes() + 1 {
        let sources = &phase.inputs[index];
        if sources.is_empty() {
            continue;
        }
        let names: Vec<String> = sources
            .iter()
            .map(|&source| node_name(phase, source))
            .collect();
        let _ = writeln!(
            text,
            "  {} <- {}",
            node_name(phase, index),
            names.join(", ")
        );
    }
}

fn phase_dot(dot: &mut String, index: usize, phase: &PhaseGraph) {
    let state = if phase.active { "" } else { " (inactive)" };
    let _ = writeln!(
        dot,
        "  subgraph cluster_{index} {{\n    label={};",
        quote(&format!("phase {index}{state}"))
    );
    let id = |node: usize| quote(&format!("phase {index} {}", node_name(phase, node)));
    for node in 0..=phase.nodes() + 1 {
        if node == 0 || node == phase.nodes() + 1 || phase.is_used(node) {
            let _ = writeln!(
                dot,
                "    {} [label={}];",
                id(node),
                quote(&node_name(phase, node))
            );
        }
    }
    for (target, sources) in phase.inputs.iter().enumerate() {
        for &source in sources {
            let _ = writeln!(dot, "    {} -> {};", id(source), id(target));
        }
    }
    dot.push_str("  }\n");
}
