//! Backend-free description of a convolutional network as a graph of layers.
//!
//! A [`Network`] is what every search space decodes to, and what the FLOPs counter and the
//! Burn builder consume. Nodes are stored in topological order: a node reads only nodes
//! with a smaller index, so one forward sweep over `nodes` evaluates the graph.

use serde::{Deserialize, Serialize};

use crate::SpaceError;

/// Index of a node in [`Graph::nodes`].
pub type NodeId = usize;

/// One layer with its hyper-parameters. Every layer reads one tensor of shape `[C, H, W]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Layer {
    /// 2-D convolution (cross-correlation) with zero padding.
    Conv2d {
        /// Input channels.
        in_channels: usize,
        /// Output channels.
        out_channels: usize,
        /// Kernel size `[height, width]`.
        kernel: [usize; 2],
        /// Stride `[height, width]`.
        stride: [usize; 2],
        /// Zero padding `[height, width]`, applied on both sides.
        padding: [usize; 2],
        /// Dilation `[height, width]`.
        dilation: [usize; 2],
        /// Number of groups; `in_channels` for a depthwise convolution.
        groups: usize,
        /// Whether the convolution adds a bias.
        bias: bool,
    },
    /// Batch normalisation with a learnable scale and shift per channel.
    BatchNorm2d {
        /// Channels.
        channels: usize,
    },
    /// Rectified linear unit.
    Relu,
    /// Max pooling; padded positions never win.
    MaxPool2d {
        /// Window size.
        kernel: [usize; 2],
        /// Stride.
        stride: [usize; 2],
        /// Padding on both sides.
        padding: [usize; 2],
    },
    /// Average pooling.
    AvgPool2d {
        /// Window size.
        kernel: [usize; 2],
        /// Stride.
        stride: [usize; 2],
        /// Padding on both sides.
        padding: [usize; 2],
        /// Whether padded positions count in the divisor (PyTorch's `count_include_pad`).
        count_include_pad: bool,
    },
    /// Removes the first `top` rows and `left` columns (the shifted path of a factorized
    /// reduction), keeping the rest.
    Crop {
        /// Rows removed at the top.
        top: usize,
        /// Columns removed at the left.
        left: usize,
    },
    /// Global average pooling to `[C, 1, 1]`.
    GlobalAvgPool,
}

/// Combination of a node's inputs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Node {
    /// The network input image.
    Input,
    /// A layer applied to one earlier node.
    Layer {
        /// The layer.
        layer: Layer,
        /// The node it reads.
        input: NodeId,
    },
    /// Element-wise sum of earlier nodes of equal shape.
    Add {
        /// The nodes summed.
        inputs: Vec<NodeId>,
    },
    /// Concatenation of earlier nodes along the channel axis.
    Concat {
        /// The nodes concatenated, in order.
        inputs: Vec<NodeId>,
    },
}

/// A directed acyclic graph of nodes in topological order, with one output node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Graph {
    /// The nodes; node 0 is [`Node::Input`].
    pub nodes: Vec<Node>,
    /// The node whose value is the graph's output.
    pub output: NodeId,
    /// Layer nodes whose output training may drop for a whole sample (drop path), in
    /// increasing order: the outputs of the cell operations other than the identity. Empty
    /// in networks without drop path and in descriptions serialised without this field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drop_path: Vec<NodeId>,
}

/// A linear classifier on the pooled features.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classifier {
    /// Input features.
    pub in_features: usize,
    /// Output classes.
    pub classes: usize,
}

/// An auxiliary classifier head used only while training: a graph reading one backbone
/// node, followed by its own linear classifier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuxiliaryHead {
    /// The backbone node the head reads.
    pub source: NodeId,
    /// The head's layers; its [`Node::Input`] is the value of `source`.
    pub graph: Graph,
    /// The head's linear classifier.
    pub classifier: Classifier,
}

/// A whole classification network: a backbone that ends in global average pooling, and a
/// linear classifier on the pooled features.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    /// Input shape `[channels, height, width]`.
    pub input: [usize; 3],
    /// The backbone; its output has shape `[features, 1, 1]`.
    pub backbone: Graph,
    /// The classifier on the backbone's output.
    pub classifier: Classifier,
    /// The auxiliary head, if the network has one.
    pub auxiliary: Option<AuxiliaryHead>,
}

