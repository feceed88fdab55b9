//! A Burn network built from a [`Network`] description.

use burn::module::{Module, Param};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rwenas_space::network::{Classifier, Graph, Network, Node, NodeId};

use crate::{Initializer, LayerModule, NnError, NormMode};

/// One step of a graph's forward sweep, mirroring [`Node`] with layers replaced by the
/// index of their module.
#[derive(Clone, Debug)]
enum Step {
    Input,
    Layer { module: usize, input: NodeId },
    Add(Vec<NodeId>),
    Concat(Vec<NodeId>),
}

/// Watches or changes the values that flow through the layers of a [`GraphModule`].
///
/// Zero-cost proxies use it to read activation patterns, to attach gradient probes to
/// layer outputs, or to skip batch norm. `layer` is the index of the layer in
/// [`GraphModule::layers`].
pub trait LayerHook {
    /// Called before `layer` runs on `input`. Returning a value skips the layer and uses
    /// the value as its output (`after` is then not called).
    fn before(
        &mut self,
        layer: usize,
        module: &LayerModule,
        input: &Tensor<4>,
    ) -> Option<Tensor<4>> {
        let _ = (layer, module, input);
        None
    }

    /// Called with the output of `layer`; the returned value replaces it.
    fn after(&mut self, layer: usize, module: &LayerModule, output: Tensor<4>) -> Tensor<4> {
        let _ = (layer, module);
        output
    }

    /// Called with the logits of the main classifier (see
    /// [`NetworkModule::forward_hooked`]); the returned value replaces them.
    fn after_classifier(&mut self, logits: Tensor<2>) -> Tensor<2> {
        logits
    }
}

/// A hook that changes nothing.
struct NoHook;

impl LayerHook for NoHook {}

/// A graph of layers as a Burn module.
#[derive(Module, Debug)]
pub struct GraphModule {
    /// The layer modules, in node order.
    pub layers: Vec<LayerModule>,
    #[module(skip)]
    steps: Vec<Step>,
    #[module(skip)]
    last_readers: Vec<Option<NodeId>>,
    #[module(skip)]
    output: NodeId,
    /// Whether each layer's output is a drop-path node of the graph ([`Graph::drop_path`]).
    #[module(skip)]
    drop_path: Vec<bool>,
}

impl GraphModule {
    /// Builds the modules of `graph`, drawing weights in node order from `rng`.
    pub fn init(graph: &Graph, init: Initializer, rng: &mut StdRng, device: &Device) -> Self {
        let mut layers = Vec::new();
        let mut drop_path = Vec::new();
        let steps = graph
            .nodes
            .iter()
            .enumerate()
            .map(|(id, node)| match node {
                Node::Input => Step::Input,
                Node::Layer { layer, input } => {
                    layers.push(LayerModule::init(layer, init, rng, device));
                    drop_path.push(graph.drop_path.binary_search(&id).is_ok());
                    Step::Layer {
                        module: layers.len() - 1,
                        input: *input,
                    }
                }
                Node::Add { inputs } => Step::Add(inputs.clone()),
                Node::Concat { inputs } => Step::Concat(inputs.clone()),
            })
            .collect();
        GraphModule {
            layers,
            steps,
            last_readers: graph.last_readers(),
            output: graph.output,
            drop_path,
        }
    }

    /// Returns whether the output of layer `layer` (an index into
    /// [`GraphModule::layers`]) is a drop-path node of the graph; `false` past the end.
    pub fn is_drop_path(&self, layer: usize) -> bool {
        self.drop_path.get(layer).copied().unwrap_or(false)
    }

    /// Runs the graph on `input` and returns the values of the output node and, if given, of
    /// one more node (an auxiliary head's source).
    ///
    /// # Shapes
    /// - `input`: `[batch, channels, height, width]`
    pub fn forward_with(
        &self,
        input: Tensor<4>,
        norm: NormMode,
        tap: Option<NodeId>,
    ) -> (Tensor<4>, Option<Tensor<4>>) {
        self.forward_hooked(input, norm, tap, &mut NoHook)
    }

