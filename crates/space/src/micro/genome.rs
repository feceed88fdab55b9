//! NSGA-Net's flat micro genome: per cell and per block `op_a, in_a, op_b, in_b`, the normal
//! cell first, and its conversion to and from DARTS genotypes.
//!
//! Block `b` (from 0) of a cell may read input 0 (the cell's older input), 1 (its newer
//! input) or `2 + k` for an earlier block `k < b`, so its input genes range from 0 to
//! `b + 1`. Operation genes index [`Operation::ALL`].

use rand::{Rng, RngExt};
use rwenas_genome::{GeneBounds, Genome, GenomeError};

use super::genotype::DartsGenotype;
use super::operation::Operation;
use crate::SpaceError;

/// Genes per block: two units of `(operation, input)`.
pub const GENES_PER_BLOCK: usize = 4;

/// Names of the two cells in genome order.
const CELLS: [&str; 2] = ["normal", "reduction"];

/// Rule that picks the states a cell concatenates into its output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConcatRule {
    /// The block outputs that no other block of the cell reads (NSGA-Net).
    LooseEnds,
    /// Every block output (DARTS and NAS-Bench-301).
    AllBlocks,
}

/// The shape of a micro genome: blocks per cell, how many operations the operation genes
/// choose from, whether a block may read the same input twice, and the concat rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct MicroEncoding {
    /// Blocks per cell.
    pub blocks: usize,
    /// Operation genes range over the first `operations` entries of [`Operation::ALL`].
    pub operations: usize,
    /// Whether the two units of a block must read different inputs.
    pub distinct_inputs: bool,
    /// Rule that selects the states forming the cell output.
    pub concat: ConcatRule,
}

impl MicroEncoding {
    /// NSGA-Net's micro encoding: 5 blocks, all 9 operations, inputs may repeat, loose-end
    /// concatenation; 40 genes.
    pub const NSGA_NET: MicroEncoding = MicroEncoding {
        blocks: 5,
        operations: 9,
        distinct_inputs: false,
        concat: ConcatRule::LooseEnds,
    };

    /// The NAS-Bench-301 subset in this encoding: 4 blocks, the 7 operations without
    /// `sep_conv_7x7` and `conv_7x1_1x7`, distinct inputs per block, all blocks
    /// concatenated; 32 genes.
    pub const NAS_BENCH_301: MicroEncoding = MicroEncoding {
        blocks: 4,
        operations: 7,
        distinct_inputs: true,
        concat: ConcatRule::AllBlocks,
    };

    /// Checks that the encoding has at least one block and 1 to 9 operations.
    ///
    /// # Errors
    ///
    /// [`SpaceError::InvalidScale`] naming the value.
    pub fn validate(&self) -> Result<(), SpaceError> {
        if self.blocks == 0 {
            return Err(SpaceError::InvalidScale(
                "a cell needs at least one block".to_owned(),
            ));
        }
        if self.operations == 0 || self.operations > Operation::ALL.len() {
            return Err(SpaceError::InvalidScale(format!(
                "{} operations requested; choose 1 to {}",
                self.operations,
                Operation::ALL.len()
            )));
        }
        Ok(())
    }

    /// Returns the genome length: two cells of `blocks` blocks of 4 genes.
    pub fn len(&self) -> usize {
        2 * self.blocks * GENES_PER_BLOCK
    }

    /// Returns whether the genome is empty (never for a validated encoding).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Returns the bounds of every gene.
    pub fn bounds(&self) -> GeneBounds {
        let top_operation = self.operations.max(1) as i64 - 1;
        let mut upper = Vec::with_capacity(self.len());
        for _cell in CELLS {
            for block in 0..self.blocks {
                let top_input = block as i64 + 1;
                upper.extend([top_operation, top_input, top_operation, top_input]);
            }
        }
        // Every upper bound is at least 0, so the bounds are never empty ranges.
        GeneBounds::new(vec![0; upper.len()], upper).unwrap_or_else(|_| GeneBounds::binary(0))
    }

