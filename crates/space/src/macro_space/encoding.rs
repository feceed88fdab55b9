//! Decoding of one phase's bits to its dependency graph, following `ResidualPhase` of
//! NSGA-Net's `models/macro_decoder.py` (the "residual" decoder NSGA-Net uses).

use serde::{Deserialize, Serialize};

/// Returns the number of bits of a phase of `nodes` nodes: `nodes (nodes - 1) / 2`
/// connection bits and one skip bit.
pub fn phase_bits(nodes: usize) -> usize {
    nodes * nodes.saturating_sub(1) / 2 + 1
}

/// The inputs of every node of a decoded phase. Index 0 is the phase input, `1..=nodes`
/// the convolution nodes, `nodes + 1` the phase output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseGraph {
    /// For every index, the indices it reads, concatenated in this order.
    pub inputs: Vec<Vec<usize>>,
    /// Whether the skip bit is set (the phase input joins the output's inputs).
    pub skip: bool,
    /// Whether any connection bit is set; inactive phases are removed from the network.
    pub active: bool,
}

impl PhaseGraph {
    /// Decodes one phase from its bits (`phase_bits(nodes)` of them).
    ///
    /// After reading the connection bits and the skip bit, two repairs apply: a node with
    /// inputs but no outputs feeds the phase output, and a node with outputs but no inputs
    /// reads the phase input. Nodes with neither are absent.
    pub fn decode(bits: &[bool], nodes: usize) -> PhaseGraph {
        let output = nodes + 1;
        let skip = bits.last().copied().unwrap_or(false);
        let mut inputs = vec![Vec::new(); nodes + 2];
        let mut offset = 0;
        for (node, list) in inputs.iter_mut().enumerate().take(nodes + 1).skip(2) {
            for earlier in 1..node {
                if bits.get(offset).copied().unwrap_or(false) {
                    list.push(earlier);
                }
                offset += 1;
            }
        }
        if skip {
            inputs[output].push(0);
        }
        let active = inputs[1..=nodes].iter().any(|list| !list.is_empty());

        let has_inputs: Vec<bool> = (0..=nodes).map(|node| !inputs[node].is_empty()).collect();
        let has_outputs: Vec<bool> = (0..=nodes)
            .map(|node| inputs[node + 1..].iter().any(|list| list.contains(&node)))
            .collect();
        for node in 1..=nodes {
            if has_inputs[node] && !has_outputs[node] {
                inputs[output].push(node);
            }
        }
        for node in 1..=nodes {
            if !has_inputs[node] && has_outputs[node] {
                inputs[node].push(0);
            }
        }
        PhaseGraph {
            inputs,
            skip,
            active,
        }
    }

    /// Returns the number of convolution nodes.
    pub fn nodes(&self) -> usize {
        self.inputs.len().saturating_sub(2)
    }

    /// Returns whether convolution node `node` (from 1) is built.
    pub fn is_used(&self, node: usize) -> bool {
        self.inputs.get(node).is_some_and(|list| !list.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(values: &[u8]) -> Vec<bool> {
        values.iter().map(|&bit| bit == 1).collect()
    }

    #[test]
    fn bit_counts() {
        assert_eq!(phase_bits(6), 16);
        assert_eq!(phase_bits(4), 7);
    }

    #[test]
    fn chain_reads_input_and_feeds_output() {
        // Four nodes: 1 -> 2, 2 -> 3; node 4 unused; no skip.
        let phase = PhaseGraph::decode(&bits(&[1, 0, 1, 0, 0, 0, 0]), 4);
        assert!(phase.active);
        assert_eq!(phase.inputs[1], vec![0]);
        assert_eq!(phase.inputs[2], vec![1]);
        assert_eq!(phase.inputs[3], vec![2]);
        assert!(!phase.is_used(4));
        assert_eq!(phase.inputs[5], vec![3]);
    }

    #[test]
    fn skip_comes_first_in_output() {
        // Node 3 reads nodes 1 and 2; both have no inputs, so they read the phase input.
        let phase = PhaseGraph::decode(&bits(&[0, 1, 1, 0, 0, 0, 1]), 4);
        assert_eq!(phase.inputs[3], vec![1, 2]);
        assert_eq!(phase.inputs[1], vec![0]);
        assert_eq!(phase.inputs[2], vec![0]);
        assert_eq!(phase.inputs[5], vec![0, 3]);
    }

    #[test]
    fn zero_connection_bits_make_phase_inactive() {
        let phase = PhaseGraph::decode(&bits(&[0, 0, 0, 0, 0, 0, 1]), 4);
        assert!(!phase.active);
    }
}
