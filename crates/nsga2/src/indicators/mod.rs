//! Quality indicators for approximation sets.

pub mod hypervolume;
pub mod igd;

pub use hypervolume::hypervolume;
pub use igd::{igd, igd_plus};
