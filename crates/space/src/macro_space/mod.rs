//! NSGA-Net's macro search space (ianwhale/nsga-net, after Genetic CNN): phases of `n`
//! convolution nodes whose connections are bits.
//!
//! Per phase the genome holds, for node `j` from 2 to `n`, one bit per earlier node
//! `1..j-1` saying whether it feeds node `j` (node 2's bit, node 3's two bits, ..., node
//! `n`'s `n - 1` bits), then one skip bit: `n(n-1)/2 + 1` bits, 16 at `n = 6`. Three phases
//! at `n = 6` give 48 bits.

mod encoding;
pub mod network;
mod space;

pub use encoding::{PhaseGraph, phase_bits};
pub use network::{MacroScale, build_network};
pub use space::MacroSpace;
