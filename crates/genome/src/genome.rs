//! The genome type.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::GenomeError;

/// A genome: one integer per gene. It serialises as a plain JSON array of integers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Genome(Vec<i64>);

/// FNV-1a 64-bit offset basis.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
/// FNV-1a 64-bit prime.
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

impl Genome {
    /// Creates a genome from its genes.
    pub fn new(genes: Vec<i64>) -> Self {
        Genome(genes)
    }

    /// Creates a genome of 0 and 1 genes from a bit string.
    pub fn from_bits(bits: &[bool]) -> Self {
        Genome(bits.iter().map(|&bit| i64::from(bit)).collect())
    }

    /// Returns the genes.
    pub fn genes(&self) -> &[i64] {
        &self.0
    }

    /// Returns the genes mutably.
    pub fn genes_mut(&mut self) -> &mut [i64] {
        &mut self.0
    }

    /// Consumes the genome and returns its genes.
    pub fn into_genes(self) -> Vec<i64> {
        self.0
    }

    /// Returns the number of genes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Returns whether the genome has no genes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Converts a genome of 0 and 1 genes to a bit string.
    ///
    /// # Errors
    ///
    /// [`GenomeError::NotABit`] naming the first gene that is neither 0 nor 1.
    pub fn to_bits(&self) -> Result<Vec<bool>, GenomeError> {
        self.0
            .iter()
            .enumerate()
            .map(|(position, &value)| match value {
                0 => Ok(false),
                1 => Ok(true),
                _ => Err(GenomeError::NotABit { position, value }),
            })
            .collect()
    }

    /// Computes a 64-bit FNV-1a hash over the genes' 8-byte little-endian encodings, in
    /// order. The value depends only on the genes, so it is the same on every platform and
    /// in every version of this crate, and can be stored to de-duplicate genomes across runs.
    pub fn stable_hash(&self) -> u64 {
        self.0
            .iter()
            .flat_map(|gene| gene.to_le_bytes())
            .fold(FNV_OFFSET, |hash, byte| {
                (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME)
            })
    }
}

impl From<Vec<i64>> for Genome {
    fn from(genes: Vec<i64>) -> Self {
        Genome(genes)
    }
}

impl AsRef<[i64]> for Genome {
    fn as_ref(&self) -> &[i64] {
        &self.0
    }
}

impl fmt::Display for Genome {
    /// Writes the genes as `[3, 1, 0]`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{:?}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_hash_of_empty_genome_is_offset_basis() {
        assert_eq!(Genome::default().stable_hash(), FNV_OFFSET);
    }

    #[test]
    fn stable_hash_matches_reference_value() {
        // FNV-1a of the 8 bytes 01 00 00 00 00 00 00 00, computed step by step:
        // the first byte XORs 1 into the offset basis, every byte multiplies by the prime.
        let mut expected = FNV_OFFSET;
        for byte in [1u8, 0, 0, 0, 0, 0, 0, 0] {
            expected = (expected ^ u64::from(byte)).wrapping_mul(FNV_PRIME);
        }
        assert_eq!(Genome::new(vec![1]).stable_hash(), expected);
        assert_eq!(expected, 0x89cd_3129_1d2a_efa4);
    }

    #[test]
    fn stable_hash_depends_on_order() {
        let forward = Genome::new(vec![1, 2]).stable_hash();
        let backward = Genome::new(vec![2, 1]).stable_hash();
        assert_ne!(forward, backward);
    }

    #[test]
    fn json_is_plain_array() {
        let genome = Genome::new(vec![3, -1, 0]);
        let json = serde_json::to_string(&genome).unwrap();
        assert_eq!(json, "[3,-1,0]");
        let back: Genome = serde_json::from_str(&json).unwrap();
        assert_eq!(back, genome);
    }

    #[test]
    fn bits_round_trip() {
        let bits = [true, false, true];
        let genome = Genome::from_bits(&bits);
        assert_eq!(genome.genes(), &[1, 0, 1]);
        assert_eq!(genome.to_bits().unwrap(), bits);
    }

    #[test]
    fn to_bits_rejects_other_values() {
        let error = Genome::new(vec![0, 2]).to_bits().unwrap_err();
        assert_eq!(
            error,
            GenomeError::NotABit {
                position: 1,
                value: 2
            }
        );
    }

    #[test]
    fn display_lists_genes() {
        assert_eq!(Genome::new(vec![3, 1]).to_string(), "[3, 1]");
    }
}
