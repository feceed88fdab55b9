//! Readable text and Graphviz DOT of micro cells.

use std::fmt::Write;

use super::genotype::DartsGenotype;
use super::network::MicroScale;
use super::operation::Operation;
use crate::dot::quote;
use crate::network::Network;

/// Describes both cells, the genotype text and the network size.
pub(crate) fn describe(genotype: &DartsGenotype, scale: &MicroScale, network: &Network) -> String {
    let mut text = String::new();
    describe_cell(
        &mut text,
        "normal cell",
        &genotype.normal,
        &genotype.normal_concat,
    );
    describe_cell(
        &mut text,
        "reduction cell",
        &genotype.reduce,
        &genotype.reduce_concat,
    );
    let reductions: Vec<usize> = (0..scale.layers)
        .filter(|&i| scale.is_reduction(i))
        .collect();
    let _ = writeln!(text, "genotype: {genotype}");
    let _ = write!(
        text,
        "network: {} initial channels, {} cells (reduction cells {reductions:?}), {} classes, \
         {}x{} input, {} features, {} parameters",
        scale.initial_channels,
        scale.layers,
        scale.classes,
        scale.input_size,
        scale.input_size,
        network.feature_dim(),
        network.parameters()
    );
    if network.auxiliary.is_some() {
        let _ = write!(
            text,
            " (auxiliary head: {})",
            network.auxiliary_parameters()
        );
    }
    text
}

fn describe_cell(text: &mut String, title: &str, units: &[(Operation, usize)], concat: &[usize]) {
    let _ = writeln!(text, "{title}:");
    for (node, pair) in units.chunks_exact(2).enumerate() {
        let terms: Vec<String> = pair
            .iter()
            .map(|(operation, input)| format!("{operation}({})", state_name(*input)))
            .collect();
        let _ = writeln!(text, "  node {} = {}", node + 2, terms.join(" + "));
    }
    let names: Vec<String> = concat.iter().map(|&state| state_name(state)).collect();
    let _ = writeln!(text, "  output = concat({})", names.join(", "));
}

fn state_name(state: usize) -> String {
    match state {
        0 => "c_{k-2}".to_owned(),
        1 => "c_{k-1}".to_owned(),
        node => format!("node {node}"),
    }
}

/// Renders both cells as two clusters of one DOT digraph; edges carry the operations.
pub(crate) fn genotype_dot(genotype: &DartsGenotype) -> String {
    let mut dot = String::from("digraph cells {\n  rankdir=LR;\n  node [shape=box];\n");
    cell_dot(
        &mut dot,
        "normal",
        &genotype.normal,
        &genotype.normal_concat,
    );
    cell_dot(
        &mut dot,
        "reduce",
        &genotype.reduce,
        &genotype.reduce_concat,
    );
    dot.push_str("}\n");
    dot
}

fn cell_dot(dot: &mut String, cell: &str, units: &[(Operation, usize)], concat: &[usize]) {
    let id = |state: usize| quote(&format!("{cell} {}", state_name(state)));
    let _ = writeln!(
        dot,
        "  subgraph cluster_{cell} {{\n    label={};",
        quote(cell)
    );
    let states = units.len() / 2 + 2;
    for state in 0..states {
        let _ = writeln!(
            dot,
            "    {} [label={}];",
            id(state),
            quote(&state_name(state))
        );
    }
    for (position, (operation, input)) in units.iter().enumerate() {
        let target = position / 2 + 2;
        let _ = writeln!(
            dot,
            "    {} -> {} [label={}];",
            id(*input),
            id(target),
            quote(operation.name())
        );
    }
    let output = quote(&format!("{cell} c_{{k}}"));
    let _ = writeln!(dot, "    {output} [label=\"c_{{k}}\"];");
    for &state in concat {
        let _ = writeln!(dot, "    {} -> {output};", id(state));
    }
    dot.push_str("  }\n");
}