    /// Runs the graph like [`GraphModule::forward_with`], calling `hook` around every layer.
    ///
    /// # Shapes
    /// - `input`: `[batch, channels, height, width]`
    pub fn forward_hooked(
        &self,
        input: Tensor<4>,
        norm: NormMode,
        tap: Option<NodeId>,
        hook: &mut dyn LayerHook,
    ) -> (Tensor<4>, Option<Tensor<4>>) {
        let mut values: Vec<Option<Tensor<4>>> = vec![None; self.steps.len()];
        let mut input = Some(input);
        let mut tapped = None;
        for (id, step) in self.steps.iter().enumerate() {
            let value = match step {
                Step::Input => input.take().expect("the graph has one input node"),
                Step::Layer { module, input } => {
                    let layer = &self.layers[*module];
                    let input = self.read_or_take(&mut values, *input, id);
                    match hook.before(*module, layer, &input) {
                        Some(replaced) => replaced,
                        None => hook.after(*module, layer, layer.forward(input, norm)),
                    }
                }
                Step::Add(inputs) => inputs
                    .iter()
                    .map(|&source| self.read(&values, source))
                    .reduce(|sum, value| sum + value)
                    .expect("add nodes have inputs"),
                Step::Concat(inputs) => Tensor::cat(
                    inputs
                        .iter()
                        .map(|&source| self.read(&values, source))
                        .collect(),
                    1,
                ),
            };
            if tap == Some(id) {
                tapped = Some(value.clone());
            }
            values[id] = Some(value);

            // Free every value whose last reader has now run.
            for source in step_inputs(step) {
                if self.last_readers[source] == Some(id) && source != self.output {
                    values[source] = None;
                }
            }
        }
        let output = values[self.output].take().expect("the output node ran");
        (output, tapped)
    }

    /// Returns the number of trainable scalars of all layers.
    pub fn trainable_parameters(&self) -> u64 {
        self.layers
            .iter()
            .map(LayerModule::trainable_parameters)
            .sum()
    }

    fn read(&self, values: &[Option<Tensor<4>>], source: NodeId) -> Tensor<4> {
        values[source]
            .clone()
            .expect("validated graphs read only earlier nodes")
    }

    /// Reads `source` for the single-input step `reader`, moving the value out when
    /// `reader` is its last reader. A layer then has the only handle to its input, so
    /// the host kernels of the flex backend reuse the input's memory instead of copying it.
    fn read_or_take(
        &self,
        values: &mut [Option<Tensor<4>>],
        source: NodeId,
        reader: NodeId,
    ) -> Tensor<4> {
        if self.last_readers[source] == Some(reader) && source != self.output {
            values[source]
                .take()
                .expect("validated graphs read only earlier nodes")
        } else {
            self.read(values, source)
        }
    }
}

fn step_inputs(step: &Step) -> Vec<NodeId> {
    match step {
        Step::Input => Vec::new(),
        Step::Layer { input, .. } => vec![*input],
        Step::Add(inputs) | Step::Concat(inputs) => inputs.clone(),
    }
}

/// An auxiliary classifier head as a Burn module.
#[derive(Module, Debug)]
pub struct AuxiliaryModule {
    /// The head's layers.
    pub graph: GraphModule,
    /// The head's classifier.
    pub classifier: Linear,
    #[module(skip)]
    source: NodeId,
}

/// A classification network as a Burn module: backbone, linear classifier and an optional
/// auxiliary head.
#[derive(Module, Debug)]
pub struct NetworkModule {
    /// The backbone, ending in global average pooling.
    pub backbone: GraphModule,
    /// The classifier on the pooled features.
    pub classifier: Linear,
    /// The auxiliary head, if the description has one.
    pub auxiliary: Option<AuxiliaryModule>,
    #[module(skip)]
    norm: NormMode,
    #[module(skip)]
    feature_dim: usize,
}

/// Settings for building a [`NetworkModule`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuildConfig {
    /// Weight initialiser of convolutions and linear layers.
    pub initializer: Initializer,
    /// Batch norm behaviour.
    pub norm: NormMode,
    /// Seed of the weight initialisation.
    pub seed: u64,
}

impl Default for BuildConfig {
    fn default() -> Self {
        BuildConfig {
            initializer: Initializer::PytorchDefault,
            norm: NormMode::BatchStatistics,
            seed: 0,
        }
    }
}

impl NetworkModule {
    /// Validates `network` and builds its modules on `device`.
    ///
    /// Weights are drawn from a generator seeded with `config.seed`, in node order, backbone
    /// first, so the same description and seed give the same weights on every backend.
    ///
    /// # Errors
    ///
    /// [`NnError::Network`] when the description's shapes do not fit together.
    pub fn init(network: &Network, config: BuildConfig, device: &Device) -> Result<Self, NnError> {
        network.validate()?;
        let mut rng = StdRng::seed_from_u64(config.seed);
        let backbone = GraphModule::init(&network.backbone, config.initializer, &mut rng, device);
        let classifier = linear(network.classifier, config.initializer, &mut rng, device);
        let auxiliary = network.auxiliary.as_ref().map(|head| AuxiliaryModule {
            graph: GraphModule::init(&head.graph, config.initializer, &mut rng, device),
            classifier: linear(head.classifier, config.initializer, &mut rng, device),
            source: head.source,
        });
        Ok(NetworkModule {
            backbone,
            classifier,
            auxiliary,
            norm: config.norm,
            feature_dim: network.feature_dim(),
        })
    }

