//! Zero-cost proxies: scores of an untrained network, computed from one minibatch, that
//! are meant to rank architectures by the accuracy they would reach after training.
//!
//! Every proxy follows its published definition, summing per-weight scores over the weights
//! of convolutions and linear layers (biases and batch norm parameters are not scored), and
//! every score is "higher is better":
//!
//! | Proxy | Score |
//! |---|---|
//! | [`Proxy::Synflow`] | `sum |theta * dR/dtheta|`, `R` the sum of the outputs for an all-ones input, with every parameter replaced by its absolute value, batch norm bypassed, in double precision |
//! | [`Proxy::Snip`] | `sum |theta * dL/dtheta|`, `L` the cross-entropy of the minibatch |
//! | [`Proxy::Grasp`] | `sum -theta * (H g)`, `g` the loss gradient and `H` the Hessian of the loss |
//! | [`Proxy::Fisher`] | per output channel of each convolution and linear layer, half the batch mean of the squared spatial sum of activation times gradient, summed |
//! | [`Proxy::GradNorm`] | sum over layers of the Frobenius norm of the weight gradient |
//! | [`Proxy::JacobCov`] | `-sum log(v + k) + 1 / (v + k)` over the eigenvalues `v` of the correlation matrix of per-image input Jacobians, `k = 1e-5` |
//! | [`Proxy::Naswot`] | `log |det K|`, `K[i][j]` the number of ReLU units on which images `i` and `j` are both active or both inactive |
//!
//! Batch norm normalises with batch statistics (the networks are untrained), except that
//! synflow bypasses it.
//!
//! Burn's autodiff is first order, so grasp's Hessian-gradient product is a central
//! difference of gradients in double precision: `H g ~ (grad(theta + h g) - grad(theta - h g)) / 2h`,
//! with the step `h` chosen so that the perturbation is `1e-5` of the weights' norm.
//!
//! ```no_run
//! use burn::tensor::{Device, Tensor};
//! use rwenas_nn::{BuildConfig, NetworkModule};
//! use rwenas_proxies::{Proxy, ProxyBatch};
//! # fn network() -> rwenas_space::network::Network { unimplemented!() }
//!
//! let device = Device::flex();
//! let model = NetworkModule::init(&network(), BuildConfig::default(), &device.clone().autodiff())?;
//! let batch = ProxyBatch::new(Tensor::zeros([8, 3, 32, 32], &device), vec![0; 8], 10)?;
//! let score = Proxy::Snip.score(&model, &batch)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod error;
mod linalg;
mod proxy;
mod weights;

pub use error::ProxyError;
pub use linalg::{correlation_matrix, log_abs_determinant, symmetric_eigenvalues};
pub use proxy::{Proxy, ProxyBatch};
