//! Standard benchmark problems and their analytic Pareto fronts.

pub mod dtlz;
pub mod zdt;

pub use dtlz::{Dtlz2, das_dennis};
pub use zdt::{Zdt1, Zdt2, Zdt3};