    /// Checks a genome against this encoding with errors that name the gene, the cell, the
    /// block and the allowed range.
    ///
    /// # Errors
    ///
    /// [`SpaceError::Genome`] for a wrong length and [`SpaceError::InvalidGene`] for a gene
    /// out of range, or for a block that reads one input twice where that is not allowed.
    pub fn validate_genome(&self, genome: &Genome) -> Result<(), SpaceError> {
        if genome.len() != self.len() {
            return Err(GenomeError::LengthMismatch {
                expected: self.len(),
                actual: genome.len(),
            }
            .into());
        }
        for (position, &value) in genome.genes().iter().enumerate() {
            self.check_gene(position, value)?;
        }
        let repeated = self.repeated_inputs(genome);
        if let Some(&position) = repeated.first().filter(|_| self.distinct_inputs) {
            let (cell, block, _) = self.locate(position);
            return Err(SpaceError::InvalidGene {
                position,
                value: genome.genes()[position],
                reason: format!(
                    "block {block} of the {} cell already reads that input with its other \
                     unit; this encoding needs two different inputs per block",
                    CELLS[cell]
                ),
            });
        }
        Ok(())
    }

    /// Returns (cell, block, gene within the block) of a genome position.
    fn locate(&self, position: usize) -> (usize, usize, usize) {
        let per_cell = self.blocks * GENES_PER_BLOCK;
        let within = position % per_cell;
        (
            position / per_cell,
            within / GENES_PER_BLOCK,
            within % GENES_PER_BLOCK,
        )
    }

    fn check_gene(&self, position: usize, value: i64) -> Result<(), SpaceError> {
        let (cell, block, gene) = self.locate(position);
        let (top, reason) = if gene % 2 == 0 {
            let top = self.operations as i64 - 1;
            (top, format!("operation genes range from 0 to {top}"))
        } else {
            let top = block as i64 + 1;
            let reason = format!(
                "block {block} of the {} cell may read inputs 0 to {top} (the two cell inputs \
                 and the blocks before it)",
                CELLS[cell]
            );
            (top, reason)
        };
        if (0..=top).contains(&value) {
            Ok(())
        } else {
            Err(SpaceError::InvalidGene {
                position,
                value,
                reason,
            })
        }
    }

    /// Returns the positions of the second input gene of every block whose two units read
    /// the same input.
    fn repeated_inputs(&self, genome: &Genome) -> Vec<usize> {
        genome
            .genes()
            .chunks_exact(GENES_PER_BLOCK)
            .enumerate()
            .filter(|(_, block)| block[1] == block[3])
            .map(|(index, _)| index * GENES_PER_BLOCK + 3)
            .collect()
    }

    /// Gives every block that reads one input twice a different second input, drawn
    /// uniformly from the other inputs the block may read. Genomes of the wrong length and
    /// encodings that allow repeated inputs are returned unchanged, as are blocks with a
    /// single possible input.
    pub fn repair<R: Rng + ?Sized>(&self, genome: Genome, rng: &mut R) -> Genome {
        if !self.distinct_inputs || genome.len() != self.len() {
            return genome;
        }
        let mut genes = genome.into_genes();
        for (index, block) in genes.chunks_exact_mut(GENES_PER_BLOCK).enumerate() {
            let choices = (index % self.blocks) as i64 + 2;
            if block[1] == block[3] && choices > 1 {
                let offset = rng.random_range(1..choices);
                block[3] = (block[1].rem_euclid(choices) + offset) % choices;
            }
        }
        Genome::new(genes)
    }

    /// Converts a valid genome to a genotype; the concat lists follow [`Self::concat`].
    ///
    /// # Errors
    ///
    /// The errors of [`Self::validate_genome`].
    pub fn to_genotype(&self, genome: &Genome) -> Result<DartsGenotype, SpaceError> {
        self.validate_genome(genome)?;
        let per_cell = self.blocks * GENES_PER_BLOCK;
        let (normal, reduce) = genome.genes().split_at(per_cell);
        let normal = units(normal);
        let reduce = units(reduce);
        Ok(DartsGenotype {
            normal_concat: self.concat_of(&normal),
            reduce_concat: self.concat_of(&reduce),
            normal,
            reduce,
        })
    }

