//! Candidate operations of a micro cell and the layers each one expands to.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::SpaceError;
use crate::network::{Graph, Layer, NodeId};

/// An operation applied to one input of a block, as named in DARTS (quark0/darts) and
/// NSGA-Net (ianwhale/nsga-net). The discriminant is the operation's gene value in NSGA-Net's
/// micro space. Serde writes the DARTS names (`sep_conv_3x3`) and also reads the names
/// without the underscore before the kernel size (`sep_conv3x3`) that earlier versions wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// 3x3 max pooling, padding 1.
    #[serde(rename = "max_pool_3x3", alias = "max_pool3x3")]
    MaxPool3x3 = 0,
    /// 3x3 average pooling, padding 1, padded positions excluded from the divisor.
    #[serde(rename = "avg_pool_3x3", alias = "avg_pool3x3")]
    AvgPool3x3 = 1,
    /// Identity, or a factorized reduction at stride 2.
    SkipConnect = 2,
    /// Two stacked ReLU, depthwise 3x3, pointwise 1x1, batch norm.
    #[serde(rename = "sep_conv_3x3", alias = "sep_conv3x3")]
    SepConv3x3 = 3,
    /// Two stacked ReLU, depthwise 5x5, pointwise 1x1, batch norm.
    #[serde(rename = "sep_conv_5x5", alias = "sep_conv5x5")]
    SepConv5x5 = 4,
    /// ReLU, depthwise 3x3 with dilation 2, pointwise 1x1, batch norm.
    #[serde(rename = "dil_conv_3x3", alias = "dil_conv3x3")]
    DilConv3x3 = 5,
    /// ReLU, depthwise 5x5 with dilation 2, pointwise 1x1, batch norm.
    #[serde(rename = "dil_conv_5x5", alias = "dil_conv5x5")]
    DilConv5x5 = 6,
    /// Two stacked ReLU, depthwise 7x7, pointwise 1x1, batch norm.
    #[serde(rename = "sep_conv_7x7", alias = "sep_conv7x7")]
    SepConv7x7 = 7,
    /// ReLU, 1x7 convolution, 7x1 convolution, batch norm.
    #[serde(rename = "conv_7x1_1x7", alias = "conv7x1_1x7")]
    Conv7x1_1x7 = 8,
}

impl Operation {
    /// All operations in gene order.
    pub const ALL: [Operation; 9] = [
        Operation::MaxPool3x3,
        Operation::AvgPool3x3,
        Operation::SkipConnect,
        Operation::SepConv3x3,
        Operation::SepConv5x5,
        Operation::DilConv3x3,
        Operation::DilConv5x5,
        Operation::SepConv7x7,
        Operation::Conv7x1_1x7,
    ];

    /// Returns the operation with gene value `index`.
    pub fn from_index(index: usize) -> Option<Operation> {
        Operation::ALL.get(index).copied()
    }

