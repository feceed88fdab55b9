//! DARTS genotypes: cells as lists of `(operation, input)` pairs with explicit concat lists,
//! in the serde form and in the Python text form that DARTS (quark0/darts), NSGA-Net
//! (ianwhale/nsga-net) and NAS-Bench-301 print.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::operation::Operation;
use crate::SpaceError;

/// A normal and a reduction cell. Each cell lists two `(operation, input)` units per node,
/// and node `k` (from 0) is state `k + 2`. States 0 and 1 are the cell's older and newer
/// inputs. The concat lists name the states whose channel concatenation is the cell output.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DartsGenotype {
    /// Units of the normal cell, two per node.
    pub normal: Vec<(Operation, usize)>,
    /// States concatenated into the normal cell's output.
    pub normal_concat: Vec<usize>,
    /// Units of the reduction cell, two per node.
    pub reduce: Vec<(Operation, usize)>,
    /// States concatenated into the reduction cell's output.
    pub reduce_concat: Vec<usize>,
}

impl DartsGenotype {
    /// Returns the number of nodes (blocks) of the normal cell.
    pub fn normal_nodes(&self) -> usize {
        self.normal.len() / 2
    }

    /// Returns the number of nodes (blocks) of the reduction cell.
    pub fn reduce_nodes(&self) -> usize {
        self.reduce.len() / 2
    }

    /// Checks that both cells have two units per node, that every unit reads an existing
    /// state, and that every concatenated state exists.
    ///
    /// # Errors
    ///
    /// [`SpaceError::InvalidGenotype`] naming the cell, the unit and the allowed range.
    pub fn validate(&self) -> Result<(), SpaceError> {
        validate_cell("normal", &self.normal, &self.normal_concat)?;
        validate_cell("reduce", &self.reduce, &self.reduce_concat)
    }
}

fn validate_cell(
    cell: &str,
    units: &[(Operation, usize)],
    concat: &[usize],
) -> Result<(), SpaceError> {
    if units.is_empty() || !units.len().is_multiple_of(2) {
        return Err(SpaceError::InvalidGenotype(format!(
            "{cell} cell has {} units; it needs two per node and at least one node",
            units.len()
        )));
    }
    for (position, &(operation, input)) in units.iter().enumerate() {
        let node = position / 2;
        if input > node + 1 {
            return Err(SpaceError::InvalidGenotype(format!(
                "{cell} unit {position} ({operation}) of node {node} reads state {input}; \
                 it may read states 0 to {}",
                node + 1
            )));
        }
    }
    let states = units.len() / 2 + 2;
    if concat.is_empty() {
        return Err(SpaceError::InvalidGenotype(format!(
            "{cell}_concat is empty; list at least one state"
        )));
    }
    if let Some(&state) = concat.iter().find(|&&state| state >= states) {
        return Err(SpaceError::InvalidGenotype(format!(
            "{cell}_concat lists state {state}; the cell has states 0 to {}",
            states - 1
        )));
    }
    Ok(())
}

impl fmt::Display for DartsGenotype {
    /// Writes the genotype as Python prints DARTS' `Genotype` named tuple.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "Genotype(normal={}, normal_concat={:?}, reduce={}, reduce_concat={:?})",
            UnitList(&self.normal),
            self.normal_concat,
            UnitList(&self.reduce),
            self.reduce_concat
        )
    }
}

struct UnitList<'a>(&'a [(Operation, usize)]);

impl fmt::Display for UnitList<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("[")?;
        for (position, (operation, input)) in self.0.iter().enumerate() {
            if position > 0 {
                formatter.write_str(", ")?;
            }
            write!(formatter, "('{operation}', {input})")?;
        }
        formatter.write_str("]")
    }
}

impl FromStr for DartsGenotype {
    type Err = SpaceError;

    /// Parses the Python text form, such as `Genotype(normal=[('sep_conv_3x3', 0), ...],
    /// normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=range(2, 6))`. Fields may come
    /// in any order, and quotes may be single or double. Concat lists may be `range(a, b)`.
    /// A third element in a unit (an edge weight that some forks print) is ignored.
    fn from_str(text: &str) -> Result<Self, SpaceError> {
        let genotype = super::parse::parse_genotype(text)?;
        genotype.validate()?;
        Ok(genotype)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> DartsGenotype {
        DartsGenotype {
            normal: vec![(Operation::SepConv3x3, 0), (Operation::SkipConnect, 1)],
            normal_concat: vec![2],
            reduce: vec![(Operation::MaxPool3x3, 0), (Operation::AvgPool3x3, 1)],
            reduce_concat: vec![2],
        }
    }

    #[test]
    fn display_matches_python() {
        assert_eq!(
            tiny().to_string(),
            "Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1)], normal_concat=[2], \
             reduce=[('max_pool_3x3', 0), ('avg_pool_3x3', 1)], reduce_concat=[2])"
        );
    }

    #[test]
    fn text_round_trip() {
        let text = tiny().to_string();
        assert_eq!(text.parse::<DartsGenotype>().unwrap(), tiny());
    }

    #[test]
    fn validate_rejects_future_input() {
        let mut genotype = tiny();
        genotype.normal[1].1 = 2;
        let error = genotype.validate().unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid genotype: normal unit 1 (skip_connect) of node 0 reads state 2; it may \
             read states 0 to 1"
        );
    }

    #[test]
    fn validate_rejects_odd_unit_count() {
        let mut genotype = tiny();
        genotype.reduce.pop();
        assert!(genotype.validate().is_err());
    }

    #[test]
    fn validate_rejects_missing_concat_state() {
        let mut genotype = tiny();
        genotype.reduce_concat = vec![3];
        assert!(genotype.validate().is_err());
    }

    #[test]
    fn json_round_trip() {
        let json = serde_json::to_string(&tiny()).unwrap();
        let back: DartsGenotype = serde_json::from_str(&json).unwrap();
        assert_eq!(back, tiny());
    }
}
