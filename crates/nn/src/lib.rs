//! Burn modules for rwenas network descriptions.
//!
//! [`NetworkModule::init`] turns a backend-free [`Network`](rwenas_space::network::Network)
//! into a Burn module on any device, with weights drawn from a seeded generator by one of
//! the [`Initializer`]s, so the same description and seed give the same network on every
//! backend. Batch norm follows a [`NormMode`]: random-weight evaluation normalises with
//! batch statistics, a trained network with its running statistics.
//!
//! ```
//! use burn::tensor::{Device, Tensor};
//! use rwenas_nn::{BuildConfig, NetworkModule};
//! use rwenas_space::network::{Classifier, Graph, Layer, Network};
//!
//! let mut graph = Graph::new();
//! let conv = Layer::Conv2d {
//!     in_channels: 3, out_channels: 8, kernel: [3, 3], stride: [1, 1],
//!     padding: [1, 1], dilation: [1, 1], groups: 1, bias: false,
//! };
//! let last = graph.chain([conv, Layer::BatchNorm2d { channels: 8 }, Layer::Relu, Layer::GlobalAvgPool], 0);
//! graph.output = last;
//! let network = Network {
//!     input: [3, 16, 16],
//!     backbone: graph,
//!     classifier: Classifier { in_features: 8, classes: 10 },
//!     auxiliary: None,
//! };
//!
//! let device = Device::flex();
//! let model = NetworkModule::init(&network, BuildConfig::default(), &device).unwrap();
//! let logits = model.forward(Tensor::zeros([2, 3, 16, 16], &device));
//! assert_eq!(logits.dims(), [2, 10]);
//! ```
#![warn(missing_docs)]

mod error;
mod init;
mod layer;
mod network;

pub use error::NnError;
pub use init::Initializer;
pub use layer::{Crop, GlobalAvgPool, LayerModule, NormMode};
pub use network::{AuxiliaryModule, BuildConfig, GraphModule, LayerHook, NetworkModule};