    /// Returns the number of trainable scalars of the backbone and the classifier, without
    /// the auxiliary head.
    pub fn trainable_parameters(&self) -> u64 {
        self.backbone.trainable_parameters() + linear_parameters(&self.classifier)
    }

    /// Returns the number of trainable scalars of the auxiliary head (0 without one).
    pub fn auxiliary_parameters(&self) -> u64 {
        self.auxiliary.as_ref().map_or(0, |head| {
            head.graph.trainable_parameters() + linear_parameters(&head.classifier)
        })
    }

    /// Returns the number of features of [`NetworkModule::features`].
    pub fn feature_dim(&self) -> usize {
        self.feature_dim
    }

    /// Returns the batch norm behaviour.
    pub fn norm(&self) -> NormMode {
        self.norm
    }

    /// Returns the network with another batch norm behaviour.
    pub fn with_norm(mut self, norm: NormMode) -> Self {
        self.norm = norm;
        self
    }

    /// Computes the pooled backbone features.
    ///
    /// # Shapes
    /// - `images`: `[batch, channels, height, width]`
    /// - output: `[batch, feature_dim]`
    pub fn features(&self, images: Tensor<4>) -> Tensor<2> {
        let (pooled, _) = self.backbone.forward_with(images, self.norm, None);
        flatten(pooled)
    }

    /// Computes the class logits.
    ///
    /// # Shapes
    /// - `images`: `[batch, channels, height, width]`
    /// - output: `[batch, classes]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.classifier.forward(self.features(images))
    }

    /// Computes the class logits of the backbone and main classifier, calling `hook` around
    /// every backbone layer and on the logits. The auxiliary head does not run.
    ///
    /// # Shapes
    /// - `images`: `[batch, channels, height, width]`
    /// - output: `[batch, classes]`
    pub fn forward_hooked(&self, images: Tensor<4>, hook: &mut dyn LayerHook) -> Tensor<2> {
        let (pooled, _) = self.backbone.forward_hooked(images, self.norm, None, hook);
        hook.after_classifier(self.classifier.forward(flatten(pooled)))
    }

    /// Computes the class logits and, when the network has an auxiliary head, its logits.
    ///
    /// # Shapes
    /// - `images`: `[batch, channels, height, width]`
    /// - output: `([batch, classes], Option<[batch, classes]>)`
    pub fn forward_with_auxiliary(&self, images: Tensor<4>) -> (Tensor<2>, Option<Tensor<2>>) {
        self.forward_with_auxiliary_hooked(images, &mut NoHook)
    }

    /// Computes the logits as [`NetworkModule::forward_with_auxiliary`], calling `hook`
    /// around every backbone layer and on the main logits. The auxiliary head reads the
    /// hooked backbone value and runs without the hook.
    ///
    /// # Shapes
    /// - `images`: `[batch, channels, height, width]`
    /// - output: `([batch, classes], Option<[batch, classes]>)`
    pub fn forward_with_auxiliary_hooked(
        &self,
        images: Tensor<4>,
        hook: &mut dyn LayerHook,
    ) -> (Tensor<2>, Option<Tensor<2>>) {
        let tap = self.auxiliary.as_ref().map(|head| head.source);
        let (pooled, tapped) = self.backbone.forward_hooked(images, self.norm, tap, hook);
        let logits = hook.after_classifier(self.classifier.forward(flatten(pooled)));
        let auxiliary = self.auxiliary.as_ref().zip(tapped).map(|(head, source)| {
            let (value, _) = head.graph.forward_with(source, self.norm, None);
            head.classifier.forward(flatten(value))
        });
        (logits, auxiliary)
    }
}

fn linear_parameters(linear: &Linear) -> u64 {
    let bias = linear
        .bias
        .as_ref()
        .map_or(0, |bias| bias.shape().num_elements());
    (linear.weight.shape().num_elements() + bias) as u64
}

fn flatten(value: Tensor<4>) -> Tensor<2> {
    let [batch, channels, height, width] = value.dims();
    value.reshape([batch, channels * height * width])
}

fn linear(classifier: Classifier, init: Initializer, rng: &mut StdRng, device: &Device) -> Linear {
    let Classifier {
        in_features,
        classes,
    } = classifier;
    let mut linear = LinearConfig::new(in_features, classes).init(device);
    let weights = init.weights(in_features * classes, in_features, classes, rng);
    let biases = init.biases(classes, in_features, rng);
    // Burn stores linear weights as `[in_features, out_features]`.
    linear.weight = Param::from_tensor(Tensor::from_data(
        TensorData::new(weights, [in_features, classes]),
        device,
    ));
    linear.bias = Some(Param::from_tensor(Tensor::from_data(
        TensorData::new(biases, [classes]),
        device,
    )));
    linear
}
