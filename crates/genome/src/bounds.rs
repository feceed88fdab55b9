//! Inclusive per-gene bounds: validation, sampling and clamping.

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::{Genome, GenomeError};

/// Inclusive lower and upper bounds for every gene of a genome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawBounds", into = "RawBounds")]
pub struct GeneBounds {
    lower: Vec<i64>,
    upper: Vec<i64>,
}

/// Unchecked serialised form of [`GeneBounds`].
#[derive(Serialize, Deserialize)]
struct RawBounds {
    lower: Vec<i64>,
    upper: Vec<i64>,
}

impl TryFrom<RawBounds> for GeneBounds {
    type Error = GenomeError;

    fn try_from(raw: RawBounds) -> Result<Self, GenomeError> {
        GeneBounds::new(raw.lower, raw.upper)
    }
}

impl From<GeneBounds> for RawBounds {
    fn from(bounds: GeneBounds) -> Self {
        RawBounds {
            lower: bounds.lower,
            upper: bounds.upper,
        }
    }
}

impl GeneBounds {
    /// Creates bounds from the lower and upper value of every gene, both inclusive.
    ///
    /// # Errors
    ///
    /// [`GenomeError::BoundsLengthMismatch`] when the lists differ in length and
    /// [`GenomeError::EmptyRange`] when a lower bound exceeds its upper bound.
    pub fn new(lower: Vec<i64>, upper: Vec<i64>) -> Result<Self, GenomeError> {
        if lower.len() != upper.len() {
            return Err(GenomeError::BoundsLengthMismatch {
                lower: lower.len(),
                upper: upper.len(),
            });
        }
        let empty = lower.iter().zip(&upper).position(|(low, high)| low > high);
        if let Some(position) = empty {
            return Err(GenomeError::EmptyRange {
                position,
                lower: lower[position],
                upper: upper[position],
            });
        }
        Ok(GeneBounds { lower, upper })
    }

    /// Creates bounds of `len` genes that all range over `lower..=upper`.
    ///
    /// # Errors
    ///
    /// [`GenomeError::EmptyRange`] when `lower > upper` and `len > 0`.
    pub fn uniform(len: usize, lower: i64, upper: i64) -> Result<Self, GenomeError> {
        GeneBounds::new(vec![lower; len], vec![upper; len])
    }

    /// Creates bounds of a bit string of `len` genes, each 0 or 1.
    pub fn binary(len: usize) -> Self {
        GeneBounds {
            lower: vec![0; len],
            upper: vec![1; len],
        }
    }

    /// Returns the number of genes.
    pub fn len(&self) -> usize {
        self.lower.len()
    }

    /// Returns whether the bounds describe no gene.
    pub fn is_empty(&self) -> bool {
        self.lower.is_empty()
    }

    /// Returns the lower bound of every gene.
    pub fn lower(&self) -> &[i64] {
        &self.lower
    }

    /// Returns the upper bound of every gene.
    pub fn upper(&self) -> &[i64] {
        &self.upper
    }

    /// Returns the inclusive range `(lower, upper)` of the gene at `position`.
    pub fn range(&self, position: usize) -> Option<(i64, i64)> {
        Some((*self.lower.get(position)?, *self.upper.get(position)?))
    }

    /// Checks the genome's length and that every gene lies within its bounds.
    ///
    /// # Errors
    ///
    /// [`GenomeError::LengthMismatch`], or [`GenomeError::BelowLowerBound`] or
    /// [`GenomeError::AboveUpperBound`] for the first gene out of range.
    pub fn validate(&self, genome: &Genome) -> Result<(), GenomeError> {
        if genome.len() != self.len() {
            return Err(GenomeError::LengthMismatch {
                expected: self.len(),
                actual: genome.len(),
            });
        }
        let genes = genome
            .genes()
            .iter()
            .zip(self.lower.iter().zip(&self.upper));
        for (position, (&value, (&lower, &upper))) in genes.enumerate() {
            if value < lower {
                return Err(GenomeError::BelowLowerBound {
                    position,
                    value,
                    lower,
                });
            }
            if value > upper {
                return Err(GenomeError::AboveUpperBound {
                    position,
                    value,
                    upper,
                });
            }
        }
        Ok(())
    }