/// Shape of a node's value without the batch axis: `[channels, height, width]`.
pub type Shape = [usize; 3];

impl Layer {
    /// Computes the output shape of this layer for an input of shape `input`.
    ///
    /// # Errors
    ///
    /// [`SpaceError::InvalidNetwork`] when the channels are zero or do not match, or the
    /// window does not fit the padded input.
    pub fn output_shape(&self, input: Shape) -> Result<Shape, SpaceError> {
        let [channels, height, width] = input;
        match *self {
            Layer::Conv2d {
                in_channels,
                out_channels,
                kernel,
                stride,
                padding,
                dilation,
                groups,
                ..
            } => {
                if in_channels != channels {
                    return Err(invalid(format!(
                        "convolution expects {in_channels} input channels but receives {channels}"
                    )));
                }
                if in_channels == 0 || out_channels == 0 {
                    return Err(invalid(format!(
                        "convolution has {in_channels} input and {out_channels} output \
                         channels but needs at least 1 of each"
                    )));
                }
                if groups == 0 || in_channels % groups != 0 || out_channels % groups != 0 {
                    return Err(invalid(format!(
                        "convolution groups {groups} must divide {in_channels} input and \
                         {out_channels} output channels"
                    )));
                }
                let height = window_output(height, kernel[0], stride[0], padding[0], dilation[0])?;
                let width = window_output(width, kernel[1], stride[1], padding[1], dilation[1])?;
                Ok([out_channels, height, width])
            }
            Layer::BatchNorm2d { channels: norm } => {
                if norm != channels {
                    return Err(invalid(format!(
                        "batch norm has {norm} channels but receives {channels}"
                    )));
                }
                Ok(input)
            }
            Layer::Relu => Ok(input),
            Layer::MaxPool2d {
                kernel,
                stride,
                padding,
            }
            | Layer::AvgPool2d {
                kernel,
                stride,
                padding,
                ..
            } => {
                if padding[0] * 2 > kernel[0] || padding[1] * 2 > kernel[1] {
                    return Err(invalid(format!(
                        "pooling padding {padding:?} exceeds half of the window {kernel:?}"
                    )));
                }
                let height = window_output(height, kernel[0], stride[0], padding[0], 1)?;
                let width = window_output(width, kernel[1], stride[1], padding[1], 1)?;
                Ok([channels, height, width])
            }
            Layer::Crop { top, left } => {
                if top >= height || left >= width {
                    return Err(invalid(format!(
                        "crop of {top} rows and {left} columns leaves nothing of {height}x{width}"
                    )));
                }
                Ok([channels, height - top, width - left])
            }
            Layer::GlobalAvgPool => Ok([channels, 1, 1]),
        }
    }

    /// Returns the number of trainable parameters of this layer.
    pub fn parameters(&self) -> u64 {
        match *self {
            Layer::Conv2d {
                in_channels,
                out_channels,
                kernel,
                groups,
                bias,
                ..
            } => {
                let weights = out_channels * (in_channels / groups.max(1)) * kernel[0] * kernel[1];
                (weights + if bias { out_channels } else { 0 }) as u64
            }
            Layer::BatchNorm2d { channels } => 2 * channels as u64,
            _ => 0,
        }
    }
}

impl Graph {
    /// Creates a graph that holds only its input node, which is also its output until
    /// [`Graph::output`] is set to the last node of the backbone.
    pub fn new() -> Self {
        Graph {
            nodes: vec![Node::Input],
            output: 0,
            drop_path: Vec::new(),
        }
    }

    /// Marks `node`, a layer node, as a drop-path node; marking it twice has no effect.
    pub fn mark_drop_path(&mut self, node: NodeId) {
        if let Err(position) = self.drop_path.binary_search(&node) {
            self.drop_path.insert(position, node);
        }
    }

