//! Graphviz DOT rendering of network descriptions.

use std::fmt::Write;

use crate::network::{Layer, Network, Node};

/// Renders the backbone graph of a network, one DOT node per graph node.
pub fn network_dot(network: &Network) -> String {
    let mut dot = String::from("digraph network {\n  rankdir=TB;\n  node [shape=box];\n");
    for (id, node) in network.backbone.nodes.iter().enumerate() {
        let _ = writeln!(dot, "  n{id} [label=\"{}\"];", node_label(node));
        for source in node.inputs() {
            let _ = writeln!(dot, "  n{source} -> n{id};");
        }
    }
    let _ = writeln!(
        dot,
        "  classifier [label=\"linear {} -> {}\"];\n  n{} -> classifier;\n}}",
        network.classifier.in_features, network.classifier.classes, network.backbone.output
    );
    dot
}

fn node_label(node: &Node) -> String {
    match node {
        Node::Input => "input".to_owned(),
        Node::Add { .. } => "add".to_owned(),
        Node::Concat { .. } => "concat".to_owned(),
        Node::Layer { layer, .. } => layer_label(layer),
    }
}

/// Returns a short label such as `conv 3x3 16->32 /2`.
pub fn layer_label(layer: &Layer) -> String {
    match layer {
        Layer::Conv2d {
            in_channels,
            out_channels,
            kernel,
            stride,
            dilation,
            groups,
            ..
        } => {
            let mut label = format!(
                "conv {}x{} {in_channels}->{out_channels}",
                kernel[0], kernel[1]
            );
            if *groups > 1 {
                let _ = write!(label, " groups {groups}");
            }
            if dilation[0] > 1 {
                let _ = write!(label, " dilation {}", dilation[0]);
            }
            if stride[0] > 1 || stride[1] > 1 {
                let _ = write!(label, " /{}", stride[0].max(stride[1]));
            }
            label
        }
        Layer::BatchNorm2d { channels } => format!("batch norm {channels}"),
        Layer::Relu => "relu".to_owned(),
        Layer::MaxPool2d { kernel, stride, .. } => {
            format!("max pool {}x{} /{}", kernel[0], kernel[1], stride[0])
        }
        Layer::AvgPool2d { kernel, stride, .. } => {
            format!("avg pool {}x{} /{}", kernel[0], kernel[1], stride[0])
        }
        Layer::Crop { top, left } => format!("crop {top},{left}"),
        Layer::GlobalAvgPool => "global avg pool".to_owned(),
    }
}

/// Quotes a DOT identifier.
pub(crate) fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}
