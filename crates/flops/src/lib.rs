//! Analytic FLOPs and parameter counts of a decoded architecture ([`rwenas_space::Network`]).
//!
//! Counting walks the network description once and never touches tensors, so one call
//! takes microseconds. Two conventions are provided, because published FLOPs of the same
//! network differ by what they count:
//!
//! | layer | [`Convention::ConvLinear`] | [`Convention::NsgaNet`] |
//! | --- | --- | --- |
//! | convolution | output elements x `in_channels / groups` x kernel height x kernel width | same |
//! | linear classifier | `in_features` x `classes` (bias not counted) | same |
//! | batch norm | 0 | 2 per element |
//! | ReLU | 0 | 1 per output element |
//! | max, average and global average pooling | 0 | 1 per input element |
//! | addition, concatenation, crop | 0 | 0 |
//!
//! `ConvLinear` counts the multiply-accumulates of convolutions and linear layers, the
//! figure most NAS papers report as "FLOPs" or "MAdds" (DARTS, quark0/darts, and
//! NSGA-Net's tables). `NsgaNet` reproduces the hook-based counter in NSGA-Net's code
//! (ianwhale/nsga-net). Other tools differ again: thop counts batch norm as four operations
//! per element and skips ReLU, fvcore skips ReLU, pooling and additions.
//!
//! MACs never include the auxiliary head, which exists only while training. Parameter
//! counts include every trainable parameter (convolution weights and biases, batch-norm
//! scale and shift, classifier weights and bias); the auxiliary head's are reported apart.
//!
//! ```
//! use rwenas_flops::{Convention, count};
//! use rwenas_space::micro::{MicroScale, build_network, catalogue};
//!
//! let genotype = catalogue::genotype("darts_v2")?;
//! let network = build_network(&genotype, &MicroScale::deployment(36, true))?;
//! let counts = count(&network, Convention::ConvLinear)?;
//! assert_eq!(counts.macs, 528_359_040);
//! assert_eq!(counts.params, 3_349_342);
//! assert_eq!(counts.auxiliary_params, 476_426);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

mod counter;
mod error;

pub use counter::{Convention, Counts, count, layer_macs};
pub use error::FlopsError;

/// The network description that [`count`] reads, and the built-in spaces that decode
/// genomes to it, so that counting needs this crate alone.
pub use rwenas_space::{self as space, Network};