    /// Returns whether the genome has the right length and every gene lies within bounds.
    pub fn contains(&self, genome: &Genome) -> bool {
        self.validate(genome).is_ok()
    }

    /// Draws a genome with every gene uniform over its inclusive range.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Genome {
        let genes = self
            .lower
            .iter()
            .zip(&self.upper)
            .map(|(&lower, &upper)| rng.random_range(lower..=upper))
            .collect();
        Genome::new(genes)
    }

    /// Moves every gene into its range, and truncates or pads the genome (with lower
    /// bounds) to the expected length.
    pub fn clamp(&self, genome: Genome) -> Genome {
        let mut genes = genome.into_genes();
        genes.resize(self.len(), 0);
        for (gene, (&lower, &upper)) in genes.iter_mut().zip(self.lower.iter().zip(&self.upper)) {
            *gene = (*gene).clamp(lower, upper);
        }
        Genome::new(genes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;

    fn micro_like() -> GeneBounds {
        GeneBounds::new(vec![0; 8], vec![8, 1, 8, 1, 8, 2, 8, 7]).unwrap()
    }

    #[test]
    fn validate_names_upper_bound() {
        let genome = Genome::new(vec![0, 0, 0, 0, 0, 0, 0, 9]);
        let error = micro_like().validate(&genome).unwrap_err();
        assert_eq!(error.to_string(), "gene 7 is 9 but its upper bound is 7");
    }

    #[test]
    fn validate_names_lower_bound() {
        let genome = Genome::new(vec![0, -1, 0, 0, 0, 0, 0, 0]);
        let error = micro_like().validate(&genome).unwrap_err();
        assert_eq!(error.to_string(), "gene 1 is -1 but its lower bound is 0");
    }

    #[test]
    fn validate_names_lengths() {
        let bounds = GeneBounds::binary(40);
        let error = bounds.validate(&Genome::new(vec![0; 38])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "genome has 38 genes but the space expects 40"
        );
    }

    #[test]
    fn new_rejects_empty_range() {
        let error = GeneBounds::new(vec![0, 3], vec![1, 2]).unwrap_err();
        assert_eq!(
            error,
            GenomeError::EmptyRange {
                position: 1,
                lower: 3,
                upper: 2
            }
        );
    }

    #[test]
    fn new_rejects_length_mismatch() {
        let error = GeneBounds::new(vec![0], vec![1, 2]).unwrap_err();
        assert_eq!(
            error,
            GenomeError::BoundsLengthMismatch { lower: 1, upper: 2 }
        );
    }

    #[test]
    fn sample_is_reproducible() {
        let bounds = micro_like();
        let first = bounds.sample(&mut rand::rngs::StdRng::seed_from_u64(3));
        let second = bounds.sample(&mut rand::rngs::StdRng::seed_from_u64(3));
        assert_eq!(first, second);
    }

    #[test]
    fn sample_works_through_dyn_rng() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let dynamic: &mut dyn Rng = &mut rng;
        let genome = micro_like().sample(dynamic);
        assert!(micro_like().contains(&genome));
    }

    #[test]
    fn bounds_json_rejects_empty_range() {
        let parsed = serde_json::from_str::<GeneBounds>(r#"{"lower":[2],"upper":[1]}"#);
        assert!(parsed.is_err());
    }

    proptest! {
        #[test]
        fn sampled_genomes_lie_within_bounds(seed in any::<u64>(), upper in prop::collection::vec(0i64..20, 0..50)) {
            let bounds = GeneBounds::new(vec![0; upper.len()], upper).unwrap();
            let genome = bounds.sample(&mut rand::rngs::StdRng::seed_from_u64(seed));
            prop_assert!(bounds.validate(&genome).is_ok());
        }

        #[test]
        fn clamp_always_gives_valid_genome(genes in prop::collection::vec(any::<i64>(), 0..60)) {
            let bounds = micro_like();
            let clamped = bounds.clamp(Genome::new(genes));
            prop_assert!(bounds.validate(&clamped).is_ok());
        }

        #[test]
        fn json_round_trip(genes in prop::collection::vec(any::<i64>(), 0..60)) {
            let genome = Genome::new(genes);
            let json = serde_json::to_string(&genome).unwrap();
            let back: Genome = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back, genome);
        }
    }
}