    fn concat_of(&self, units: &[(Operation, usize)]) -> Vec<usize> {
        match self.concat {
            ConcatRule::LooseEnds => loose_ends(units),
            ConcatRule::AllBlocks => (2..units.len() / 2 + 2).collect(),
        }
    }

    /// Converts a genotype to a genome of this encoding. The concat lists are not part of
    /// the genome: decoding the genome again gives the concat lists of [`Self::concat`].
    ///
    /// # Errors
    ///
    /// [`SpaceError::Incompatible`] when a cell has a different number of nodes than the
    /// encoding has blocks, or uses an operation outside the encoding's operations, and
    /// the errors of [`DartsGenotype::validate`] and [`Self::validate_genome`].
    pub fn from_genotype(&self, genotype: &DartsGenotype) -> Result<Genome, SpaceError> {
        genotype.validate()?;
        let mut genes = Vec::with_capacity(self.len());
        for (cell, cell_units) in CELLS.iter().zip([&genotype.normal, &genotype.reduce]) {
            if cell_units.len() / 2 != self.blocks {
                return Err(SpaceError::Incompatible(format!(
                    "the {cell} cell has {} nodes but the space has {} blocks per cell",
                    cell_units.len() / 2,
                    self.blocks
                )));
            }
            for &(operation, input) in cell_units {
                if operation.index() >= self.operations {
                    return Err(SpaceError::Incompatible(format!(
                        "the {cell} cell uses {operation}, which is not among the space's \
                         {} operations",
                        self.operations
                    )));
                }
                genes.extend([operation.index() as i64, input as i64]);
            }
        }
        let genome = Genome::new(genes);
        self.validate_genome(&genome)?;
        Ok(genome)
    }
}

/// Reads `(operation, input)` pairs from validated genes.
fn units(genes: &[i64]) -> Vec<(Operation, usize)> {
    genes
        .chunks_exact(2)
        .map(|unit| {
            let operation =
                Operation::from_index(unit[0] as usize).unwrap_or(Operation::MaxPool3x3);
            (operation, unit[1] as usize)
        })
        .collect()
}

/// Returns the states `2..nodes + 2` that no unit of the cell reads, in order (NSGA-Net's
/// loose-end concatenation).
pub fn loose_ends(units: &[(Operation, usize)]) -> Vec<usize> {
    let states = units.len() / 2 + 2;
    (2..states)
        .filter(|state| units.iter().all(|&(_, input)| input != *state))
        .collect()
}

/// Returns whether two micro genomes encode the same cells in NSGA-Net's sense: every block
/// of one cell matches a block of the other, possibly with its two units swapped, in any
/// order of blocks. Genomes whose length is not a multiple of 8 genes, or of unequal
/// length, are equal only when identical.
pub fn genomes_equal(first: &Genome, second: &Genome) -> bool {
    let len = first.len();
    if len != second.len() || !len.is_multiple_of(2 * GENES_PER_BLOCK) {
        return first == second;
    }
    let half = len / 2;
    let (first_normal, first_reduce) = first.genes().split_at(half);
    let (second_normal, second_reduce) = second.genes().split_at(half);
    canonical_blocks(first_normal) == canonical_blocks(second_normal)
        && canonical_blocks(first_reduce) == canonical_blocks(second_reduce)
}

