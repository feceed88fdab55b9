//! Errors of an inconsistent network description.

use rwenas_space::{Classifier, Graph, Layer, Network};

fn conv(in_channels: usize, out_channels: usize) -> Layer {
    Layer::Conv2d {
        in_channels,
        out_channels,
        kernel: [3, 3],
        stride: [1, 1],
        padding: [1, 1],
        dilation: [1, 1],
        groups: 1,
        bias: false,
    }
}

fn network(backbone: Graph, features: usize) -> Network {
    Network {
        input: [3, 8, 8],
        backbone,
        classifier: Classifier {
            in_features: features,
            classes: 10,
        },
        auxiliary: None,
    }
}

#[test]
fn channel_mismatch_names_node_once() {
    let mut graph = Graph::new();
    let first = graph.layer(conv(3, 16), 0);
    let second = graph.layer(conv(32, 16), first);
    graph.output = graph.layer(Layer::GlobalAvgPool, second);
    let message = network(graph, 16).validate().unwrap_err().to_string();
    assert_eq!(
        message,
        "invalid network: node 2: convolution expects 32 input channels but receives 16"
    );
}

#[test]
fn unset_output_points_to_graph_output() {
    let mut graph = Graph::new();
    let features = graph.layer(conv(3, 16), 0);
    graph.layer(Layer::GlobalAvgPool, features);
    let message = network(graph, 16).validate().unwrap_err().to_string();
    assert!(message.contains("[3, 8, 8]"), "{message}");
    assert!(message.contains("Graph::output"), "{message}");
}

#[test]
fn wrong_feature_count_has_no_output_hint() {
    let mut graph = Graph::new();
    let features = graph.layer(conv(3, 16), 0);
    graph.output = graph.layer(Layer::GlobalAvgPool, features);
    let message = network(graph, 8).validate().unwrap_err().to_string();
    assert!(message.contains("[16, 1, 1]"), "{message}");
    assert!(!message.contains("Graph::output"), "{message}");
}

#[test]
fn zero_output_channels_are_rejected() {
    let mut graph = Graph::new();
    let empty = graph.layer(conv(3, 0), 0);
    graph.output = graph.layer(Layer::GlobalAvgPool, empty);
    let message = network(graph, 0).validate().unwrap_err().to_string();
    assert_eq!(
        message,
        "invalid network: node 1: convolution has 3 input and 0 output channels but needs \
         at least 1 of each"
    );
}
