//! The micro search space: an encoding plus a network scale.

use rand::Rng;
use rwenas_genome::{GeneBounds, Genome};

use super::genome::MicroEncoding;
use super::genotype::DartsGenotype;
use super::network::{MicroScale, build_network};
use crate::network::Network;
use crate::{SearchSpace, SpaceError};

/// NSGA-Net's micro search space (or the NAS-Bench-301 subset) at a chosen scale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MicroSpace {
    encoding: MicroEncoding,
    scale: MicroScale,
}

impl MicroSpace {
    /// Creates a space from an encoding and a scale.
    ///
    /// # Errors
    ///
    /// The errors of [`MicroEncoding::validate`] and [`MicroScale::validate`].
    pub fn new(encoding: MicroEncoding, scale: MicroScale) -> Result<Self, SpaceError> {
        encoding.validate()?;
        scale.validate()?;
        Ok(MicroSpace { encoding, scale })
    }

    /// Creates NSGA-Net's micro space (40 genes) at `scale`.
    ///
    /// # Errors
    ///
    /// The errors of [`MicroScale::validate`].
    pub fn nsga_net(scale: MicroScale) -> Result<Self, SpaceError> {
        MicroSpace::new(MicroEncoding::NSGA_NET, scale)
    }

    /// Creates the NAS-Bench-301 subset (32 genes) at `scale`.
    ///
    /// # Errors
    ///
    /// The errors of [`MicroScale::validate`].
    pub fn nas_bench_301(scale: MicroScale) -> Result<Self, SpaceError> {
        MicroSpace::new(MicroEncoding::NAS_BENCH_301, scale)
    }

    /// Returns the encoding.
    pub fn encoding(&self) -> &MicroEncoding {
        &self.encoding
    }

    /// Returns the scale.
    pub fn scale(&self) -> &MicroScale {
        &self.scale
    }

    /// Converts a genome to its DARTS genotype.
    ///
    /// # Errors
    ///
    /// The errors of [`MicroEncoding::validate_genome`].
    pub fn genotype(&self, genome: &Genome) -> Result<DartsGenotype, SpaceError> {
        self.encoding.to_genotype(genome)
    }

    /// Converts a genotype with as many nodes per cell as the space has blocks to a genome.
    ///
    /// # Errors
    ///
    /// The errors of [`MicroEncoding::from_genotype`].
    pub fn genome(&self, genotype: &DartsGenotype) -> Result<Genome, SpaceError> {
        self.encoding.from_genotype(genotype)
    }

    /// Builds the network of a genotype at this space's scale, keeping its concat lists.
    ///
    /// # Errors
    ///
    /// The errors of [`build_network`].
    pub fn build(&self, genotype: &DartsGenotype) -> Result<Network, SpaceError> {
        build_network(genotype, &self.scale)
    }
}

impl SearchSpace for MicroSpace {
    fn name(&self) -> &str {
        "micro"
    }

    fn bounds(&self) -> GeneBounds {
        self.encoding.bounds()
    }

    fn validate(&self, genome: &Genome) -> Result<(), SpaceError> {
        self.encoding.validate_genome(genome)
    }

    fn decode(&self, genome: &Genome) -> Result<Network, SpaceError> {
        self.build(&self.genotype(genome)?)
    }

    fn describe(&self, genome: &Genome) -> Result<String, SpaceError> {
        let genotype = self.genotype(genome)?;
        let network = self.build(&genotype)?;
        Ok(super::describe::describe(&genotype, &self.scale, &network))
    }

    fn repair(&self, genome: Genome, rng: &mut dyn Rng) -> Genome {
        self.encoding.repair(genome, rng)
    }

    fn to_dot(&self, genome: &Genome) -> Result<String, SpaceError> {
        Ok(super::describe::genotype_dot(&self.genotype(genome)?))
    }
}