    /// Returns the operation's gene value.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Returns the name used in DARTS genotypes, such as `sep_conv_3x3`.
    pub fn name(self) -> &'static str {
        match self {
            Operation::MaxPool3x3 => "max_pool_3x3",
            Operation::AvgPool3x3 => "avg_pool_3x3",
            Operation::SkipConnect => "skip_connect",
            Operation::SepConv3x3 => "sep_conv_3x3",
            Operation::SepConv5x5 => "sep_conv_5x5",
            Operation::DilConv3x3 => "dil_conv_3x3",
            Operation::DilConv5x5 => "dil_conv_5x5",
            Operation::SepConv7x7 => "sep_conv_7x7",
            Operation::Conv7x1_1x7 => "conv_7x1_1x7",
        }
    }

    /// Appends the operation's layers at `channels` channels and `stride`, reading `input`,
    /// and returns the node of its output.
    pub fn append(
        self,
        graph: &mut Graph,
        input: NodeId,
        channels: usize,
        stride: usize,
    ) -> NodeId {
        match self {
            Operation::MaxPool3x3 => graph.layer(max_pool(stride), input),
            Operation::AvgPool3x3 => graph.layer(avg_pool(stride), input),
            Operation::SkipConnect if stride == 1 => input,
            Operation::SkipConnect => factorized_reduce(graph, input, channels, channels),
            Operation::SepConv3x3 => sep_conv(graph, input, channels, 3, stride),
            Operation::SepConv5x5 => sep_conv(graph, input, channels, 5, stride),
            Operation::SepConv7x7 => sep_conv(graph, input, channels, 7, stride),
            Operation::DilConv3x3 => graph.chain(dil_conv(channels, 3, 2, stride, 2), input),
            Operation::DilConv5x5 => graph.chain(dil_conv(channels, 5, 4, stride, 2), input),
            Operation::Conv7x1_1x7 => graph.chain(conv_7x1_1x7(channels, stride), input),
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

impl FromStr for Operation {
    type Err = SpaceError;

    fn from_str(name: &str) -> Result<Self, SpaceError> {
        Operation::ALL
            .into_iter()
            .find(|operation| operation.name() == name)
            .ok_or_else(|| SpaceError::UnknownOperation {
                name: name.to_owned(),
                expected: Operation::ALL.map(Operation::name).join(", "),
            })
    }
}

/// Returns a convolution without bias.
pub(crate) fn conv(
    in_channels: usize,
    out_channels: usize,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
) -> Layer {
    Layer::Conv2d {
        in_channels,
        out_channels,
        kernel,
        stride,
        padding,
        dilation: [1, 1],
        groups: 1,
        bias: false,
    }
}

/// Returns ReLU, 1x1 convolution without bias, batch norm: the cell input preprocessing.
pub(crate) fn relu_conv_bn(in_channels: usize, out_channels: usize) -> [Layer; 3] {
    [
        Layer::Relu,
        conv(in_channels, out_channels, [1, 1], [1, 1], [0, 0]),
        Layer::BatchNorm2d {
            channels: out_channels,
        },
    ]
}

/// Appends a factorized reduction: ReLU, then two 1x1 stride-2 convolutions to
/// `out_channels / 2` each, the second on the input cropped by one row and column,
/// concatenated, then batch norm.
pub(crate) fn factorized_reduce(
    graph: &mut Graph,
    input: NodeId,
    in_channels: usize,
    out_channels: usize,
) -> NodeId {
    let half = out_channels / 2;
    let relu = graph.layer(Layer::Relu, input);
    let first = graph.layer(conv(in_channels, half, [1, 1], [2, 2], [0, 0]), relu);
    let shifted = graph.layer(Layer::Crop { top: 1, left: 1 }, relu);
    let second = graph.layer(conv(in_channels, half, [1, 1], [2, 2], [0, 0]), shifted);
    let joined = graph.concat(vec![first, second]);
    graph.layer(Layer::BatchNorm2d { channels: 2 * half }, joined)
}

fn max_pool(stride: usize) -> Layer {
    Layer::MaxPool2d {
        kernel: [3, 3],
        stride: [stride, stride],
        padding: [1, 1],
    }
}

fn avg_pool(stride: usize) -> Layer {
    Layer::AvgPool2d {
        kernel: [3, 3],
        stride: [stride, stride],
        padding: [1, 1],
        count_include_pad: false,
    }
}

/// Returns ReLU, depthwise `kernel` convolution, pointwise 1x1 convolution, batch norm.
fn dil_conv(
    channels: usize,
    kernel: usize,
    padding: usize,
    stride: usize,
    dilation: usize,
) -> [Layer; 4] {
    [
        Layer::Relu,
        Layer::Conv2d {
            in_channels: channels,
            out_channels: channels,
            kernel: [kernel, kernel],
            stride: [stride, stride],
            padding: [padding, padding],
            dilation: [dilation, dilation],
            groups: channels,
            bias: false,
        },
        conv(channels, channels, [1, 1], [1, 1], [0, 0]),
        Layer::BatchNorm2d { channels },
    ]
}

/// Appends two stacked depthwise-separable convolutions; only the first one is strided.
fn sep_conv(
    graph: &mut Graph,
    input: NodeId,
    channels: usize,
    kernel: usize,
    stride: usize,
) -> NodeId {
    let padding = kernel / 2;
    let first = graph.chain(dil_conv(channels, kernel, padding, stride, 1), input);
    graph.chain(dil_conv(channels, kernel, padding, 1, 1), first)
}

fn conv_7x1_1x7(channels: usize, stride: usize) -> [Layer; 4] {
    [
        Layer::Relu,
        conv(channels, channels, [1, 7], [1, stride], [0, 3]),
        conv(channels, channels, [7, 1], [stride, 1], [3, 0]),
        Layer::BatchNorm2d { channels },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parameters(operation: Operation, channels: usize, stride: usize) -> u64 {
        let mut graph = Graph::new();
        let output = operation.append(&mut graph, 0, channels, stride);
        graph.output = output;
        graph.shapes([channels, 16, 16]).unwrap();
        graph.parameters()
    }

    #[test]
    fn serde_uses_darts_names() {
        for operation in Operation::ALL {
            let json = serde_json::to_string(&operation).unwrap();
            assert_eq!(json, format!("\"{}\"", operation.name()));
            assert_eq!(serde_json::from_str::<Operation>(&json).unwrap(), operation);
        }
        let earlier: Operation = serde_json::from_str("\"sep_conv3x3\"").unwrap();
        assert_eq!(earlier, Operation::SepConv3x3);
    }

    #[test]
    fn names_round_trip() {
        for operation in Operation::ALL {
            assert_eq!(operation.name().parse::<Operation>().unwrap(), operation);
            assert_eq!(Operation::from_index(operation.index()), Some(operation));
        }
    }

    #[test]
    fn unknown_name_lists_known_ones() {
        let error = "none".parse::<Operation>().unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("unknown operation 'none'; expected one of max_pool_3x3")
        );
    }

    #[test]
    fn parameter_formulas_hold() {
        let c = 16u64;
        // sep_conv_kxk: 2 (k^2 C + C^2 + 2C).
        assert_eq!(
            parameters(Operation::SepConv3x3, 16, 1),
            2 * (9 * c + c * c + 2 * c)
        );
        assert_eq!(
            parameters(Operation::SepConv5x5, 16, 2),
            2 * (25 * c + c * c + 2 * c)
        );
        assert_eq!(
            parameters(Operation::SepConv7x7, 16, 1),
            2 * (49 * c + c * c + 2 * c)
        );
        // dil_conv_kxk: k^2 C + C^2 + 2C.
        assert_eq!(
            parameters(Operation::DilConv3x3, 16, 1),
            9 * c + c * c + 2 * c
        );
        assert_eq!(
            parameters(Operation::DilConv5x5, 16, 2),
            25 * c + c * c + 2 * c
        );
        // conv_7x1_1x7: 14 C^2 + 2C.
        assert_eq!(
            parameters(Operation::Conv7x1_1x7, 16, 2),
            14 * c * c + 2 * c
        );
        // Factorized reduction: two 1x1 convolutions C -> C/2, batch norm: C^2 + 2C.
        assert_eq!(parameters(Operation::SkipConnect, 16, 2), c * c + 2 * c);
        assert_eq!(parameters(Operation::SkipConnect, 16, 1), 0);
        assert_eq!(parameters(Operation::MaxPool3x3, 16, 2), 0);
    }

    #[test]
    fn strided_operations_halve_the_map() {
        for operation in Operation::ALL {
            let mut graph = Graph::new();
            graph.output = operation.append(&mut graph, 0, 8, 2);
            let shapes = graph.shapes([8, 16, 16]).unwrap();
            assert_eq!(shapes[graph.output], [8, 8, 8], "{operation}");
        }
    }
}