/// Returns the cell's blocks with their units in sorted order, the blocks sorted too.
fn canonical_blocks(genes: &[i64]) -> Vec<[(i64, i64); 2]> {
    let mut blocks: Vec<[(i64, i64); 2]> = genes
        .chunks_exact(GENES_PER_BLOCK)
        .map(|block| {
            let mut units = [(block[0], block[1]), (block[2], block[3])];
            units.sort_unstable();
            units
        })
        .collect();
    blocks.sort_unstable();
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    const ENCODING: MicroEncoding = MicroEncoding::NSGA_NET;

    fn zeros() -> Genome {
        Genome::new(vec![0; 40])
    }

    #[test]
    fn bounds_follow_block_index() {
        let bounds = ENCODING.bounds();
        assert_eq!(bounds.len(), 40);
        // Block 4 of the reduction cell: genes 36 to 39, inputs 0 to 5.
        assert_eq!(bounds.range(36), Some((0, 8)));
        assert_eq!(bounds.range(37), Some((0, 5)));
        assert_eq!(bounds.range(3), Some((0, 1)));
        assert_eq!(bounds.range(7), Some((0, 2)));
    }

    #[test]
    fn validate_names_block_and_range() {
        let mut genes = zeros().into_genes();
        genes[7] = 9;
        let error = ENCODING.validate_genome(&Genome::new(genes)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "gene 7 is 9 but block 1 of the normal cell may read inputs 0 to 2 (the two cell \
             inputs and the blocks before it)"
        );
    }

    #[test]
    fn validate_names_operation_range() {
        let mut genes = zeros().into_genes();
        genes[20] = -1;
        let error = ENCODING.validate_genome(&Genome::new(genes)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "gene 20 is -1 but operation genes range from 0 to 8"
        );
    }

    #[test]
    fn validate_names_length() {
        let error = ENCODING
            .validate_genome(&Genome::new(vec![0; 38]))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "genome has 38 genes but the space expects 40"
        );
    }

    #[test]
    fn loose_ends_skip_read_blocks() {
        // Block 1 reads state 2 (block 0): the loose ends are 3 to 6.
        let units = [
            (Operation::SepConv3x3, 0),
            (Operation::SepConv3x3, 1),
            (Operation::SkipConnect, 2),
            (Operation::SkipConnect, 0),
        ];
        assert_eq!(loose_ends(&units), vec![3]);
    }

    #[test]
    fn genotype_round_trip_keeps_genes() {
        let genome = ENCODING
            .bounds()
            .sample(&mut rand::rngs::StdRng::seed_from_u64(1));
        let genotype = ENCODING.to_genotype(&genome).unwrap();
        assert_eq!(ENCODING.from_genotype(&genotype).unwrap(), genome);
    }

    #[test]
    fn from_genotype_reports_block_count() {
        let four_nodes = DartsGenotype {
            normal: vec![(Operation::SepConv3x3, 0); 8],
            normal_concat: vec![2, 3, 4, 5],
            reduce: vec![(Operation::MaxPool3x3, 0); 8],
            reduce_concat: vec![2, 3, 4, 5],
        };
        let error = ENCODING.from_genotype(&four_nodes).unwrap_err();
        assert_eq!(
            error.to_string(),
            "genotype does not fit the space: the normal cell has 4 nodes but the space has 5 \
             blocks per cell"
        );
    }

    #[test]
    fn equality_ignores_unit_and_block_order() {
        let mut first = zeros().into_genes();
        first[..8].copy_from_slice(&[3, 0, 4, 1, 2, 1, 5, 2]);
        let mut second = zeros().into_genes();
        second[..8].copy_from_slice(&[5, 2, 2, 1, 4, 1, 3, 0]);
        assert!(genomes_equal(
            &Genome::new(first.clone()),
            &Genome::new(second)
        ));
        let mut third = first.clone();
        third[0] = 4;
        assert!(!genomes_equal(&Genome::new(first), &Genome::new(third)));
    }

    #[test]
    fn nas_bench_301_rejects_repeated_input() {
        let encoding = MicroEncoding::NAS_BENCH_301;
        let genome = Genome::new(vec![0; encoding.len()]);
        let error = encoding.validate_genome(&genome).unwrap_err();
        assert!(
            matches!(error, SpaceError::InvalidGene { position: 3, .. }),
            "{error}"
        );
    }

    #[test]
    fn repair_gives_distinct_inputs() {
        let encoding = MicroEncoding::NAS_BENCH_301;
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        for _ in 0..50 {
            let genome = encoding.bounds().sample(&mut rng);
            let repaired = encoding.repair(genome, &mut rng);
            encoding.validate_genome(&repaired).unwrap();
        }
    }
}