    /// Appends `layer` reading `input` and returns the new node.
    pub fn layer(&mut self, layer: Layer, input: NodeId) -> NodeId {
        self.push(Node::Layer { layer, input })
    }

    /// Appends layers in sequence starting from `input` and returns the last node.
    pub fn chain(&mut self, layers: impl IntoIterator<Item = Layer>, input: NodeId) -> NodeId {
        layers
            .into_iter()
            .fold(input, |node, layer| self.layer(layer, node))
    }

    /// Appends the element-wise sum of `inputs` and returns the new node; a single input is
    /// returned unchanged.
    pub fn add(&mut self, inputs: Vec<NodeId>) -> NodeId {
        match inputs.as_slice() {
            [single] => *single,
            _ => self.push(Node::Add { inputs }),
        }
    }

    /// Appends the channel concatenation of `inputs` and returns the new node; a single
    /// input is returned unchanged.
    pub fn concat(&mut self, inputs: Vec<NodeId>) -> NodeId {
        match inputs.as_slice() {
            [single] => *single,
            _ => self.push(Node::Concat { inputs }),
        }
    }

    fn push(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// Computes the shape of every node for an input of shape `input`.
    ///
    /// # Errors
    ///
    /// [`SpaceError::InvalidNetwork`] when a node reads itself or a later node, when summed
    /// shapes differ, when concatenated spatial sizes differ, when a layer does not fit, or
    /// when [`Graph::drop_path`] is unsorted or names a node that is not a layer.
    pub fn shapes(&self, input: Shape) -> Result<Vec<Shape>, SpaceError> {
        let mut shapes: Vec<Shape> = Vec::with_capacity(self.nodes.len());
        for (id, node) in self.nodes.iter().enumerate() {
            let read = |source: NodeId| -> Result<Shape, SpaceError> {
                shapes.get(source).copied().ok_or_else(|| {
                    invalid(format!(
                        "node {id} reads node {source}, which is not before it"
                    ))
                })
            };
            let shape = match node {
                Node::Input => input,
                Node::Layer { layer, input } => {
                    layer
                        .output_shape(read(*input)?)
                        .map_err(|error| match error {
                            // Keep one "invalid network" prefix and put the node in front.
                            SpaceError::InvalidNetwork(message) => {
                                invalid(format!("node {id}: {message}"))
                            }
                            other => invalid(format!("node {id}: {other}")),
                        })?
                }
                Node::Add { inputs } => {
                    let first = read(*inputs.first().ok_or_else(|| empty(id))?)?;
                    for &source in inputs {
                        if read(source)? != first {
                            return Err(invalid(format!(
                                "node {id} adds node {source} of shape {:?} to shape {first:?}",
                                read(source)?
                            )));
                        }
                    }
                    first
                }
                Node::Concat { inputs } => {
                    let first = read(*inputs.first().ok_or_else(|| empty(id))?)?;
                    let mut channels = 0;
                    for &source in inputs {
                        let shape = read(source)?;
                        if shape[1..] != first[1..] {
                            return Err(invalid(format!(
                                "node {id} concatenates node {source} of shape {shape:?} with \
                                 shape {first:?}"
                            )));
                        }
                        channels += shape[0];
                    }
                    [channels, first[1], first[2]]
                }
            };
            shapes.push(shape);
        }
        if self.output >= shapes.len() {
            return Err(invalid(format!(
                "output node {} does not exist in a graph of {} nodes",
                self.output,
                shapes.len()
            )));
        }
        self.check_drop_path()?;
        Ok(shapes)
    }

    fn check_drop_path(&self) -> Result<(), SpaceError> {
        if !self.drop_path.windows(2).all(|pair| pair[0] < pair[1]) {
            return Err(invalid(format!(
                "drop-path nodes {:?} are not in increasing order without repeats",
                self.drop_path
            )));
        }
        for &node in &self.drop_path {
            if !matches!(self.nodes.get(node), Some(Node::Layer { .. })) {
                return Err(invalid(format!(
                    "drop-path node {node} is not a layer node; only layer outputs can be dropped"
                )));
            }
        }
        Ok(())
    }

    /// Returns the number of trainable parameters of all layers.
    pub fn parameters(&self) -> u64 {
        self.nodes
            .iter()
            .map(|node| match node {
                Node::Layer { layer, .. } => layer.parameters(),
                _ => 0,
            })
            .sum()
    }

    /// Returns, for every node, the index of the last node that reads it (`None` for nodes
    /// that no node reads). An executor can free a value after its last reader ran.
    pub fn last_readers(&self) -> Vec<Option<NodeId>> {
        let mut last = vec![None; self.nodes.len()];
        for (id, node) in self.nodes.iter().enumerate() {
            for source in node.inputs() {
                last[source] = Some(id);
            }
        }
        last
    }
}

impl Default for Graph {
    fn default() -> Self {
        Self::new()
    }
}

impl Node {
    /// Returns the nodes this node reads.
    pub fn inputs(&self) -> Vec<NodeId> {
        match self {
            Node::Input => Vec::new(),
            Node::Layer { input, .. } => vec![*input],
            Node::Add { inputs } | Node::Concat { inputs } => inputs.clone(),
        }
    }
}

impl Classifier {
    /// Returns the parameters of the classifier, bias included.
    pub fn parameters(&self) -> u64 {
        (self.in_features * self.classes + self.classes) as u64
    }
}

impl Network {
    /// Checks every shape of the network and returns the backbone's node shapes.
    ///
    /// # Errors
    ///
    /// [`SpaceError::InvalidNetwork`] when a layer does not fit, when the backbone's output
    /// is not `[features, 1, 1]` with `features` equal to the classifier's input, or when the
    /// auxiliary head does not fit its source node.
    pub fn validate(&self) -> Result<Vec<Shape>, SpaceError> {
        let shapes = self.backbone.shapes(self.input)?;
        let output = shapes[self.backbone.output];
        if output != [self.classifier.in_features, 1, 1] {
            let hint = if self.backbone.output == 0 {
                "; the backbone's output is node 0, the input: set `Graph::output` to the \
                 node that ends the backbone"
            } else {
                ""
            };
            return Err(invalid(format!(
                "backbone output has shape {output:?} but the classifier expects [{}, 1, 1]{hint}",
                self.classifier.in_features
            )));
        }
        if let Some(head) = &self.auxiliary {
            let source = *shapes.get(head.source).ok_or_else(|| {
                invalid(format!("auxiliary head reads missing node {}", head.source))
            })?;
            let head_shapes = head.graph.shapes(source)?;
            let head_output = head_shapes[head.graph.output];
            if head_output[0] * head_output[1] * head_output[2] != head.classifier.in_features {
                return Err(invalid(format!(
                    "auxiliary head output {head_output:?} does not match its classifier input {}",
                    head.classifier.in_features
                )));
            }
        }
        Ok(shapes)
    }

