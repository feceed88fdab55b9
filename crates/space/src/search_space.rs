//! The trait every search space implements.

use rand::Rng;
use rwenas_genome::{GeneBounds, Genome};

use crate::SpaceError;
use crate::network::Network;

/// A search space: integer genomes within bounds, decoded to network descriptions.
///
/// The trait is object safe, so a program can choose a space at run time and hold it as
/// `&dyn SearchSpace` or `Box<dyn SearchSpace>`. Random generators are passed as
/// `&mut dyn Rng` of rand 0.10, which this crate re-exports as [`crate::rand`].
///
/// What a search expects of an implementation:
///
/// - [`SearchSpace::decode`] receives genomes that NSGA-II's crossover and mutation
///   produced, each gene within [`SearchSpace::bounds`] after the search applied
///   [`SearchSpace::repair`]. It must still reject a genome that breaks a rule of the
///   space with an error, which ranks the genome worst, rather than panic.
/// - The decoded [`Network::input`] must be the shape `[channels, height, width]` of the
///   images the estimator scores on; the estimators reject any other shape. The
///   classifier's class count matters to training and to the zero-cost proxies that use
///   labels; random-weight evaluation reads the backbone's features only.
/// - The backbone [`Graph`](crate::Graph) must end at [`Graph::output`](crate::Graph::output),
///   which [`Graph::new`](crate::Graph::new) sets to the input node.
/// - [`SearchSpace::describe`] gives the text that search results show for the genome.
pub trait SearchSpace {
    /// Returns a short name of the space, such as `micro`.
    fn name(&self) -> &str;

    /// Returns the inclusive bounds of every gene.
    fn bounds(&self) -> GeneBounds;

    /// Decodes a genome to a network description.
    ///
    /// # Errors
    ///
    /// A [`SpaceError`] naming the first invalid gene and its allowed range.
    fn decode(&self, genome: &Genome) -> Result<Network, SpaceError>;

    /// Describes the decoded architecture in readable text.
    ///
    /// # Errors
    ///
    /// The errors of [`SearchSpace::decode`].
    fn describe(&self, genome: &Genome) -> Result<String, SpaceError>;

    /// Checks a genome without building the network. The default checks the bounds only.
    ///
    /// # Errors
    ///
    /// A [`SpaceError`] naming the first invalid gene and its allowed range.
    fn validate(&self, genome: &Genome) -> Result<(), SpaceError> {
        self.bounds().validate(genome)?;
        Ok(())
    }

    /// Draws a random genome. The default draws every gene uniformly within its bounds and
    /// then applies [`SearchSpace::repair`].
    fn sample(&self, rng: &mut dyn Rng) -> Genome {
        let genome = self.bounds().sample(rng);
        self.repair(genome, rng)
    }

    /// Turns a genome that breaks a rule of the space into one that follows it, keeping
    /// every gene within the bounds. The default returns the genome unchanged.
    ///
    /// [`SearchSpace::sample`] applies it to random genomes, and the search applies it to
    /// every offspring before evaluating it, with a generator seeded by the search so that
    /// runs repeat.
    fn repair(&self, genome: Genome, rng: &mut dyn Rng) -> Genome {
        let _ = rng;
        genome
    }

    /// Renders the architecture as a Graphviz DOT document. The default draws the whole
    /// backbone graph of the decoded network.
    ///
    /// # Errors
    ///
    /// The errors of [`SearchSpace::decode`].
    fn to_dot(&self, genome: &Genome) -> Result<String, SpaceError> {
        Ok(crate::dot::network_dot(&self.decode(genome)?))
    }
}