    /// Returns the number of features the backbone produces.
    pub fn feature_dim(&self) -> usize {
        self.classifier.in_features
    }

    /// Returns the trainable parameters of the backbone and the classifier, without the
    /// auxiliary head.
    pub fn parameters(&self) -> u64 {
        self.backbone.parameters() + self.classifier.parameters()
    }

    /// Returns the trainable parameters of the auxiliary head (0 without one).
    pub fn auxiliary_parameters(&self) -> u64 {
        self.auxiliary.as_ref().map_or(0, |head| {
            head.graph.parameters() + head.classifier.parameters()
        })
    }
}

fn window_output(
    size: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    dilation: usize,
) -> Result<usize, SpaceError> {
    let span = dilation * (kernel.max(1) - 1) + 1;
    let padded = size + 2 * padding;
    if stride == 0 || kernel == 0 || span > padded {
        return Err(invalid(format!(
            "window of size {kernel} (dilation {dilation}, stride {stride}) does not fit an \
             input of size {size} with padding {padding}"
        )));
    }
    Ok((padded - span) / stride + 1)
}

fn invalid(message: String) -> SpaceError {
    SpaceError::InvalidNetwork(message)
}

fn empty(id: NodeId) -> SpaceError {
    invalid(format!("node {id} combines no inputs"))
}
